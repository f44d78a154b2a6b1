/**
 * The setup the kill -9 tests share: a throwaway store of their own (a fresh
 * PostgreSQL database when the run has one) with the principals file a CLI
 * child reads, and stopped calls stored in this process before that child
 * starts.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PrincipalsConfig } from '../../src/auth/directory.js';
import type { Principal } from '../../src/domain/principal.js';
import { openRuntime, type Runtime, type RuntimeOptions } from '../../src/runtime.js';
import { createTestDatabase, PRINCIPALS } from './server.js';

/** Authorization header of PRINCIPALS' acme admin. */
export const ADMIN = `Basic ${Buffer.from('admin1:pw-admin1').toString('base64')}`;

export interface KillStore {
  dataDir: string;
  store: { dataDir: string; databaseUrl?: string };
  principalsFile: string;
  /** A runtime on the store in this process (1 MiB content limit, 4 connections). */
  open(options?: Partial<RuntimeOptions>): Promise<Runtime>;
}

export async function killStore(name: string, secret: string, principals: PrincipalsConfig = PRINCIPALS): Promise<KillStore> {
  const dataDir = await mkdtemp(join(tmpdir(), `ixvault-kill-${name}-`));
  const databaseUrl = await createTestDatabase();
  const store = databaseUrl ? { dataDir, databaseUrl } : { dataDir };
  const principalsFile = join(dataDir, 'principals.json');
  await writeFile(principalsFile, JSON.stringify(principals));
  return {
    dataDir,
    store,
    principalsFile,
    open: (options = {}) => openRuntime({ ...store, principals, maxContentBytes: 1 << 20, secret, poolSize: 4, ...options }),
  };
}

/** Stores `count` stopped inbound calls of agent-1, a minute apart from `fromMs`: what the vault answered, in order. */
export function storeCalls(runtime: Runtime, admin: Principal, count: number, fromMs: number) {
  return runtime.vault.upsertBatch(
    admin,
    Array.from({ length: count }, (_, i) => ({
      mediaType: 'call',
      typeId: 'Inbound',
      state: 'Stopped',
      startDate: new Date(fromMs + i * 60_000).toISOString(),
      handlingAgents: [{ id: 'agent-1' }],
    })),
  );
}
