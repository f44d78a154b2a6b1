import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { build } from '../helpers/app.js';
import { BACKEND, call, removeTestData, type TestServer } from '../helpers/server.js';
import { ingest, searchPath, vonage } from './helpers.js';

const START = '2025-07-01T00:00:00Z';
const END = '2025-07-02T00:00:00Z';

interface AuditEntry {
  at: string;
  actor: string;
  action: string;
  interactionId: string;
  contentKey?: string;
}

describe(`Vonage deletions (${BACKEND})`, () => {
  let server: TestServer;
  let writer: string;
  let deleter: string;
  let reader: string;

  beforeAll(async () => {
    server = await build();
    writer = await server.bearer('acme-writer');
    deleter = await server.bearer('acme-qa');
    reader = await server.bearer('acme-reader');
  });
  afterAll(async () => {
    await server.stop();
    await removeTestData(server);
  });

  const twoItems = [
    { key: 'callRecording', body: 'recording bytes', contentType: 'audio/wav' },
    { key: 'transcript', body: '{"words":[]}', contentType: 'application/json' },
  ];

  async function audit(): Promise<AuditEntry[]> {
    const res = await call<{ entries: AuditEntry[] }>(`${server.url}/api/v1/audit`, {
      headers: { authorization: server.basic('admin1') },
    });
    expect(res.status).toBe(200);
    return res.body.entries;
  }

  it('deletes one content item with 204, audited, and the rest stays', async () => {
    const target = await ingest(server, writer, { startDate: '2025-07-01T08:00:00Z' }, twoItems);
    const res = await vonage(server, `/interactions/${target.guid}/content/callRecording`, deleter, { method: 'DELETE' });
    expect(res.status).toBe(204);
    expect(res.body).toBeUndefined();

    expect((await vonage(server, `/interactions/${target.guid}/content/callRecording`, reader)).status).toBe(404);
    const left = await vonage(server, `/interactions/${target.guid}`, reader);
    expect(left.body.content.map((c: { contentKey: string }) => c.contentKey)).toEqual(['transcript']);
    const again = await vonage(server, `/interactions/${target.guid}/content/callRecording`, deleter, { method: 'DELETE' });
    expect(again.status).toBe(404);

    const entry = (await audit()).find((e) => e.action === 'content.delete' && e.interactionId === target.id);
    expect(entry).toMatchObject({ actor: 'client:acme/acme-qa', contentKey: 'callRecording' });
    expect(Math.abs(Date.parse(entry?.at ?? '') - Date.now())).toBeLessThan(60_000);
  });

  it('deletes through a type-named key written in another case, as the Vonage sample does', async () => {
    const target = await ingest(server, writer, { startDate: '2025-07-01T09:00:00Z' }, twoItems);
    const res = await vonage(server, `/interactions/${target.guid}/content/callrecording`, deleter, { method: 'DELETE' });
    expect(res.status).toBe(204);
    expect((await vonage(server, `/interactions/${target.guid}/content/callRecording`, reader)).status).toBe(404);
  });

  it('drops an interaction from the Vonage views once its last content item is deleted', async () => {
    const target = await ingest(server, writer, { startDate: '2025-07-01T10:00:00Z', connectFrom: '0999' });
    expect((await vonage(server, searchPath(START, END, { connectFrom: '0999' }), reader)).body.items).toHaveLength(1);
    await vonage(server, `/interactions/${target.guid}/content/callRecording`, deleter, { method: 'DELETE' });
    expect((await vonage(server, searchPath(START, END, { connectFrom: '0999' }), reader)).body.items).toHaveLength(0);
    expect((await vonage(server, `/interactions/${target.guid}`, reader)).status).toBe(404);
  });

  it('deletes an interaction with all its content, answering 200 with an empty object, audited', async () => {
    const target = await ingest(server, writer, { startDate: '2025-07-01T11:00:00Z' }, twoItems);
    const res = await vonage(server, `/interactions/${target.guid}`, deleter, { method: 'DELETE' });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({});

    expect((await vonage(server, `/interactions/${target.guid}`, reader)).status).toBe(404);
    expect((await vonage(server, `/interactions/${target.guid}/content/transcript`, reader)).status).toBe(404);
    const native = await call(`${server.url}/api/v1/interactions/${target.id}`, {
      headers: { authorization: server.basic('admin1') },
    });
    expect(native.status).toBe(404);
    expect((await vonage(server, `/interactions/${target.guid}`, deleter, { method: 'DELETE' })).status).toBe(404);

    const entry = (await audit()).find((e) => e.action === 'interaction.delete' && e.interactionId === target.id);
    expect(entry).toMatchObject({ actor: 'client:acme/acme-qa' });
  });

  it('keeps the audit log for admins only', async () => {
    const res = await call(`${server.url}/api/v1/audit`, { headers: { authorization: server.basic('super1') } });
    expect(res.status).toBe(403);
  });

  it('refuses deletions without the delete scope, and keeps the data', async () => {
    const target = await ingest(server, writer, { startDate: '2025-07-01T12:00:00Z' }, twoItems);
    for (const auth of [reader, writer, await server.bearer('acme-qa', 'interaction-content:read interactions:write')]) {
      const content = await vonage(server, `/interactions/${target.guid}/content/callRecording`, auth, { method: 'DELETE' });
      expect(content.status).toBe(403);
      expect(content.body.message).toContain('interaction-content:delete');
      const whole = await vonage(server, `/interactions/${target.guid}`, auth, { method: 'DELETE' });
      expect(whole.status).toBe(403);
    }
    expect((await vonage(server, `/interactions/${target.guid}`, reader)).body.content).toHaveLength(2);
  });

  it("cannot delete another tenant's interaction or content: 404, and the data stays", async () => {
    const target = await ingest(server, writer, { startDate: '2025-07-01T13:00:00Z' }, twoItems);
    const globex = await server.bearer('globex-qa');
    const content = await vonage(server, `/interactions/${target.guid}/content/callRecording`, globex, { method: 'DELETE' });
    expect(content.status).toBe(404);
    const whole = await vonage(server, `/interactions/${target.guid}`, globex, { method: 'DELETE' });
    expect(whole.status).toBe(404);
    expect((await vonage(server, `/interactions/${target.guid}`, reader)).body.content).toHaveLength(2);
  });

  it('checks the GUID before deleting anything', async () => {
    const short = await vonage(server, '/interactions/111414121313', deleter, { method: 'DELETE' });
    expect(short).toMatchObject({ status: 400, body: { message: 'GUID must be 36 characters in length' } });
    const malformed = await vonage(server, `/interactions/${'z'.repeat(36)}/content/callRecording`, deleter, {
      method: 'DELETE',
    });
    expect(malformed).toMatchObject({ status: 400, body: { message: `GUID '${'z'.repeat(36)}' is not a valid UUID string` } });
  });
});
