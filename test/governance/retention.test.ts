/**
 * Retention (issue 14): per-tenant policies by media type and content type,
 * from the principals file and the admin API, the archive with its own rules;
 * a dry run reports without removing; enforcement deletes through the one
 * deletion path (audited, holds beat it); a change that would remove more
 * waits its grace period, its dry run visible meanwhile; `ixvault retention run`.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PrincipalsConfig } from '../../src/auth/directory.js';
import { build } from '../helpers/app.js';
import { runCli, storeArgs } from '../helpers/cli.js';
import { BACKEND, call, PRINCIPALS, removeTestData, type TestServer } from '../helpers/server.js';
import { auditLog, exists, native, type Stored, storeCall } from './helpers.js';

const DAY = 86_400_000;
const daysAgo = (n: number) => new Date(Date.now() - n * DAY).toISOString();

/** acme: whole records after ten years, call recordings after 90 days, the archive after 1000 days; applied at once (grace 0). */
const ACME_RULES = [
  { maxAgeDays: 3650 },
  { mediaType: 'call', contentType: 'callRecording', maxAgeDays: 90 },
  { store: 'archive', maxAgeDays: 1000 },
];

function principals(): PrincipalsConfig {
  const config = structuredClone(PRINCIPALS);
  for (const tenant of config.tenants) {
    if (tenant.id === 'acme') tenant.retention = { rules: ACME_RULES as never, graceDays: 0 };
    if (tenant.id === 'globex') tenant.retention = { rules: [], graceDays: 7 };
  }
  return config;
}

describe(`retention (${BACKEND})`, () => {
  let server: TestServer;
  let admin: string;
  let dir: string;

  beforeAll(async () => {
    server = await build({ principals: principals() });
    admin = server.basic('admin1');
    dir = await mkdtemp(join(tmpdir(), 'ixvault-retention-'));
  });
  afterAll(async () => {
    await server.stop();
    await removeTestData(server);
    await rm(dir, { recursive: true, force: true });
  });

  async function contentKeys(id: string, source = 'main'): Promise<string[]> {
    const res = await native(server, `/interactions/${id}?source=${source}`, admin);
    return res.body.content.map((c: { contentKey: string }) => c.contentKey);
  }

  it('applies the policy of the principals file: dry run first, then removal through the audited deletion path; holds keep what they cover', async () => {
    const ancient = await storeCall(server, { startDate: daysAgo(4000) });
    const heldAncient = await storeCall(server, { startDate: daysAgo(4001) });
    const oldCall = await storeCall(server, { startDate: daysAgo(400) });
    await native(server, `/interactions/${oldCall.id}/content/transcript`, admin, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: '{"words":[]}',
    });
    const recentCall = await storeCall(server, { startDate: daysAgo(10) });
    const hold = await native(server, '/holds', admin, {
      method: 'POST',
      json: { name: 'audit 2015', reason: 'regulator request', interactionIds: [heldAncient.id] },
    });
    expect(hold.status).toBe(201);

    const policy = await native(server, '/retention', admin);
    expect(policy.body.active.rules).toEqual(ACME_RULES);
    expect(policy.body.active.setBy).toBe('config');

    const preview = await native(server, '/retention/preview', admin);
    expect(preview.status).toBe(200);
    expect(preview.body).toMatchObject({ dryRun: true, policy: 'active' });
    expect(preview.body.interactions.ids).toContain(ancient.id);
    expect(preview.body.interactions.ids).not.toContain(heldAncient.id);
    expect(preview.body.interactions.held).toBeGreaterThanOrEqual(1);
    expect(preview.body.content.items).toContainEqual({ interactionId: oldCall.id, contentKey: 'callRecording' });
    expect(await exists(server, ancient.id)).toBe(true);

    const [report] = (await server.runtime.retention.runAll()).filter((r) => r.tenantId === 'acme');
    expect(report?.interactions.ids).toContain(ancient.id);
    expect(report?.content.items).toContainEqual({ interactionId: oldCall.id, contentKey: 'callRecording' });
    expect(await exists(server, ancient.id)).toBe(false);
    expect(await exists(server, heldAncient.id)).toBe(true);
    expect(await contentKeys(oldCall.id)).toEqual(['transcript']);
    expect(await contentKeys(recentCall.id)).toEqual(['callRecording']);

    const audit = await auditLog(server);
    expect(audit.find((e) => e.interactionId === ancient.id)).toMatchObject({
      action: 'retention.delete',
      actor: 'user:acme/ixvault-retention',
    });
    expect(audit.find((e) => e.interactionId === oldCall.id && e.action === 'retention.delete')).toMatchObject({
      contentKey: 'callRecording',
    });
    expect(
      audit.find((e) => e.interactionId === heldAncient.id && e.action === 'retention.delete.refused')?.detail.holds,
    ).toEqual([hold.body.id]);
    // A second run has nothing left to do but respect the hold.
    const [again] = (await server.runtime.retention.runAll()).filter((r) => r.tenantId === 'acme');
    expect([again?.interactions.removed, again?.content.removed]).toEqual([0, 0]);
    expect(again?.interactions.held).toBeGreaterThanOrEqual(1);
  });

  it('gives the archive its own rules', async () => {
    const archived: Stored = await storeCall(server, { startDate: daysAgo(1200) });
    const recentArchived: Stored = await storeCall(server, { startDate: daysAgo(200) });
    await server.runtime.vault.archive.moveBatch('acme', Date.now() - 100 * DAY, 1000);
    expect((await native(server, `/interactions/${archived.id}?source=archive`, admin)).status).toBe(200);
    const report = await server.runtime.retention.run(server.runtime.directory.tenants.get('acme') as never);
    expect(report.interactions.ids).toContain(archived.id);
    expect((await native(server, `/interactions/${archived.id}?source=archive`, admin)).status).toBe(404);
    // Archive rules say nothing about recordings: the main store's 90 days apply there too.
    expect(await contentKeys(recentArchived.id, 'archive')).toEqual([]);
  });

  it('makes a change that removes more wait its grace period, with its dry run visible; a looser one applies at once', async () => {
    const gadmin = server.basic('gadmin');
    const old = await native(server, '/interactions', gadmin, {
      method: 'POST',
      json: { mediaType: 'chat', startDate: daysAgo(30), subject: 'globex chat' },
    });
    expect(old.status).toBe(201);
    expect((await native(server, '/retention', gadmin)).body).toMatchObject({
      active: { rules: [] },
      pending: null,
      graceDays: 7,
    });

    const stricter = await native(server, '/retention', gadmin, {
      method: 'PUT',
      json: { rules: [{ mediaType: 'chat', maxAgeDays: 7 }] },
    });
    expect(stricter.status).toBe(200);
    expect(stricter.body.active.rules).toEqual([]);
    expect(stricter.body.pending).toMatchObject({ rules: [{ mediaType: 'chat', maxAgeDays: 7 }], setBy: 'user:globex/admin-g' });
    const effective = Date.parse(stricter.body.pending.effective);
    expect(effective - Date.parse(stricter.body.pending.set)).toBe(7 * DAY);

    const preview = await native(server, '/retention/preview?policy=pending', gadmin);
    expect(preview.body).toMatchObject({ dryRun: true, policy: 'pending', interactions: { removed: 1, ids: [old.body.id] } });
    const globex = server.runtime.directory.tenants.get('globex') as never;
    const now = await server.runtime.retention.run(globex);
    expect(now.interactions.removed).toBe(0);
    expect((await native(server, `/interactions/${old.body.id}`, gadmin)).status).toBe(200);

    // Once the grace period has passed, the change is the policy.
    const later = await server.runtime.retention.run(globex, { nowMs: effective + 1 });
    expect(later.interactions.ids).toEqual([old.body.id]);
    expect((await native(server, '/retention', gadmin)).body).toMatchObject({
      active: { rules: [{ mediaType: 'chat', maxAgeDays: 7 }] },
      pending: null,
    });

    const looser = await native(server, '/retention', gadmin, {
      method: 'PUT',
      json: { rules: [{ mediaType: 'chat', maxAgeDays: 30 }] },
    });
    expect(looser.body).toMatchObject({ active: { rules: [{ mediaType: 'chat', maxAgeDays: 30 }] }, pending: null });
  });

  it('refuses bad policies with a 400 naming the field, and non-admins with a 403', async () => {
    const cases: [unknown, string][] = [
      [{ rules: [{ maxAgeDays: -1 }] }, 'rules.0.maxAgeDays'],
      [{ rules: [{ maxAgeDays: 5, mediaType: 'fax' }] }, 'rules.0.mediaType'],
      [{ rules: [{ maxAgeDays: 5, contentType: 'mixtape' }] }, 'rules.0.contentType'],
      [{ rules: [{ maxAgeDays: 5, store: 'attic' }] }, 'rules.0.store'],
      [{ rules: [{ maxAgeDays: 5, colour: 'red' }] }, 'rules.0.colour'],
      [{ rules: 'all' }, 'rules.0'],
    ];
    for (const [body, field] of cases) {
      const res = await native(server, '/retention', admin, { method: 'PUT', json: body });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.field ?? res.body.problems?.[0]?.field).toBe(field);
    }
    expect((await native(server, '/retention', admin)).body.active.rules).toEqual(ACME_RULES);
    for (const auth of [server.basic('super1'), await server.bearer('acme-qa')]) {
      expect((await native(server, '/retention', auth)).status).toBe(403);
      expect((await native(server, '/retention/preview', auth)).status).toBe(403);
    }
  });

  it('runs from the command line: --help at once, a dry run that removes nothing, a report', async () => {
    const help = await runCli(['retention', 'run', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('--dry-run');
    const file = join(dir, 'principals.json');
    await writeFile(file, JSON.stringify(principals()));
    const victim = await storeCall(server, { startDate: daysAgo(5000) });
    const dry = await runCli(['retention', 'run', '--dry-run', '--tenant', 'acme', '--config', file, ...storeArgs(server)]);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toContain('acme (active policy, 3 rules): would remove 1 interactions');
    expect(dry.stdout).toContain(`interaction ${victim.id}`);
    expect(dry.stderr).toContain('retention acme (dry run)');
    expect(await exists(server, victim.id)).toBe(true);
    const real = await runCli(['retention', 'run', '--json', '--tenant', 'acme', '--config', file, ...storeArgs(server)]);
    expect(real.code, real.stderr).toBe(0);
    expect(JSON.parse(real.stdout)[0].interactions.ids).toEqual([victim.id]);
    expect(await exists(server, victim.id)).toBe(false);
    const bad = await runCli(['retention', 'run', '--pending', '--config', file, ...storeArgs(server)]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('--dry-run');
    // The server's own listing of the deletion: through the same audited path.
    const audit = await call(`${server.url}/api/v1/audit?limit=5`, { headers: { authorization: admin } });
    expect(audit.body.entries.find((e: { interactionId: string }) => e.interactionId === victim.id)?.action).toBe(
      'retention.delete',
    );
  });
});
