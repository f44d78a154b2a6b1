/**
 * kill -9 probes, shared by the suite (a few trials, test/integrity/kill.test.ts)
 * and the soak (`npm run soak -- --trials 50`). Each trial starts the real
 * `ixvault` in a child process on a fresh store, kills it with SIGKILL as soon
 * as its output or the database shows the work is under way, then reopens the
 * store in this process and checks: every acknowledged record present, no
 * batch half present, no orphan file after the sweep.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { sql } from 'kysely';
import { openRuntime, type Runtime } from '../../src/runtime.js';
import { validateBatch } from '../../src/services/vault.js';
import { connect } from '../../src/store/database.js';
import { createTestDatabase, PRINCIPALS } from '../helpers/server.js';

export interface TrialOutcome {
  kind: 'ingest' | 'upload' | 'small-upload' | 'archive';
  /** Whether the SIGKILL landed while work was under way (otherwise the trial proves little). */
  killedMidway: boolean;
  acknowledged: number;
  /** Acknowledged records (interactions, content items) missing after the restart. */
  lost: number;
  /** Batches (ingest: a request; archive: an interaction with its rows) found partly written. */
  halfPresent: number;
  /** Files a crash left: before the sweep, and after it (must be 0). */
  orphansBeforeSweep: number;
  orphansAfterSweep: number;
}

interface Store {
  dataDir: string;
  databaseUrl?: string;
  principalsFile: string;
}

const TENANT = 'acme';

async function freshStore(): Promise<Store> {
  const dataDir = await mkdtemp(join(tmpdir(), 'ixvault-kill-'));
  const principalsFile = join(dataDir, 'principals.json');
  await writeFile(principalsFile, JSON.stringify(PRINCIPALS));
  const databaseUrl = await createTestDatabase();
  return databaseUrl ? { dataDir, databaseUrl, principalsFile } : { dataDir, principalsFile };
}

const storeArgs = (s: Store) => ['--data', s.dataDir, ...(s.databaseUrl ? ['--database-url', s.databaseUrl] : [])];

function startIxvault(args: string[]): { child: ChildProcess; exited: Promise<void>; output: { text: string } } {
  const child = spawn(process.execPath, ['bin/ixvault.js', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, IXVAULT_SECRET: 'kill-test-secret-kill-test-secret-0123', IXVAULT_SINGLE_NODE: '1' },
  });
  const output = { text: '' };
  child.stdout?.on('data', (d) => {
    output.text += d;
  });
  child.stderr?.on('data', (d) => {
    output.text += d;
  });
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  return { child, exited, output };
}

/** Starts `ixvault serve` and resolves with its URL once it listens. */
async function startServer(store: Store) {
  const started = startIxvault([
    'serve',
    '--host',
    '127.0.0.1',
    '--port',
    '0',
    '--config',
    store.principalsFile,
    ...storeArgs(store),
  ]);
  const url = await new Promise<string>((resolve, reject) => {
    const look = () => {
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(started.output.text);
      if (m?.[1]) resolve(m[1]);
    };
    started.child.stdout?.on('data', look);
    started.child.stderr?.on('data', look);
    started.child.on('exit', (code) => reject(new Error(`server exited (${code}) before listening: ${started.output.text}`)));
  });
  return { ...started, url };
}

async function reopen(store: Store): Promise<Runtime> {
  return openRuntime({
    dataDir: store.dataDir,
    databaseUrl: store.databaseUrl,
    principals: PRINCIPALS,
    maxContentBytes: 64 * 1024 * 1024,
    secret: 'kill-test-secret-kill-test-secret-0123',
    poolSize: 4,
    sweep: false,
    log: () => {},
  });
}

const ADMIN = `Basic ${Buffer.from('admin1:pw-admin1').toString('base64')}`;

function record(id: string, batch: string, startMs = Date.UTC(2025, 2, 10, 9)) {
  return {
    id,
    mediaType: 'chat',
    typeId: 'Inbound',
    state: 'Stopped',
    startDate: new Date(startMs).toISOString(),
    ownerInformation: { id: 'agent-1' },
    handlingAgents: [{ id: 'agent-1' }, { id: 'agent-2' }],
    customAttributes: { batch },
    messages: [1, 2, 3].map((index) => ({
      index,
      from: { type: 'Customer' },
      text: `message ${index} of ${id}`,
      visibility: 'All',
      timestamp: new Date(startMs + index * 1000).toISOString(),
      type: 'Text',
    })),
  };
}

async function count(runtime: Runtime, source: 'main' | 'archive', table: 'interactions' | 'messages', ids: string[]) {
  const column = table === 'interactions' ? 'id' : 'interaction_id';
  const row = await runtime.store
    .in(source)
    .selectFrom(table)
    .select(sql<number>`count(*)`.as('n'))
    .where('tenant_id', '=', TENANT)
    .where(column, 'in', ids)
    .executeTakeFirst();
  return Number(row?.n ?? 0);
}

/** Batches of 40 interactions over HTTP, 3 in flight; SIGKILL on the third acknowledgement. */
export async function ingestTrial(trial: number): Promise<TrialOutcome> {
  const store = await freshStore();
  const server = await startServer(store);
  const size = 40;
  const sent: { ids: string[]; acked: boolean }[] = [];
  let killed = false;
  const kill = () => {
    killed = true;
    server.child.kill('SIGKILL');
  };
  let acks = 0;
  let stop = false;
  const sender = async (lane: number) => {
    for (let n = 0; !stop; n++) {
      const batch = `t${trial}l${lane}b${n}`;
      const ids = Array.from({ length: size }, (_, i) => `K${batch}i${String(i).padStart(3, '0')}`);
      const entry = { ids, acked: false };
      sent.push(entry);
      try {
        const res = await fetch(`${server.url}/api/v1/interactions:batch`, {
          method: 'POST',
          headers: { authorization: ADMIN, 'content-type': 'application/json' },
          body: JSON.stringify(ids.map((id) => record(id, batch))),
        });
        if (res.status !== 200) throw new Error(`batch answered ${res.status}: ${await res.text()}`);
        await res.arrayBuffer().catch(() => undefined);
        entry.acked = true;
        if (++acks === 3) kill();
      } catch (err) {
        if (!killed) {
          server.child.kill('SIGKILL');
          throw err;
        }
        return;
      }
    }
  };
  const lanes = Promise.all([0, 1, 2].map(sender));
  await server.exited;
  stop = true;
  await lanes;
  const runtime = await reopen(store);
  try {
    let lost = 0;
    let half = 0;
    for (const { ids, acked } of sent) {
      const present = await count(runtime, 'main', 'interactions', ids);
      const messages = await count(runtime, 'main', 'messages', ids);
      if (acked) lost += size - present;
      if (!((present === 0 && messages === 0) || (present === size && messages === size * 3))) half++;
    }
    const ackedCount = sent.filter((s) => s.acked).length * size;
    return {
      kind: 'ingest',
      killedMidway: sent.some((s) => !s.acked),
      acknowledged: ackedCount,
      lost,
      halfPresent: half,
      orphansBeforeSweep: 0,
      orphansAfterSweep: 0,
    };
  } finally {
    await runtime.close();
    await rm(store.dataDir, { recursive: true, force: true });
  }
}

function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name));
}

interface UploadShape {
  kind: 'upload' | 'small-upload';
  interactions: number;
  lanes: number;
  /** SIGKILL on this acknowledgement. */
  killAt: number;
  bytes(): Buffer;
}

/** Uploads of 64–512 KiB, 4 in flight, over 10 interactions; SIGKILL on the fifth acknowledgement. */
export const uploadTrial = (trial: number) =>
  uploads(trial, {
    kind: 'upload',
    interactions: 10,
    lanes: 4,
    killAt: 5,
    bytes: () => randomBytes(64 * 1024 + Math.floor(Math.random() * 448 * 1024)),
  });

/**
 * Uploads of 2 KB, 8 in flight, over 40 interactions; SIGKILL on the 40th
 * acknowledgement: uploads in flight then share group transactions
 * (src/store/group-commit.ts), some committing, some waiting for the next.
 */
export const smallUploadTrial = (trial: number) =>
  uploads(trial, { kind: 'small-upload', interactions: 40, lanes: 8, killAt: 40, bytes: () => randomBytes(2048) });

async function uploads(trial: number, shape: UploadShape): Promise<TrialOutcome> {
  const store = await freshStore();
  const server = await startServer(store);
  const ids = Array.from({ length: shape.interactions }, (_, i) => `U${trial}x${String(i).padStart(3, '0')}`);
  const res = await fetch(`${server.url}/api/v1/interactions:batch`, {
    method: 'POST',
    headers: { authorization: ADMIN, 'content-type': 'application/json' },
    body: JSON.stringify(ids.map((id) => record(id, 'uploads'))),
  });
  if (res.status !== 200) throw new Error(`seed batch answered ${res.status}`);
  const acked: { id: string; key: string; sha256: string }[] = [];
  let killed = false;
  const kill = () => {
    killed = true;
    server.child.kill('SIGKILL');
  };
  let stop = false;
  const uploader = async (lane: number) => {
    for (let n = 0; !stop; n++) {
      const id = ids[(lane + n) % ids.length] ?? '';
      const key = `recording${lane}x${n}`;
      const bytes = shape.bytes();
      try {
        const put = await fetch(`${server.url}/api/v1/interactions/${id}/content/${key}?type=callRecording`, {
          method: 'PUT',
          headers: { authorization: ADMIN, 'content-type': 'audio/wav' },
          body: bytes,
        });
        if (put.status >= 300) throw new Error(`upload answered ${put.status}: ${await put.text()}`);
        await put.arrayBuffer().catch(() => undefined);
        acked.push({ id, key, sha256: createHash('sha256').update(bytes).digest('hex') });
        if (acked.length === shape.killAt) kill();
      } catch (err) {
        if (!killed) {
          server.child.kill('SIGKILL');
          throw err;
        }
        return;
      }
    }
  };
  const lanes = Promise.all(Array.from({ length: shape.lanes }, (_, lane) => uploader(lane)));
  await server.exited;
  stop = true;
  await lanes;
  const blobRoot = join(store.dataDir, 'blobs');
  const runtime = await reopen(store);
  try {
    // Orphans: temporary files, and stored bytes (blob files, or bytes kept in the database) no row references.
    const referenced = async () => {
      const files = filesUnder(join(blobRoot, TENANT)).map((f) => f.slice(-64));
      const inline = (
        await runtime.store.in('main').selectFrom('content_blobs').select('sha256').where('tenant_id', '=', TENANT).execute()
      ).map((r) => r.sha256);
      const used = await runtime.vault.content.referencedAmong(TENANT, [...files, ...inline]);
      return filesUnder(join(blobRoot, '.tmp')).length + [...files, ...inline].filter((f) => !used.has(f)).length;
    };
    const orphansBeforeSweep = await referenced();
    await runtime.sweep({ blobGraceMs: 0 });
    const orphansAfterSweep = await referenced();
    let lost = 0;
    for (const item of acked) {
      const found = await runtime.vault.content.get({ tenantId: TENANT }, item.id, item.key);
      // Read where the store keeps them (small content in the database, the rest in the blob store).
      const stored = found ? await readAll(runtime.vault.openBytes(TENANT, item.sha256)).catch(() => undefined) : undefined;
      const intact =
        found?.item.sha256 === item.sha256 &&
        stored !== undefined &&
        createHash('sha256').update(stored).digest('hex') === item.sha256;
      if (!intact) lost++;
    }
    // The content count of every interaction matches its content rows.
    let half = 0;
    for (const id of ids) {
      const full = await runtime.vault.interactions.get({ tenantId: TENANT }, id);
      const row = await runtime.store
        .in('main')
        .selectFrom('interactions')
        .select('content_count')
        .where('tenant_id', '=', TENANT)
        .where('id', '=', id)
        .executeTakeFirst();
      if (row?.content_count !== full?.content.length) half++;
    }
    return {
      kind: shape.kind,
      killedMidway: true,
      acknowledged: acked.length,
      lost,
      halfPresent: half,
      orphansBeforeSweep,
      orphansAfterSweep,
    };
  } finally {
    await runtime.close();
    await rm(store.dataDir, { recursive: true, force: true });
  }
}

/** 1200 old interactions with content on some, `ixvault archive --batch-size 25`; SIGKILL once the archive has rows. */
export async function archiveTrial(trial: number): Promise<TrialOutcome> {
  const store = await freshStore();
  const total = 1200;
  const ids = Array.from({ length: total }, (_, i) => `A${trial}x${String(i).padStart(5, '0')}`);
  let runtime = await reopen(store);
  try {
    const old = Date.UTC(2024, 0, 1);
    for (let i = 0; i < total; i += 400)
      await runtime.vault.interactions.upsertMany(
        TENANT,
        validateBatch(ids.slice(i, i + 400).map((id, j) => record(id, `a${i}`, old + (i + j) * 60_000))),
      );
  } finally {
    await runtime.close();
  }
  // Content rows on a few, through the store's own path.
  runtime = await reopen(store);
  try {
    for (const id of ids.filter((_, i) => i % 100 === 0)) {
      const staged = await runtime.blobs.stage(TENANT, Readable.from([Buffer.from(`transcript of ${id}`)]), { maxBytes: 1e6 });
      await staged.publish();
      await runtime.vault.content.put({ tenantId: TENANT }, id, {
        contentKey: 'chatTranscript',
        type: 'chatTranscript',
        contentType: 'application/json',
        contentLength: staged.size,
        sha256: staged.sha256,
        lastModifiedMs: Date.now(),
        properties: {},
      } as never);
      await staged.settle();
    }
  } finally {
    await runtime.close();
  }
  const watcher = connect(
    store.databaseUrl ? { dataDir: store.dataDir, databaseUrl: store.databaseUrl } : { dataDir: store.dataDir },
  );
  let killedMidway = false;
  try {
    const run = startIxvault(['archive', '--older-than', '30', '--batch-size', '25', '--tenant', TENANT, ...storeArgs(store)]);
    let done = false;
    void run.exited.then(() => {
      done = true;
    });
    while (!done) {
      const row = await watcher.in('archive').selectFrom('interactions').select(sql<number>`count(*)`.as('n')).executeTakeFirst();
      const archived = Number(row?.n ?? 0);
      if (archived > 0 && archived < total) {
        run.child.kill('SIGKILL');
        killedMidway = true;
        break;
      }
      await new Promise((r) => setTimeout(r, 2));
    }
    await run.exited;
  } finally {
    await watcher.close();
  }
  runtime = await reopen(store);
  try {
    let lost = 0;
    let half = 0;
    const where = async (
      source: 'main' | 'archive',
      table: 'interactions' | 'messages' | 'interaction_agents' | 'custom_attributes' | 'content_items',
    ) => {
      const column = table === 'interactions' ? 'id' : 'interaction_id';
      const rows = await runtime.store
        .in(source)
        .selectFrom(table)
        .select(sql<string>`${sql.ref(column)}`.as('k'))
        .where('tenant_id', '=', TENANT)
        .execute();
      const counts = new Map<string, number>();
      for (const r of rows) counts.set(r.k, (counts.get(r.k) ?? 0) + 1);
      return counts;
    };
    const tables = ['interactions', 'messages', 'interaction_agents', 'custom_attributes', 'content_items'] as const;
    const expected = { interactions: 1, messages: 3, interaction_agents: 2, custom_attributes: 1, content_items: 0 };
    const seen: Record<string, [Map<string, number>, Map<string, number>]> = {};
    for (const t of tables) seen[t] = [await where('main', t), await where('archive', t)];
    ids.forEach((id, i) => {
      const inMain = seen.interactions?.[0].get(id) ?? 0;
      const inArchive = seen.interactions?.[1].get(id) ?? 0;
      if (inMain + inArchive !== 1) {
        lost += inMain + inArchive === 0 ? 1 : 0;
        half++;
        return;
      }
      const side = inMain ? 0 : 1;
      for (const t of tables) {
        const want = t === 'content_items' ? (i % 100 === 0 ? 1 : 0) : expected[t];
        const [main, archive] = seen[t] ?? [new Map<string, number>(), new Map<string, number>()];
        const here = (side === 0 ? main : archive).get(id) ?? 0;
        const there = (side === 0 ? archive : main).get(id) ?? 0;
        if (here !== want || there !== 0) {
          half++;
          break;
        }
      }
    });
    return {
      kind: 'archive',
      killedMidway,
      acknowledged: total,
      lost,
      halfPresent: half,
      orphansBeforeSweep: 0,
      orphansAfterSweep: 0,
    };
  } finally {
    await runtime.close();
    await rm(store.dataDir, { recursive: true, force: true });
  }
}

export const TRIALS = { ingest: ingestTrial, upload: uploadTrial, 'small-upload': smallUploadTrial, archive: archiveTrial };

/** Every byte of a stream. */
async function readAll(opening: Promise<NodeJS.ReadableStream>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of await opening) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
