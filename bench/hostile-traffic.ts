/**
 * `npm run probe:hostile [-- --only body,slow,flood] [--connections 2000] [--body-mb 1024]`
 *
 * Hostile traffic against a real ixvault server in its own process (issue 8,
 * findings 7 and 11), with the server's memory measured after a forced GC:
 *   body   1 GB sent to the CometD endpoint (declared, then chunked without a
 *          length) and to a JSON route: each refused, RSS before and after.
 *   slow   N connections that trickle a request body or never finish their
 *          headers: all closed by the server, RSS before, at the peak, after.
 *   flood  a content download's p50 idle, then while 32 loops send wrong
 *          passwords: from one address (login throttling) and from 200
 *          loopback addresses with fresh user names each time (only the
 *          password threads' isolation helps against that).
 * Prints one JSON report; docs/RELIABILITY.md ("Hostile traffic") records runs.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { writePrincipalsConfig } from '../src/auth/directory.js';
import { type ServerProcess, startServerProcess } from './lib/server-process.js';

const ADMIN = { userName: 'probe-admin', password: 'probe-admin-password' };
const AUTH = `Basic ${Buffer.from(`${ADMIN.userName}:${ADMIN.password}`).toString('base64')}`;
const MB = 1024 * 1024;

interface Options {
  only: string[];
  connections: number;
  bodyMb: number;
  downloads: number;
}

function parse(argv: string[]): Options {
  const o = new Command('npm run probe:hostile --')
    .description('hostile traffic against ixvault: huge bodies, slow connections, a wrong-password flood')
    .option('--only <list>', 'body, slow, flood', 'body,slow,flood')
    .option('--connections <n>', 'slow connections', '2000')
    .option('--body-mb <n>', 'megabytes in each huge body', '1024')
    .option('--downloads <n>', 'content downloads per p50', '1000')
    .parse(argv)
    .opts();
  return {
    only: String(o.only).split(','),
    connections: Number(o.connections),
    bodyMb: Number(o.bodyMb),
    downloads: Number(o.downloads),
  };
}

const mb = (bytes: number) => Math.round((bytes / MB) * 10) / 10;

async function rss(server: ServerProcess): Promise<number> {
  return mb((await server.memory()).rss);
}

async function alive(server: ServerProcess): Promise<boolean> {
  try {
    return (await fetch(`${server.url}/health`)).status === 200;
  } catch {
    return false;
  }
}

/** Streams `total` bytes as fast as the server takes them; resolves with its status, or how the connection ended. */
function hugePost(url: string, total: number, declared: boolean, headers: Record<string, string> = {}): Promise<string> {
  return new Promise((resolve) => {
    const chunk = Buffer.alloc(MB, 0x61);
    const req = request(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(declared ? { 'content-length': String(total) } : { 'transfer-encoding': 'chunked' }),
        ...headers,
      },
    });
    let sent = 0;
    let settled = false;
    const done = (outcome: string) => {
      if (settled) return;
      settled = true;
      resolve(`${outcome} after ${mb(sent)} MB sent`);
      req.destroy();
    };
    req.on('response', (res) => {
      res.resume();
      done(`HTTP ${res.statusCode}`);
    });
    req.on('error', (err: NodeJS.ErrnoException) => done(err.code ?? err.message));
    const pump = () => {
      while (sent < total && !settled) {
        sent += chunk.length;
        if (!req.write(chunk)) return void req.once('drain', pump);
      }
      if (!settled) req.end();
    };
    pump();
  });
}

/** Each case twice: memory that settles after the first round and stays there is not a leak. */
async function probeBodies(server: ServerProcess, options: Options) {
  const total = options.bodyMb * MB;
  const cases: Record<string, { outcomes: string[]; rssMb: number[] }> = {};
  const run = async (name: string, send: () => Promise<string>) => {
    const entry = { outcomes: [] as string[], rssMb: [await rss(server)] };
    for (let round = 0; round < 2; round++) {
      entry.outcomes.push(await send());
      entry.rssMb.push(await rss(server));
    }
    cases[name] = entry;
  };
  await run('CometD, Content-Length', () => hugePost(`${server.url}/api/v2/notifications`, total, true));
  await run('CometD, chunked', () => hugePost(`${server.url}/api/v2/notifications`, total, false));
  await run('JSON route, chunked (64 MB limit)', () =>
    hugePost(`${server.url}/api/v1/interactions`, total, false, { authorization: AUTH }),
  );
  return { bodyMb: options.bodyMb, cases, alive: await alive(server) };
}

/** A connection that sends `head` and then one byte a second; resolves when the server closes it. */
function slowConnection(url: string, head: string, trickle: boolean): Promise<{ closedAfterMs: number; answer: string }> {
  const { hostname, port } = new URL(url);
  const started = Date.now();
  return new Promise((resolve) => {
    let answer = '';
    let timer: NodeJS.Timeout | undefined;
    const socket: Socket = connect(Number(port), hostname, () => {
      socket.write(head);
      if (trickle) timer = setInterval(() => socket.writable && socket.write('x'), 1000);
    });
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => {
      answer += d;
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      clearInterval(timer);
      resolve({ closedAfterMs: Date.now() - started, answer: answer.split('\r\n')[0] ?? '' });
    });
  });
}

/** Two rounds of slow connections against one server: RSS before, at each peak, after each. */
async function probeSlow(server: ServerProcess, options: Options) {
  const rounds = [];
  for (let round = 0; round < 2; round++) rounds.push(await slowRound(server, options));
  return { connections: options.connections, rounds };
}

async function slowRound(server: ServerProcess, options: Options) {
  const before = await rss(server);
  const heads = [
    (_n: number) =>
      [
        `POST /api/v2/notifications HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n[`,
        true,
      ] as const,
    (_n: number) =>
      [
        `POST /api/v1/interactions HTTP/1.1\r\nHost: x\r\nAuthorization: ${AUTH}\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{`,
        true,
      ] as const,
    (n: number) => [`GET /health HTTP/1.1\r\nHost: x\r\nX-Slow-${n}: `, false] as const,
  ];
  const started = Date.now();
  const pending = Array.from({ length: options.connections }, (_, i) => {
    const [head, trickle] = (heads[i % heads.length] as (typeof heads)[number])(i);
    return slowConnection(server.url, head, trickle);
  });
  // The peak: every connection open and trickling.
  await new Promise((resolve) => setTimeout(resolve, 5000));
  const peak = await rss(server);
  const aliveDuring = await alive(server);
  const results = await Promise.all(pending);
  const after = await rss(server);
  const answers: Record<string, number> = {};
  for (const r of results)
    answers[r.answer || '(closed without answer)'] = (answers[r.answer || '(closed without answer)'] ?? 0) + 1;
  const closed = results.map((r) => r.closedAfterMs).sort((a, b) => a - b);
  return {
    rssMbBefore: before,
    rssMbPeak: peak,
    rssMbAfter: after,
    aliveDuring,
    alive: await alive(server),
    answers,
    closedAfterMs: { first: closed[0] ?? 0, median: closed[closed.length >> 1] ?? 0, last: closed.at(-1) ?? 0 },
    allClosedAfterSeconds: Math.round((Date.now() - started) / 100) / 10,
  };
}

async function downloadP50(url: string, agent: Agent, count: number): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    const started = process.hrtime.bigint();
    await new Promise<void>((resolve, reject) => {
      request(url, { agent, headers: { authorization: AUTH } }, (res) => {
        res.on('data', () => {});
        res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`download: ${res.statusCode}`))));
      })
        .on('error', reject)
        .end();
    });
    times.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  times.sort((a, b) => a - b);
  return Math.round((times[times.length >> 1] ?? 0) * 100) / 100;
}

/** 32 loops of wrong logins until stopped; counts answers by status. */
function flood(url: string, spread: boolean): { stop(): Promise<Record<string, number>> } {
  let running = true;
  let n = 0;
  const counts: Record<string, number> = {};
  const loop = async (worker: number) => {
    while (running) {
      const i = n++;
      const user = spread ? `intruder-${i}` : 'probe-admin';
      // Linux answers every 127/8 address on loopback: 200 sources, as a small botnet would be.
      const localAddress = spread ? `127.0.1.${1 + (i % 200)}` : undefined;
      const status = await new Promise<string>((resolve) => {
        request(
          `${url}/api/v1/interactions?limit=1`,
          {
            headers: { authorization: `Basic ${Buffer.from(`${user}:wrong-${worker}`).toString('base64')}` },
            ...(localAddress ? { localAddress } : {}),
          },
          (res) => {
            res.resume();
            res.on('end', () => resolve(String(res.statusCode)));
          },
        )
          .on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? 'error'))
          .end();
      });
      counts[status] = (counts[status] ?? 0) + 1;
    }
  };
  const loops = Array.from({ length: 32 }, (_, w) => loop(w));
  return {
    async stop() {
      running = false;
      await Promise.all(loops);
      return counts;
    },
  };
}

async function probeFlood(server: ServerProcess, options: Options) {
  const created = await fetch(`${server.url}/api/v1/interactions`, {
    method: 'POST',
    headers: { authorization: AUTH, 'content-type': 'application/json' },
    body: JSON.stringify({
      mediaType: 'call',
      typeId: 'Inbound',
      state: 'Stopped',
      startDate: '2025-03-10T10:00:00.000Z',
      endDate: '2025-03-10T10:03:00.000Z',
    }),
  });
  const { id } = (await created.json()) as { id: string };
  if (created.status !== 201) throw new Error(`ingest: ${created.status}`);
  const put = await fetch(`${server.url}/api/v1/interactions/${id}/content/callRecording`, {
    method: 'PUT',
    headers: { authorization: AUTH, 'content-type': 'audio/wav' },
    body: randomBytes(256 * 1024),
  });
  if (put.status !== 201) throw new Error(`upload: ${put.status} ${await put.text()}`);
  const url = `${server.url}/api/v1/interactions/${id}/content/callRecording`;
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  // Warm up (JIT, page cache, connection) as long as a measurement, so that idle is not its coldest part.
  await downloadP50(url, agent, options.downloads);
  const idle = await downloadP50(url, agent, options.downloads);
  const result: Record<string, unknown> = { contentBytes: 256 * 1024, downloads: options.downloads, idleP50Ms: idle };
  for (const [name, spread] of [
    ['oneAddress', false],
    ['200AddressesFreshNames', true],
  ] as const) {
    const attack = flood(server.url, spread);
    const during = await downloadP50(url, agent, options.downloads);
    const answers = await attack.stop();
    result[name] = { p50Ms: during, ratioToIdle: Math.round((during / idle) * 100) / 100, floodAnswers: answers };
  }
  result.idleAfterP50Ms = await downloadP50(url, agent, options.downloads);
  agent.destroy();
  return result;
}

async function main(): Promise<void> {
  const options = parse(process.argv);
  const dir = mkdtempSync(join(tmpdir(), 'ixvault-hostile-'));
  const principalsFile = join(dir, 'principals.json');
  await writePrincipalsConfig(principalsFile, {
    tenants: [
      {
        id: 'probe',
        features: [],
        users: [{ id: 'probe-admin', userName: ADMIN.userName, password: ADMIN.password, role: 'admin' }],
      },
    ],
  });
  const report: Record<string, unknown> = { startedAt: new Date().toISOString() };
  try {
    for (const probe of options.only) {
      const server = await startServerProcess({ dataDir: join(dir, probe), principalsFile });
      try {
        process.stderr.write(`probe ${probe}…\n`);
        if (probe === 'body') report.body = await probeBodies(server, options);
        else if (probe === 'slow') report.slow = await probeSlow(server, options);
        else if (probe === 'flood') report.flood = await probeFlood(server, options);
        else throw new Error(`unknown probe ${probe}`);
      } finally {
        await server.stop();
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
}

main().catch((err: Error) => {
  process.stderr.write(`${err.stack ?? err.message}\n`);
  process.exit(1);
});
