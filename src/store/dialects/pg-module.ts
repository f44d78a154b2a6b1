/**
 * pg, loaded when a PostgreSQL store opens rather than when the store module
 * does: loading it costs 40–60 ms (on Node 20 it builds a fetch Response to
 * tell whether it runs on Cloudflare Workers), which every SQLite process and
 * its writer thread paid for nothing. pg is CommonJS, so it loads
 * synchronously, where `connect()` (synchronous) first needs it.
 */
import { createRequire } from 'node:module';
import type pg from 'pg';

let loaded: typeof pg | undefined;

export function pgModule(): typeof pg {
  if (!loaded) {
    loaded = createRequire(import.meta.url)('pg') as typeof pg;
    // int8 (counts, epoch milliseconds) fits a JavaScript number for every value we store.
    loaded.types.setTypeParser(loaded.types.builtins.INT8, (value: string) => Number(value));
  }
  return loaded;
}
