/** Server settings: command-line flags first, then IXVAULT_* environment variables, then defaults. */
import { resolve } from 'node:path';

export interface ServerConfig {
  host: string;
  port: number;
  dataDir: string;
  /** Principals file (JSON or YAML). */
  configFile?: string;
  /** postgres://… selects PostgreSQL; otherwise embedded SQLite in dataDir. */
  databaseUrl?: string;
  /** Largest accepted content upload, in bytes. */
  maxContentBytes: number;
  /** How long a Genesys result waits for a CometD session of its user. */
  resultTtlMs: number;
  logLevel: string;
  /** `pretty` or `json`; undefined: pretty on a terminal, JSON otherwise. */
  logFormat?: string;
}

export const DEFAULTS = {
  host: '127.0.0.1',
  port: 8080,
  dataDir: './data',
  maxContentBytes: 4 * 1024 ** 3,
  resultTtlMs: 60_000,
  logLevel: 'info',
} as const;

type Flags = Partial<Record<keyof ServerConfig, string | number | undefined>>;

export function resolveConfig(flags: Flags, env: NodeJS.ProcessEnv = process.env): ServerConfig {
  const pick = (key: keyof ServerConfig, envName: string) => {
    const value = flags[key] ?? env[envName];
    return value === undefined || value === '' ? undefined : String(value);
  };
  const number = (key: keyof ServerConfig, envName: string, fallback: number) => {
    const raw = pick(key, envName);
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!Number.isFinite(n) || n < 0) throw new Error(`${key} (${envName}) must be a number, got '${raw}'`);
    return n;
  };
  const config: ServerConfig = {
    host: pick('host', 'IXVAULT_HOST') ?? DEFAULTS.host,
    port: number('port', 'IXVAULT_PORT', DEFAULTS.port),
    dataDir: resolve(pick('dataDir', 'IXVAULT_DATA') ?? DEFAULTS.dataDir),
    maxContentBytes: number('maxContentBytes', 'IXVAULT_MAX_CONTENT_BYTES', DEFAULTS.maxContentBytes),
    resultTtlMs: number('resultTtlMs', 'IXVAULT_RESULT_TTL_MS', DEFAULTS.resultTtlMs),
    logLevel: pick('logLevel', 'IXVAULT_LOG_LEVEL') ?? DEFAULTS.logLevel,
  };
  const configFile = pick('configFile', 'IXVAULT_CONFIG');
  if (configFile) config.configFile = resolve(configFile);
  const logFormat = pick('logFormat', 'IXVAULT_LOG_FORMAT');
  if (logFormat) config.logFormat = logFormat;
  const databaseUrl = pick('databaseUrl', 'IXVAULT_DATABASE_URL');
  if (databaseUrl) config.databaseUrl = databaseUrl;
  return config;
}
