/** The static-bytes baseline (bench/static-bytes-server.ts): the same response bytes from a bare server in its own process. */
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';

export interface StaticBytes {
  /** Stores the bytes to answer for `key` (outside the clock). */
  put(key: string, body: Uint8Array): Promise<void>;
  /** GET of the stored bytes, body read whole as the ixvault side reads it; returns the byte count. */
  get(key: string): Promise<number>;
  stop(): Promise<void>;
}

export async function startStaticBytes(): Promise<StaticBytes> {
  const entry = fileURLToPath(new URL('../static-bytes-server.js', import.meta.url));
  const child = fork(entry, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const [message] = (await once(child, 'message')) as [{ url: string }];
  const url = message.url;
  return {
    async put(key, body) {
      const res = await fetch(`${url}/${encodeURIComponent(key)}`, { method: 'PUT', body });
      await res.arrayBuffer();
      if (res.status !== 204) throw new Error(`static bytes: PUT ${res.status}`);
    },
    async get(key) {
      const res = await fetch(`${url}/${encodeURIComponent(key)}`);
      const body = await res.arrayBuffer();
      if (res.status !== 200) throw new Error(`static bytes: GET ${key}: ${res.status}`);
      return body.byteLength;
    },
    async stop() {
      if (child.exitCode !== null) return;
      const exited = once(child, 'exit');
      child.send('stop');
      await exited;
    },
  };
}

/** The run's load average (1, 5, 15 min) for the notes beside every figure: the machine is shared. */
export function loadAverage(): string {
  return `load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`;
}
