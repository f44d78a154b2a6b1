/**
 * The page workloads' physical limit: a bare node:http server, in its own
 * process like the ixvault server, answering GET /N with the very bytes
 * ixvault answered for query N (PUT /N beforehand, outside the clock), with
 * the same Content-Type. No routing framework, no authentication, no
 * database: what is left is HTTP on this machine. Sends its URL over IPC.
 */
import { createServer } from 'node:http';

const bodies = new Map<string, Buffer>();

const server = createServer((req, res) => {
  const key = req.url ?? '';
  if (req.method === 'PUT') {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      bodies.set(key, Buffer.concat(chunks));
      res.writeHead(204).end();
    });
    return;
  }
  const body = bodies.get(key);
  if (!body) {
    res.writeHead(404).end();
    return;
  }
  res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': body.length });
  res.end(body);
});
server.keepAliveTimeout = 72_000;
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  if (address && typeof address === 'object') process.send?.({ kind: 'ready', url: `http://127.0.0.1:${address.port}` });
});
process.on('message', () => server.close(() => process.exit(0)));
