/**
 * The uploads workload's baselines: the durable work of one small upload and
 * nothing else, in this process (the bare loop) or behind a bare node:http
 * server in a child process (bench/bare-upload-server.ts).
 */
import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { mkdir, open, rename } from 'node:fs/promises';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';

export interface BareLoop {
  upload(i: number, bytes: Buffer): Promise<void>;
  close(): Promise<void>;
}

/**
 * The durable work of one upload, nothing else: the bytes in a temporary file,
 * fsynced, renamed to their hash in a folder of the hash's first two digits,
 * the folder fsynced, one row inserted and committed durably.
 */
export async function openBareLoop(store: { dataDir: string; databaseUrl?: string }, inFlight: number): Promise<BareLoop> {
  const root = join(store.dataDir, 'bare-blobs');
  const tmpDir = join(root, '.tmp');
  mkdirSync(tmpDir, { recursive: true, mode: 0o700 });
  const ddl =
    'create table bare_uploads (id text primary key, sha256 text not null, size integer not null, stored_ms bigint not null)';
  let insert: (id: string, sha256: string, size: number) => Promise<void>;
  let close: () => Promise<void>;
  if (store.databaseUrl) {
    const pool = new pg.Pool({ connectionString: store.databaseUrl, max: inFlight });
    await pool.query(ddl);
    insert = async (id, sha256, size) => {
      // One statement outside an explicit transaction: committed (and flushed) before it returns.
      await pool.query('insert into bare_uploads values ($1, $2, $3, $4)', [id, sha256, size, Date.now()]);
    };
    close = () => pool.end();
  } else {
    const db = new BetterSqlite3(join(store.dataDir, 'bare.db'));
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.exec(ddl);
    const stmt = db.prepare('insert into bare_uploads values (?, ?, ?, ?)');
    insert = async (id, sha256, size) => {
      stmt.run(id, sha256, size, Date.now());
    };
    close = async () => {
      db.close();
    };
  }
  return {
    async upload(i, bytes) {
      const sha256 = createHash('sha256').update(bytes).digest('hex');
      const tmp = join(tmpDir, `${i}.tmp`);
      const file = await open(tmp, 'wx', 0o600);
      try {
        await file.writeFile(bytes);
        await file.sync();
      } finally {
        await file.close();
      }
      const folder = join(root, sha256.slice(0, 2));
      await mkdir(folder, { recursive: true, mode: 0o700 });
      await rename(tmp, join(folder, sha256));
      const dir = await open(folder, 'r');
      try {
        await dir.sync();
      } finally {
        await dir.close();
      }
      await insert(`bare${i}`, sha256, bytes.length);
    },
    close,
  };
}
