/**
 * containsSensitiveData (issue 14): a content item so marked is downloaded
 * only with the right content.readSensitive — an admin, or a client with
 * the scope interaction-content:read-sensitive — through every download path
 * (native, Vonage, and the console, which calls the native API); the rest of
 * the record stays readable as before.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { build } from '../helpers/app.js';
import { BACKEND, call, removeTestData, type TestServer } from '../helpers/server.js';
import { vonage } from '../vonage/helpers.js';
import { native, type Stored, storeCall } from './helpers.js';

describe(`containsSensitiveData (${BACKEND})`, () => {
  let server: TestServer;
  let target: Stored;

  beforeAll(async () => {
    server = await build();
    // agent-2 handles the fixture's calls: it may read them, but not the sensitive recording.
    target = await storeCall(server, {}, false);
    const admin = server.basic('admin1');
    const put = await native(server, `/interactions/${target.id}/content/callRecording?containsSensitiveData=true`, admin, {
      method: 'PUT',
      headers: { 'content-type': 'audio/wav' },
      body: 'RIFF card details spoken',
    });
    expect(put.status).toBe(201);
    const plain = await native(server, `/interactions/${target.id}/content/screenRecording`, admin, {
      method: 'PUT',
      headers: { 'content-type': 'video/webm' },
      body: 'webm',
    });
    expect(plain.status).toBe(201);
  });
  afterAll(async () => {
    await server.stop();
    await removeTestData(server);
  });

  it('shows the marker in the record, and lets admins and clients with the dedicated scope download the item', async () => {
    const record = await native(server, `/interactions/${target.id}`, server.basic('super1'));
    expect(
      record.body.content.map((c: { contentKey: string; containsSensitiveData?: boolean }) => [
        c.contentKey,
        c.containsSensitiveData,
      ]),
    ).toEqual([
      ['callRecording', true],
      ['screenRecording', undefined],
    ]);
    const byAdmin = await call(`${server.url}/api/v1/interactions/${target.id}/content/callRecording`, {
      headers: { authorization: server.basic('admin1') },
    });
    expect([byAdmin.status, byAdmin.body]).toEqual([200, 'RIFF card details spoken']);
    const client = await server.bearer('acme-qa', 'interaction-content:read interaction-content:read-sensitive');
    expect((await vonage(server, `/interactions/${target.guid}/content/callRecording`, client)).status).toBe(200);
    expect(
      (await call(`${server.url}/api/v1/interactions/${target.id}/content/callRecording`, { headers: { authorization: client } }))
        .status,
    ).toBe(200);
  });

  it('refuses everyone else on every download path, Range requests included, while other content stays readable', async () => {
    const readers = [
      server.basic('super1'),
      server.basic('agent2'),
      await server.bearer('acme-reader'),
      await server.bearer('acme-qa', 'interaction-content:read'),
    ];
    for (const auth of readers) {
      const nativeRead = await call(`${server.url}/api/v1/interactions/${target.id}/content/callRecording`, {
        headers: { authorization: auth, range: 'bytes=0-3' },
      });
      expect(nativeRead.status).toBe(403);
      expect(JSON.stringify(nativeRead.body)).toContain('content.readSensitive');
      expect(JSON.stringify(nativeRead.body)).not.toContain('card details');
      const plain = await call(`${server.url}/api/v1/interactions/${target.id}/content/screenRecording`, {
        headers: { authorization: auth },
      });
      expect(plain.status).toBe(200);
    }
    for (const auth of readers.slice(2)) {
      const vonageRead = await vonage(server, `/interactions/${target.guid}/content/callrecording`, auth);
      expect(vonageRead.status).toBe(403);
      expect(Object.keys(vonageRead.body)).toEqual(['message']);
    }
  });
});
