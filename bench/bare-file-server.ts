/**
 * The content workload's baseline: one file piped from fs.createReadStream by
 * a bare node:http server (single byte ranges too), in its own process like
 * the ixvault server. Prints nothing; sends its URL over IPC.
 */
import { createReadStream, statSync } from 'node:fs';
import { createServer } from 'node:http';

const file = process.env.IXVAULT_BENCH_FILE ?? '';
const size = statSync(file).size;

const server = createServer((req, res) => {
  const m = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
  if (m) {
    const start = Number(m[1]);
    const end = m[2] ? Math.min(Number(m[2]), size - 1) : size - 1;
    res.writeHead(206, { 'content-length': end - start + 1, 'content-range': `bytes ${start}-${end}/${size}` });
    createReadStream(file, { start, end }).pipe(res);
    return;
  }
  res.writeHead(200, { 'content-length': size, 'content-type': 'audio/wav' });
  createReadStream(file).pipe(res);
});
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  if (address && typeof address === 'object') process.send?.({ kind: 'ready', url: `http://127.0.0.1:${address.port}` });
});
process.on('message', () => server.close(() => process.exit(0)));
