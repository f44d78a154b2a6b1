/** The console's only door to ixvault: the public native API (/api/v1), with the session cookie. */

export interface Session {
  userName: string;
  firstName?: string;
  lastName?: string;
  role: 'agent' | 'supervisor' | 'admin';
  tenant: string;
  canDelete: boolean;
  canReadAudit: boolean;
  /** May download content marked containsSensitiveData. */
  canReadSensitive: boolean;
}

export interface ContentItem {
  contentKey: string;
  type: string;
  contentType: string;
  contentLength: number;
  sha256: string;
  lastModified: string;
  owningAgent?: { id: string };
  owningInteractionPlan?: { id: string };
  properties?: { version?: number; duration?: number };
  /** Downloading it needs canReadSensitive. */
  containsSensitiveData?: boolean;
}

export interface Message {
  index: number;
  from: { nickname?: string; type: string; participantId?: string };
  text?: string;
  visibility?: string;
  timestamp: string;
  type: string;
}

export interface Interaction {
  id: string;
  guid: string;
  mediaType: string;
  typeId: string;
  state: string;
  startDate: string;
  endDate?: string;
  subject?: string;
  comment?: string;
  contactId?: string;
  parentId?: string;
  phoneNumber?: string;
  callDuration?: number;
  ownerInformation?: { id: string; userName?: string; firstName?: string; lastName?: string };
  handlingAgents: { id: string }[];
  connectFrom?: string;
  connectTo?: string;
  customAttributes: Record<string, string>;
  userData: Record<string, unknown>;
  messages: Message[];
  content: ContentItem[];
  /** With a text query (q): where the interaction matched. */
  matches?: TextMatch[];
}

/** One part of an interaction a text query matched, with offsets to highlight in its snippet. */
export interface TextMatch {
  in: 'subject' | 'comment' | 'email' | 'message' | 'transcript' | 'attachment';
  contentKey?: string;
  messageIndex?: number;
  segment?: number;
  startMs?: number;
  speaker?: string;
  snippet: string;
  highlights: [number, number][];
}

export interface SearchPage {
  items: Interaction[];
  nextCursor: string | null;
}

export interface AuditEntry {
  /** The entry's place in the tenant's hash chain. */
  chainNo: number;
  at: string;
  actor: string;
  action: string;
  interactionId?: string;
  contentKey?: string;
  detail?: Record<string, unknown>;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Sent on every call: the server refuses cookie-authenticated writes without it (CSRF). */
const HEADERS = { 'X-Requested-With': 'ixvault-console' };

async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { ...HEADERS, accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(path, {
    method,
    headers,
    credentials: 'same-origin',
    body: body === undefined ? null : JSON.stringify(body),
  });
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  // A proxy's or gateway's error page is HTML: its status says what happened, its markup is no message.
  const json = text && /json/i.test(res.headers.get('content-type') ?? '') ? (JSON.parse(text) as unknown) : undefined;
  if (!res.ok) {
    const problem = json as { detail?: string; title?: string } | undefined;
    throw new ApiError(res.status, problem?.detail ?? problem?.title ?? `${res.status} ${res.statusText}`);
  }
  return json as T;
}

const enc = encodeURIComponent;

export function contentUrl(id: string, contentKey: string, source: string): string {
  const query = source === 'archive' ? '?source=archive' : '';
  return `/api/v1/interactions/${enc(id)}/content/${enc(contentKey)}${query}`;
}

export const api = {
  session: () => request<Session>('GET', '/api/v1/session'),
  signIn: (userName: string, password: string) => request<Session>('POST', '/api/v1/session', { userName, password }),
  signOut: () => request<void>('DELETE', '/api/v1/session'),
  search: (params: URLSearchParams) => request<SearchPage>('GET', `/api/v1/interactions?${params}`),
  interaction: (id: string, source: string) =>
    request<Interaction>('GET', `/api/v1/interactions/${enc(id)}${source === 'archive' ? '?source=archive' : ''}`),
  deleteInteraction: (id: string) => request<void>('DELETE', `/api/v1/interactions/${enc(id)}`),
  deleteContent: (id: string, contentKey: string) =>
    request<void>('DELETE', `/api/v1/interactions/${enc(id)}/content/${enc(contentKey)}`),
  text: async (url: string): Promise<string> => {
    const res = await fetch(url, { headers: HEADERS, credentials: 'same-origin' });
    if (!res.ok) throw new ApiError(res.status, `${res.status} ${res.statusText}`);
    return res.text();
  },
  audit: (params: URLSearchParams) => request<{ entries: AuditEntry[] }>('GET', `/api/v1/audit?${params}`),
};
