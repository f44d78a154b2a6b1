/**
 * A client built the way Vonage's published samples are (./sample-client.ts)
 * runs unchanged against ixvault with only its base URLs changed: token,
 * search with paging, download of every content item, batch delete with its
 * failures list, and retries of 429 and 5xx that do no harm.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Principal } from '../../src/domain/principal.js';
import { BACKEND, removeTestData, startTestServer, type TestServer } from '../helpers/server.js';
import { type ContentUpload, ingest } from './helpers.js';
import { createVccClient, type VccInteraction } from './sample-client.js';

const START = '2025-09-01T00:00:00.000Z';
const END = '2025-09-02T00:00:00.000Z';
const COUNT = 12;

describe(`a Vonage sample client, unchanged (${BACKEND})`, () => {
  let server: TestServer;
  /** What was stored, by GUID and content key. */
  const uploaded = new Map<string, Map<string, ContentUpload>>();
  const retries: { method: string; url: string; status: number }[] = [];
  /** Told of each retry the client makes, after it is recorded. */
  let onRetry: (status: number) => void = () => {};
  let client: ReturnType<typeof createVccClient>;

  beforeAll(async () => {
    server = await startTestServer();
    const writer = await server.bearer('acme-writer');
    for (let i = 0; i < COUNT; i++) {
      const contents: ContentUpload[] = [
        { key: 'callRecording', body: new Uint8Array(randomBytes(2048 + i)), contentType: 'audio/wav' },
        { key: 'transcript', body: JSON.stringify({ words: [{ word: `w${i}`, start: i }] }), contentType: 'application/json' },
      ];
      if (i % 3 === 0)
        contents.push({
          key: randomUUID(),
          body: `voicemail ${i}`,
          contentType: 'audio/wav',
          query: { type: 'voicemail', owningAgent: 'agent-1' },
        });
      const startDate = new Date(Date.parse(START) + (i + 1) * 3_600_000).toISOString();
      const { guid } = await ingest(server, writer, { startDate }, contents);
      uploaded.set(guid, new Map(contents.map((c) => [c.key, c])));
    }
    // Another tenant's interaction in the same window: never seen, never deleted.
    await ingest(server, await server.bearer('globex-qa'), { startDate: '2025-09-01T05:30:00.000Z' });

    client = createVccClient({
      // The only two things changed from a client pointed at Vonage: the base URLs (and the credentials).
      authBaseUrl: `${server.url}/Auth`,
      apiBaseUrl: `${server.url}/interaction-content`,
      clientId: 'acme-qa',
      clientSecret: 'secret-acme-qa',
      scope: 'interaction-content:read interaction-content:delete',
      backoffMs: 50,
      onRetry: ({ method, url, status }) => {
        retries.push({ method, url, status });
        onRetry(status);
      },
    });
  });
  afterAll(async () => {
    await server.stop();
    await removeTestData(server);
  });

  async function searchAll(pageSize: number): Promise<VccInteraction[]> {
    const found: VccInteraction[] = [];
    for await (const interaction of client.searchInteractions(START, END, pageSize)) found.push(interaction);
    return found;
  }

  it('searches page by page, retrying a 5xx transparently', async () => {
    const vault = server.runtime.vault;
    const search = vault.vonagePage.bind(vault);
    let failOnce = true;
    vault.vonagePage = async (...args: Parameters<typeof search>) => {
      if (failOnce) {
        failOnce = false;
        throw new Error('database restarting');
      }
      return search(...args);
    };
    let found: VccInteraction[];
    try {
      found = await searchAll(5);
    } finally {
      vault.vonagePage = search;
    }
    expect(found.map((i) => i.guid).sort()).toEqual([...uploaded.keys()].sort());
    expect(new Set(found.map((i) => i.guid)).size).toBe(COUNT);
    expect(retries).toContainEqual({ method: 'GET', url: '/interactions', status: 500 });
  });

  it('downloads every content item listed, byte for byte in its media type', async () => {
    let downloads = 0;
    for (const interaction of await searchAll(100)) {
      const stored = uploaded.get(interaction.guid);
      expect(interaction.content.map((c) => c.contentKey).sort()).toEqual([...(stored?.keys() ?? [])].sort());
      for (const item of interaction.content) {
        const { contentType, data } = await client.downloadContent(interaction.guid, item.contentKey);
        const upload = stored?.get(item.contentKey);
        expect(contentType).toBe(upload?.contentType);
        expect(data.length).toBe(item.contentLength);
        expect(data.equals(Buffer.from(upload?.body ?? ''))).toBe(true);
        downloads++;
      }
    }
    expect(downloads).toBe(COUNT * 2 + Math.ceil(COUNT / 3));
  });

  it('deletes in batches, lists the failures, and its retries of 429 are harmless', async () => {
    const guids = [...uploaded.keys()];
    const [firstHalf, secondHalf] = [guids.slice(0, COUNT / 2), guids.slice(COUNT / 2)];
    const failing = secondHalf[1] ?? '';
    const vault = server.runtime.vault;
    const repository = vault.interactions;
    const deleteOne = vault.delete.bind(vault);
    const repositoryDelete = repository.delete.bind(repository);

    // Hold whichever batch the server starts first until the other has been told 429 and is backing off.
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const retriesBefore = retries.length;
    onRetry = (status) => {
      if (status === 429) release();
    };
    let held = false;
    vault.delete = async (principal: Principal, guid: string) => {
      if (!held) {
        held = true;
        await gate;
      }
      return deleteOne(principal, guid);
    };
    // One interaction fails once inside the store: it is listed, and a later batch finishes it.
    let failOnce = true;
    repository.delete = async (visibility, idOrGuid, source) => {
      if (idOrGuid === failing && failOnce) {
        failOnce = false;
        throw new Error('lock timeout');
      }
      return repositoryDelete(visibility, idOrGuid, source);
    };
    let failures: Awaited<ReturnType<typeof client.deleteBatch>>[];
    try {
      // Two batches at once, which Vonage answers with 429 for one of them.
      failures = await Promise.all([client.deleteBatch([...firstHalf, randomUUID()]), client.deleteBatch(secondHalf)]);
    } finally {
      onRetry = () => {};
      release();
      vault.delete = deleteOne;
      repository.delete = repositoryDelete;
    }
    expect(retries.slice(retriesBefore)).toContainEqual({
      method: 'POST',
      url: '/interactions/delete-batch',
      status: 429,
    });
    expect(failures.flat()).toEqual([{ guid: failing, message: 'internal error', statusCode: 500 }]);

    // The failed GUID is untouched, with all its content; sending it again deletes it.
    const left = await searchAll(100);
    expect(left.map((i) => i.guid)).toEqual([failing]);
    expect(left[0]?.content.length).toBe(uploaded.get(failing)?.size);
    expect(await client.deleteBatch([failing])).toEqual([]);
    expect(await searchAll(100)).toEqual([]);
    // Retrying a finished batch is harmless: its GUIDs no longer exist and are not failures.
    expect(await client.deleteBatch(guids)).toEqual([]);
  });
});
