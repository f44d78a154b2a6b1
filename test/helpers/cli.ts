/** Runs the real `ixvault` command line (compiled once by the global setup). */
import { type ChildProcess, spawn } from 'node:child_process';

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function startCli(args: string[], env: Record<string, string> = {}): ChildProcess {
  return spawn(process.execPath, ['bin/ixvault.js', ...args], {
    // A test's PostgreSQL server is the only node on its database (a test of the refusal clears this).
    env: { ...process.env, IXVAULT_SINGLE_NODE: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

export function runCli(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = startCli(args, env);
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d) => {
      stdout += d;
    });
    child.stderr?.on('data', (d) => {
      stderr += d;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** --data and, on PostgreSQL, --database-url for a test server's store. */
export function storeArgs(server: { dataDir: string; databaseUrl?: string }): string[] {
  return ['--data', server.dataDir, ...(server.databaseUrl ? ['--database-url', server.databaseUrl] : [])];
}

export interface ServedCli {
  child: ChildProcess;
  /** The URL its banner printed. */
  url: string;
  /** Settles when the process has exited. */
  exited: Promise<void>;
  /** Everything it printed so far, stdout and stderr. */
  output(): string;
}

/**
 * `ixvault serve` on a free loopback port (through `startCli`, so a PostgreSQL
 * server runs as the only node); answers once its banner names the URL, and
 * fails with what it printed if it exits before.
 */
export async function serveCli(args: string[], env: Record<string, string> = {}): Promise<ServedCli> {
  const child = startCli(['serve', '--host', '127.0.0.1', '--port', '0', ...args], env);
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    const look = (chunk: Buffer) => {
      output += chunk;
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (m?.[1]) resolve(m[1]);
    };
    child.stdout?.on('data', look);
    child.stderr?.on('data', look);
    child.on('exit', (code) => reject(new Error(`ixvault serve exited (${code}) before listening: ${output}`)));
  });
  return { child, url, exited, output: () => output };
}
