/**
 * The dataset's store opened in the harness's own process, for the in-process
 * ("store") figures beside the server's: the same runtime a server opens, with
 * the bench tenant only.
 */
import type { Tenant } from '../../src/domain/principal.js';
import { openRuntime, type Runtime } from '../../src/runtime.js';
import type { StoreLocation } from './backend.js';
import type { Context } from './context.js';
import { TENANT } from './dataset.js';

export const BENCH_SECRET = 'ixvault-bench-secret-of-at-least-32-bytes';

export async function openDatasetRuntime(
  ctx: Context,
  store: StoreLocation = ctx.dataset,
): Promise<{ runtime: Runtime; tenant: Tenant }> {
  const runtime = await openRuntime({
    dataDir: store.dataDir,
    databaseUrl: store.databaseUrl,
    principals: { tenants: [{ id: TENANT }] },
    maxContentBytes: 1024,
    secret: BENCH_SECRET,
  });
  const tenant = runtime.directory.tenants.get(TENANT);
  if (!tenant) throw new Error('bench tenant missing');
  return { runtime, tenant };
}
