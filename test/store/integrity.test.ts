/**
 * The store's consistency model, in process, on the backend of this run
 * (scripts/test.mjs runs the suite once per backend): one regression test
 * per data-integrity finding of issue 8, with the concurrency cases (parallel
 * patches, re-ingest racing content upload, archive racing ingest). The blob
 * store's own protocol and sweep are in the blob suite (blob-store.test.ts),
 * run over every implementation.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import BetterSqlite3 from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Principal } from '../../src/domain/principal.js';
import { openRuntime, type Runtime } from '../../src/runtime.js';
import { validateBatch } from '../../src/services/vault.js';
import { BACKEND, createTestDatabase, PRINCIPALS } from '../helpers/server.js';

const TENANT = 'acme';
const tenant = PRINCIPALS.tenants[0] as unknown as Principal['tenant'];
const admin = { kind: 'user', tenant, id: 'admin-1', userName: 'admin1', role: 'admin' } as unknown as Principal;
const OLD = Date.UTC(2024, 0, 1);

function record(id: string, overrides: Record<string, unknown> = {}) {
  return {
    id,
    mediaType: 'chat',
    typeId: 'Inbound',
    state: 'Stopped',
    startDate: new Date(OLD).toISOString(),
    handlingAgents: [{ id: 'agent-1' }],
    customAttributes: { topic: 'billing' },
    messages: [
      {
        index: 1,
        from: { type: 'Customer' },
        text: 'hi',
        visibility: 'All',
        timestamp: new Date(OLD).toISOString(),
        type: 'Text',
      },
    ],
    ...overrides,
  };
}

describe(`store integrity (${BACKEND})`, { timeout: 120_000 }, () => {
  let dataDir: string;
  let databaseUrl: string | undefined;
  let runtime: Runtime;
  const logged: string[] = [];
  const open = () =>
    openRuntime({
      dataDir,
      databaseUrl,
      principals: PRINCIPALS,
      maxContentBytes: 1 << 20,
      secret: 'integrity-test-secret-integrity-test-secret',
      poolSize: 8,
      sweep: false,
      log: (m) => logged.push(m),
    });
  const ingest = (records: unknown[]) => runtime.vault.interactions.upsertMany(TENANT, validateBatch(records));
  const upload = (id: string, key: string, text: string) =>
    runtime.vault.putContent(admin, id, key, Readable.from([Buffer.from(text)]), {
      type: 'transcript',
      contentType: 'text/plain',
    });
  const stored = async (source: 'main' | 'archive', id: string) =>
    runtime.store
      .in(source)
      .selectFrom('interactions')
      .selectAll()
      .where('tenant_id', '=', TENANT)
      .where('id', '=', id)
      .executeTakeFirst();

  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'ixvault-integrity-'));
    databaseUrl = await createTestDatabase();
    logged.length = 0;
    runtime = await open();
  });
  afterEach(async () => {
    await runtime.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('1. keeps the archive in the same database, so a move is one atomic transaction', async () => {
    await ingest([record('ARCH1'), record('ARCH2')]);
    expect(await runtime.vault.archive.moveBatch(TENANT, Date.now(), 10)).toBe(2);
    expect(await stored('archive', 'ARCH1')).toBeDefined();
    expect(await stored('main', 'ARCH1')).toBeUndefined();
    if (BACKEND === 'sqlite') {
      // No second file: SQLite commits atomically within one file only.
      expect(readdirSync(dataDir).filter((f) => f.startsWith('ixvault-archive'))).toEqual([]);
      const sqlite = new BetterSqlite3(join(dataDir, 'ixvault.db'), { readonly: true });
      const names = sqlite.prepare("select name from sqlite_master where type = 'table'").all() as { name: string }[];
      sqlite.close();
      expect(names.map((n) => n.name)).toContain('archive_interactions');
    }
  });

  it.runIf(BACKEND === 'sqlite')(
    '1. adopts the separate archive file of an earlier version, keeping the old file aside',
    async () => {
      await ingest([record('LEGACY1'), record('LEGACY2')]);
      await runtime.vault.archive.moveBatch(TENANT, Date.now(), 10);
      await runtime.close();
      // Rebuild the old layout: the archive tables in ixvault-archive.db, none in ixvault.db.
      const sqlite = new BetterSqlite3(join(dataDir, 'ixvault.db'));
      sqlite.prepare('attach database ? as legacy').run(join(dataDir, 'ixvault-archive.db'));
      for (const t of ['interactions', 'interaction_agents', 'custom_attributes', 'messages', 'content_items']) {
        sqlite.exec(`create table legacy.${t} as select * from main.archive_${t}; delete from main.archive_${t};`);
      }
      sqlite.close();
      runtime = await open();
      expect((await stored('archive', 'LEGACY1'))?.id).toBe('LEGACY1');
      expect((await runtime.vault.interactions.get({ tenantId: TENANT }, 'LEGACY2', 'archive'))?.messages).toHaveLength(1);
      expect(existsSync(join(dataDir, 'ixvault-archive.db'))).toBe(false);
      expect(readdirSync(dataDir).some((f) => f.startsWith('ixvault-archive.db.adopted-'))).toBe(true);
      expect(logged.join('\n')).toMatch(/adopted 2 archived interactions/);
    },
  );

  it('2. updates an archived interaction in place when it is ingested again; the next archive run keeps that version', async () => {
    const [first] = await ingest([record('AGAIN1', { subject: 'first' })]);
    await runtime.vault.archive.moveBatch(TENANT, Date.now(), 10);
    const [again] = await ingest([record('AGAIN1', { subject: 'second' })]);
    expect(again).toEqual({ id: 'AGAIN1', guid: first?.guid, created: false });
    expect(await stored('main', 'AGAIN1')).toBeUndefined();
    expect((await stored('archive', 'AGAIN1'))?.subject).toBe('second');
    // Found by guid across the stores too: no second record with the same guid.
    await ingest([{ ...record('AGAIN1', { subject: 'third' }), id: undefined, guid: first?.guid }]);
    expect((await stored('archive', 'AGAIN1'))?.subject).toBe('third');
    await expect(ingest([{ ...record('OTHER1'), guid: first?.guid }])).rejects.toMatchObject({ code: 'IXV_IDENTITY_CONFLICT' });
    expect(await runtime.vault.archive.moveBatch(TENANT, Date.now(), 10)).toBe(0);
    expect((await stored('archive', 'AGAIN1'))?.subject).toBe('third');
    // The same in batches (written as new first, then as records): by id, and by guid beside a new record.
    const batch = await ingest([record('AGAIN1', { subject: 'fourth' }), record('NEWBESIDE1')]);
    expect(batch.map((o) => o.created)).toEqual([false, true]);
    expect((await stored('archive', 'AGAIN1'))?.subject).toBe('fourth');
    await ingest([record('NEWBESIDE2'), { ...record('AGAIN1', { subject: 'fifth' }), id: undefined, guid: first?.guid }]);
    expect((await stored('archive', 'AGAIN1'))?.subject).toBe('fifth');
    expect(await stored('main', 'AGAIN1')).toBeUndefined();
  });

  it('2. archive racing ingest: every interaction ends in exactly one store, with its latest version', async () => {
    const ids = Array.from({ length: 60 }, (_, i) => `RACE${String(i).padStart(3, '0')}`);
    await ingest(ids.map((id) => record(id, { subject: 'v1' })));
    await Promise.all([
      (async () => {
        while ((await runtime.vault.archive.moveBatch(TENANT, Date.now(), 7)) > 0);
      })(),
      ...ids.map((id) => ingest([record(id, { subject: 'v2' })])),
    ]);
    for (const id of ids) {
      const main = await stored('main', id);
      const archive = await stored('archive', id);
      expect([main, archive].filter(Boolean)).toHaveLength(1);
      expect((main ?? archive)?.subject).toBe('v2');
    }
  });

  it('2. archive racing batches that name the same new identities: every interaction ends in exactly one store', async () => {
    // A batch of new records is written without identity locks (InteractionRepository.writeFresh): the unique
    // index decides between writers in main. This races such batches with each other and with archive moves;
    // the narrowest interleaving (another batch's record stored and moved between a batch's look-up and its
    // insert) is too short to hit from outside, and is what writeFresh's archive read after the insert covers.
    const ids = Array.from({ length: 30 }, (_, i) => `FRESH${String(i).padStart(3, '0')}`);
    let archiving = true;
    const archive = (async () => {
      while (archiving) await runtime.vault.archive.moveBatch(TENANT, Date.now(), 5);
    })();
    try {
      await Promise.all(
        ids.flatMap((id) => [0, 1, 2].map((k) => ingest([record(id, { subject: `v${k}` }), record(`${id}P${k}`)]))),
      );
    } finally {
      archiving = false;
      await archive;
    }
    for (const id of ids.flatMap((id) => [id, `${id}P0`, `${id}P1`, `${id}P2`])) {
      const copies = [await stored('main', id), await stored('archive', id)].filter(Boolean);
      expect(copies, id).toHaveLength(1);
    }
  });

  it('3. re-ingest racing content uploads keeps content_count equal to the content rows', async () => {
    const ids = Array.from({ length: 40 }, (_, i) => `CNT${String(i).padStart(3, '0')}`);
    await ingest(ids.map((id) => record(id)));
    const again = (id: string) => ingest([record(id, { subject: 'again' })]);
    await Promise.all(
      ids.flatMap((id) => [again(id), upload(id, 'transcript', `text of ${id}`), again(id), upload(id, 'notes', id), again(id)]),
    );
    for (const id of ids) {
      const row = await stored('main', id);
      const full = await runtime.vault.interactions.get({ tenantId: TENANT }, id);
      expect(row?.content_count).toBe(2);
      expect(full?.content).toHaveLength(2);
      expect(row?.subject).toBe('again');
    }
    // The Vonage-style "with content only" search sees them all.
    const page = await runtime.vault.searches.search(
      { tenantId: TENANT },
      { source: 'main', order: 'asc', limit: 100, withContentOnly: true },
    );
    expect(page.items).toHaveLength(ids.length);
  });

  it('3. upserts in place: created time and content survive a re-ingest', async () => {
    await ingest([record('INPLACE1')]);
    await upload('INPLACE1', 'transcript', 'kept');
    const before = await stored('main', 'INPLACE1');
    await ingest([record('INPLACE1', { subject: 'changed', messages: undefined })]);
    const after = await stored('main', 'INPLACE1');
    expect(after?.created_ms).toBe(before?.created_ms);
    expect(after?.content_count).toBe(1);
    expect((await runtime.vault.interactions.get({ tenantId: TENANT }, 'INPLACE1'))?.messages).toHaveLength(1);
  });

  const settle = (work: Promise<unknown>[]) => Promise.allSettled(work);
  const expectOneWinner = async (results: PromiseSettledResult<unknown>[]) => {
    const { VaultError } = await import('../../src/domain/errors.js');
    const failures = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as Error] : []));
    expect(results.length - failures.length).toBe(1);
    for (const failure of failures) {
      expect(failure).toBeInstanceOf(VaultError);
      expect(failure).toMatchObject({ code: 'IXV_IDENTITY_CONFLICT', status: 409 });
    }
  };

  it('1b. racing ingests of new identities: one wins, the others get a 409 domain error, never a raw key error', async () => {
    const guid = (n: number) => `0000000${n}-0000-4000-8000-000000000000`.slice(-36);
    for (let round = 0; round < 4; round++) {
      // Different new ids, the same new guid: single records and batches.
      const g = guid(round * 10 + 1);
      await expectOneWinner(
        await settle([ingest([record(`SG${round}A`, { guid: g })]), ingest([record(`SG${round}B`, { guid: g })])]),
      );
      const h = guid(round * 10 + 2);
      await expectOneWinner(
        await settle([
          runtime.vault.upsertBatch(admin, [record(`BG${round}A`), record(`BG${round}C`, { guid: h })]),
          runtime.vault.upsertBatch(admin, [record(`BG${round}B`, { guid: h }), record(`BG${round}D`)]),
        ]),
      );
      // The same new id with different new guids: a guid never changes silently.
      await expectOneWinner(
        await settle([
          ingest([record(`SI${round}`, { guid: guid(round * 10 + 3) })]),
          ingest([record(`SI${round}`, { guid: guid(round * 10 + 4) })]),
        ]),
      );
      const kept = await stored('main', `SI${round}`);
      expect([guid(round * 10 + 3), guid(round * 10 + 4)]).toContain(kept?.guid);
    }
    // A new guid racing an interaction archived with that guid: unique across main and archive together.
    const [archived] = await ingest([record('ARCHG1')]);
    await runtime.vault.archive.moveBatch(TENANT, Date.now(), 100);
    await expect(ingest([record('ARCHG2', { guid: archived?.guid })])).rejects.toMatchObject({ status: 409 });
    // Uploads racing on a just-created interaction: every one stored or refused cleanly, one row per key.
    await ingest([record('UPRACE1')]);
    await Promise.all(Array.from({ length: 8 }, (_, i) => upload('UPRACE1', 'transcript', `version ${i}`)));
    expect((await stored('main', 'UPRACE1'))?.content_count).toBe(1);
  });

  it('1b. the same races over HTTP (native batch endpoint, content upload): 409 in RFC 7807, never a 5xx', async () => {
    const { buildApp } = await import('../../src/app.js');
    const app = await buildApp(runtime);
    try {
      const auth = { authorization: `Basic ${Buffer.from('admin1:pw-admin1').toString('base64')}` };
      const batch = (records: unknown[]) =>
        app.inject({ method: 'POST', url: '/api/v1/interactions:batch', headers: auth, payload: { records } });
      for (let round = 0; round < 3; round++) {
        const guid = `0000000${round}-1111-4000-8000-000000000000`;
        const answers = await Promise.all([
          batch([record(`HB${round}A`, { guid }), record(`HB${round}C`)]),
          batch([record(`HB${round}D`), record(`HB${round}B`, { guid })]),
        ]);
        expect(answers.map((a) => a.statusCode).sort()).toEqual([200, 409]);
        const refused = answers.find((a) => a.statusCode === 409);
        expect(refused?.headers['content-type']).toMatch(/problem\+json/);
        expect(refused?.json()).toMatchObject({ code: 'IXV_IDENTITY_CONFLICT' });
      }
      // Uploads of one key racing on a just-created interaction, with a re-ingest of it in between.
      await ingest([record('HTTPUP1')]);
      const answers = await Promise.all([
        ...Array.from({ length: 6 }, (_, i) =>
          app.inject({
            method: 'PUT',
            url: '/api/v1/interactions/HTTPUP1/content/transcript',
            headers: { ...auth, 'content-type': 'text/plain' },
            payload: `version ${i}`,
          }),
        ),
        batch([record('HTTPUP1', { subject: 'again' })]),
      ]);
      for (const answer of answers) expect(answer.statusCode).toBeLessThan(300);
      expect((await stored('main', 'HTTPUP1'))?.content_count).toBe(1);
    } finally {
      await app.close();
    }
  });

  it('1c. full batches at once never run the database out of locks; a big batch racing other writers of its new identities: one wins', async () => {
    // Batches of 1000 new records, each naming its ids and guids, as many at once as the pool has connections,
    // on two servers of one database (PostgreSQL). A fresh server once hung for good: every connection held a
    // batch's transaction, which waited for a connection to read column types. And each batch's identities were
    // 2000 advisory locks, in the one lock table of the database (64 a connection by default): "out of shared
    // memory", a 5xx, for valid records.
    const second = BACKEND === 'postgres' ? await open() : undefined;
    try {
      const nodes = second ? [runtime, second] : [runtime];
      const guid = (batch: number, i: number) =>
        `${String(batch).padStart(8, '0')}-${String(i).padStart(4, '0')}-4000-8000-000000000000`;
      const batches = Array.from({ length: 16 }, (_, b) =>
        Array.from({ length: 1000 }, (_, i) => record(`FULL${b}N${i}`, { guid: guid(b, i) })),
      );
      const outcomes = await Promise.all(
        batches.map((records, b) => (nodes[b % nodes.length] as Runtime).vault.upsertBatch(admin, records)),
      );
      expect(outcomes.flat().filter((o) => o.created)).toHaveLength(16_000);
      // The same batches again, at once: stored records go the locked way, which names 2000 identities a
      // batch too, and locks their scope instead (at most 17 locks a call).
      const again = await Promise.all(
        batches.map((records, b) =>
          (nodes[b % nodes.length] as Runtime).vault.upsertBatch(
            admin,
            records.map((r) => ({ ...r, subject: 'again' })),
          ),
        ),
      );
      expect(again.flat().filter((o) => !o.created)).toHaveLength(16_000);
    } finally {
      await second?.close();
    }
    // Batches written as new take no identity locks: racing other writers of one new identity, one still wins.
    const guid = (n: number) => `00000090-${String(n).padStart(4, '0')}-4000-8000-000000000000`;
    for (let round = 0; round < 3; round++) {
      const taken = guid(round);
      const many = (prefix: string, guidAt: number) =>
        Array.from({ length: 20 }, (_, i) => record(`${prefix}${round}N${i}`, i === guidAt ? { guid: taken } : {}));
      await expectOneWinner(
        await settle([runtime.vault.upsertBatch(admin, many('BIGA', 3)), ingest([record(`SMALL${round}`, { guid: taken })])]),
      );
      const shared = guid(10 + round);
      const withShared = (prefix: string, at: number) => many(prefix, -1).map((r, i) => (i === at ? { ...r, guid: shared } : r));
      await expectOneWinner(
        await settle([
          runtime.vault.upsertBatch(admin, withShared('BIGB', 5)),
          runtime.vault.upsertBatch(admin, withShared('BIGC', 17)),
        ]),
      );
    }
  });

  it('1c. a single write racing a batch that stores the same new record (same id and guid) updates it, never a 409', async () => {
    // The batch is written as new without identity locks; the single write, under its locks, may find nothing
    // and insert just behind it. Its insert then fails on the unique index, and the write runs once more: it
    // finds the batch's record and updates it, as if it had come after. Many rounds: the race is narrow.
    for (let round = 0; round < 40; round++) {
      const same = record(`SAME${round}`, { guid: `${String(round).padStart(8, '0')}-2222-4000-8000-000000000000` });
      const results = await settle([
        runtime.vault.upsertBatch(admin, [same, record(`SAME${round}FILL`)]),
        ingest([{ ...same, subject: 'single' }]),
      ]);
      expect(results.map((r) => (r.status === 'rejected' ? String(r.reason) : 'ok'))).toEqual(['ok', 'ok']);
    }
  });

  it('concurrent identifications of the same new caller create one contact', async () => {
    const identify = () => runtime.vault.contacts.identify(admin, { phoneNumber: '+1 (415) 555-0199', create: true });
    const answers = await Promise.all(Array.from({ length: 8 }, identify));
    const ids = new Set(answers.flatMap((a) => a.contactIds));
    expect(ids.size).toBe(1);
    expect(answers.filter((a) => a.created)).toHaveLength(1);
    expect(await runtime.vault.contacts.find(admin, { phoneNumber: '14155550199' })).toHaveLength(1);
  });

  it('4. concurrent patches lose no update', async () => {
    await ingest([record('PATCH1', { userData: {} })]);
    const keys = Array.from({ length: 16 }, (_, i) => `k${i}`);
    await Promise.all(keys.map((k) => runtime.vault.patch(admin, 'PATCH1', { userData: { [k]: k } })));
    const patched = await runtime.vault.interactions.get({ tenantId: TENANT }, 'PATCH1');
    expect(Object.keys(patched?.userData ?? {}).sort()).toEqual([...keys].sort());
  });

  it('5. the sweep removes temp files of dead processes and unreferenced blobs, keeps referenced ones, and logs', async () => {
    await ingest([record('SWEEP1')]);
    await upload('SWEEP1', 'transcript', 'referenced bytes');
    const blobs = join(dataDir, 'blobs');
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout;
    const tmpFiles = readdirSync(join(blobs, '.tmp'));
    expect(tmpFiles).toEqual([]);
    // A crashed upload's partial file (named like ours, by a process that no longer exists) and an orphan blob.
    const host = createHash('sha256')
      .update((await import('node:os')).hostname())
      .digest('hex')
      .slice(0, 8);
    await writeFile(join(blobs, '.tmp', `${host}.${dead}.1.partial`), Buffer.alloc(1000));
    const orphanSha = createHash('sha256').update('never recorded').digest('hex');
    await mkdir(join(blobs, TENANT, orphanSha.slice(0, 2)), { recursive: true });
    await writeFile(join(blobs, TENANT, orphanSha.slice(0, 2), orphanSha), 'never recorded');
    // A temp file of a process we cannot see stays until the grace period has passed.
    const foreign = join(blobs, '.tmp', 'otherhost.123.1.partial');
    await writeFile(foreign, 'x');
    const report = await runtime.sweep({ blobGraceMs: 0 });
    expect(report.tempFiles).toEqual([`${host}.${dead}.1.partial`]);
    expect(report.blobs).toEqual([`${TENANT}/${orphanSha}`]);
    expect(existsSync(foreign)).toBe(true);
    expect(logged.join('\n')).toMatch(/sweep: removed 1 temporary upload files \(1000 bytes\), 1 unreferenced blobs/);
    const opened = await runtime.vault.openContent(admin, 'SWEEP1', 'transcript');
    const chunks: Buffer[] = [];
    for await (const c of await opened.read()) chunks.push(c as Buffer);
    expect(Buffer.concat(chunks).toString()).toBe('referenced bytes');
    await utimes(foreign, new Date(0), new Date(0));
    expect((await runtime.sweep({ blobGraceMs: 0 })).tempFiles).toEqual(['otherhost.123.1.partial']);
  });

  it('6. refuses an id shaped like a GUID (it would be unreachable) with a clear error', async () => {
    const guidShaped = 'abcdefgh-ijkl-mnop-qrst-uvwxyz012345';
    await expect(ingest([record(guidShaped)])).rejects.toMatchObject({ kind: 'invalid', field: 'id', message: /form of a GUID/ });
    await expect(ingest([record('FINE1'), record(guidShaped)])).rejects.toMatchObject({ code: 'IXV_INVALID_BATCH' });
    expect(await stored('main', 'FINE1')).toBeUndefined();
  });

  it('7. audit entries of the same millisecond come back in the order they were written', async () => {
    const atMs = Date.now();
    for (let i = 0; i < 30; i++)
      await runtime.vault.content.audit(TENANT, { atMs, actor: 'test', action: `a${i}`, interactionId: 'X', detail: {} });
    const log = (await runtime.vault.audits.search(TENANT, {}, { limit: 100 })).entries;
    expect(log.map((e) => e.action)).toEqual(Array.from({ length: 30 }, (_, i) => `a${29 - i}`));
  });

  it('7. creates database and blob files 0600 and their folders 0700', async () => {
    await ingest([record('MODE1')]);
    // Larger than INLINE_MAX_BYTES, so kept in the blob store (small content is kept in the database file).
    const text = 'private '.repeat(10_000);
    await upload('MODE1', 'transcript', text);
    const mode = (p: string) => statSync(p).mode & 0o777;
    const sha = createHash('sha256').update(text).digest('hex');
    expect(mode(join(dataDir, 'blobs'))).toBe(0o700);
    expect(mode(join(dataDir, 'blobs', TENANT))).toBe(0o700);
    expect(mode(join(dataDir, 'blobs', TENANT, sha.slice(0, 2)))).toBe(0o700);
    expect(mode(join(dataDir, 'blobs', TENANT, sha.slice(0, 2), sha))).toBe(0o600);
    if (BACKEND === 'sqlite') {
      expect(mode(join(dataDir, 'ixvault.db'))).toBe(0o600);
      expect(mode(join(dataDir, 'ixvault.db-wal'))).toBe(0o600);
    }
  });
});
