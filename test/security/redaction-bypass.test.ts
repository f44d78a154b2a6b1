/**
 * Bodies in a content coding (session 4, redteam). ixvault decodes no
 * `Content-Encoding`: before, a textual upload sent gzip-, deflate- or
 * brotli-compressed was stored as the compressed bytes — the card-number
 * scan (docs/GOVERNANCE.md) saw no digits, so `4111 1111 1111 1111` was kept
 * whole and served back to anyone who downloads and decompresses it — and
 * any upload was stored as bytes its sender never meant (a recording served
 * gzipped under `audio/wav`). Now any request whose body is in a coding other
 * than identity is refused with a 400 naming `Content-Encoding`, in each
 * API's format, and nothing is stored.
 *
 * The same class by charset: the scan reads digits as ASCII bytes, and only
 * UTF-16/32 were refused. In EBCDIC (`IBM037`), in UTF-7 (digits as base64
 * runs) or in Windows' `unicode` (UTF-16LE by another name) the number was
 * stored whole. Now only charsets whose digits are always ASCII bytes are
 * taken (UTF-8, US-ASCII, ISO-8859-n, Windows-125n, …); any other is refused
 * naming `Content-Type`.
 */
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { build } from '../helpers/app.js';
import { callRecord, chatRecord } from '../helpers/fixtures.js';
import { BACKEND, removeTestData, type TestServer } from '../helpers/server.js';

const CARD = 'my card is 4111 1111 1111 1111 thanks';
const CODINGS: [string, (b: Buffer) => Buffer][] = [
  ['gzip', gzipSync],
  ['deflate', deflateSync],
  ['br', brotliCompressSync],
  ['GZIP', gzipSync],
  ['identity, gzip', gzipSync],
  ['x-gzip', gzipSync],
  ['compress', (b) => b],
];

let server: TestServer;
let admin: string;
beforeAll(async () => {
  server = await build();
  admin = server.basic('admin1');
});
afterAll(async () => {
  await server.stop();
  await removeTestData(server);
});

/** A call of its own for a describe's uploads, so each sees only what it stored. */
async function storedCall(): Promise<string> {
  const res = await server.app.inject({
    method: 'POST',
    url: '/api/v1/interactions',
    headers: { authorization: admin, 'content-type': 'application/json' },
    payload: callRecord(),
  });
  expect(res.statusCode).toBe(201);
  return res.json().id;
}

describe(`bodies in a content coding are refused (${BACKEND})`, () => {
  let id: string;
  beforeAll(async () => {
    id = await storedCall();
  });

  it('refuses a compressed upload naming Content-Encoding, and stores nothing of it', async () => {
    for (const [coding, compress] of CODINGS) {
      const key = `t-${coding.replace(/\W/g, '')}`;
      const put = await server.app.inject({
        method: 'PUT',
        url: `/api/v1/interactions/${id}/content/${key}?type=transcript`,
        headers: { authorization: admin, 'content-type': 'text/plain', 'content-encoding': coding },
        payload: compress(Buffer.from(CARD)),
      });
      expect(put.statusCode, `${coding}: ${put.body}`).toBe(400);
      expect(put.json(), coding).toMatchObject({
        field: 'Content-Encoding',
        detail: expect.stringMatching(/^Content-Encoding: /),
      });
      const get = await server.app.inject({
        method: 'GET',
        url: `/api/v1/interactions/${id}/content/${key}`,
        headers: { authorization: admin },
      });
      expect(get.statusCode, coding).toBe(404);
    }
    // Uncompressed (or said to be identity), it is stored with the number masked.
    for (const coding of [undefined, 'identity', ' Identity ']) {
      const put = await server.app.inject({
        method: 'PUT',
        url: `/api/v1/interactions/${id}/content/plain?type=transcript`,
        headers: { authorization: admin, 'content-type': 'text/plain', ...(coding ? { 'content-encoding': coding } : {}) },
        payload: Buffer.from(CARD),
      });
      expect(put.statusCode, `${coding}: ${put.body}`).toBe(201);
      const get = await server.app.inject({
        method: 'GET',
        url: `/api/v1/interactions/${id}/content/plain`,
        headers: { authorization: admin },
      });
      expect(get.body).toBe('my card is **** **** **** 1111 thanks');
    }
  });

  it('refuses a compressed JSON body in each API’s format', async () => {
    const gz = (value: unknown) => gzipSync(JSON.stringify(value));
    const native = await server.app.inject({
      method: 'POST',
      url: '/api/v1/interactions',
      headers: { authorization: admin, 'content-type': 'application/json', 'content-encoding': 'gzip' },
      payload: gz(callRecord()),
    });
    expect(native.statusCode).toBe(400);
    expect(native.json()).toMatchObject({ field: 'Content-Encoding' });
    const vonage = await server.app.inject({
      method: 'POST',
      url: '/interaction-content/interactions/delete-batch',
      headers: {
        authorization: admin,
        accept: 'application/vnd.newvoicemedia.v3+json',
        'content-type': 'application/json',
        'content-encoding': 'gzip',
      },
      payload: gz({ guids: [] }),
    });
    expect(vonage.statusCode).toBe(400);
    expect(vonage.json()).toEqual({ message: expect.stringMatching(/^Content-Encoding: /) });
    const genesys = await server.app.inject({
      method: 'POST',
      url: '/api/v2/ucs/interactions',
      headers: { authorization: admin, 'content-type': 'application/json', 'content-encoding': 'gzip' },
      payload: gz({ operationName: 'RetrieveInteractionHistory' }),
    });
    expect(genesys.statusCode).toBe(400);
    expect(genesys.json()).toMatchObject({ statusCode: 2, statusMessage: expect.stringMatching(/^Content-Encoding: /) });
    const token = await server.app.inject({
      method: 'POST',
      url: '/oauth2/token',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-encoding': 'gzip' },
      payload: gzipSync('grant_type=client_credentials&client_id=acme-qa&client_secret=secret-acme-qa'),
    });
    expect(token.statusCode).toBe(400);
    expect(token.json()).toMatchObject({
      error: 'invalid_request',
      error_description: expect.stringMatching(/^Content-Encoding: /),
    });
  });
});

describe(`textual uploads in a charset the card scan cannot read are refused (${BACKEND})`, () => {
  let id: string;
  beforeAll(async () => {
    id = await storedCall();
  });

  const ebcdic = (text: string) =>
    Buffer.from([...text].map((c) => (c >= '0' && c <= '9' ? 0xf0 + Number(c) : c === ' ' ? 0x40 : 0x81)));
  const REFUSED: [string, Buffer][] = [
    ['text/plain; charset=IBM037', ebcdic('4111 1111 1111 1111')],
    ['text/plain; charset=cp500', ebcdic('4111 1111 1111 1111')],
    ['text/plain; charset=UTF-7', Buffer.from('+ADQAMQAxADEAIAAxADEAMQAxACAAMQAxADEAMQAgADEAMQAxADE-')],
    ['text/plain; charset=unicode', Buffer.from('4111 1111 1111 1111', 'utf16le')],
    ['text/plain; charset=ISO-10646-UCS-2', Buffer.from('4111 1111 1111 1111', 'utf16le')],
    ['application/json; charset="utf-32le"', Buffer.from('"x"')],
    ['text/csv; charset=x-anything', Buffer.from('a')],
    ['text/plain; charset=utf-8; charset=IBM037', ebcdic('4111 1111 1111 1111')],
  ];
  const TAKEN = [
    'text/plain',
    'text/plain; charset=utf-8',
    'text/plain;charset="UTF-8"',
    'text/plain; charset=us-ascii',
    'text/plain; charset=ISO-8859-15',
    'text/plain; charset=windows-1252',
    'text/plain; charset=latin1',
    'application/json',
    'text/plain; format=flowed; charset=utf-8',
  ];

  it('refuses them naming Content-Type, and stores nothing', async () => {
    for (const [type, body] of REFUSED) {
      const put = await server.app.inject({
        method: 'PUT',
        url: `/api/v1/interactions/${id}/content/odd?type=transcript`,
        headers: { authorization: admin, 'content-type': type },
        payload: body,
      });
      expect(put.statusCode, `${type}: ${put.body}`).toBe(400);
      expect(put.json(), type).toMatchObject({ field: 'Content-Type' });
      const get = await server.app.inject({
        method: 'GET',
        url: `/api/v1/interactions/${id}/content/odd`,
        headers: { authorization: admin },
      });
      expect(get.statusCode, type).toBe(404);
    }
  });

  it('takes charsets whose digits are ASCII bytes, and masks the number', async () => {
    for (const type of TAKEN) {
      const put = await server.app.inject({
        method: 'PUT',
        url: `/api/v1/interactions/${id}/content/ok?type=transcript`,
        headers: { authorization: admin, 'content-type': type },
        payload: Buffer.from('"4111 1111 1111 1111"'),
      });
      expect(put.statusCode, `${type}: ${put.body}`).toBe(201);
      const get = await server.app.inject({
        method: 'GET',
        url: `/api/v1/interactions/${id}/content/ok`,
        headers: { authorization: admin },
      });
      expect(get.body, type).toBe('"**** **** **** 1111"');
    }
  });
});

describe(`an attachment's file name is scanned like every other text (${BACKEND})`, () => {
  let id: string;
  beforeAll(async () => {
    id = await storedCall();
  });

  it('masks a card number in fileName: stored, listed, searched and counted masked', async () => {
    const counted = async () =>
      (await server.app.inject({ method: 'GET', url: '/api/v1/redactions', headers: { authorization: admin } })).json().content
        .cardNumbers as number;
    const before = await counted();
    const put = await server.app.inject({
      method: 'PUT',
      url: `/api/v1/interactions/${id}/content/att?type=attachment&fileName=${encodeURIComponent('receipt 4111 1111 1111 1111.pdf')}`,
      headers: { authorization: admin, 'content-type': 'application/pdf' },
      payload: Buffer.from('%PDF-1.4'),
    });
    expect(put.statusCode, put.body).toBe(201);
    expect(put.json().fileName).toBe('receipt **** **** **** 1111.pdf');
    const record = await server.app.inject({
      method: 'GET',
      url: `/api/v1/interactions/${id}`,
      headers: { authorization: admin },
    });
    expect(record.body).not.toContain('4111 1111 1111 1111');
    expect(record.json().content).toEqual([expect.objectContaining({ fileName: 'receipt **** **** **** 1111.pdf' })]);
    const found = await server.app.inject({
      method: 'GET',
      url: `/api/v1/interactions?q=${encodeURIComponent('"4111 1111"')}`,
      headers: { authorization: admin },
    });
    expect(found.json().items).toEqual([]);
    const byReceipt = await server.app.inject({
      method: 'GET',
      url: '/api/v1/interactions?q=receipt',
      headers: { authorization: admin },
    });
    expect(byReceipt.body).not.toContain('4111 1111');
    expect(byReceipt.json().items.map((i: { id: string }) => i.id)).toEqual([id]);
    expect(await counted()).toBe(before + 1);
  });
});

describe(`card numbers in full-width and other scripts' digits (session 5) (${BACKEND})`, () => {
  // The scan read ASCII digits only: a Japanese customer's IME types ４１１１…, an Arabic keyboard ٤١١١…
  let id: string;
  beforeAll(async () => {
    id = await storedCall();
  });
  const put = (key: string, contentType: string, body: Buffer) =>
    server.app.inject({
      method: 'PUT',
      url: `/api/v1/interactions/${id}/content/${key}?type=transcript`,
      headers: { authorization: admin, 'content-type': contentType },
      payload: body,
    });
  const get = (key: string) =>
    server.app.inject({ method: 'GET', url: `/api/v1/interactions/${id}/content/${key}`, headers: { authorization: admin } });

  it('masks them in a record: subject and every message', async () => {
    const res = await server.app.inject({
      method: 'POST',
      url: '/api/v1/interactions',
      headers: { authorization: admin, 'content-type': 'application/json' },
      payload: chatRecord({
        subject: 'カード４１１１　１１１１　１１１１　１１１１です',
        messages: [
          {
            index: 1,
            from: { type: 'Customer' },
            text: 'رقم البطاقة ٤١١١-١١١١-١١١١-١١١١',
            timestamp: '2025-03-10T09:00:01Z',
            type: 'Text',
          },
        ],
      }),
    });
    expect(res.statusCode, res.body).toBe(201);
    const stored = await server.app.inject({
      method: 'GET',
      url: `/api/v1/interactions/${res.json().id}`,
      headers: { authorization: admin },
    });
    expect(stored.json().subject).toBe('カード＊＊＊＊　＊＊＊＊　＊＊＊＊　１１１１です');
    expect(stored.json().messages[0].text).toBe('رقم البطاقة ٭٭٭٭-٭٭٭٭-٭٭٭٭-١١١١');
  });

  it('masks them in a UTF-8 upload, keeping its length in bytes', async () => {
    const text = Buffer.from('{"text":"カード番号は４１１１ １１１１ １１１１ １１１１です"}');
    const res = await put('wide', 'application/json', text);
    expect(res.statusCode, res.body).toBe(201);
    const stored = await get('wide');
    expect(stored.body).toBe('{"text":"カード番号は＊＊＊＊ ＊＊＊＊ ＊＊＊＊ １１１１です"}');
    expect(stored.rawPayload.length).toBe(text.length);
  });

  it('masks ASCII digits in a CJK charset, and refuses full-width ones it cannot mask in that charset', async () => {
    const sjis = encodeShiftJis;
    const ascii = await put('sjis-ascii', 'text/plain; charset=Shift_JIS', sjis('テスト 4111 1111 1111 1111'));
    expect(ascii.statusCode, ascii.body).toBe(201);
    expect(new TextDecoder('shift_jis').decode((await get('sjis-ascii')).rawPayload)).toBe('テスト **** **** **** 1111');
    const wide = await put('sjis-wide', 'text/plain; charset=Shift_JIS', sjis('テスト４１１１１１１１１１１１１１１１'));
    expect(wide.statusCode, wide.body).toBe(400);
    expect(wide.json()).toMatchObject({ field: 'Content-Type' });
    expect(wide.body).not.toContain('１１１１');
    expect((await get('sjis-wide')).statusCode).toBe(404);
  });
});

/** Shift_JIS bytes of a text of katakana, ASCII and full-width digits (Node encodes no legacy charset). */
function encodeShiftJis(text: string): Buffer {
  const bytes: number[] = [];
  for (const c of text) {
    const code = c.charCodeAt(0);
    if (code < 0x80) bytes.push(code);
    else if (code >= 0xff10 && code <= 0xff19) bytes.push(0x82, 0x4f + code - 0xff10);
    else if (code >= 0x30a1 && code <= 0x30df) bytes.push(0x83, 0x40 + code - 0x30a1);
    else if (code >= 0x30e0 && code <= 0x30f6) bytes.push(0x83, 0x80 + code - 0x30e0);
    else throw new Error(`no Shift_JIS bytes for ${c} in this test`);
  }
  const out = Buffer.from(bytes);
  if (new TextDecoder('shift_jis').decode(out) !== text) throw new Error('the test encodes Shift_JIS wrongly');
  return out;
}
