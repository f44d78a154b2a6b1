/** Options every command that opens the store shares, and opening it. */
import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { type PrincipalsConfig, readPrincipalsConfig } from '../auth/directory.js';
import { resolveConfig, type ServerConfig } from '../config.js';
import { openRuntime, type Runtime } from '../runtime.js';

export interface StoreFlags {
  data?: string;
  config?: string;
  databaseUrl?: string;
  /** false with `serve --no-migrate`. */
  migrate?: boolean;
}

export function addStoreOptions(command: Command): Command {
  return command
    .option('--data <dir>', 'data directory: SQLite files, blobs, secret (env IXVAULT_DATA)', undefined)
    .option('--config <file>', 'principals file, JSON or YAML (env IXVAULT_CONFIG)')
    .option('--database-url <url>', 'PostgreSQL URL instead of embedded SQLite (env IXVAULT_DATABASE_URL)');
}

export function configOf(
  flags: StoreFlags & { port?: string; host?: string; maxContentBytes?: string; resultTtlMs?: string },
): ServerConfig {
  return resolveConfig({
    dataDir: flags.data,
    configFile: flags.config,
    databaseUrl: flags.databaseUrl,
    port: flags.port,
    host: flags.host,
    maxContentBytes: flags.maxContentBytes,
    resultTtlMs: flags.resultTtlMs,
    migrate: flags.migrate,
  });
}

export async function loadPrincipals(config: ServerConfig): Promise<PrincipalsConfig> {
  if (!config.configFile) return { tenants: [] };
  if (!existsSync(config.configFile)) throw new Error(`config file ${config.configFile} does not exist`);
  return readPrincipalsConfig(config.configFile);
}

export async function openFromFlags(
  flags: StoreFlags,
  principals?: PrincipalsConfig,
): Promise<{ runtime: Runtime; config: ServerConfig }> {
  const config = configOf(flags);
  const runtime = await openRuntime({
    dataDir: config.dataDir,
    databaseUrl: config.databaseUrl,
    principals: principals ?? (await loadPrincipals(config)),
    maxContentBytes: config.maxContentBytes,
    secret: process.env.IXVAULT_SECRET,
    migrate: config.migrate,
  });
  return { runtime, config };
}
