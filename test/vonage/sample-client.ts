/**
 * A Vonage Contact Center API client written the way Vonage's published Node
 * samples are: axios, the token from `{auth base}/connect/token` with HTTP
 * Basic client authentication and a `scope`, the token cached until shortly
 * before `expires_in`, the versioned Accept header, and retries of 429 and
 * 5xx with exponential backoff that honours Retry-After. Nothing in it knows
 * about ixvault: it is pointed at a server by its two base URLs only.
 */
import axios, { type AxiosError, type AxiosResponse } from 'axios';

export interface VccClientConfig {
  /** e.g. https://emea.cc.vonage.com/Auth */
  authBaseUrl: string;
  /** e.g. https://emea.api.newvoicemedia.com/interaction-content */
  apiBaseUrl: string;
  clientId: string;
  clientSecret: string;
  scope: string;
  maxRetries?: number;
  /** First backoff step in milliseconds, doubled on each retry. */
  backoffMs?: number;
  onRetry?: (event: { method: string; url: string; status: number; attempt: number; delayMs: number }) => void;
}

export interface VccContent {
  contentKey: string;
  type: string;
  contentType: string;
  contentLength: number;
}

export interface VccInteraction {
  guid: string;
  start: string;
  content: VccContent[];
}

export interface VccDeleteFailure {
  guid: string;
  message: string;
  statusCode: number;
}

const ACCEPT = 'application/vnd.newvoicemedia.v3+json';

export function createVccClient(config: VccClientConfig) {
  const maxRetries = config.maxRetries ?? 5;
  const backoffMs = config.backoffMs ?? 100;
  let cached: { accessToken: string; expiresAt: number } | undefined;

  async function withRetries<T>(request: () => Promise<AxiosResponse<T>>): Promise<AxiosResponse<T>> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await request();
      } catch (err) {
        const response = (err as AxiosError).response;
        const status = response?.status ?? 0;
        const retryable = status === 429 || status >= 500;
        if (!retryable || attempt > maxRetries) throw err;
        const retryAfter = Number(response?.headers['retry-after']);
        const delayMs = Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : backoffMs * 2 ** (attempt - 1);
        const { method = 'get', url = '' } = (err as AxiosError).config ?? {};
        config.onRetry?.({ method: method.toUpperCase(), url, status, attempt, delayMs });
        await new Promise((resolve) => setTimeout(resolve, delayMs));
      }
    }
  }

  async function accessToken(): Promise<string> {
    if (cached && cached.expiresAt > Date.now() + 60_000) return cached.accessToken;
    const response = await withRetries(() =>
      axios.post<{ access_token: string; token_type: string; expires_in: number }>(
        `${config.authBaseUrl}/connect/token`,
        new URLSearchParams({ grant_type: 'client_credentials', scope: config.scope }).toString(),
        {
          auth: { username: config.clientId, password: config.clientSecret },
          headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        },
      ),
    );
    cached = { accessToken: response.data.access_token, expiresAt: Date.now() + response.data.expires_in * 1000 };
    return cached.accessToken;
  }

  const api = axios.create({ baseURL: config.apiBaseUrl, headers: { Accept: ACCEPT } });
  api.interceptors.request.use(async (request) => {
    request.headers.Authorization = `Bearer ${await accessToken()}`;
    return request;
  });

  return {
    /** Every interaction with content in the window, page by page. */
    async *searchInteractions(start: string, end: string, pageSize = 100): AsyncGenerator<VccInteraction> {
      let continuationToken: string | undefined;
      do {
        const response = await withRetries(() =>
          api.get<{ items: VccInteraction[]; meta: { nextContinuationToken: string | null } }>('/interactions', {
            params: { start, end, limit: pageSize, continuationToken },
          }),
        );
        yield* response.data.items;
        continuationToken = response.data.meta.nextContinuationToken ?? undefined;
      } while (continuationToken);
    },

    async downloadContent(guid: string, contentKey: string): Promise<{ contentType: string; data: Buffer }> {
      const response = await withRetries(() =>
        api.get<ArrayBuffer>(`/interactions/${guid}/content/${contentKey}`, { responseType: 'arraybuffer' }),
      );
      return { contentType: String(response.headers['content-type']), data: Buffer.from(response.data) };
    },

    /** Deletes up to 1000 interactions; answers the failures Vonage lists. */
    async deleteBatch(guids: string[]): Promise<VccDeleteFailure[]> {
      const response = await withRetries(() =>
        api.post<{ failures: VccDeleteFailure[] }>(
          '/interactions/delete-batch',
          { guids },
          { headers: { 'Content-Type': 'application/json' } },
        ),
      );
      return response.data.failures;
    },
  };
}
