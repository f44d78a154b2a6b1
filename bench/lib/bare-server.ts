/**
 * The bare node:http servers some baselines run beside ixvault's server
 * (bench/bare-upload-server.ts, bench/bare-ingest-server.ts): each in a child
 * process of its own, like the ixvault server, so that both sides pay for
 * HTTP and a second process on the same cores. `serveBare` is the child's
 * side, `startBareServer` the workload's.
 */
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:http';
import { fileURLToPath } from 'node:url';

/** What a bare server answers a request with. */
export interface BareAnswer {
  status: number;
  body: string;
}

/**
 * In the child: reads each request's body whole, hands it to `handle` with the request's path, and answers;
 * sends its URL to the parent over IPC, and on the parent's message closes, runs `close` and exits.
 */
export function serveBare(handle: (path: string, body: Buffer) => Promise<BareAnswer>, close: () => Promise<void>): void {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      handle(req.url ?? '/', Buffer.concat(chunks))
        .catch((err: Error): BareAnswer => ({ status: 500, body: err.message }))
        .then(({ status, body }) => {
          res.writeHead(status, { 'content-type': 'application/json' });
          res.end(body);
        });
    });
  });
  server.listen(0, '127.0.0.1', () => {
    const address = server.address();
    if (address && typeof address === 'object') process.send?.({ kind: 'ready', url: `http://127.0.0.1:${address.port}` });
  });
  process.on('message', () => server.close(() => close().finally(() => process.exit(0))));
}

export interface BareServer {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

/** Forks the compiled bare server `entry` (a path beside bench/, e.g. `bare-upload-server.js`) with `env` added. */
export async function startBareServer(entry: string, env: Record<string, string>): Promise<BareServer> {
  const child = fork(fileURLToPath(new URL(`../${entry}`, import.meta.url)), [], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const [message] = (await once(child, 'message')) as [{ url: string }];
  return {
    url: message.url,
    pid: child.pid ?? 0,
    async stop() {
      const exited = once(child, 'exit');
      child.send('stop');
      await exited;
    },
  };
}
