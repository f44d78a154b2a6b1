/**
 * Drives the API the way the Vonage reference pages' curl samples do
 * (`curl -L -X GET … -H "Authorization: Bearer <ACCESS_TOKEN>" -H "Accept:
 * application/vnd.newvoicemedia.v3+json"`), with a plain HTTP client that
 * follows redirects, and compares the answer with seed 004's example.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { build } from '../helpers/app.js';
import { BACKEND, removeTestData, send, type TestServer } from '../helpers/server.js';
import { ingest, V2, V3 } from './helpers.js';

const SAMPLE_WINDOW = 'start=2021-12-01T14:18:23.857Z&end=2021-12-06T14:18:23.857Z';
const EXAMPLE_GUID = '2480fc2c-bbd7-427c-9439-02f76583aef5';

/** Bytes of a given length, so that contentLength matches the seed's example. */
const bytesOf = (length: number, seed: string) =>
  new Uint8Array(Array.from({ length }, (_, i) => createHash('sha256').update(`${seed}${i}`).digest()[0] ?? 0));

describe(`Vonage seed samples (${BACKEND})`, () => {
  let server: TestServer;
  let accessToken: string;
  const recording = bytesOf(359, 'recording');

  beforeAll(async () => {
    server = await build();
    // The seed's example interaction, on a day inside the samples' search window.
    await ingest(
      server,
      await server.bearer('acme-writer'),
      {
        guid: EXAMPLE_GUID,
        typeId: 'Inbound',
        startDate: '2021-12-02T14:11:56Z',
        connectFrom: '14154204204',
        connectTo: '22222',
        ownerInformation: { id: '1342' },
        handlingAgents: [{ id: '1342' }],
      },
      [
        { key: 'callRecording', body: recording, contentType: 'audio/wav' },
        {
          key: 'fbebd00a-9017-48d3-ad5c-156f4c45024e',
          body: bytesOf(121, 'voicemail'),
          contentType: 'audio/wav',
          query: { type: 'voicemail', owningAgent: '1342' },
        },
        {
          key: 'ad76a807-3e21-41c6-992e-dc9865ffcc9d',
          body: bytesOf(100, 'ivr'),
          contentType: 'audio/wav',
          query: { type: 'ivrAudioRecording', owningInteractionPlan: '816f1144-ac27-4bba-a280-cc66' },
        },
        {
          key: '73c986b3-c704-4f8d-ac3c-53205772a003',
          body: bytesOf(906, 'chat'),
          contentType: 'application/json',
          query: { type: 'chatTranscript', version: '1', duration: '5000' },
        },
      ],
    );
    await ingest(server, await server.bearer('acme-writer'), {
      startDate: '2021-12-03T09:30:00Z',
      connectFrom: '01473555123',
      connectTo: '22222',
    });

    const token = await send(`${server.url}/oauth2/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials&client_id=acme-qa&client_secret=secret-acme-qa',
    });
    expect(token.status).toBe(200);
    accessToken = ((await token.json()) as { access_token: string }).access_token;
  });
  afterAll(async () => {
    await server.stop();
    await removeTestData(server);
  });

  /** `curl -L -X METHOD URL -H "Authorization: Bearer …" -H "Accept: …" [-H "Range: …"]` */
  function curl(method: string, path: string, accept: string, extra: Record<string, string> = {}) {
    return send(`${server.url}${path}`, {
      method,
      headers: { Authorization: `Bearer ${accessToken}`, Accept: accept, ...extra },
    });
  }

  it('"Request interaction between two dates", answered in the shape of the example response', async () => {
    const res = await curl('GET', `/interaction-content/interactions?${SAMPLE_WINDOW}`, V3);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const body = (await res.json()) as Record<string, any>;
    expect(Object.keys(body)).toEqual(['items', 'meta']);
    expect(body.meta).toEqual({ nextContinuationToken: null });
    expect(body.items).toHaveLength(2);

    const item = body.items[0];
    expect(Object.keys(item)).toEqual(['guid', 'start', 'connectFrom', 'connectTo', 'direction', 'handlingAgents', 'content']);
    expect(item.guid).toBe(EXAMPLE_GUID);
    expect(item.start).toBe('2021-12-02T14:11:56Z');
    expect(item.connectFrom).toBe('14154204204');
    expect(item.connectTo).toBe('22222');
    expect(item.direction).toBe('inbound');
    expect(item.handlingAgents).toEqual([{ id: '1342' }]);

    const byType = Object.fromEntries(item.content.map((c: { type: string }) => [c.type, c]));
    expect(Object.keys(byType).sort()).toEqual(['callRecording', 'chatTranscript', 'ivrAudioRecording', 'voicemail']);
    const lastModified = expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    expect(byType.callRecording).toEqual({
      contentKey: 'callRecording',
      type: 'callRecording',
      contentType: 'audio/wav',
      contentLength: 359,
      lastModified,
      properties: {},
    });
    expect(byType.voicemail).toEqual({
      contentKey: 'fbebd00a-9017-48d3-ad5c-156f4c45024e',
      type: 'voicemail',
      contentType: 'audio/wav',
      contentLength: 121,
      owningAgent: { id: '1342' },
      lastModified,
      properties: {},
    });
    expect(byType.ivrAudioRecording).toEqual({
      contentKey: 'ad76a807-3e21-41c6-992e-dc9865ffcc9d',
      type: 'ivrAudioRecording',
      contentType: 'audio/wav',
      contentLength: 100,
      owningInteractionPlan: { id: '816f1144-ac27-4bba-a280-cc66' },
      lastModified,
      properties: {},
    });
    expect(byType.chatTranscript).toEqual({
      contentKey: '73c986b3-c704-4f8d-ac3c-53205772a003',
      type: 'chatTranscript',
      contentType: 'application/json',
      contentLength: 906,
      lastModified,
      properties: { version: { value: 1 }, duration: { value: 5000 } },
    });
    // Field order as in the example, for clients that compare text.
    expect(Object.keys(byType.voicemail)).toEqual([
      'contentKey',
      'type',
      'contentType',
      'contentLength',
      'owningAgent',
      'lastModified',
      'properties',
    ]);
  });

  it('"Request interaction between two dates with a continuationToken"', async () => {
    const first = (await (await curl('GET', `/interaction-content/interactions?${SAMPLE_WINDOW}&limit=1`, V3)).json()) as any;
    const token: string = first.meta.nextContinuationToken;
    expect(token).toEqual(expect.any(String));
    const res = await curl('GET', `/interaction-content/interactions?${SAMPLE_WINDOW}&continuationToken=${token}`, V3);
    expect(res.status).toBe(200);
    const next = (await res.json()) as any;
    expect(next.items.map((i: { connectFrom: string }) => i.connectFrom)).toEqual(['01473555123']);
    expect(next.meta.nextContinuationToken).toBeNull();
  });

  it('"Request interaction between two dates that start with an area code" (connectfrom, v2)', async () => {
    const res = await curl('GET', `/interaction-content/interactions?${SAMPLE_WINDOW}&connectfrom=01473`, V2);
    expect(res.status).toBe(200);
    const body = (await res.json()) as any;
    expect(body.items.map((i: { connectFrom: string }) => i.connectFrom)).toEqual(['01473555123']);
  });

  it('"Request a single interaction"', async () => {
    const res = await curl('GET', `/interaction-content/interactions/${EXAMPLE_GUID}`, V3);
    expect(res.status).toBe(200);
    const body = (await res.json()) as any;
    expect(body.guid).toBe(EXAMPLE_GUID);
    expect(body.content).toHaveLength(4);
  });

  it('"Request call recording" and "Request first 1024 bytes of call recording" (key written callrecording)', async () => {
    const whole = await curl('GET', `/interaction-content/interactions/${EXAMPLE_GUID}/content/callrecording`, V3);
    expect(whole.status).toBe(200);
    expect(whole.headers.get('content-type')).toBe('audio/wav');
    expect(new Uint8Array(await whole.arrayBuffer())).toEqual(recording);
    const part = await curl('GET', `/interaction-content/interactions/${EXAMPLE_GUID}/content/callrecording`, V3, {
      Range: 'bytes=0-1023',
    });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe('bytes 0-358/359');
    expect(new Uint8Array(await part.arrayBuffer())).toEqual(recording);
  });

  it('"Delete call recording for an interaction", then "Delete a single interaction and all of its content"', async () => {
    const content = await curl('DELETE', `/interaction-content/interactions/${EXAMPLE_GUID}/content/callrecording`, V3);
    expect(content.status).toBe(204);
    expect(await content.text()).toBe('');
    const whole = await curl('DELETE', `/interaction-content/interactions/${EXAMPLE_GUID}`, V3);
    expect(whole.status).toBe(200);
    expect(await whole.json()).toEqual({});
    expect((await curl('GET', `/interaction-content/interactions/${EXAMPLE_GUID}`, V3)).status).toBe(404);
  });
});
