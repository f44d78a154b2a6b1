/**
 * A throwaway Redis (Debian's redis-server) on a loopback port, for tests,
 * benchmarks and `npm run cluster`: no persistence, its own directory,
 * removed on stop.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { chownSync, mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function findRedisServer() {
  const found = spawnSync('sh', ['-c', 'command -v redis-server || ls /usr/bin/redis-server'], { encoding: 'utf8' });
  return found.stdout.trim().split('\n')[0] || undefined;
}

/**
 * Started as root (a CI container), servers run as `nobody` instead: { uid, gid } for spawn, and `own(dir)`
 * hands them their directory. Otherwise they run as this user.
 */
export function unprivileged() {
  if (process.getuid?.() !== 0) return { spawn: {}, own: () => {} };
  const uid = Number(execFileSync('id', ['-u', 'nobody'], { encoding: 'utf8' }).trim());
  const gid = Number(execFileSync('id', ['-g', 'nobody'], { encoding: 'utf8' }).trim());
  return { spawn: { uid, gid }, own: (dir) => chownSync(dir, uid, gid) };
}

export async function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

/** Resolves once something accepts TCP connections on the port (polled; `deadlineMs` is generous for a busy machine). */
export async function waitForPort(port, { deadlineMs = 30_000, exited } = {}) {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    const open = await new Promise((resolve) => {
      const socket = createConnection({ host: '127.0.0.1', port }, () => {
        socket.destroy();
        resolve(true);
      });
      socket.on('error', () => resolve(false));
    });
    if (open) return;
    if (exited?.()) throw new Error(`the process meant to listen on ${port} exited`);
    if (Date.now() > deadline) throw new Error(`nothing listens on 127.0.0.1:${port} after ${deadlineMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Starts redis-server; returns { url, port, stop } or undefined when it is not installed. */
export async function startRedis({ log = () => {} } = {}) {
  const bin = findRedisServer();
  if (!bin) return undefined;
  const dir = mkdtempSync(join(tmpdir(), 'ixvault-redis-'));
  const user = unprivileged();
  user.own(dir);
  const port = await freePort();
  const child = spawn(
    bin,
    ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no', '--protected-mode', 'yes'],
    { stdio: ['ignore', 'ignore', 'pipe'], ...user.spawn },
  );
  let exited = false;
  const gone = new Promise((resolve) =>
    child.on('exit', () => {
      exited = true;
      resolve();
    }),
  );
  await waitForPort(port, { exited: () => exited });
  log(`Redis listening on 127.0.0.1:${port}`);
  let stopping;
  const stop = () => {
    stopping ??= (async () => {
      if (!exited) child.kill('SIGTERM');
      await gone;
      rmSync(dir, { recursive: true, force: true });
    })();
    return stopping;
  };
  return { url: `redis://127.0.0.1:${port}`, port, pid: child.pid, stop };
}
