#!/usr/bin/env node
/**
 * A throwaway S3 endpoint: Ceph RADOS Gateway on a single-node Ceph cluster
 * (one monitor, one memstore OSD, no manager, auth none, pools of size 1),
 * on loopback ports, everything in a temporary folder, removed on stop. Ready
 * in a few seconds; about 250 MB of memory plus what is stored (memstore keeps
 * the data in RAM, up to `memstoreBytes`). Needs Debian's ceph-mon, ceph-osd
 * and radosgw packages (ceph-common comes with them).
 *
 * As a module (tests, benchmarks, the cluster scripts):
 *   const s3 = await startCephS3({ buckets: ['ixvault'] }); … s3.env … await s3.stop();
 * From a shell (development): `node scripts/ceph-s3.mjs [--bucket NAME]…` prints the
 * variables to export (AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID, …) and runs until Ctrl-C.
 *
 * The daemons are stopped by the pids this module started, never by name; a
 * watchdog stops them too if the process that started them dies without
 * stopping them (a killed test run leaves no Ceph behind).
 */
import { execFile, spawn, spawnSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const BINARIES = ['ceph-mon', 'ceph-osd', 'radosgw', 'radosgw-admin', 'monmaptool', 'ceph'];
export const CEPH_PACKAGES = 'ceph-mon ceph-osd radosgw';

/** The Ceph programs that are not installed (empty: Ceph can be started). */
export function missingCeph() {
  return BINARIES.filter((b) => spawnSync('sh', ['-c', `command -v ${b}`]).status !== 0);
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

/** Polls `check` (which throws or returns false while not ready) until it passes or `timeoutMs` passes. */
async function until(what, check, { timeoutMs, alive }) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const problem = alive();
    if (problem) throw new Error(`${what}: ${problem}`);
    if (
      await Promise.resolve()
        .then(check)
        .catch(() => false)
    )
      return;
    if (Date.now() > deadline) throw new Error(`${what}: not ready after ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 150));
  }
}

function config({ dir, fsid, monPort, rgwPort, memstoreBytes }) {
  return `[global]
fsid = ${fsid}
mon host = [v2:127.0.0.1:${monPort}]
public addr = 127.0.0.1
cluster addr = 127.0.0.1
ms bind msgr1 = false
ms bind ipv6 = false
auth cluster required = none
auth service required = none
auth client required = none
# radosgw asks for secure mode by default, which auth none cannot give
ms mon client mode = crc
ms client mode = crc
paxos propose interval = 0.05
run dir = ${dir}/run
admin socket = ${dir}/run/$name.asok
log file = ${dir}/log/$name.log
log to stderr = false
err to stderr = true
pid file =
crash dir = ${dir}/crash
mon data = ${dir}/mon/$cluster-$id
osd data = ${dir}/osd/$cluster-$id
osd objectstore = memstore
memstore device bytes = ${memstoreBytes}
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
osd crush chooseleaf type = 0
mon allow pool size one = true
mon allow pool delete = true
mon warn on pool no redundancy = false
mon data avail warn = 1
mon data avail crit = 0
mon max pg per osd = 1000
[client.rgw.a]
rgw data = ${dir}/rgw
rgw frontends = beast endpoint=127.0.0.1:${rgwPort}
rgw dynamic resharding = false
# deleted data leaves RAM soon (memstore)
rgw gc obj min wait = 5
rgw gc processor period = 10
`;
}

/**
 * Starts Ceph RGW; resolves with { endpoint, region, accessKeyId, secretAccessKey, env, dir, stop }.
 * `env` holds the standard AWS variables for a child process (ixvault, the AWS CLI).
 */
export async function startCephS3({ log = () => {}, memstoreBytes = 4 * 1024 ** 3, buckets = [], timeoutMs = 120_000 } = {}) {
  const missing = missingCeph();
  if (missing.length > 0)
    throw new Error(`Ceph is not installed (missing ${missing.join(', ')}: apt-get install ${CEPH_PACKAGES})`);
  const started = Date.now();
  const dir = mkdtempSync(join(tmpdir(), 'ixvault-ceph-'));
  for (const sub of ['mon/ceph-a', 'osd/ceph-0', 'run', 'log', 'rgw', 'crash']) mkdirSync(join(dir, sub), { recursive: true });
  const [monPort, rgwPort] = [await freePort(), await freePort()];
  const conf = join(dir, 'ceph.conf');
  const fsid = randomUUID();
  writeFileSync(conf, config({ dir, fsid, monPort, rgwPort, memstoreBytes }));
  const c = ['-c', conf];
  const daemons = [];
  const daemon = (name, args) => {
    const out = join(dir, 'log', `${name}.out`);
    const child = spawn(args[0], args.slice(1), { stdio: ['ignore', 'ignore', 'pipe'], detached: true });
    let err = '';
    child.stderr.on('data', (d) => {
      err = (err + d).slice(-4000);
    });
    child.on('exit', (code, signal) => {
      child.exitedWith = signal ?? code;
      writeFileSync(out, err);
    });
    child.unref();
    child.stderr.unref?.();
    daemons.push(child);
    return child;
  };
  const aliveCheck = () => {
    const dead = daemons.find((d) => d.exitedWith !== undefined);
    return dead ? `${dead.spawnfile} exited (${dead.exitedWith})` : undefined;
  };
  const ms = () => `${((Date.now() - started) / 1000).toFixed(1)} s`;
  // The watchdog: stops the daemons when the process that started them is gone.
  const watchdog = spawn(
    'sh',
    [
      '-c',
      `while kill -0 ${process.pid} 2>/dev/null; do sleep 1; done; ` +
        `kill -KILL $(cat "${dir}/run/pids" 2>/dev/null) 2>/dev/null; rm -rf "${dir}"`,
    ],
    { stdio: 'ignore', detached: true },
  );
  watchdog.unref();
  const recordPids = () => writeFileSync(join(dir, 'run', 'pids'), daemons.map((d) => d.pid).join(' '));

  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    rmSync(join(dir, 'run', 'pids'), { force: true });
    // Waiting for the daemons keeps this process alive until they are gone.
    for (const d of daemons) d.ref();
    const exits = daemons
      .filter((d) => d.exitedWith === undefined)
      .map((d) => new Promise((resolve) => (d.exitedWith !== undefined ? resolve() : d.once('exit', resolve))));
    // All data is throw-away memstore: nothing to shut down cleanly.
    for (const d of daemons) d.kill('SIGKILL');
    await Promise.all(exits);
    rmSync(dir, { recursive: true, force: true });
    watchdog.kill();
  };

  try {
    await run('monmaptool', [
      '--create',
      '--clobber',
      '--fsid',
      fsid,
      '--addv',
      'a',
      `[v2:127.0.0.1:${monPort}]`,
      join(dir, 'monmap'),
    ]);
    await run('ceph-mon', [...c, '--mkfs', '-i', 'a', '--monmap', join(dir, 'monmap')]);
    daemon('mon', ['ceph-mon', ...c, '-f', '-i', 'a']);
    recordPids();
    const ceph = (...args) => run('ceph', [...c, '--connect-timeout', '5', ...args], { timeout: 15_000 });
    await until('ceph-mon', () => ceph('mon', 'stat').then(() => true), { timeoutMs, alive: aliveCheck });
    log(`ceph-s3: monitor up on 127.0.0.1:${monPort} (${ms()})`);
    const osdUuid = randomUUID();
    const { stdout: osdId } = await ceph('osd', 'new', osdUuid);
    if (osdId.trim() !== '0') throw new Error(`unexpected OSD id ${osdId.trim()}`);
    await run('ceph-osd', [...c, '-i', '0', '--mkfs', '--osd-uuid', osdUuid]);
    daemon('osd', ['ceph-osd', ...c, '-f', '-i', '0']);
    recordPids();
    await until('ceph-osd', async () => /^osd\.0 up/m.test((await ceph('osd', 'dump')).stdout), { timeoutMs, alive: aliveCheck });
    log(`ceph-s3: OSD up (${ms()})`);
    const accessKeyId = randomBytes(10).toString('hex').toUpperCase();
    const secretAccessKey = randomBytes(30).toString('base64').replace(/[+/]/g, 'x');
    // Creating the user also creates the default realm, zone and their pools.
    await run(
      'radosgw-admin',
      [
        ...c,
        '-n',
        'client.rgw.a',
        'user',
        'create',
        '--uid=ixvault',
        '--display-name=ixvault tests',
        `--access-key=${accessKeyId}`,
        `--secret-key=${secretAccessKey}`,
      ],
      { timeout: timeoutMs },
    );
    daemon('rgw', ['radosgw', ...c, '-n', 'client.rgw.a', '-f']);
    recordPids();
    const endpoint = `http://127.0.0.1:${rgwPort}`;
    await until('radosgw', async () => (await fetch(endpoint)).ok, { timeoutMs, alive: aliveCheck });
    log(`ceph-s3: S3 ready at ${endpoint} (${ms()})`);
    const region = 'us-east-1';
    const env = {
      AWS_ENDPOINT_URL: endpoint,
      AWS_REGION: region,
      AWS_ACCESS_KEY_ID: accessKeyId,
      AWS_SECRET_ACCESS_KEY: secretAccessKey,
    };
    const s3 = { endpoint, region, accessKeyId, secretAccessKey, env, dir, stop };
    for (const bucket of buckets) await createBucket(s3, bucket);
    return s3;
  } catch (err) {
    const logs = ['mon', 'osd', 'rgw']
      .map((n) => {
        try {
          return `${n}: ${readFileSync(join(dir, 'log', `${n}.out`), 'utf8').slice(-600)}`;
        } catch {
          return '';
        }
      })
      .filter(Boolean);
    await stop();
    throw new Error(`${err.message}${logs.length ? `\n${logs.join('\n')}` : ''}`);
  }
}

/** Creates a bucket (the SDK is loaded only here). */
export async function createBucket(s3, bucket) {
  const { S3Client, CreateBucketCommand } = await import('@aws-sdk/client-s3');
  const client = new S3Client({ endpoint: s3.endpoint, region: s3.region, forcePathStyle: true, credentials: s3 });
  try {
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
  } finally {
    client.destroy();
  }
}

/**
 * Whether the endpoint still does an S3 write: creates and removes a bucket
 * within `timeoutMs`. Resolves undefined when it does, else why not (a
 * gateway whose OSD stopped answering holds requests without failing them).
 */
export async function probeS3(s3, timeoutMs = 15_000) {
  const { S3Client, CreateBucketCommand, DeleteBucketCommand } = await import('@aws-sdk/client-s3');
  const client = new S3Client({ endpoint: s3.endpoint, region: s3.region, forcePathStyle: true, credentials: s3 });
  const Bucket = `ixv-probe-${randomBytes(6).toString('hex')}`;
  const abortSignal = AbortSignal.timeout(timeoutMs);
  try {
    await client.send(new CreateBucketCommand({ Bucket }), { abortSignal });
    await client.send(new DeleteBucketCommand({ Bucket }), { abortSignal });
    return undefined;
  } catch (err) {
    return abortSignal.aborted ? `no answer to a bucket's creation and removal within ${timeoutMs / 1000} s` : err.message;
  } finally {
    client.destroy();
  }
}

/**
 * What a Ceph started here is doing, in a few lines for a test failure:
 * each daemon alive or gone, the cluster's health, the last lines of each
 * daemon's log. `dir` is the cluster's folder (CephS3.dir).
 */
export function diagnoseCeph(dir) {
  const lines = [];
  let pids = [];
  try {
    pids = readFileSync(join(dir, 'run', 'pids'), 'utf8')
      .trim()
      .split(/\s+/)
      .filter(Boolean);
  } catch {
    return `no Ceph in ${dir} (stopped, or never started)`;
  }
  const ticks = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout) || 100;
  const daemons = pids.map((pid) => {
    try {
      // /proc/PID/stat: "pid (comm) state … utime stime" (fields 14 and 15); the name has no spaces here.
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8').split(' ');
      const cpu = (Number(stat[13]) + Number(stat[14])) / ticks;
      return `${stat[1]?.slice(1, -1)} ${pid} state ${stat[2]}, ${cpu.toFixed(1)} s CPU`;
    } catch {
      return `pid ${pid} gone`;
    }
  });
  lines.push(`daemons: ${daemons.join(', ')}`);
  const health = spawnSync('ceph', ['-c', join(dir, 'ceph.conf'), '--connect-timeout', '5', 'health', 'detail'], {
    encoding: 'utf8',
    timeout: 10_000,
  });
  const said = `${health.stdout ?? ''}${health.stderr ?? ''}`
    .split('\n')
    // Always there without a manager and with auth none: not news.
    .filter((l) => l.trim() && !/MGR_DOWN|no active mgr|insecure global_id|auth_allow_insecure/.test(l));
  lines.push(`health: ${health.error ? health.error.message : said.join(' | ') || 'HEALTH_OK'}`);
  // A wedged daemon stops answering its admin socket too (the monitor may not have noticed yet).
  const sockets = ['osd.0', 'client.rgw.a'].map((name) => {
    const asked = spawnSync('ceph', ['--admin-daemon', join(dir, 'run', `${name}.asok`), 'version'], { timeout: 5_000 });
    return `${name} ${asked.status === 0 ? 'answers' : 'does not answer'}`;
  });
  lines.push(`admin sockets: ${sockets.join(', ')}`);
  // Per log: when it last wrote (a daemon that stopped working stops logging), and its last complaints.
  const complaint = /error|fail|slow|is full|osd_full|marked down|abort|timed? ?out|heartbeat_map|no reply|ENOSPC/i;
  for (const name of ['mon.a', 'osd.0', 'client.rgw.a']) {
    try {
      const all = readFileSync(join(dir, 'log', `${name}.log`), 'utf8')
        .trimEnd()
        .split('\n');
      const last = all.at(-1)?.split(' ')[0] ?? '';
      const complaints = all
        .filter((l) => complaint.test(l) && !/beast:|rocksdb:|full prune|MGR_DOWN|AUTH_INSECURE/.test(l))
        .slice(-2);
      lines.push(
        `${name}.log: last line at ${last}${complaints.map((l) => ` | ${l.replace(/^\S+ \S+ +/, '').slice(0, 200)}`).join('')}`,
      );
    } catch {
      // no log yet
    }
  }
  return lines.join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  if (args.includes('--help') || args.includes('-h')) {
    console.log(`usage: node scripts/ceph-s3.mjs [--bucket NAME]… [--memstore-bytes N]
Starts Ceph RGW (S3) on loopback for development, prints the AWS variables to export, runs until Ctrl-C.`);
    process.exit(0);
  }
  const buckets = args.flatMap((a, i) => (a === '--bucket' && args[i + 1] ? [args[i + 1]] : []));
  const memIndex = args.indexOf('--memstore-bytes');
  const memstoreBytes = memIndex >= 0 ? Number(args[memIndex + 1]) : undefined;
  const s3 = await startCephS3({ log: (m) => console.error(m), buckets, ...(memstoreBytes ? { memstoreBytes } : {}) });
  for (const [k, v] of Object.entries(s3.env)) console.log(`export ${k}=${v}`);
  for (const b of buckets) console.log(`# bucket: --blob-store s3://${b}/`);
  console.error('ceph-s3: running; Ctrl-C stops it and removes its data');
  const quit = () => s3.stop().then(() => process.exit(0));
  process.on('SIGINT', quit);
  process.on('SIGTERM', quit);
  setInterval(() => {}, 1 << 30);
}
