/**
 * Issue 9: a field a native body does not know is a 400 naming it (RFC 7807),
 * never silently dropped (`customAttribute` for `customAttributes` was). The
 * routes come from /openapi.json, so a new native body route is covered
 * without touching this file: each must publish an example, which is sent as
 * is (accepted) and with an unknown field added to every closed object in it
 * (refused, naming the field's path, nothing stored). The Vonage and Genesys
 * facades keep their vendors' leniency.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { build } from '../helpers/app.js';
import { chatRecord } from '../helpers/fixtures.js';
import { BACKEND, call, removeTestData, type TestServer } from '../helpers/server.js';

type Schema = Record<string, any>;
interface Operation {
  method: string;
  path: string;
  mediaType: string;
  schema: Schema;
  example: unknown;
}

const UNKNOWN = 'customAttribute';

/** Every object of `value` whose schema is closed, by dotted path ('' for the body itself). */
function closedObjects(value: unknown, schema: Schema | undefined, resolve: (s: Schema) => Schema, path = ''): string[] {
  if (!schema) return [];
  const s = resolve(schema);
  if (Array.isArray(s.oneOf)) {
    const type = Array.isArray(value) ? 'array' : typeof value;
    return closedObjects(
      value,
      s.oneOf.find((b: Schema) => resolve(b).type === type),
      resolve,
      path,
    );
  }
  if (Array.isArray(value))
    return value.flatMap((item, i) => closedObjects(item, s.items, resolve, path ? `${path}.${i}` : String(i)));
  if (typeof value !== 'object' || value === null) return [];
  const own = s.additionalProperties === false ? [path] : [];
  return [
    ...own,
    ...Object.entries(value).flatMap(([key, child]) =>
      closedObjects(child, s.properties?.[key], resolve, path ? `${path}.${key}` : key),
    ),
  ];
}

/** A deep copy of `value` with the unknown field added to the object at `path`. */
function withUnknownField(value: unknown, path: string): unknown {
  const copy = structuredClone(value) as any;
  let target = copy;
  for (const key of path === '' ? [] : path.split('.')) target = target[key];
  target[UNKNOWN] = 'not a field of this object';
  return copy;
}

describe(`unknown fields in native bodies (${BACKEND})`, () => {
  let server: TestServer;
  let admin: string;
  let operations: Operation[];
  let resolve: (s: Schema) => Schema;
  let existingId: string;
  let existingContactId: string;

  beforeAll(async () => {
    server = await build();
    admin = server.basic('admin1');
    const spec = (await server.app.inject({ method: 'GET', url: '/openapi.json' })).json();
    resolve = (s) => (typeof s.$ref === 'string' ? spec.components.schemas[s.$ref.split('/').at(-1) ?? ''] : s);
    operations = Object.entries(spec.paths as Record<string, Record<string, Schema>>).flatMap(([path, methods]) =>
      Object.entries(methods).flatMap(([method, op]) => {
        if (!path.startsWith('/api/v1/') || !op.requestBody) return [];
        const mediaType = Object.keys(op.requestBody.content).find((m) => m === 'application/json' || m.endsWith('+json'));
        if (mediaType === undefined) return [];
        const media = op.requestBody.content[mediaType];
        return [{ method: method.toUpperCase(), path, mediaType, schema: media.schema, example: media.example }];
      }),
    );
    existingId = (
      await call(`${server.url}/api/v1/interactions`, { method: 'POST', headers: { authorization: admin }, json: chatRecord() })
    ).body.id;
    existingContactId = (
      await call(`${server.url}/api/v1/contacts`, {
        method: 'POST',
        headers: { authorization: admin },
        json: { firstName: 'Kim' },
      })
    ).body.id;
  });
  afterAll(async () => {
    await server.stop();
    await removeTestData(server);
  });

  const send = (op: Operation, json: unknown) =>
    call(`${server.url}${op.path.replace('{id}', op.path.startsWith('/api/v1/contacts/') ? existingContactId : existingId)}`, {
      method: op.method,
      // Same-origin and X-Requested-With: what the sign-in asks of a browser (the CSRF guard).
      headers: {
        authorization: admin,
        'content-type': op.mediaType,
        'sec-fetch-site': 'same-origin',
        'x-requested-with': 'test',
      },
      json,
    });

  const stored = async () =>
    (await call(`${server.url}/api/v1/interactions?limit=1000`, { headers: { authorization: admin } })).body.items.length;

  it('finds the native body routes in the OpenAPI description, each with an example', () => {
    const names = operations.map((op) => `${op.method} ${op.path}`);
    for (const known of [
      'POST /api/v1/interactions',
      'POST /api/v1/interactions:batch',
      'PATCH /api/v1/interactions/{id}',
      'POST /api/v1/interactions/{id}/messages',
      'POST /api/v1/session',
    ])
      expect(names).toContain(known);
    for (const op of operations) expect(op.example, `${op.method} ${op.path} publishes no example`).toBeDefined();
  });

  it('refuses an unknown field in every closed object of every native body, naming its path; nothing is stored', async () => {
    const before = await stored();
    let checked = 0;
    for (const op of operations) {
      const paths = closedObjects(op.example, op.schema, resolve);
      expect(paths, `${op.method} ${op.path}: its body schema is not closed`).toContain('');
      for (const at of paths) {
        const field = at === '' ? UNKNOWN : `${at}.${UNKNOWN}`;
        const res = await send(op, withUnknownField(op.example, at));
        const where = `${op.method} ${op.path} with ${field}`;
        expect(res.status, where).toBe(400);
        expect(res.headers.get('content-type'), where).toMatch(/^application\/problem\+json/);
        expect(res.body, where).toMatchObject({ status: 400, code: 'IXV_UNKNOWN_FIELD', field });
        expect(res.body.errors, where).toEqual([{ field, message: 'is not a known field' }]);
        checked++;
      }
    }
    // The example has nested closed objects (owner, agents, messages and their senders): each was tried.
    expect(checked).toBeGreaterThan(operations.length * 2);
    expect(await stored()).toBe(before);
  });

  it('reports every unknown field at once', async () => {
    const res = await call(`${server.url}/api/v1/interactions`, {
      method: 'POST',
      headers: { authorization: admin },
      json: { ...chatRecord(), customAttribute: 'x', ownerInformation: { id: 'agent-1', nickName: 'A' } },
    });
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([
      { field: 'ownerInformation.nickName', message: 'is not a known field' },
      { field: 'customAttribute', message: 'is not a known field' },
    ]);
  });

  it('accepts every published example as it is', async () => {
    for (const op of operations) {
      const res = await send(op, op.example);
      // The sign-in example names a made-up password: refused as a credential, not as a body.
      const expected = op.path === '/api/v1/session' ? 401 : undefined;
      if (expected) expect(res.status, `${op.method} ${op.path}`).toBe(expected);
      else expect(res.status, `${op.method} ${op.path}: ${JSON.stringify(res.body)}`).toBeLessThan(300);
    }
  });

  it('keeps free-form fields free: userData and customAttributes take any name', async () => {
    const res = await call(`${server.url}/api/v1/interactions`, {
      method: 'POST',
      headers: { authorization: admin },
      json: chatRecord({ userData: { anything: { nested: true } }, customAttributes: { anyName: 'v' } }),
    });
    expect(res.status).toBe(201);
  });

  it('the wire facades keep their vendors leniency: Vonage and Genesys ignore unknown body fields', async () => {
    const vonage = await call(`${server.url}/interaction-content/interactions/delete-batch`, {
      method: 'POST',
      headers: { authorization: await server.bearer('acme-qa'), accept: 'application/vnd.newvoicemedia.v3+json' },
      json: { guids: [], dryRun: true },
    });
    expect(vonage.status).toBe(200);
    expect(vonage.body).toEqual({ failures: [] });
    const genesys = await call(`${server.url}/api/v2/ucs/interactions`, {
      method: 'POST',
      headers: { authorization: server.basic('super1') },
      json: { operationName: 'RetrieveInteractionHistory', notAParameter: 1 },
    });
    expect(genesys.status).toBe(200);
    expect(genesys.body).toMatchObject({ statusCode: 0 });
  });
});
