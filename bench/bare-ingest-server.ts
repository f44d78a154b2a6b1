/**
 * The ingest workload's bare HTTP baseline: a bare node:http server, in its own
 * process like the ixvault server, that reads a batch request, parses its JSON
 * (the least an API of JSON records does with them) and writes that batch's
 * rows — made before the clock, the very rows the in-process bare inserts
 * write (bench/lib/bulk.ts) — in one transaction, then answers. What HTTP, a
 * JSON body and a second process on the same cores cost, with nothing of
 * ixvault: no authentication, no validation, no mapping, no identity look-up.
 * Store location and the rows' file (v8-serialized batches) from
 * IXVAULT_BENCH_BARE (JSON); sends its URL over IPC. POST /<batch index>.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { deserialize } from 'node:v8';
import { SQLITE_CACHE_KIB } from '../src/store/dialects/sqlite.js';
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

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    const batch = batches[Number(req.url?.slice(1))];
    const { records } = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { records: unknown[] };
    if (!batch || records.length !== batch.length) {
      res.writeHead(400);
      res.end('no such batch');
      return;
    }
    writer.commit(batch).then(
      () => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(`{"count":${records.length}}`);
      },
      (err: Error) => {
        res.writeHead(500);
        res.end(err.message);
      },
    );
  });
});
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  if (address && typeof address === 'object') process.send?.({ kind: 'ready', url: `http://127.0.0.1:${address.port}` });
});
process.on('message', () => server.close(() => writer.close().finally(() => process.exit(0))));
