/**
 * Every statement ixvault sends to PostgreSQL keeps the property that lets Citus route it to one
 * tenant's shard group (docs/SCALING.md "Every statement carries the tenant"): each table it reads or
 * changes is filtered by tenant_id, given or joined on tenant_id. The test drives the statements
 * through the real app — ingest, the search shapes, reads, content, holds, retention, archive,
 * erasure, exports, contacts, audit, the sweep — capturing each distinct SQL text with its
 * parameters, then asks PostgreSQL for each one's plan (EXPLAIN VERBOSE, not executed) and checks
 * every scan of an ixvault table: its own conditions name `tenant_id =` (a value, or another
 * table's tenant_id), or a join above it matches it on tenant_id. PostgreSQL derives `tenant_id =
 * 'acme'` for every table joined on tenant_id, so a join without tenant_id shows up as a scan
 * without one. The statements that read across tenants on purpose are listed below with why;
 * any other one fails the test, and so does a listed one that no longer occurs. Run against a
 * Citus coordinator it checks Citus's own plans instead: one task per distributed job.
 */
import { createHash } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { build } from '../helpers/app.js';
import { callRecord, chatRecord } from '../helpers/fixtures.js';
import { BACKEND, CITUS, call, removeTestData, type TestServer } from '../helpers/server.js';

/** Statements that span tenants by design: [what identifies the statement, why it cannot carry a tenant]. */
const ACROSS_TENANTS: [RegExp, string][] = [
  [
    /^select "tenant_id", "id" from "ixv_main"\."export_jobs" where \("status" = /,
    'the export scheduler (ExportRepository.due) polls for due jobs of every tenant; on Citus a fan-out to every shard of a small table',
  ],
  [
    /^select "tenant_id", "sha256" from "ixv_main"\."content_blobs" /,
    'the sweep walks the database-kept bytes of every tenant in slices of the primary key (ContentRepository.sweepSlice), as it walks every tenant folder of the blob store; each slice is then checked per tenant',
  ],
];

const captured = new Map<string, unknown[]>();
let capturing = false;
type Query = (this: pg.Client, ...args: unknown[]) => unknown;
const originalQuery = pg.Client.prototype.query as unknown as Query;

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  Schema?: string;
  Alias?: string;
  Plans?: PlanNode[];
  [key: string]: unknown;
}
const CONDITIONS = ['Index Cond', 'Recheck Cond', 'Filter', 'TID Cond', 'Join Filter', 'Hash Cond', 'Merge Cond'];
const conditionsOf = (node: PlanNode) => CONDITIONS.map((k) => node[k]).filter((c): c is string => typeof c === 'string');

/** `tenant_id` compared with a value: a constant or a list of them, as the plan prints a bound parameter. */
const TENANT_VALUE = /\btenant_id = (?:'|ANY \(')/;

/**
 * Scans of ixvault tables that neither filter on tenant_id nor are joined on it by an ancestor. In
 * an UPDATE or DELETE, a scan in a correlated subquery (a SubPlan) must name the tenant as a value
 * itself: tied only to the outer row's tenant_id, Citus sends the statement to every shard (checked
 * on a cluster: `update interactions i set content_count = (select count(*) from content_items c
 * where c.tenant_id = i.tenant_id …) where i.tenant_id = 'acme'` ran on all 4 shards, with
 * `c.tenant_id = 'acme'` added on one).
 */
function untenantedScans(node: PlanNode, ancestors: string[] = [], modifying = false, inSubPlan = false): string[] {
  const own = conditionsOf(node);
  const out: string[] = [];
  const table = node['Relation Name'];
  const ixvault = node.Schema === 'ixv_main' || node.Schema === 'ixv_archive';
  const modifies = modifying || (node['Node Type'] === 'ModifyTable' && node.Operation !== 'Insert');
  if (table && ixvault && table !== 'ixv_migrations' && node['Node Type'] !== 'ModifyTable') {
    const alias = node.Alias ?? table;
    const filtered = own.some((c) => /\btenant_id = /.test(c));
    const joined = ancestors.some((c) => c.includes(`${alias}.tenant_id`));
    if (!filtered && !joined) out.push(`${node['Node Type']} on ${node.Schema}.${table}`);
    else if (modifying && inSubPlan && !own.some((c) => TENANT_VALUE.test(c)))
      out.push(
        `${node['Node Type']} on ${node.Schema}.${table} in a subquery of an UPDATE or DELETE, tied to the tenant by no value`,
      );
  }
  for (const child of node.Plans ?? [])
    out.push(
      ...untenantedScans(
        child,
        [...ancestors, ...own],
        modifies,
        inSubPlan || child['Parent Relationship'] === 'SubPlan' || child['Parent Relationship'] === 'InitPlan',
      ),
    );
  return out;
}

/**
 * Against a Citus coordinator (IXVAULT_TEST_CITUS_WORKERS, docs/SCALING.md) the plans are Citus's: a
 * statement is routed to one tenant's shard group when every distributed job in it (the statement,
 * each subplan Citus runs first) has one task. An INSERT … SELECT FROM unnest has none: the
 * coordinator evaluates it and copies the rows to the tenant's shard. These are the task counts of
 * the distributed jobs in a Citus plan, wherever they are nested.
 */
function taskCounts(node: unknown): number[] {
  if (Array.isArray(node)) return node.flatMap(taskCounts);
  if (node === null || typeof node !== 'object') return [];
  return Object.entries(node).flatMap(([key, value]) => (key === 'Task Count' ? [Number(value)] : taskCounts(value)));
}

/** What keeps the statement from one shard group: on Citus its jobs of several tasks, otherwise its untenanted scans. */
function leavingTheTenant(plan: PlanNode): string[] {
  if (!CITUS) return untenantedScans(plan);
  const spread = taskCounts(plan).filter((n) => n > 1);
  return spread.length > 0 ? [`Citus runs it as ${spread.map((n) => `${n} tasks`).join(', ')}`] : [];
}

// PostgreSQL only (skipped on SQLite, which routes nothing): it checks the plans Citus would route, or Citus's own.
describe.runIf(BACKEND === 'postgres')('tenant distribution: every statement carries the tenant (PostgreSQL only)', () => {
  let server: TestServer;
  let admin: string;
  const api = () => `${server.url}/api/v1`;
  const get = (path: string, auth = admin) => call(`${api()}${path}`, { headers: { authorization: auth } });
  const send = (method: string, path: string, json?: unknown, auth = admin) =>
    call(`${api()}${path}`, { method, headers: { authorization: auth }, ...(json === undefined ? {} : { json }) });

  beforeAll(async () => {
    server = await build();
    admin = server.basic('admin1');
    pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
      const [text, values] = args;
      if (capturing && typeof text === 'string' && !captured.has(text)) captured.set(text, Array.isArray(values) ? values : []);
      return originalQuery.apply(this, args);
    } as unknown as typeof pg.Client.prototype.query;
    capturing = true;
  });
  afterAll(async () => {
    pg.Client.prototype.query = originalQuery as unknown as typeof pg.Client.prototype.query;
    await server?.stop();
    if (server) await removeTestData(server);
  });

  it('drives every store path, then finds no statement that would leave the tenant', async () => {
    const ok = (res: { status: number; body: unknown }, ...statuses: number[]) =>
      expect(statuses, JSON.stringify(res.body)).toContain(res.status);
    // Ingest: single, batch (with messages), a replace, a patch, appended messages.
    const oldCall = await send('POST', '/interactions', callRecord({ startDate: '2015-01-05T10:00:00Z', endDate: undefined }));
    ok(oldCall, 201);
    const chats = await send('POST', '/interactions:batch', [
      chatRecord({ contactId: 'contact-d1', customAttributes: { SearchId: 'S-1' } }),
      chatRecord({ connectFrom: 'subject@example.org' }),
    ]);
    ok(chats, 200);
    const call1 = await send('POST', '/interactions', callRecord({ contactId: 'contact-d1' }));
    ok(call1, 201);
    const { id, guid } = call1.body as { id: string; guid: string };
    ok(await send('POST', '/interactions', callRecord({ guid, contactId: 'contact-d1', subject: 'replaced' })), 200, 201);
    ok(await send('PATCH', `/interactions/${id}`, { subject: 'patched' }), 200);
    const chatId = (chats.body as { results: { id: string }[] }).results?.[0]?.id ?? '';
    ok(
      await send('POST', `/interactions/${chatId}/messages`, [
        { index: 3, from: { type: 'Agent' }, text: 'bye', visibility: 'All', timestamp: '2025-03-10T09:04:00Z', type: 'Text' },
      ]),
      200,
      201,
    );
    // Content: upload, download (audited read), Range, delete.
    const bytes = `RIFF-${id}`;
    ok(
      await call(`${api()}/interactions/${id}/content/callRecording`, {
        method: 'PUT',
        headers: { authorization: admin, 'content-type': 'audio/wav' },
        body: bytes,
      }),
      201,
    );
    ok(await get(`/interactions/${id}/content/callRecording`), 200);
    ok(
      await call(`${api()}/interactions/${id}/content/callRecording`, { headers: { authorization: admin, range: 'bytes=0-3' } }),
      206,
    );
    ok(
      await call(`${api()}/interactions/${id}/content/screenRecording`, {
        method: 'PUT',
        headers: { authorization: admin, 'content-type': 'video/webm' },
        body: createHash('sha256').update(id).digest('hex'),
      }),
      201,
    );
    ok(await send('DELETE', `/interactions/${id}/content/screenRecording`), 204);
    // Reads and every search shape of the native API, the Vonage API and full text.
    ok(await get(`/interactions/${id}`), 200);
    ok(await get(`/interactions/${guid}`), 200);
    ok(await get(`/interactions/${chatId}/content/chatTranscript`), 200, 404);
    for (const q of [
      'from=2025-03-01T00:00:00Z&to=2025-04-01T00:00:00Z',
      'from=2025-03-01T00:00:00Z&to=2025-04-01T00:00:00Z&sort=asc&limit=1',
      'handlingAgentId=agent-2',
      'contactId=contact-d1',
      'ownerId=agent-1',
      'connectFrom=1415',
      'customAttribute=SearchId%3DS-1',
      'hasContent=true',
      'mediaType=chat&direction=inbound',
      'q=hello',
      'q=hello&sort=relevance',
      'source=archive',
    ])
      ok(await get(`/interactions?${q}`), 200);
    const first = await get('/interactions?limit=1');
    const cursor = (first.body as { cursor?: string }).cursor;
    if (cursor) ok(await get(`/interactions?limit=1&cursor=${encodeURIComponent(cursor)}`), 200);
    const vonage = await server.bearer('acme-qa');
    for (const path of [
      '/interaction-content/interactions?start=2025-03-08T00:00:00Z&end=2025-03-14T00:00:00Z',
      '/interaction-content/interactions?start=2025-03-08T00:00:00Z&end=2025-03-14T00:00:00Z&handlingAgentId=agent-2',
      `/interaction-content/interactions/${guid}`,
    ])
      ok(
        await call(`${server.url}${path}`, {
          headers: { authorization: vonage, accept: 'application/vnd.newvoicemedia.v3+json' },
        }),
        200,
      );
    // Contacts.
    const contact = await send('POST', '/contacts', { firstName: 'Ada', phoneNumbers: ['+1 415 555 0199'] });
    ok(contact, 201);
    ok(await get(`/contacts/${(contact.body as { id: string }).id}`), 200);
    ok(await get('/contacts?phoneNumber=%2B14155550199'), 200, 400);
    // Legal holds.
    const hold = await send('POST', '/holds', { name: 'case', reason: 'audit', interactionIds: [id] });
    ok(hold, 201);
    const holdId = (hold.body as { id: string }).id;
    ok(await get('/holds?includeReleased=true'), 200);
    ok(await get(`/holds/${holdId}`), 200);
    ok(await send('DELETE', `/interactions/${id}`), 409);
    ok(await send('POST', `/holds/${holdId}/release`, { reason: 'closed' }), 200);
    // Retention (a policy, its preview, a run), the archive, the erasure of a subject, an export.
    ok(await send('PUT', '/retention', { rules: [{ mediaType: 'call', maxAgeDays: 3650 }] }), 200);
    ok(await get('/retention'), 200);
    ok(await get('/retention/preview'), 200);
    await server.runtime.retention.runAll({ nowMs: Date.now() + 30 * 86_400_000 });
    await server.runtime.vault.archive.moveBatch('acme', Date.UTC(2025, 0, 1), 100);
    ok(await get('/interactions?source=archive&from=2015-01-01T00:00:00Z&to=2016-01-01T00:00:00Z'), 200);
    ok(await send('POST', '/erasures', { emailAddresses: ['subject@example.org'] }), 201);
    ok(await get('/erasures'), 200, 404);
    const job = await send('POST', '/exports', { startDate: '2025-03-01T00:00:00Z', endDate: '2025-04-01T00:00:00Z' });
    ok(job, 201);
    ok(await get(`/exports/${(job.body as { id: string }).id}`), 200);
    ok(await get('/exports'), 200);
    ok(await get('/redactions'), 200);
    // Deletion, the audit log, the sweep.
    ok(await send('DELETE', `/interactions/${id}`), 204);
    ok(await get('/audit?limit=100'), 200);
    ok(await get(`/audit?interactionId=${id}`), 200, 400);
    ok(await get('/audit/verify'), 200);
    ok(await get('/audit/export'), 200);
    await server.runtime.sweep();
    await server.runtime.vault.reindex('acme', 'main', 100, () => {});
    capturing = false;

    const client = new pg.Client({ connectionString: server.databaseUrl });
    await client.connect();
    const explain = (text: string, values: unknown[]) =>
      originalQuery.call(client, `explain (verbose, format json) ${text}`, values) as Promise<pg.QueryResult>;
    const violations: string[] = [];
    const allowedSeen = new Set<RegExp>();
    let checked = 0;
    try {
      for (const [text, values] of captured) {
        if (!/"ixv_(main|archive)"/.test(text) || !/^\s*(select|insert|update|delete|with)\b/i.test(text)) continue;
        if (/"ixv_migrations"/.test(text)) continue;
        const { rows } = await explain(text, values);
        const plan = (rows[0] as { 'QUERY PLAN': { Plan: PlanNode }[] })['QUERY PLAN'][0]?.Plan;
        if (!plan) throw new Error(`no plan for ${text}`);
        checked++;
        const scans = leavingTheTenant(plan);
        if (scans.length === 0) continue;
        const allowed = ACROSS_TENANTS.find(([re]) => re.test(text));
        if (allowed) {
          allowedSeen.add(allowed[0]);
          continue;
        }
        violations.push(`${scans.join(', ')}:\n  ${text.replace(/\s+/g, ' ')}`);
      }
    } finally {
      await client.end();
    }
    console.info(`tenant distribution: ${checked} distinct statements on ixvault tables checked (${captured.size} captured)`);
    expect(violations, violations.join('\n')).toEqual([]);
    expect(ACROSS_TENANTS.filter(([re]) => !allowedSeen.has(re)).map(([re]) => re.source)).toEqual([]);
    expect(checked).toBeGreaterThan(50);
  }, 120_000);
});
