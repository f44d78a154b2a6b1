/** Starting and stopping the ixvault server child (bench/server-child.ts) and probing its memory. */
import { type ChildProcess, fork } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import type { ChildMessage, ParentMessage, ServerChildConfig } from '../server-child.js';

export interface ServerProcess {
  url: string;
  pid: number;
  memory(): Promise<{ rss: number; heapUsed: number; external: number }>;
  stop(): Promise<void>;
}

export interface ServerProcessOptions {
  /** Extra node flags for the server (e.g. --cpu-prof). */
  nodeFlags?: string[];
}

/** Node flags that make a server write a CPU profile on exit (--cpu-prof DIR of the bench command). */
export function profileFlags(cpuProfDir: string | undefined): string[] {
  return cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${cpuProfDir}`] : [];
}

export async function startServerProcess(config: ServerChildConfig, options: ServerProcessOptions = {}): Promise<ServerProcess> {
  const entry = fileURLToPath(new URL('../server-child.js', import.meta.url));
  const child: ChildProcess = fork(entry, [], {
    env: { ...process.env, IXVAULT_BENCH_SERVER: JSON.stringify(config) },
    // Node's defaults, as `ixvault serve` runs; --expose-gc only lets memory probes collect first. Index writes
    // off: preloaded, so they are off in the batch writer thread as well (no-text-index.ts).
    execArgv: [
      '--expose-gc',
      ...(config.textIndex === false ? ['--import', new URL('./no-text-index.js', import.meta.url).href] : []),
      ...(options.nodeFlags ?? []),
    ],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const [first] = (await once(child, 'message')) as [ChildMessage];
  if (first.kind !== 'ready') {
    child.kill();
    throw new Error(`server did not start: ${first.kind === 'error' ? first.message : first.kind}`);
  }
  const ask = (message: ParentMessage) => child.send(message);
  return {
    url: first.url,
    pid: child.pid ?? 0,
    async memory() {
      const reply = once(child, 'message') as Promise<[ChildMessage]>;
      ask({ kind: 'memory' });
      const [m] = await reply;
      if (m.kind !== 'memory') throw new Error(`unexpected reply ${m.kind}`);
      return { rss: m.rss, heapUsed: m.heapUsed, external: m.external };
    },
    async stop() {
      if (child.exitCode !== null) return;
      const exited = once(child, 'exit');
      ask({ kind: 'stop' });
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
