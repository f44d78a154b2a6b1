/** Posting Genesys requests and ingesting test data through the public APIs. */
import { expect } from 'vitest';
import { call, type TestServer } from '../helpers/server.js';

export async function ingest(server: TestServer, records: Record<string, unknown>[], admin = 'admin1'): Promise<string[]> {
  const ids: string[] = [];
  for (const record of records) {
    const res = await call(`${server.url}/api/v1/interactions`, {
      method: 'POST',
      headers: { authorization: server.basic(admin) },
      json: record,
    });
    expect(res.status, JSON.stringify(res.body)).toBeLessThan(300);
    ids.push(res.body.id);
  }
  return ids;
}

/** POSTs a Genesys operation; `auth` is an Authorization header value. */
export function post(server: TestServer, path: string, auth: string, body: Record<string, unknown>) {
  return call(`${server.url}/api/v2/ucs${path}`, { method: 'POST', headers: { authorization: auth }, json: body });
}

/** POSTs and expects the immediate `{statusCode: 0, referenceId}`; returns the referenceId. */
export async function accepted(server: TestServer, path: string, auth: string, body: Record<string, unknown>): Promise<number> {
  const res = await post(server, path, auth, body);
  expect(res.body, JSON.stringify(res.body)).toEqual({ statusCode: 0, referenceId: expect.any(Number) });
  expect(res.status).toBe(200);
  return res.body.referenceId;
}

/** An ISO instant `days` days before now. */
export function daysAgo(days: number, nowMs = Date.now()): string {
  return new Date(nowMs - days * 86_400_000).toISOString();
}
