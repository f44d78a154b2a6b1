/**
 * A job created while the scheduler is finishing its pass is not lost. The scheduler (ExportService)
 * drains due jobs one after another and ends when `due` finds none; a job created after that last
 * `due` read, while the pass has not yet ended, is poked into a pass that is over. Without the
 * background timer (`serve` polls every 5 s; in-process apps and tests have none) it waited forever:
 * seen on the Citus cluster, where `due` reads every shard and the window is wider (docs/SCALING.md,
 * "Verified again, session 8"), as `test/security/erasure-exported-copies.test.ts` timing out under
 * load. Here the window is held open deterministically: the pass's last `due` waits on a gate.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { ExportRepository } from '../../src/store/export-repository.js';
import { build } from '../helpers/app.js';
import type { Job } from '../helpers/exports.js';
import { callRecord } from '../helpers/fixtures.js';
import { BACKEND, call, removeTestData, type TestServer } from '../helpers/server.js';

describe(`an export job created as the scheduler's pass ends (${BACKEND})`, () => {
  let server: TestServer;
  let admin: string;
  const api = () => `${server.url}/api/v1`;
  const createJob = async () => {
    const created = await call<Job>(`${api()}/exports`, {
      method: 'POST',
      headers: { authorization: admin },
      json: { startDate: '2025-05-01T00:00:00Z', endDate: '2025-05-02T00:00:00Z' },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    return created.body.id;
  };
  const status = async (id: string) =>
    (await call<Job>(`${api()}/exports/${id}`, { headers: { authorization: admin } })).body.status;

  beforeAll(async () => {
    server = await build();
    admin = server.basic('admin1');
    const stored = await call(`${api()}/interactions`, {
      method: 'POST',
      headers: { authorization: admin },
      json: callRecord({ startDate: '2025-05-01T10:00:00.000Z', endDate: '2025-05-01T10:05:00.000Z' }),
    });
    expect(stored.status).toBe(201);
  });
  afterEach(() => {
    vi.restoreAllMocks();
  });
  afterAll(async () => {
    await server?.stop();
    if (server) await removeTestData(server);
  });

  it('runs it in the same pass', async () => {
    const due = ExportRepository.prototype.due;
    let reads = 0;
    let reachedEnd: () => void = () => {};
    const atEnd = new Promise<void>((resolve) => {
      reachedEnd = resolve;
    });
    let openGate: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      openGate = resolve;
    });
    vi.spyOn(ExportRepository.prototype, 'due').mockImplementation(async function (this: ExportRepository, ...args) {
      const found = await due.apply(this, args);
      // The pass's second read, after the first job ran: it found nothing, and the pass is about to end.
      if (++reads === 2) {
        reachedEnd();
        await gate;
      }
      return found;
    });
    const first = await createJob();
    await atEnd;
    expect(await status(first)).toBe('done');
    const second = await createJob();
    const pass = server.runtime.exports.poke();
    openGate();
    await pass;
    expect(await status(second)).toBe('done');
  });
});
