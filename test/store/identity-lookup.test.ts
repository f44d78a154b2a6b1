/**
 * Ingest looks up a batch's stored identities in ONE statement per store
 * (identityLookup). The statement must search the id and guid indexes, never
 * scan the tenant's rows: the form `tenant_id = ? and (id in … or guid in …)`
 * made SQLite walk every row of the tenant for each batch.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateInteractions } from '../../src/demo/contact-center.js';
import { checkInteraction, type InteractionInput } from '../../src/domain/validate.js';
import type { Runtime } from '../../src/runtime.js';
import { identityLookup } from '../../src/store/interaction-repository.js';
import { BACKEND } from '../helpers/server.js';
import { openStoreRuntime, type StoreRuntime } from '../helpers/store-runtime.js';

const TENANT = 'lookup';

describe(`identity look-up of an ingest batch (${BACKEND})`, () => {
  let runtime: Runtime;
  let store: StoreRuntime;
  const stored: InteractionInput[] = [];

  beforeAll(async () => {
    store = await openStoreRuntime('lookup');
    runtime = store.runtime;
    const options = {
      seed: 5,
      agents: 20,
      contacts: 500,
      interactions: 3000,
      fromMs: Date.UTC(2025, 0, 1),
      toMs: Date.UTC(2025, 6, 1),
      contentRatio: 0,
      messagesPerChat: 0,
    };
    let batch: InteractionInput[] = [];
    for (const g of generateInteractions(options)) {
      const { value } = checkInteraction(g.record);
      if (!value) throw new Error('invalid generated record');
      batch.push(value);
      stored.push(value);
      if (batch.length === 1000) {
        await runtime.vault.interactions.upsertMany(TENANT, batch);
        batch = [];
      }
    }
    if (batch.length > 0) await runtime.vault.interactions.upsertMany(TENANT, batch);
    // PostgreSQL plans by statistics; the ingest path runs long after autovacuum has gathered them.
    if (BACKEND === 'postgres') await sql`analyze`.execute(runtime.store.db);
  }, 180_000);

  afterAll(async () => {
    await store?.close();
  });

  it('finds stored ids and guids of a batch, in main and archive, with one statement each', async () => {
    const byId = stored.slice(0, 3).map((r) => r.id ?? '');
    const byGuid = stored.slice(10, 12).map((r) => r.guid ?? '');
    const { rows } = await identityLookup(runtime.store, 'main', TENANT, [...byId, 'NOT0000000000001'], byGuid).execute(
      runtime.store.db,
    );
    expect(rows.map((r) => r.id).sort()).toEqual([...byId, ...stored.slice(10, 12).map((r) => r.id ?? '')].sort());
    const archived = await identityLookup(runtime.store, 'archive', TENANT, byId, byGuid).execute(runtime.store.db);
    expect(archived.rows).toEqual([]);
  });

  it('searches the id and guid indexes instead of scanning the tenant', async () => {
    if (BACKEND === 'sqlite') {
      // SQLite has no statistics here: the plan is the same for any number of keys.
      const query = identityLookup(
        runtime.store,
        'main',
        TENANT,
        stored.slice(0, 500).map((r) => r.id ?? ''),
        stored.slice(0, 500).map((r) => r.guid ?? ''),
      );
      const { rows } = await sql<{ detail: string }>`explain query plan ${query}`.execute(runtime.store.db);
      const plan = rows.map((r) => r.detail).join('\n');
      expect(plan).toContain('MULTI-INDEX OR');
      expect(plan).toMatch(/USING INDEX \S+ \(tenant_id=\? AND id=\?\)/);
      expect(plan).toMatch(/USING INDEX \S+ \(tenant_id=\? AND guid=\?\)/);
    } else {
      // PostgreSQL plans by cost: a batch names few keys of a large table (here 20 of 3000; 1000 of
      // 3000 is a third of the table, which it rightly reads whole).
      const query = identityLookup(
        runtime.store,
        'main',
        TENANT,
        stored.slice(0, 10).map((r) => r.id ?? ''),
        stored.slice(100, 110).map((r) => r.guid ?? ''),
      );
      const { rows } = await sql<{ 'QUERY PLAN': string }>`explain ${query}`.execute(runtime.store.db);
      const plan = rows.map((r) => r['QUERY PLAN']).join('\n');
      expect(plan).not.toMatch(/Seq Scan/);
      expect(plan).toContain('BitmapOr');
    }
  });
});
