/**
 * Integers a request may send without an upper bound (session 7, redteam).
 * `GET /api/v1/audit?before=9223372036854775808` (or `1e308`, or 23 digits)
 * passed validation — `before` had a minimum and no maximum — and reached
 * PostgreSQL as a bigint parameter it cannot hold: a 500 (SQLite compared it
 * as a real and answered 200). Now every integer or number a request may send,
 * in any API's parameters or body, has a maximum a JavaScript number and a
 * bigint both hold exactly, and the description that says so is checked for
 * every operation of `/openapi.json`, so a new parameter cannot forget it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { build } from '../helpers/app.js';
import { BACKEND, removeTestData, type TestServer } from '../helpers/server.js';

type Schema = Record<string, unknown>;

/** Every integer or number a client sends, with where it is; read-only parts (answers only) left out. */
function requestNumbers(doc: Schema): { at: string; schema: Schema }[] {
  const found: { at: string; schema: Schema }[] = [];
  const resolve = (ref: string) =>
    ref
      .replace(/^#\//, '')
      .split('/')
      .reduce<unknown>((o, k) => (o as Schema | undefined)?.[k], doc) as Schema | undefined;
  const walk = (schema: unknown, at: string, seen: Set<unknown>) => {
    if (!schema || typeof schema !== 'object' || seen.has(schema)) return;
    seen.add(schema);
    const s = schema as Schema;
    if (s.readOnly === true) return;
    if (typeof s.$ref === 'string') walk(resolve(s.$ref), at, seen);
    const types = [s.type].flat();
    if ((types.includes('integer') || types.includes('number')) && s.enum === undefined) found.push({ at, schema: s });
    for (const [name, sub] of Object.entries((s.properties as Schema | undefined) ?? {})) walk(sub, `${at}.${name}`, seen);
    walk(s.items, `${at}[]`, seen);
    if (typeof s.additionalProperties === 'object') walk(s.additionalProperties, `${at}.*`, seen);
    for (const key of ['allOf', 'anyOf', 'oneOf'])
      for (const sub of (s[key] as unknown[] | undefined) ?? []) walk(sub, `${at}(${key})`, seen);
  };
  const paths = doc.paths as Record<string, Record<string, Schema>>;
  for (const [path, operations] of Object.entries(paths))
    for (const [method, op] of Object.entries(operations)) {
      if (typeof op !== 'object' || op === null || !('responses' in op)) continue;
      const name = `${method.toUpperCase()} ${path}`;
      for (const p of (op.parameters as Schema[] | undefined) ?? []) walk(p.schema, `${name} ${p.in}:${p.name}`, new Set());
      const content = ((op.requestBody as Schema | undefined)?.content ?? {}) as Record<string, Schema>;
      for (const [type, media] of Object.entries(content)) walk(media.schema, `${name} body(${type})`, new Set());
    }
  return found;
}

describe(`integers a request may send are bounded (${BACKEND})`, () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await build();
  });
  afterAll(async () => {
    await server.stop();
    await removeTestData(server);
  });

  it('refuses an audit page position no number holds with a 400 naming before, never a 500', async () => {
    const admin = server.basic('admin1');
    // An entry, so that the chain is not empty.
    const hold = await server.app.inject({
      method: 'POST',
      url: '/api/v1/holds',
      headers: { authorization: admin, 'content-type': 'application/json' },
      payload: { name: 'n', reason: 'r', query: { from: '2025-01-01T00:00:00Z', to: '2025-02-01T00:00:00Z' } },
    });
    expect(hold.statusCode, hold.body).toBe(201);
    for (const before of ['9223372036854775808', '99999999999999999999999', '1e308', '9007199254740992']) {
      const res = await server.app.inject({
        method: 'GET',
        url: `/api/v1/audit?before=${before}`,
        headers: { authorization: admin },
      });
      expect(res.statusCode, `${before}: ${res.body}`).toBe(400);
      expect(res.json(), before).toMatchObject({ field: 'before' });
    }
    const last = await server.app.inject({
      method: 'GET',
      url: `/api/v1/audit?before=${Number.MAX_SAFE_INTEGER}`,
      headers: { authorization: admin },
    });
    expect(last.statusCode, last.body).toBe(200);
    expect(last.json().entries.length).toBeGreaterThan(0);
  });

  it('gives every integer and number of every request in /openapi.json a maximum a bigint and a double hold', async () => {
    const doc = (await server.app.inject({ method: 'GET', url: '/openapi.json' })).json() as Schema;
    const numbers = requestNumbers(doc);
    // The walk sees them (limits, positions, durations, message indexes…).
    expect(numbers.length).toBeGreaterThan(10);
    const unbounded = numbers
      .filter(({ schema }) => !(typeof schema.maximum === 'number' && schema.maximum <= Number.MAX_SAFE_INTEGER))
      .map(({ at, schema }) => `${at} (maximum ${String(schema.maximum)})`);
    expect(unbounded).toEqual([]);
  });
});
