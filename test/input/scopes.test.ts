/**
 * Finding 10 and the one scope table: every route of the OpenAPI description
 * names its operation, and every route answers every kind of principal as the
 * table (src/domain/scopes.ts) says — refused with the facade's 403, or let
 * through to parameter checks and lookups. The README shows the same table.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ROLES, SCOPES } from '../../src/domain/principal.js';
import { OPERATIONS, type Operation, type Requirement } from '../../src/domain/scopes.js';
import { callRecord } from '../helpers/fixtures.js';
import { BACKEND } from '../helpers/server.js';
import { type InProcess, openInProcess, VONAGE_ACCEPT } from './harness.js';

/** Routes anyone may call (they establish or end who is calling): no operation. */
const PUBLIC = new Set([
  'GET /health',
  'GET /ready',
  'POST /oauth2/token',
  'POST /Auth/connect/token',
  'POST /api/v1/session',
  'GET /api/v1/session',
  'DELETE /api/v1/session',
]);

interface Route {
  method: string;
  path: string;
  operation: Operation;
}

type Caller = { label: string; role: (typeof ROLES)[number] } | { label: string; scope: (typeof SCOPES)[number] };

const CALLERS: Caller[] = [
  { label: 'agent1', role: 'agent' },
  { label: 'super1', role: 'supervisor' },
  { label: 'admin1', role: 'admin' },
  ...SCOPES.map((scope) => ({ label: `client with only ${scope}`, scope })),
];

function allowed(caller: Caller, operation: Operation): boolean {
  const requirement: Requirement = OPERATIONS[operation];
  return 'role' in caller ? requirement.roles.includes(caller.role) : requirement.scopes.includes(caller.scope);
}

/** The README's table, rendered from the code's. */
function scopeTableMarkdown(): string {
  const rows = Object.entries(OPERATIONS).map(([operation, r]: [string, Requirement]) => {
    const scopes = r.scopes.length > 0 ? r.scopes.map((s) => `\`${s}\``).join(' or ') : '— (users only)';
    return `| \`${operation}\` | ${r.summary} | ${r.roles.join(', ')} | ${scopes} |`;
  });
  return ['| operation | what it covers | user roles | client scopes (any one) |', '| --- | --- | --- | --- |', ...rows].join(
    '\n',
  );
}

describe(`one scope table for all three APIs (${BACKEND})`, () => {
  let ix: InProcess;
  let routes: Route[];
  const auth = new Map<string, string>();

  beforeAll(async () => {
    ix = await openInProcess();
    for (const caller of CALLERS)
      auth.set(caller.label, 'role' in caller ? ix.basic(caller.label) : await ix.bearer('acme-qa', caller.scope));
    const spec = (await ix.inject({ method: 'GET', url: '/openapi.json' })).json() as {
      paths: Record<string, Record<string, { description?: string }>>;
    };
    routes = [];
    for (const [path, operations] of Object.entries(spec.paths))
      for (const [method, op] of Object.entries(operations)) {
        const key = `${method.toUpperCase()} ${path}`;
        const named = /Rights \(`([a-z.]+)`\)/.exec(op.description ?? '')?.[1];
        if (PUBLIC.has(key)) {
          expect(named, key).toBeUndefined();
          continue;
        }
        expect(named && Object.hasOwn(OPERATIONS, named), `${key} names an operation of the table`).toBe(true);
        routes.push({ method: method.toUpperCase(), path, operation: named as Operation });
      }
  });
  afterAll(() => ix.close());

  it('covers the routes of all three facades', () => {
    for (const prefix of ['/api/v1/', '/api/v2/ucs/', '/interaction-content/'])
      expect(routes.filter((r) => r.path.startsWith(prefix)).length, prefix).toBeGreaterThanOrEqual(4);
    expect(routes.length).toBeGreaterThanOrEqual(20);
  });

  it('answers every route × principal as the table says', async () => {
    const mismatches: string[] = [];
    for (const route of routes) {
      const url = route.path
        .replace('{guid}', randomUUID())
        .replace('{id}', 'no-such-interaction')
        .replace('{contentKey}', 'callRecording');
      for (const caller of CALLERS) {
        const headers: Record<string, string> = { authorization: auth.get(caller.label) ?? '', accept: VONAGE_ACCEPT };
        let payload: string | undefined;
        if (route.method === 'PUT') {
          headers['content-type'] = 'audio/wav';
          payload = 'RIFF';
        } else if (route.method === 'POST' || route.method === 'PATCH') {
          headers['content-type'] = 'application/json';
          payload = JSON.stringify({ operationName: 'RetrieveInteractionHistory' });
        }
        const res = await ix.inject({ method: route.method as 'GET', url, headers, ...(payload ? { payload } : {}) });
        const body = res.json();
        const refused =
          res.statusCode === 403 &&
          (route.path.startsWith('/api/v2/')
            ? body.statusCode === 5
            : route.path.startsWith('/api/v1/')
              ? body.code === 'IXV_FORBIDDEN'
              : true);
        const expected = !allowed(caller, route.operation);
        if (refused !== expected)
          mismatches.push(`${route.method} ${route.path} as ${caller.label}: ${res.statusCode} ${res.body.slice(0, 120)}`);
        if (refused) expect(JSON.stringify(body)).toMatch(/scope|role/);
      }
    }
    expect(mismatches).toEqual([]);
  });

  it('finding 10: interactions:read alone downloads no recording through any API', async () => {
    const writer = await ix.bearer('acme-qa', 'interactions:write');
    const created = await ix.inject({
      method: 'POST',
      url: '/api/v1/interactions',
      headers: { authorization: writer },
      payload: callRecord(),
    });
    expect(created.statusCode).toBe(201);
    const { id, guid } = created.json();
    const put = await ix.inject({
      method: 'PUT',
      url: `/api/v1/interactions/${id}/content/callRecording`,
      headers: { authorization: writer, 'content-type': 'audio/wav' },
      payload: 'RIFF-recording',
    });
    expect(put.statusCode).toBe(201);
    const metadataOnly = await ix.bearer('acme-qa', 'interactions:read');
    const native = await ix.inject({
      method: 'GET',
      url: `/api/v1/interactions/${id}/content/callRecording`,
      headers: { authorization: metadataOnly },
    });
    expect(native.statusCode).toBe(403);
    expect(native.body).not.toContain('RIFF');
    const vonage = await ix.inject({
      method: 'GET',
      url: `/interaction-content/interactions/${guid}/content/callRecording`,
      headers: { authorization: metadataOnly, accept: VONAGE_ACCEPT },
    });
    expect(vonage.statusCode).toBe(403);
    // The record itself stays readable with interactions:read, and the recording with interaction-content:read.
    expect(
      (await ix.inject({ method: 'GET', url: `/api/v1/interactions/${id}`, headers: { authorization: metadataOnly } }))
        .statusCode,
    ).toBe(200);
    const contentReader = await ix.bearer('acme-qa', 'interaction-content:read');
    const download = await ix.inject({
      method: 'GET',
      url: `/api/v1/interactions/${id}/content/callRecording`,
      headers: { authorization: contentReader },
    });
    expect(download.statusCode).toBe(200);
    expect(download.body).toBe('RIFF-recording');
  });

  it('is the table the README shows', () => {
    expect(readFileSync(new URL('../../README.md', import.meta.url), 'utf8')).toContain(scopeTableMarkdown());
  });
});
