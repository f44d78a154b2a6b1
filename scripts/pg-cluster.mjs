/**
 * A throwaway PostgreSQL cluster on a loopback port, for tests and benchmarks.
 * Finds the server binaries (PATH, then Debian's /usr/lib/postgresql/N/bin),
 * runs them as the `postgres` user when started as root (initdb refuses root),
 * and removes everything on stop.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function findPgBin() {
  const fromPath = spawnSync('sh', ['-c', 'command -v pg_ctl'], { encoding: 'utf8' }).stdout.trim();
  const candidates = [];
  if (fromPath) candidates.push(join(fromPath, '..'));
  const debian = '/usr/lib/postgresql';
  if (existsSync(debian)) {
    for (const v of readdirSync(debian).sort((a, b) => Number(b) - Number(a))) candidates.push(join(debian, v, 'bin'));
  }
  return candidates.find((dir) => existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'pg_ctl')));
}

async function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

function asPostgresUser(args) {
  const isRoot = process.getuid?.() === 0;
  return isRoot ? ['runuser', ['-u', 'postgres', '--', ...args]] : [args[0], args.slice(1)];
}

function run(args, options = {}) {
  const [cmd, rest] = asPostgresUser(args);
  execFileSync(cmd, rest, { stdio: ['ignore', 'ignore', 'pipe'], ...options });
}

/**
 * Starts a cluster; returns { url, stop }. Without `durable`, commits are not
 * flushed (fsync off: tests and most benchmarks); with it, PostgreSQL's
 * defaults: a commit returns once its WAL is on disk.
 */
export async function startCluster({ log = () => {}, durable = false } = {}) {
  const bin = findPgBin();
  if (!bin) return undefined;
  const dir = mkdtempSync(join(tmpdir(), 'ixvault-pg-'));
  chmodSync(dir, 0o777);
  const dataDir = join(dir, 'data');
  const isRoot = process.getuid?.() === 0;
  if (isRoot) execFileSync('chown', ['postgres:postgres', dir]);
  const port = await freePort();
  log(`initdb in ${dataDir} (${bin})`);
  run([join(bin, 'initdb'), '-D', dataDir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--locale=C', '--no-sync']);
  const options = [
    `-p ${port}`,
    "-c listen_addresses='127.0.0.1'",
    `-c unix_socket_directories='${dir}'`,
    ...(durable ? [] : ['-c fsync=off', '-c synchronous_commit=off', '-c full_page_writes=off']),
    '-c max_connections=200',
    '-c shared_buffers=256MB',
  ].join(' ');
  run([join(bin, 'pg_ctl'), '-D', dataDir, '-o', options, '-l', join(dir, 'server.log'), '-w', 'start']);
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  log(`PostgreSQL listening on 127.0.0.1:${port}`);
  let stopped = false;
  const stop = () => {
    if (stopped) return;
    stopped = true;
    try {
      run([join(bin, 'pg_ctl'), '-D', dataDir, '-m', 'immediate', '-w', 'stop']);
    } catch {
      // already gone
    }
    rmSync(dir, { recursive: true, force: true });
  };
  return { url, stop, bin };
}
