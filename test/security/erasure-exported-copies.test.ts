/**
 * An erased subject's content in export runs (session 7, redteam). An export
 * job copies content out of the store into the export directory or bucket
 * (`run-N/<interaction>/<key>`, with a manifest naming the interaction, its
 * GUID and dates); those copies are not the store's, and nothing expires or
 * removes them. An erasure removed the interactions and answered a signed
 * receipt that said "removed" and did not say that copies of the subject's
 * recordings and transcripts were still in export runs ixvault itself wrote:
 * the operator had no way to learn which runs to purge. The receipt now says
 * so (`exportedCopies`: how many files, in which job runs, where), signed with
 * the rest; removing them stays the operator's decision (docs/GOVERNANCE.md).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { build } from '../helpers/app.js';
import { callRecord } from '../helpers/fixtures.js';
import { BACKEND, call, removeTestData, send, type TestServer } from '../helpers/server.js';
import { waitFor } from '../helpers/wait.js';

describe(`an erasure names the export runs holding the subject's content (${BACKEND})`, () => {
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

  async function storedCall(contactId: string, day: string): Promise<string> {
    const created = await call(`${api()}/interactions`, {
      method: 'POST',
      headers: { authorization: admin },
      json: callRecord({ contactId, startDate: `${day}T10:00:00.000Z`, endDate: `${day}T10:30:00.000Z` }),
    });
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    for (const [key, type] of [
      ['callRecording', 'audio/wav'],
      ['transcript', 'text/plain'],
    ] as const) {
      const put = await send(`${api()}/interactions/${id}/content/${key}`, {
        method: 'PUT',
        headers: { authorization: admin, 'content-type': type },
        body: Buffer.from(`${key} of ${contactId} on ${day}`),
      });
      expect(put.status).toBe(201);
    }
    return id;
  }

  async function exported(startDate: string, endDate: string): Promise<string> {
    const created = await call(`${api()}/exports`, {
      method: 'POST',
      headers: { authorization: admin },
      json: { startDate, endDate },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const id = created.body.id as string;
    await waitFor(async () => {
      const job = await call(`${api()}/exports/${id}`, { headers: { authorization: admin } });
      return job.body.status === 'done' ? job.body : undefined;
    }, `export ${id} to be done`);
    return id;
  }

  it('lists every run and file count that holds a copy of what it removed, and only those', async () => {
    const first = await storedCall('subject-7', '2025-05-01');
    const second = await storedCall('subject-7', '2025-05-02');
    const other = await storedCall('someone-else', '2025-05-01');
    const both = await exported('2025-05-01T00:00:00Z', '2025-05-03T00:00:00Z');
    const firstDay = await exported('2025-05-01T00:00:00Z', '2025-05-01T23:59:59Z');
    const unrelated = await exported('2025-06-01T00:00:00Z', '2025-06-02T00:00:00Z');
    const copy = join(server.dataDir, 'exports', 'acme', both, 'run-1', first, 'transcript');
    expect(existsSync(copy), copy).toBe(true);

    const erased = await call(`${api()}/erasures`, {
      method: 'POST',
      headers: { authorization: admin },
      json: { contactId: 'subject-7' },
    });
    expect(erased.status, JSON.stringify(erased.body)).toBe(201);
    const receipt = erased.body.receipt;
    expect(receipt.removed.interactions.map((f: { id: string }) => f.id).sort()).toEqual([first, second].sort());
    expect(receipt.exportedCopies).toEqual({
      files: 6,
      runs: [
        { job: both, run: 1, location: `acme/${both}/run-1`, files: 4 },
        { job: firstDay, run: 1, location: `acme/${firstDay}/run-1`, files: 2 },
      ].sort((a, b) => (a.job < b.job ? -1 : 1)),
    });
    expect(JSON.stringify(receipt)).not.toContain(unrelated);
    expect(JSON.stringify(receipt)).not.toContain(other);
    // Signed with the rest: the stored receipt, verified again, says the same.
    const again = await call(`${api()}/erasures/${erased.body.id}`, { headers: { authorization: admin } });
    expect(again.body.receipt.exportedCopies).toEqual(receipt.exportedCopies);
  });

  it('says there are none when no export holds the subject', async () => {
    await storedCall('subject-8', '2025-07-01');
    const erased = await call(`${api()}/erasures`, {
      method: 'POST',
      headers: { authorization: admin },
      json: { contactId: 'subject-8' },
    });
    expect(erased.status).toBe(201);
    expect(erased.body.receipt.exportedCopies).toEqual({ files: 0, runs: [] });
  });
});
