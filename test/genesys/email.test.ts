/**
 * Email interactions: bodies and recipients through native ingest, attachments
 * as content items of type `attachment` with their file names, and what
 * GetInteractionContent (over each CometD transport) and the interaction
 * resource show of them, as Web Services' email resource documents: from,
 * to, cc, subject, body (HTML) with its mime, bodyAsPlainText, and attachment
 * references whose bytes download with the same credentials — only for those
 * who may see the email.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chatRecord } from '../helpers/fixtures.js';
import { BACKEND, call, removeTestData, send, startTestServer, type TestServer } from '../helpers/server.js';
import { TestClient, TRANSPORTS } from './cometd.js';
import { accepted, ingest } from './helpers.js';

const EMAIL_ID = 'EMAIL00000000001';
const PDF = Buffer.from('%PDF-1.4 quarterly report');

describe(`Genesys email content and attachments (${BACKEND})`, () => {
  let server: TestServer;
  const upload = (id: string, key: string, query: string, body: Buffer, contentType: string) =>
    send(`${server.url}/api/v1/interactions/${id}/content/${key}?${query}`, {
      method: 'PUT',
      headers: { authorization: server.basic('admin1'), 'content-type': contentType },
      body,
    });

  beforeAll(async () => {
    server = await startTestServer();
    await ingest(server, [
      chatRecord({
        id: EMAIL_ID,
        mediaType: 'email',
        subject: 'Customer Service',
        messages: [],
        email: {
          from: 'customerservice@genesys.example',
          to: ['bruce.wayne@wayne.example', 'damian.wayne@wayne.example'],
          cc: ['selena.kyle@cats.example'],
          text: 'Your order shipped.',
          html: '<p>Your order <b>shipped</b>.</p>',
        },
      }),
    ]);
    expect((await upload(EMAIL_ID, 'att1', 'type=attachment&fileName=report.pdf', PDF, 'application/pdf')).status).toBe(201);
    expect((await upload(EMAIL_ID, 'transcript', '', Buffer.from('{}'), 'application/json')).status).toBe(201);
  });
  afterAll(async () => {
    await server.stop();
    await removeTestData(server);
  });

  it('native ingest keeps the email parts and the attachment name; a chat with email parts is a 400 naming the field', async () => {
    const stored = await call(`${server.url}/api/v1/interactions/${EMAIL_ID}`, {
      headers: { authorization: server.basic('admin1') },
    });
    expect(stored.body.email).toEqual({
      from: 'customerservice@genesys.example',
      to: ['bruce.wayne@wayne.example', 'damian.wayne@wayne.example'],
      cc: ['selena.kyle@cats.example'],
      text: 'Your order shipped.',
      html: '<p>Your order <b>shipped</b>.</p>',
    });
    expect(stored.body.content).toContainEqual(
      expect.objectContaining({ contentKey: 'att1', type: 'attachment', fileName: 'report.pdf', contentLength: PDF.length }),
    );
    const wrong = await call(`${server.url}/api/v1/interactions`, {
      method: 'POST',
      headers: { authorization: server.basic('admin1') },
      json: chatRecord({ email: { text: 'x' } }),
    });
    expect(wrong.status).toBe(400);
    expect(wrong.body.errors).toEqual([{ field: 'email', message: 'only an email interaction has one (mediaType is chat)' }]);
    const badList = await call(`${server.url}/api/v1/interactions`, {
      method: 'POST',
      headers: { authorization: server.basic('admin1') },
      json: chatRecord({ mediaType: 'email', email: { to: 'one@x.example' } }),
    });
    expect(badList.body.errors).toEqual([{ field: 'email.to', message: 'must be an array of addresses' }]);
  });

  for (const transport of TRANSPORTS) {
    it(`GetInteractionContent of an email carries the email resource's fields (${transport})`, async () => {
      const client = await new TestClient(server.url, { transport, ext: server.basic('agent1') }).open();
      try {
        const referenceId = await accepted(server, `/interactions/${EMAIL_ID}`, server.basic('agent1'), {
          operationName: 'GetInteractionContent',
        });
        const data = await client.result(referenceId);
        expect(data.messageType).toBe('GetInteractionContentMessage');
        expect(data).not.toHaveProperty('messages');
        const path = `/emails/${EMAIL_ID}/attachments/att1`;
        expect(data.interaction).toMatchObject({
          id: EMAIL_ID,
          mediaType: 'email',
          subject: 'Customer Service',
          from: 'customerservice@genesys.example',
          to: ['bruce.wayne@wayne.example', 'damian.wayne@wayne.example'],
          cc: ['selena.kyle@cats.example'],
          body: '<p>Your order <b>shipped</b>.</p>',
          mime: 'text/html',
          bodyAsPlainText: 'Your order shipped.',
        });
        // Only the attachment, not the other content items; size is a string, as the reference prints it.
        expect(data.interaction.attachments).toStrictEqual([
          {
            id: 'att1',
            name: 'report.pdf',
            size: String(PDF.length),
            uri: `${server.url}/api/v2${path}`,
            path,
            mime: 'application/pdf',
          },
        ]);
        // The reference follows with the same credentials.
        const bytes = await send(data.interaction.attachments[0].uri, { headers: { authorization: server.basic('agent1') } });
        expect(bytes.status).toBe(200);
        expect(bytes.headers.get('content-type')).toBe('application/pdf');
        expect(Buffer.from(await bytes.arrayBuffer())).toEqual(PDF);
      } finally {
        await client.disconnect();
      }
    });
  }

  it('the interaction resource at its uri carries the same email fields', async () => {
    const res = await call(`${server.url}/api/v2/interactions/${EMAIL_ID}`, {
      headers: { authorization: server.basic('super1') },
    });
    expect(res.status).toBe(200);
    expect(res.body.interaction).toMatchObject({
      from: 'customerservice@genesys.example',
      bodyAsPlainText: 'Your order shipped.',
      attachments: [{ id: 'att1', name: 'report.pdf' }],
    });
  });

  it('attachment downloads: Range, and 404s in Web Services form for other keys, other agents and other tenants', async () => {
    const url = `${server.url}/api/v2/emails/${EMAIL_ID}/attachments/att1`;
    const partial = await send(url, { headers: { authorization: server.basic('super1'), range: 'bytes=0-3' } });
    expect(partial.status).toBe(206);
    expect(await partial.text()).toBe('%PDF');
    const notAttachment = await call(`${server.url}/api/v2/emails/${EMAIL_ID}/attachments/transcript`, {
      headers: { authorization: server.basic('super1') },
    });
    expect(notAttachment.status).toBe(404);
    expect(notAttachment.body.statusCode).toBe(6);
    for (const user of ['agent2', 'gadmin']) {
      const res = await call(url, { headers: { authorization: server.basic(user) } });
      expect(res.status, user).toBe(404);
      expect(res.body).toEqual({ statusCode: 6, statusMessage: `interaction ${EMAIL_ID} not found` });
    }
    const unauthenticated = await call(url);
    expect(unauthenticated.status).toBe(401);
    expect(unauthenticated.body.statusCode).toBe(20);
    const metadataOnly = await server.bearer('acme-qa', 'interactions:read');
    expect((await call(url, { headers: { authorization: metadataOnly } })).body.statusCode).toBe(5);
  });
});
