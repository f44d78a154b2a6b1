/**
 * Everything a running ixvault holds, opened in order (database and
 * migrations, blob store, principals, keys) and closed in reverse. The HTTP
 * app and the CLI commands both start from here.
 */
import { join } from 'node:path';
import { Authenticator } from './auth/authenticator.js';
import { Directory, type PrincipalsConfig } from './auth/directory.js';
import { deriveKeys, type Keys, loadSecret } from './auth/secrets.js';
import type { BlobStore } from './blobs/blob-store.js';
import { FsBlobStore } from './blobs/fs-blob-store.js';
import { Vault } from './services/vault.js';
import { connect, type StoreConnection } from './store/database.js';
import { migrate } from './store/migrator.js';

export interface RuntimeOptions {
  dataDir: string;
  databaseUrl?: string | undefined;
  principals: PrincipalsConfig;
  maxContentBytes: number;
  /** Overrides the secret file (IXVAULT_SECRET). */
  secret?: string | undefined;
  poolSize?: number;
  /** false: never change the schema, refuse to start when migrations are pending (`serve --no-migrate`). */
  migrate?: boolean;
}

export interface Runtime {
  store: StoreConnection;
  blobs: BlobStore;
  vault: Vault;
  auth: Authenticator;
  directory: Directory;
  keys: Keys;
  migrationsApplied: string[];
  close(): Promise<void>;
}

export async function openRuntime(options: RuntimeOptions): Promise<Runtime> {
  const connectOptions: Parameters<typeof connect>[0] = { dataDir: options.dataDir };
  if (options.databaseUrl) connectOptions.databaseUrl = options.databaseUrl;
  if (options.poolSize) connectOptions.poolSize = options.poolSize;
  const store = connect(connectOptions);
  try {
    const migrationsApplied = await migrate(store, { allowDdl: options.migrate !== false });
    const blobs = new FsBlobStore(join(options.dataDir, 'blobs'));
    await blobs.init();
    const directory = await Directory.fromConfig(options.principals);
    const keys = deriveKeys(await loadSecret(options.dataDir, options.secret));
    const vault = new Vault(store, blobs, { maxContentBytes: options.maxContentBytes });
    const auth = new Authenticator(directory, keys);
    return { store, blobs, vault, auth, directory, keys, migrationsApplied, close: () => store.close() };
  } catch (err) {
    await store.close().catch(() => {});
    throw err;
  }
}
