/**
 * Where a benchmark store lives: a data directory (SQLite files, blobs,
 * secret) and, on PostgreSQL, a database of its own on a throwaway cluster
 * (scripts/pg-cluster.mjs). Every store is migrated by ixvault itself.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import { connect } from '../../src/store/database.js';
import { migrate } from '../../src/store/migrator.js';
import { REPO_ROOT } from './paths.js';

export type BackendName = 'sqlite' | 'postgres';

export interface StoreLocation {
  name: string;
  dataDir: string;
  databaseUrl?: string;
  /** The SQLite main file (sqlite only). */
  sqliteFile: string;
}

export interface Backend {
  name: BackendName;
  /** A fresh, migrated store. */
  createStore(name: string): Promise<StoreLocation>;
  dropStore(store: StoreLocation): Promise<void>;
  close(): Promise<void>;
}

interface Cluster {
  url: string;
  stop(): void;
}

/**
 * `durable`: on PostgreSQL, a cluster that flushes every commit (the others run with fsync off,
 * see scripts/pg-cluster.mjs), for workloads whose cost is durability itself.
 */
export async function openBackend(
  name: BackendName,
  workDir: string,
  log: (m: string) => void,
  { durable = false }: { durable?: boolean } = {},
): Promise<Backend> {
  mkdirSync(workDir, { recursive: true });
  let cluster: Cluster | undefined;
  if (name === 'postgres') {
    // A JavaScript module of the repository (shared with scripts/test.mjs); typed here by what is used.
    const { startCluster } = (await import(pathToFileURL(join(REPO_ROOT, 'scripts', 'pg-cluster.mjs')).href)) as {
      startCluster(o: { log: (m: string) => void; durable?: boolean }): Promise<Cluster | undefined>;
    };
    cluster = await startCluster({ log, durable });
    if (!cluster) throw new Error('PostgreSQL server binaries not found (apt-get install postgresql)');
  }
  const adminUrl = cluster?.url;
  return {
    name,
    async createStore(storeName) {
      const dataDir = join(workDir, storeName);
      rmSync(dataDir, { recursive: true, force: true });
      mkdirSync(dataDir, { recursive: true });
      const location: StoreLocation = { name: storeName, dataDir, sqliteFile: join(dataDir, 'ixvault.db') };
      if (adminUrl) {
        const db = `bench_${storeName.replace(/[^a-z0-9_]/gi, '_').toLowerCase()}`;
        await adminQuery(adminUrl, `drop database if exists ${db}`);
        await adminQuery(adminUrl, `create database ${db}`);
        const url = new URL(adminUrl);
        url.pathname = `/${db}`;
        location.databaseUrl = url.toString();
      }
      const store = connect(location.databaseUrl ? { dataDir, databaseUrl: location.databaseUrl } : { dataDir });
      try {
        await migrate(store);
      } finally {
        await store.close();
      }
      return location;
    },
    async dropStore(store) {
      if (adminUrl && store.databaseUrl) {
        const db = new URL(store.databaseUrl).pathname.slice(1);
        await adminQuery(adminUrl, `drop database if exists ${db}`);
      }
      rmSync(store.dataDir, { recursive: true, force: true });
    },
    async close() {
      cluster?.stop();
    },
  };
}

async function adminQuery(url: string, text: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}
