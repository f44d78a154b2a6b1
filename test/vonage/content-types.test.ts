/**
 * Every content Vonage lists for `GET /interactions/{guid}/content/{contentKey}`
 * (Get interaction content, Delete single interaction content file), by the
 * key Vonage uses for it, served in the media type Vonage serves it in.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKEND, removeTestData, startTestServer, type TestServer } from '../helpers/server.js';
import { type ContentUpload, type Ingested, ingest, V3, vonage } from './helpers.js';

const IVR_KEY = '017f2106-ff1b-8d35-89e5-1e01b327a159';
const SCREEN_KEY = 'a94461c0-7d9d-4195-ae5b-0eaffd2bbb59';
const VOICEMAIL_KEY = 'fbebd00a-9017-48d3-ad5c-156f4c45024e';

interface Expected {
  /** The key a Vonage client asks for. */
  key: string;
  type: string;
  contentType: string;
  upload: ContentUpload;
}

function item(key: string, type: string, contentType: string, body: string, query: Record<string, string> = {}): Expected {
  return { key, type, contentType, upload: { key, body, contentType, query } };
}

const json = (value: unknown) => JSON.stringify(value);

/** Vonage's list: singletons by type name, the rest by their unique identifier (old voicemails: `voicemail-<agent>`). */
const EXPECTED: Expected[] = [
  item('callRecording', 'callRecording', 'audio/wav', 'RIFF call recording'),
  item('transcript', 'transcript', 'application/json', json({ words: [{ word: 'hello', start: 0 }] })),
  item('chatTranscript', 'chatTranscript', 'application/json', json({ messages: [{ text: 'hi' }] })),
  item('categorizationResult', 'categorizationResult', 'application/json', json({ categories: ['billing'] })),
  item('sentimentSummary', 'sentimentSummary', 'application/json', json({ overall: 'positive' })),
  item('ivrAudioRecording', 'ivrAudioRecording', 'audio/wav', 'RIFF ivr singleton'),
  item(IVR_KEY, 'ivrAudioRecording', 'audio/wav', 'RIFF ivr collected', {
    type: 'ivrAudioRecording',
    owningInteractionPlan: 'plan-7',
  }),
  item('screenRecording', 'screenRecording', 'video/webm', 'webm screen singleton'),
  item(SCREEN_KEY, 'screenRecording', 'video/webm', 'webm screen by id', { type: 'screenRecording' }),
  item(VOICEMAIL_KEY, 'voicemail', 'audio/wav', 'RIFF voicemail by id', { type: 'voicemail', owningAgent: 'agent-2' }),
  // The legacy key names its type and agent: no type parameter needed on upload.
  item('voicemail-agent-2', 'voicemail', 'audio/wav', 'RIFF legacy voicemail'),
];

describe(`Vonage content types (${BACKEND})`, () => {
  let server: TestServer;
  let reader: string;
  let interaction: Ingested;

  beforeAll(async () => {
    server = await startTestServer();
    reader = await server.bearer('acme-reader');
    interaction = await ingest(
      server,
      await server.bearer('acme-writer'),
      { startDate: '2025-06-03T09:00:00Z' },
      EXPECTED.map((e) => e.upload),
    );
  });
  afterAll(async () => {
    await server.stop();
    await removeTestData(server);
  });

  it('lists every item with its type and media type', async () => {
    const res = await vonage(server, `/interactions/${interaction.guid}`, reader);
    expect(res.status).toBe(200);
    const listed = new Map(res.body.content.map((c: any) => [c.contentKey, c]));
    for (const e of EXPECTED) {
      expect(listed.get(e.key), e.key).toMatchObject({
        type: e.type,
        contentType: e.contentType,
        contentLength: e.upload.body.length,
      });
    }
    expect(listed.get(VOICEMAIL_KEY)).toMatchObject({ owningAgent: { id: 'agent-2' } });
    expect(listed.get('voicemail-agent-2')).toMatchObject({ owningAgent: { id: 'agent-2' } });
    expect(listed.get(IVR_KEY)).toMatchObject({ owningInteractionPlan: { id: 'plan-7' } });
  });

  it.each(EXPECTED.map((e) => [e.key, e] as const))('serves %s byte for byte in its media type', async (_key, e) => {
    const res = await fetch(`${server.url}/interaction-content/interactions/${interaction.guid}/content/${e.key}`, {
      headers: { accept: V3, authorization: reader },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe(e.contentType);
    expect(await res.text()).toBe(e.upload.body);
  });

  it.each(['callrecording', 'chattranscript', 'sentimentsummary', 'ivraudiorecording', 'screenrecording'])(
    'finds the singleton when a sample writes its key in lower case (%s)',
    async (key) => {
      const res = await fetch(`${server.url}/interaction-content/interactions/${interaction.guid}/content/${key}`, {
        headers: { accept: V3, authorization: reader },
      });
      expect(res.status).toBe(200);
      const e = EXPECTED.find((x) => x.key.toLowerCase() === key);
      expect(await res.text()).toBe(e?.upload.body);
    },
  );
});
