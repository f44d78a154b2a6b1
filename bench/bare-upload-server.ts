/**
 * The uploads workload's second baseline: a bare node:http server, in its own
 * process like the ixvault server, that reads a small PUT body and does the
 * bare durable loop's work with it (bench/lib/bare-durable.ts), then answers
 * 201. What HTTP and a second process cost, without anything of ixvault.
 * Store location from IXVAULT_BENCH_BARE (JSON); sends its URL over IPC.
 */
import { createServer } from 'node:http';
import { openBareLoop } from './lib/bare-durable.js';

const store = JSON.parse(process.env.IXVAULT_BENCH_BARE ?? '{}') as { dataDir: string; databaseUrl?: string };
const bare = await openBareLoop(store, Number(process.env.IXVAULT_BENCH_IN_FLIGHT ?? 4));

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    const i = Number(req.url?.slice(1));
    bare.upload(i, Buffer.concat(chunks)).then(
      () => {
        res.writeHead(201, { 'content-type': 'application/json' });
        res.end(`{"n":${i}}`);
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
process.on('message', () => server.close(() => bare.close().finally(() => process.exit(0))));
