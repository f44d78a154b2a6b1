/**
 * Governance decisions in the audit log (session 7, redteam). The audit
 * chain recorded each interaction an export job copied (`export.item`, as the
 * job's creator) and each deletion retention made (`retention.delete`, as
 * `ixvault-retention`), but not the decisions behind them: who started a job
 * copying the tenant's content out, with which window and filters, who
 * cancelled one, and who set the retention policy that deleted records (the
 * policy row keeps only its last setter). An admin could set a one-day
 * policy, let it delete, set it back, and the tamper-evident log showed no
 * one. Now `export.create`, `export.cancel` and `retention.policy` are
 * audited, each in the transaction of the change it records.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { build } from '../helpers/app.js';
import { BACKEND, call, removeTestData, type TestServer } from '../helpers/server.js';

interface Entry {
  actor: string;
  action: string;
  detail: Record<string, unknown>;
}

describe(`governance decisions are audited (${BACKEND})`, () => {
  let server: TestServer;
  let admin: string;
  const api = () => `${server.url}/api/v1`;
  beforeAll(async () => {
    server = await build();
    admin = server.basic('admin1');
  });
  afterAll(async () => {
    await server.stop();
    await removeTestData(server);
  });

  const audited = async (action: string): Promise<Entry[]> => {
    const res = await call(`${api()}/audit?action=${action}`, { headers: { authorization: admin } });
    expect(res.status).toBe(200);
    return res.body.entries as Entry[];
  };

  it('records who created an export job, with its window and filters, and who cancelled it', async () => {
    const spec = {
      startDate: '2025-01-01T00:00:00Z',
      schedule: 'daily',
      delayMinutes: 60,
      filters: { contentTypes: ['callRecording'], mediaTypes: ['call'] },
    };
    const created = await call(`${api()}/exports`, { method: 'POST', headers: { authorization: admin }, json: spec });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const job = created.body.id as string;
    const [entry, ...more] = await audited('export.create');
    expect(more).toEqual([]);
    expect(entry).toMatchObject({
      actor: 'user:acme/admin-1',
      detail: {
        job,
        schedule: 'daily',
        startDate: '2025-01-01T00:00:00.000Z',
        endDate: null,
        delayMinutes: 60,
        filters: { contentTypes: ['callRecording'], mediaTypes: ['call'], initialDirection: [] },
      },
    });

    const cancelled = await call(`${api()}/exports/${job}/cancel`, { method: 'POST', headers: { authorization: admin } });
    expect(cancelled.body.status).toBe('cancelled');
    // Cancelling an ended job changes nothing, and is not a second decision.
    await call(`${api()}/exports/${job}/cancel`, { method: 'POST', headers: { authorization: admin } });
    const cancels = await audited('export.cancel');
    expect(cancels).toHaveLength(1);
    // A recurring job's first run is due at once: it may be under way when cancelled.
    expect(cancels[0]).toMatchObject({
      actor: 'user:acme/admin-1',
      detail: { job, was: expect.stringMatching(/^(scheduled|running)$/) },
    });
    // Another tenant's admin sees none of it.
    const other = await call(`${api()}/audit?action=export.create`, { headers: { authorization: server.basic('gadmin') } });
    expect(other.body.entries).toEqual([]);
  });

  it('records who set each retention policy, and whether it is active or pending', async () => {
    // Removes what no policy removed before: pending for the grace period.
    const shorter = await call(`${api()}/retention`, {
      method: 'PUT',
      headers: { authorization: admin },
      json: { rules: [{ mediaType: 'chat', maxAgeDays: 1 }, { maxAgeDays: 3650 }] },
    });
    expect(shorter.status, JSON.stringify(shorter.body)).toBe(200);
    // Removes nothing: active at once (and the pending change is dropped).
    const none = await call(`${api()}/retention`, { method: 'PUT', headers: { authorization: admin }, json: { rules: [] } });
    expect(none.status, JSON.stringify(none.body)).toBe(200);
    const entries = (await audited('retention.policy')).reverse();
    expect(entries).toHaveLength(2);
    expect(entries[0]).toMatchObject({
      actor: 'user:acme/admin-1',
      detail: { state: 'pending', rules: [{ mediaType: 'chat', maxAgeDays: 1 }, { maxAgeDays: 3650 }] },
    });
    expect(Date.parse(String(entries[0]?.detail.effective))).toBeGreaterThan(Date.now());
    expect(entries[1]).toMatchObject({ actor: 'user:acme/admin-1', detail: { state: 'active', rules: [] } });
    const verify = await call(`${api()}/audit/verify`, { headers: { authorization: admin } });
    expect(verify.body.ok).toBe(true);
  });
});
