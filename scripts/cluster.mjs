#!/usr/bin/env node
/**
 * An ixvault cluster on one machine: PostgreSQL, Redis, N ixvault nodes and
 * nginx in front, all on loopback. `npm run cluster` starts one for
 * development (Ctrl-C stops everything); the cluster tests and the benchmarks
 * start theirs through `startIxvaultCluster`.
 *
 * The nodes share one data directory (its principals file and, without S3,
 * the filesystem blob store, which is safe between processes) and one secret,
 * so tokens and cursors from one node are good on every node. With an S3 blob
 * store, pass `blobStore: 's3://bucket/prefix'` (it becomes `--blob-store` of
 * every node) and the AWS variables in `env`; `npm run cluster` starts Ceph
 * RGW (scripts/ceph-s3.mjs) for that when Ceph is installed.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { missingCeph, startCephS3 } from './ceph-s3.mjs';
import { startLoadBalancer } from './nginx-lb.mjs';
import { startCluster as startPostgres } from './pg-cluster.mjs';
import { freePort, startRedis } from './redis-server.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const NODE_NAMES = 'abcdefghijklmnopqrstuvwxyz';

/**
 * One `ixvault serve` child. `start()` starts it (again, on the same port),
 * `kill(signal)` signals it, `exited` resolves when the current run ends.
 */
function ixvaultNode({ name, port, args, env, log }) {
  let started = false;
  const node = {
    name,
    port,
    url: `http://127.0.0.1:${port}`,
    address: `127.0.0.1:${port}`,
    child: undefined,
    exited: Promise.resolve(),
    output: '',
    async start() {
      // A free port can be taken by someone else before the node binds it: before nginx knows the
      // node's address (its first start), another port is fine.
      for (let attempt = 1; ; attempt++) {
        try {
          await node.run();
          started = true;
          return node;
        } catch (err) {
          if (started || attempt === 3 || !/already in use/.test(node.output)) throw err;
          node.port = await freePort();
          node.url = `http://127.0.0.1:${node.port}`;
          node.address = `127.0.0.1:${node.port}`;
          node.output = '';
        }
      }
    },
    async run() {
      const port = node.port;
      const child = spawn(process.execPath, [join(ROOT, 'bin', 'ixvault.js'), 'serve', '--port', String(port), ...args], {
        cwd: ROOT,
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      node.child = child;
      // Listening is what the node says (its banner), not that something answers on the port: that
      // could be whoever took the port first.
      const banner = `ixvault is listening on http://127.0.0.1:${port}`;
      const listening = new Promise((resolve, reject) => {
        const keep = (d) => {
          node.output = (node.output + d).slice(-20_000);
          log(name, String(d));
          if (node.output.includes(banner)) resolve();
        };
        child.stdout.on('data', keep);
        child.stderr.on('data', keep);
        child.on('exit', () => reject(new Error(`node ${name} exited before listening:\n${node.output}`)));
      });
      node.exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
      await listening;
      await waitReady(node.url);
    },
    kill(signal = 'SIGTERM') {
      node.child?.kill(signal);
      return node.exited;
    },
    get pid() {
      return node.child?.pid;
    },
  };
  return node;
}

async function waitReady(url, deadlineMs = 60_000) {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    const ok = await fetch(`${url}/ready`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`${url}/ready never answered 200`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * Starts the cluster. Options: nodes (default 3), principals (an object, written to the data
 * directory) or principalsFile, databaseUrl (default: a throwaway PostgreSQL), redisUrl (default: a
 * throwaway Redis), blobStore, extraArgs (for every node), env, log(source, text).
 * Returns { url, nodes, databaseUrl, redisUrl, dataDir, stop }.
 */
export async function startIxvaultCluster(options = {}) {
  const log = options.log ?? (() => {});
  const cleanups = [];
  const stop = async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  };
  try {
    let databaseUrl = options.databaseUrl;
    if (!databaseUrl) {
      const pg = await startPostgres({ log: (m) => log('postgres', m) });
      if (!pg) throw new Error('PostgreSQL server binaries not found (apt-get install postgresql)');
      cleanups.push(() => pg.stop());
      databaseUrl = pg.url;
    }
    let redisUrl = options.redisUrl;
    if (!redisUrl) {
      const redis = await startRedis({ log: (m) => log('redis', m) });
      if (!redis) throw new Error('redis-server not found (apt-get install redis-server)');
      cleanups.push(() => redis.stop());
      redisUrl = redis.url;
    }
    const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'ixvault-cluster-'));
    if (!options.dataDir) cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    let principalsFile = options.principalsFile;
    if (!principalsFile && options.principals) {
      principalsFile = join(dataDir, 'principals.json');
      writeFileSync(principalsFile, JSON.stringify(options.principals));
    }
    const args = [
      '--host',
      '127.0.0.1',
      '--data',
      dataDir,
      '--database-url',
      databaseUrl,
      '--redis-url',
      redisUrl,
      // nginx, in front, connects from loopback: the client it names in X-Forwarded-For is the client.
      '--trusted-proxies',
      '127.0.0.1',
      ...(principalsFile ? ['--config', principalsFile] : ['--demo']),
      ...(options.blobStore ? ['--blob-store', options.blobStore] : []),
      ...(options.extraArgs ?? []),
    ];
    const env = {
      ...process.env,
      IXVAULT_SECRET: options.secret ?? 'cluster-secret-shared-by-every-node-0123456789',
      ...options.env,
    };
    const count = options.nodes ?? 3;
    const nodes = [];
    for (let i = 0; i < count; i++) {
      const name = NODE_NAMES[i];
      nodes.push(ixvaultNode({ name, port: await freePort(), args, env, log }));
    }
    cleanups.push(async () => {
      await Promise.all(nodes.map((n) => n.kill('SIGTERM')));
    });
    // The first node migrates and (with --demo) seeds; the others start beside each other.
    const [first, ...others] = nodes;
    await first.start();
    await Promise.all(others.map((n) => n.start()));
    const lb = await startLoadBalancer({ nodes, log: (m) => log('nginx', m) });
    if (!lb) throw new Error('nginx not found (apt-get install nginx)');
    cleanups.push(() => lb.stop());
    return { url: lb.url, nodes, databaseUrl, redisUrl, dataDir, loadBalancer: lb, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

async function main() {
  if (process.argv.includes('--help') || process.argv.includes('-h')) {
    process.stdout.write(`usage: npm run cluster [-- --nodes N] [--fs-blobs]

Starts a development cluster on this machine: a throwaway PostgreSQL, Redis, Ceph RGW (S3) when
Ceph is installed, N ixvault nodes (default 3, demo tenant and data) and nginx in front, all on
loopback. Ctrl-C stops everything and removes its data.

  --nodes N     ixvault nodes, 1 to 26 (default 3)
  --fs-blobs    keep content in the nodes' shared data directory instead of S3

Environment: IXVAULT_DATABASE_URL / IXVAULT_REDIS_URL use existing servers.
`);
    return;
  }
  const fsBlobs = process.argv.includes('--fs-blobs');
  // The AWS SDK's notice that its future releases need Node 22, printed once by every process (this one and each node): noise in a dev cluster.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const at = process.argv.indexOf('--nodes');
  const nodes = at > 0 ? Number(process.argv[at + 1]) : 3;
  if (!Number.isInteger(nodes) || nodes < 1 || nodes > 26) throw new Error('--nodes must be 1 to 26');
  if (!existsSync(join(ROOT, 'node_modules'))) throw new Error('run npm ci first');
  const say = (source, text) => {
    for (const line of text.split('\n').filter(Boolean)) process.stderr.write(`[${source}] ${line}\n`);
  };
  const noCeph = missingCeph();
  if (!fsBlobs && noCeph.length > 0)
    say('cluster', `Ceph is not installed (missing ${noCeph.join(', ')}): the nodes share a blob directory`);
  const useS3 = !fsBlobs && noCeph.length === 0;
  say('cluster', `starting PostgreSQL, Redis, ${useS3 ? 'Ceph RGW, ' : ''}${nodes} ixvault nodes and nginx…`);
  const bucket = 'ixvault';
  const s3 = useS3 ? await startCephS3({ buckets: [bucket], log: (m) => say('ceph', m) }) : undefined;
  let cluster;
  try {
    cluster = await startIxvaultCluster({
      nodes,
      databaseUrl: process.env.IXVAULT_DATABASE_URL || undefined,
      redisUrl: process.env.IXVAULT_REDIS_URL || undefined,
      ...(s3 ? { blobStore: `s3://${bucket}/` } : {}),
      env: { IXVAULT_LOG_FORMAT: 'json', IXVAULT_LOG_LEVEL: 'warn', ...s3?.env },
      log: (source, text) => {
        // Node banners and warnings only; the demo credentials are in the first node's banner.
        if (source === 'a' || !/^[a-z]$/.test(source) || /"level":(40|50|60)/.test(text)) say(source, text);
      },
    });
  } catch (err) {
    await s3?.stop();
    throw err;
  }
  let stopping = false;
  const shutdown = async () => {
    if (stopping) return;
    stopping = true;
    say('cluster', 'stopping…');
    await cluster.stop();
    await s3?.stop();
    process.exit(0);
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
  say(
    'cluster',
    [
      `ready: ${cluster.url}  (nginx → ${cluster.nodes.map((n) => `${n.name} ${n.url}`).join(', ')})`,
      `PostgreSQL ${cluster.databaseUrl}, Redis ${cluster.redisUrl}, data ${cluster.dataDir}`,
      s3 ? `blobs: --blob-store s3://${bucket}/ on Ceph RGW ${s3.endpoint}` : `blobs: ${cluster.dataDir}/blobs`,
      'Ctrl-C stops everything.',
    ].join('\n'),
  );
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().catch((err) => {
    process.stderr.write(`cluster: ${err.message}\n`);
    process.exit(1);
  });
}
