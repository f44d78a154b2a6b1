/** `POST /interaction-content/interactions/delete-batch`: Vonage's batch deletion, its failures list, 400s and 429. */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Principal } from '../../src/domain/principal.js';
import { BACKEND, call, removeTestData, startTestServer, type TestServer } from '../helpers/server.js';
import { type Ingested, ingest, V3, vonage } from './helpers.js';

const twoItems = [
  { key: 'callRecording', body: 'recording bytes', contentType: 'audio/wav' },
  { key: 'transcript', body: '{"words":[]}', contentType: 'application/json' },
];

describe(`Vonage batch deletion (${BACKEND})`, () => {
  let server: TestServer;
  let writer: string;
  let deleter: string;
  let reader: string;
  let hour = 0;

  beforeAll(async () => {
    server = await startTestServer();
    writer = await server.bearer('acme-writer');
    deleter = await server.bearer('acme-qa', 'interaction-content:delete interaction-content:read');
    reader = await server.bearer('acme-reader');
  });
  afterAll(async () => {
    await server.stop();
    await removeTestData(server);
  });

  /** A fresh interaction with two content items, each at its own start time. */
  async function stored(): Promise<Ingested> {
    hour++;
    const startDate = new Date(Date.UTC(2025, 7, 1) + hour * 60_000).toISOString();
    return ingest(server, writer, { startDate }, twoItems);
  }

  function batch(body: unknown, auth = deleter, raw?: string) {
    return call<any>(`${server.url}/interaction-content/interactions/delete-batch`, {
      method: 'POST',
      headers: { accept: V3, authorization: auth, 'content-type': 'application/json' },
      body: raw ?? JSON.stringify(body),
    });
  }

  async function exists(guid: string): Promise<boolean> {
    const res = await vonage(server, `/interactions/${guid}`, reader);
    expect([200, 404]).toContain(res.status);
    return res.status === 200;
  }

  it('deletes every listed interaction with its content, audited; an unknown GUID is not a failure', async () => {
    const targets = [await stored(), await stored(), await stored()];
    const kept = await stored();
    const res = await batch({ guids: [...targets.map((t) => t.guid), randomUUID()] });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toEqual({ failures: [] });
    for (const t of targets) {
      expect(await exists(t.guid)).toBe(false);
      expect((await vonage(server, `/interactions/${t.guid}/content/callRecording`, reader)).status).toBe(404);
    }
    expect(await exists(kept.guid)).toBe(true);

    const audit = await call<{ entries: { action: string; interactionId: string; actor: string }[] }>(
      `${server.url}/api/v1/audit`,
      { headers: { authorization: server.basic('admin1') } },
    );
    for (const t of targets) {
      expect(audit.body.entries).toContainEqual(
        expect.objectContaining({ action: 'interaction.delete', interactionId: t.id, actor: 'client:acme/acme-qa' }),
      );
    }
  });

  it('is harmless to retry: the same batch again answers 200 with no failures', async () => {
    const targets = [await stored(), await stored()];
    const body = { guids: targets.map((t) => t.guid) };
    expect((await batch(body)).body).toEqual({ failures: [] });
    const again = await batch(body);
    expect(again.status).toBe(200);
    expect(again.body).toEqual({ failures: [] });
  });

  it("neither deletes nor reveals another tenant's interaction", async () => {
    const globexWriter = await server.bearer('globex-qa');
    const theirs = await ingest(server, globexWriter, { startDate: '2025-08-02T10:00:00Z' }, twoItems);
    const res = await batch({ guids: [theirs.guid] });
    expect(res.body).toEqual({ failures: [] });
    const stillThere = await vonage(server, `/interactions/${theirs.guid}`, globexWriter);
    expect(stillThere.status).toBe(200);
  });

  it('lists what it could not delete with guid, message and statusCode; the rest is deleted, the failed one untouched', async () => {
    const [first, failing, last] = [await stored(), await stored(), await stored()];
    const repository = server.runtime.vault.interactions;
    const original = repository.delete.bind(repository);
    repository.delete = async (visibility, idOrGuid, source) => {
      if (idOrGuid === failing.guid) throw new Error('disk on fire');
      return original(visibility, idOrGuid, source);
    };
    let res: Awaited<ReturnType<typeof batch>>;
    try {
      res = await batch({ guids: [first.guid, failing.guid, last.guid] });
    } finally {
      repository.delete = original;
    }
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ failures: [{ guid: failing.guid, message: 'internal error', statusCode: 500 }] });
    expect(await exists(first.guid)).toBe(false);
    expect(await exists(last.guid)).toBe(false);
    const content = await vonage(server, `/interactions/${failing.guid}`, reader);
    expect(content.body.content.map((c: { contentKey: string }) => c.contentKey).sort()).toEqual(['callRecording', 'transcript']);
    // The client's retry finishes the job.
    expect((await batch({ guids: [first.guid, failing.guid, last.guid] })).body).toEqual({ failures: [] });
    expect(await exists(failing.guid)).toBe(false);
  });

  it('deletes nothing it cannot audit: a failing audit entry rolls the deletion back (batch and single content item)', async () => {
    const [target, other] = [await stored(), await stored()];
    const content = server.runtime.vault.content;
    const audit = content.audit.bind(content);
    content.audit = async () => {
      throw new Error('audit log unavailable');
    };
    try {
      const res = await batch({ guids: [target.guid] });
      expect(res.body).toEqual({ failures: [{ guid: target.guid, message: 'internal error', statusCode: 500 }] });
      const single = await vonage(server, `/interactions/${other.guid}/content/transcript`, deleter, { method: 'DELETE' });
      expect(single.status).toBe(500);
    } finally {
      content.audit = audit;
    }
    const left = await vonage(server, `/interactions/${target.guid}`, reader);
    expect(left.body.content.map((c: { contentKey: string }) => c.contentKey).sort()).toEqual(['callRecording', 'transcript']);
    expect((await vonage(server, `/interactions/${other.guid}/content/transcript`, reader)).status).toBe(200);
    expect((await batch({ guids: [target.guid] })).body).toEqual({ failures: [] });
    expect(await exists(target.guid)).toBe(false);
  });

  it.each([
    ['more than 1000 GUIDs', { guids: Array.from({ length: 1001 }, () => randomUUID()) }, 'guids'],
    ['no guids', {}, 'guids'],
    ['guids that are not a list', { guids: 'a' }, 'guids'],
    ['a GUID that is not a string', { guids: [42] }, 'guids'],
    ['a malformed GUID', { guids: [randomUUID(), 'not-a-guid'] }, 'guids.1'],
    ['a GUID that is not a UUID', { guids: ['zzzzzzzz-zzzz-zzzz-zzzz-zzzzzzzzzzzz'] }, 'guids.0'],
  ])("refuses %s with Vonage's {message} 400 naming the field", async (_name, body, field) => {
    const res = await batch(body);
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ message: expect.stringContaining(field) });
  });

  it('deletes nothing when one GUID of the batch is malformed', async () => {
    const target = await stored();
    expect((await batch({ guids: [target.guid, 'nope'] })).status).toBe(400);
    expect(await exists(target.guid)).toBe(true);
  });

  it('refuses a body that is not JSON with a 400 {message}', async () => {
    const res = await batch(undefined, deleter, '{"guids": [');
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ message: expect.any(String) });
  });

  it('needs the scope interaction-content:delete and credentials', async () => {
    const target = await stored();
    const forbidden = await batch({ guids: [target.guid] }, reader);
    expect(forbidden.status).toBe(403);
    expect(forbidden.body).toEqual({ message: expect.stringContaining('interaction-content:delete') });
    const readOnly = await server.bearer('acme-qa', 'interaction-content:read');
    expect((await batch({ guids: [target.guid] }, readOnly)).status).toBe(403);
    const anonymous = await call(`${server.url}/interaction-content/interactions/delete-batch`, {
      method: 'POST',
      headers: { accept: V3 },
      json: { guids: [target.guid] },
    });
    expect(anonymous.status).toBe(401);
    expect(await exists(target.guid)).toBe(true);
  });

  it('answers a second batch of the same client with 429 and Retry-After while the first runs; other clients go on', async () => {
    const [held, second, others] = [await stored(), await stored(), await stored()];
    const vault = server.runtime.vault;
    const original = vault.delete.bind(vault);
    let reached!: () => void;
    const atFirstDelete = new Promise<void>((resolve) => {
      reached = resolve;
    });
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    vault.delete = async (principal: Principal, guid: string) => {
      if (guid === held.guid) {
        reached();
        await gate;
      }
      return original(principal, guid);
    };
    try {
      const running = batch({ guids: [held.guid] });
      await atFirstDelete;
      const concurrent = await batch({ guids: [second.guid] });
      expect(concurrent.status).toBe(429);
      expect(concurrent.headers.get('retry-after')).toMatch(/^\d+$/);
      expect(concurrent.body).toEqual({ message: expect.any(String) });
      expect(await exists(second.guid)).toBe(true);

      const otherClient = await batch({ guids: [others.guid] }, await server.bearer('acme-qa'));
      // Another token of the same client is the same client.
      expect(otherClient.status).toBe(429);
      const admin = await batch({ guids: [others.guid] }, server.basic('admin1'));
      expect(admin.status).toBe(200);
      expect(admin.body).toEqual({ failures: [] });

      release();
      expect((await running).body).toEqual({ failures: [] });
    } finally {
      release();
      vault.delete = original;
    }
    const after = await batch({ guids: [second.guid] });
    expect(after.status).toBe(200);
    expect(await exists(second.guid)).toBe(false);
    expect(await exists(held.guid)).toBe(false);
  });
});
