/**
 * An erased record leaves nothing readable in the store's files (docs/GOVERNANCE.md, "What a deletion leaves on
 * disk"). Before, SQLite kept a deleted row's bytes in free pages and the full-text index kept its words (FTS5
 * only marks a removed document of a contentless index) until segments happened to merge: a copy of the file
 * taken after an erasure still held the subject's messages and transcript. SQLite only: PostgreSQL's residue (dead
 * tuples until vacuumed, WAL segments until recycled) is the server's, documented, not scrubbed by ixvault.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InteractionInput } from '../../src/domain/validate.js';
import { ResidueScrubber } from '../../src/services/residue.js';
import { connect } from '../../src/store/database.js';
import { InteractionRepository } from '../../src/store/interaction-repository.js';
import { migrate } from '../../src/store/migrator.js';
import { build } from '../helpers/app.js';
import { runCli, storeArgs } from '../helpers/cli.js';
import { chatRecord } from '../helpers/fixtures.js';
import { BACKEND, call, removeTestData, send, type TestServer } from '../helpers/server.js';

/** A word no other row holds, in lower case (the index stores words folded). */
const marker = (field: string) => `${field}${randomBytes(8).toString('hex')}`;

describe.runIf(BACKEND === 'sqlite')('what an erasure leaves in the SQLite files', () => {
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

  /** The markers found in the database file or its WAL, by name. */
  const inFiles = (markers: Record<string, string>) => {
    const files = ['ixvault.db', 'ixvault.db-wal'].map((f) => join(server.dataDir, f)).filter((f) => existsSync(f));
    const bytes = files.map((f) => readFileSync(f));
    return Object.entries(markers)
      .filter(([, word]) => bytes.some((b) => b.includes(word)))
      .map(([field]) => field);
  };

  it('zeroes the rows, merges the words out of the full-text index and empties the WAL', async () => {
    const markers = {
      contact: marker('contact'),
      subject: marker('subject'),
      message: marker('message'),
      attribute: marker('attribute'),
      address: marker('address'),
      recording: marker('recording'),
      transcript: marker('transcript'),
    };
    const record = chatRecord({
      contactId: markers.contact,
      subject: `About ${markers.subject}`,
      connectFrom: `${markers.address}@example.org`,
      customAttributes: { CustomerId: markers.attribute },
      messages: [
        {
          index: 1,
          from: { type: 'Customer', participantId: 'p1' },
          text: `my card is ${markers.message}`,
          visibility: 'All',
          timestamp: '2025-03-10T09:00:00Z',
          type: 'Text',
        },
      ],
    });
    const created = await call(`${api()}/interactions`, { method: 'POST', headers: { authorization: admin }, json: record });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const id = created.body.id as string;
    const put = (key: string, type: string, contentType: string, body: string) =>
      send(`${api()}/interactions/${id}/content/${key}?type=${type}`, {
        method: 'PUT',
        headers: { authorization: admin, 'content-type': contentType },
        body: Buffer.from(body),
      });
    expect((await put('callRecording', 'callRecording', 'audio/wav', `RIFF ${markers.recording}`)).status).toBe(201);
    const transcript = { version: 1, lines: [{ speaker: 'customer', text: `I am ${markers.transcript}`, offsetMs: 0 }] };
    expect((await put('transcript', 'transcript', 'application/json', JSON.stringify(transcript))).status).toBe(201);
    // Unrelated records around it, so that its rows share pages (and index segments) with rows that stay.
    for (let i = 0; i < 20; i++) {
      const other = await call(`${api()}/interactions`, {
        method: 'POST',
        headers: { authorization: admin },
        json: chatRecord(),
      });
      expect(other.status).toBe(201);
    }
    // The test sees what it looks for: every marker is in the files before the erasure.
    expect(inFiles(markers)).toEqual(Object.keys(markers));
    const words = await call(`${api()}/interactions?q=${markers.transcript}`, { headers: { authorization: admin } });
    expect(words.body.items.map((i: { id: string }) => i.id)).toEqual([id]);

    const erased = await call(`${api()}/erasures`, {
      method: 'POST',
      headers: { authorization: admin },
      json: { contactId: markers.contact },
    });
    expect(erased.status, JSON.stringify(erased.body)).toBe(201);
    expect(erased.body.receipt.removed.count).toBe(1);
    expect(erased.body.scrub).toEqual({ status: 'pending' });
    await server.runtime.scrubber.settled();

    expect(inFiles(markers)).toEqual([]);
    // The erasure says when its scrub ended (outside the signed receipt).
    const after = await call(`${api()}/erasures/${erased.body.id}`, { headers: { authorization: admin } });
    expect(after.body.scrub.status).toBe('done');
    expect(Date.parse(after.body.scrub.at)).toBeGreaterThanOrEqual(Date.parse(erased.body.receipt.completedAt));
    // The records that stay are whole, and still found by their words.
    const kept = await call(`${api()}/interactions?q=hello&limit=100`, { headers: { authorization: admin } });
    expect(kept.body.items.length).toBe(20);
  });

  it('a server that stopped before the scrub ended runs it at its next start', async () => {
    const contactId = marker('cut');
    const created = await call(`${api()}/interactions`, {
      method: 'POST',
      headers: { authorization: admin },
      json: chatRecord({ contactId }),
    });
    expect(created.status).toBe(201);
    const erased = await call(`${api()}/erasures`, { method: 'POST', headers: { authorization: admin }, json: { contactId } });
    expect(erased.status, JSON.stringify(erased.body)).toBe(201);
    await server.runtime.scrubber.settled();
    // As a stop between two steps leaves it: the erasure done, its scrub not.
    const erasure = () => server.runtime.store.in('main').updateTable('erasures').where('id', '=', erased.body.id);
    await erasure().set({ scrubbed_ms: null }).execute();
    const get = () => call(`${api()}/erasures/${erased.body.id}`, { headers: { authorization: admin } });
    expect((await get()).body.scrub).toEqual({ status: 'pending' });
    // What serve does once the runtime is open.
    await server.runtime.erasures.resumeScrub();
    await server.runtime.scrubber.settled();
    expect((await get()).body.scrub.status).toBe('done');
  });

  it('scrubs on demand: nothing left to merge the second time, and the WAL empty', async () => {
    const first = await server.runtime.scrubber.run();
    expect(first.logTruncated).toBe(true);
    const again = await server.runtime.scrubber.run();
    expect(again).toEqual({ steps: 0, logTruncated: true });
    const wal = join(server.dataDir, 'ixvault.db-wal');
    expect(existsSync(wal) ? readFileSync(wal).length : 0).toBe(0);
  });

  it('`ixvault scrub` runs beside the serving process, after deletions other than an erasure', async () => {
    const word = marker('deleted');
    const created = await call(`${api()}/interactions`, {
      method: 'POST',
      headers: { authorization: admin },
      json: chatRecord({ subject: `Re ${word}` }),
    });
    expect(created.status).toBe(201);
    const removed = await call(`${api()}/interactions/${created.body.id}`, {
      method: 'DELETE',
      headers: { authorization: admin },
    });
    expect(removed.status).toBe(204);
    const help = await runCli(['scrub', '--help']);
    expect(help.stdout).toContain('merge deleted documents');
    const run = await runCli(['scrub', ...storeArgs(server)]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/scrubbed: [1-9]\d* merge steps; WAL emptied/);
    expect(inFiles({ subject: word })).toEqual([]);
    // The serving process goes on writing and reading after another process emptied its WAL.
    const after = await call(`${api()}/interactions`, { method: 'POST', headers: { authorization: admin }, json: chatRecord() });
    expect(after.status).toBe(201);
    expect((await call(`${api()}/interactions/${after.body.id}`, { headers: { authorization: admin } })).status).toBe(200);
  });
});

describe.runIf(BACKEND === 'sqlite')('the scrub, on the batch writer thread and without it', () => {
  for (const batchThread of [true, false])
    it(`merges a removed document's words out of the index (batchThread ${batchThread})`, async () => {
      const dataDir = await mkdtemp(join(tmpdir(), 'ixvault-scrub-'));
      const store = connect({ dataDir, batchThread });
      try {
        await migrate(store);
        const repository = new InteractionRepository(store);
        const word = marker('gone');
        const record = (id: string, subject: string): InteractionInput => ({
          id,
          mediaType: 'chat',
          typeId: 'Inbound',
          state: 'Stopped',
          startMs: Date.UTC(2025, 0, 1),
          subject,
          owner: { id: 'agent-1' },
          handlingAgentIds: ['agent-1'],
          customAttributes: {},
          userData: {},
          messages: [],
        });
        // Several batches, so several index segments: the removed document's words sit among others' that stay.
        for (let b = 0; b < 4; b++)
          await repository.upsertMany(
            'acme',
            Array.from({ length: 50 }, (_, i) => record(`r${b}-${i}`, b === 2 && i === 7 ? `about ${word}` : `about order ${i}`)),
            Date.now(),
            'upsert',
          );
        expect(await repository.delete({ tenantId: 'acme' }, 'r2-7')).toBeDefined();
        const report = await new ResidueScrubber(store, () => {}).run();
        expect(report.steps).toBeGreaterThan(0);
        expect(report.logTruncated).toBe(true);
        expect(readFileSync(join(dataDir, 'ixvault.db')).includes(word)).toBe(false);
      } finally {
        await store.close();
        await rm(dataDir, { recursive: true, force: true });
      }
    });
});
