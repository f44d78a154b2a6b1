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
