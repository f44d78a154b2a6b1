/** Calls of the governance tests: native admin calls, ingest with content, the audit log. */
import { randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import { callRecord } from '../helpers/fixtures.js';
import { call, type JsonResponse, type TestServer } from '../helpers/server.js';

export interface Stored {
  id: string;
  guid: string;
}

/** A native call as a user (Basic) or with a prepared Authorization header. */
export function native<T = any>(
  server: TestServer,
  path: string,
  auth: string,
  init: { method?: string; json?: unknown; body?: string; headers?: Record<string, string> } = {},
): Promise<JsonResponse<T>> {
  return call<T>(`${server.url}/api/v1${path}`, { ...init, headers: { authorization: auth, ...(init.headers ?? {}) } });
}

/** Stores a call (overrides on callRecord) with one recording; returns its id and guid. */
export async function storeCall(
  server: TestServer,
  overrides: Record<string, unknown> = {},
  withContent = true,
): Promise<Stored> {
  const admin = server.basic('admin1');
  const created = await native<Stored>(server, '/interactions', admin, {
    method: 'POST',
    json: callRecord({ guid: randomUUID(), endDate: undefined, ...overrides }),
  });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  if (withContent) {
    const put = await native(server, `/interactions/${created.body.id}/content/callRecording`, admin, {
      method: 'PUT',
      headers: { 'content-type': 'audio/wav' },
      body: `RIFF-${randomUUID()}`,
    });
    expect(put.status).toBe(201);
  }
  return { id: created.body.id, guid: created.body.guid };
}

export interface AuditEntry {
  at: string;
  actor: string;
  action: string;
  interactionId: string;
  contentKey?: string;
  detail: Record<string, unknown>;
}

export async function auditLog(server: TestServer, admin = 'admin1'): Promise<AuditEntry[]> {
  const res = await native<{ entries: AuditEntry[] }>(server, '/audit?limit=1000', server.basic(admin));
  expect(res.status).toBe(200);
  return res.body.entries;
}

export async function exists(server: TestServer, id: string): Promise<boolean> {
  const res = await native(server, `/interactions/${id}`, server.basic('admin1'));
  return res.status === 200;
}
