/** A runtime over a fresh store of the suite's backend, without principals or HTTP: for the store's own tests. */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateInteractions } from '../../src/demo/contact-center.js';
import type { ContentItem } from '../../src/domain/interaction.js';
import type { Visibility } from '../../src/domain/principal.js';
import type { InteractionSearch, PagePosition } from '../../src/domain/search.js';
import { checkInteraction } from '../../src/domain/validate.js';
import { openRuntime, type Runtime } from '../../src/runtime.js';
import { createTestDatabase } from './server.js';

export interface StoreRuntime {
  runtime: Runtime;
  dataDir: string;
  /** Closes the runtime and removes its data directory. */
  close(): Promise<void>;
}

export async function openStoreRuntime(name: string): Promise<StoreRuntime> {
  const dataDir = await mkdtemp(join(tmpdir(), `ixvault-${name}-`));
  const remove = () => rm(dataDir, { recursive: true, force: true });
  try {
    const runtime = await openRuntime({
      dataDir,
      databaseUrl: await createTestDatabase(),
      principals: { tenants: [] },
      maxContentBytes: 1,
      secret: 'x'.repeat(32),
    });
    return {
      runtime,
      dataDir,
      close: async () => {
        await runtime.close();
        await remove();
      },
    };
  } catch (err) {
    await remove();
    throw err;
  }
}

/** A small deterministic generator (no Math.random: the same store every run). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

/** Every id a search returns, page after page, as a client walks it. */
export async function walkSearch(runtime: Runtime, visibility: Visibility, q: InteractionSearch): Promise<string[]> {
  const ids: string[] = [];
  let after: PagePosition | undefined;
  for (let pages = 0; pages < 1000; pages++) {
    const page = await runtime.vault.searches.search(visibility, after ? { ...q, after } : q);
    ids.push(...page.items.map((i) => i.id));
    if (!page.next) return ids;
    after = page.next;
  }
  throw new Error('too many pages');
}

/** `count` generated interactions of one day, without content or messages, stored for `tenantId`; returns their ids. */
export async function storeFewInteractions(runtime: Runtime, tenantId: string, count: number, seed: number): Promise<string[]> {
  const options = {
    seed,
    agents: 5,
    contacts: 10,
    interactions: count,
    fromMs: Date.UTC(2025, 0, 1),
    toMs: Date.UTC(2025, 0, 2),
    contentRatio: 0,
    messagesPerChat: 0,
  };
  const records = [...generateInteractions(options)].map((g) => {
    const { value } = checkInteraction(g.record);
    if (!value) throw new Error('invalid generated record');
    return value;
  });
  await runtime.vault.interactions.upsertMany(tenantId, records);
  return records.map((r) => r.id ?? '');
}

/** A recording's metadata under `contentKey`, for 64 random bytes (a new hash every call). */
export function randomContentItem(contentKey: string): ContentItem {
  const bytes = randomBytes(64);
  return {
    contentKey,
    type: 'callRecording',
    contentType: 'audio/wav',
    contentLength: bytes.length,
    sha256: createHash('sha256').update(bytes).digest('hex'),
    lastModifiedMs: Date.now(),
    properties: {},
  };
}
