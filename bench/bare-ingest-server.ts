/**
 * The ingest workload's bare HTTP baseline: a bare node:http server, in its own
 * process like the ixvault server, that reads a batch request, parses its JSON
 * (the least an API of JSON records does with them) and writes that batch's
 * rows — made before the clock, the very rows the in-process bare inserts
 * write (bench/lib/bulk.ts) — in one transaction, then answers. What HTTP, a
 * JSON body and a second process on the same cores cost, with nothing of
 * ixvault: no authentication, no validation, no mapping, no identity look-up.
 * Store location and the rows' file (v8-serialized batches) from
 * IXVAULT_BENCH_BARE (JSON). POST /<batch index>.
 */
import { readFileSync } from 'node:fs';
import { deserialize } from 'node:v8';
import { SQLITE_CACHE_KIB } from '../src/store/dialects/sqlite.js';
import { serveBare } from './lib/bare-server.js';
import { postgresWriter, sqliteWriter } from './lib/bulk.js';
import type { RowSet } from './lib/dataset.js';

const { store, rowsFile } = JSON.parse(process.env.IXVAULT_BENCH_BARE ?? '{}') as {
  store: { sqliteFile: string; databaseUrl?: string };
  rowsFile: string;
};
const batches = deserialize(readFileSync(rowsFile)) as RowSet[][];
const writer = store.databaseUrl
  ? await postgresWriter(store.databaseUrl)
  : sqliteWriter(store.sqliteFile, { cacheKiB: SQLITE_CACHE_KIB });

serveBare(
  async (path, body) => {
    const batch = batches[Number(path.slice(1))];
    const { records } = JSON.parse(body.toString('utf8')) as { records: unknown[] };
    if (!batch || records.length !== batch.length) return { status: 400, body: '{"message":"no such batch"}' };
    await writer.commit(batch);
    return { status: 200, body: `{"count":${records.length}}` };
  },
  () => writer.close(),
);
