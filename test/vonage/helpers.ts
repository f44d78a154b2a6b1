/** Ingestion through the native API and calls shaped like a Vonage client's, for the Vonage facade tests. */
import { randomUUID } from 'node:crypto';
import { callRecord } from '../helpers/fixtures.js';
import { call, type JsonResponse, type TestServer } from '../helpers/server.js';

export const V2 = 'application/vnd.newvoicemedia.v2+json';
export const V3 = 'application/vnd.newvoicemedia.v3+json';

export interface ContentUpload {
  key: string;
  body: Uint8Array | string;
  contentType: string;
  /** Query parameters of the native upload: type, duration, version, owningAgent, owningInteractionPlan. */
  query?: Record<string, string>;
}

export interface Ingested {
  id: string;
  guid: string;
}

/** Stores one call (overrides on callRecord) and its content items, as an ingesting system would. */
export async function ingest(
  server: TestServer,
  writer: string,
  overrides: Record<string, unknown>,
  contents: ContentUpload[] = [{ key: 'callRecording', body: 'RIFF-wav-bytes', contentType: 'audio/wav' }],
): Promise<Ingested> {
  const created = await call<Ingested>(`${server.url}/api/v1/interactions`, {
    method: 'POST',
    headers: { authorization: writer },
    // The fixture's endDate belongs to its own startDate; tests move startDate freely.
    json: callRecord({ guid: randomUUID(), endDate: undefined, ...overrides }),
  });
  if (created.status !== 201) throw new Error(`ingest: ${created.status} ${JSON.stringify(created.body)}`);
  for (const content of contents) {
    const query = new URLSearchParams(content.query ?? {}).toString();
    const put = await call(`${server.url}/api/v1/interactions/${created.body.id}/content/${content.key}?${query}`, {
      method: 'PUT',
      headers: { authorization: writer, 'content-type': content.contentType },
      body: content.body,
    });
    if (put.status !== 201) throw new Error(`upload ${content.key}: ${put.status} ${JSON.stringify(put.body)}`);
  }
  return { id: created.body.id, guid: created.body.guid };
}

/** A Vonage API call: the versioned Accept header and the caller's Authorization, unless overridden. */
export function vonage<T = any>(
  server: TestServer,
  path: string,
  auth: string | undefined,
  init: { method?: string; headers?: Record<string, string> } = {},
): Promise<JsonResponse<T>> {
  const headers: Record<string, string> = { accept: V3, ...(init.headers ?? {}) };
  if (auth !== undefined) headers.authorization = auth;
  return call<T>(`${server.url}/interaction-content${path}`, { method: init.method ?? 'GET', headers });
}

/** The search path for a window and further parameters. */
export function searchPath(start: string, end: string, params: Record<string, string> = {}): string {
  return `/interactions?${new URLSearchParams({ start, end, ...params }).toString()}`;
}
