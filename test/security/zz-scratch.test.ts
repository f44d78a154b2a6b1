import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import { it } from 'vitest';
import { build } from '../helpers/app.js';
import { callRecord } from '../helpers/fixtures.js';

it('compressed text upload', async () => {
  const server = await build();
  const a = server.basic('admin1');
  const r = await server.app.inject({
    method: 'POST',
    url: '/api/v1/interactions',
    headers: { authorization: a, 'content-type': 'application/json' },
    payload: callRecord(),
  });
  const { id, guid } = r.json();
  const text = Buffer.from('my card is 4111 1111 1111 1111 thanks');
  for (const [enc, body] of [
    ['gzip', gzipSync(text)],
    ['deflate', deflateSync(text)],
    ['br', brotliCompressSync(text)],
    ['identity', text],
    ['gzip, identity', gzipSync(text)],
    ['x-weird', text],
  ] as const) {
    const put = await server.app.inject({
      method: 'PUT',
      url: `/api/v1/interactions/${id}/content/t-${enc.replace(/\W/g, '')}?type=transcript`,
      headers: { authorization: a, 'content-type': 'text/plain', 'content-encoding': enc },
      payload: body,
    });
    const get = await server.app.inject({
      method: 'GET',
      url: `/api/v1/interactions/${id}/content/t-${enc.replace(/\W/g, '')}`,
      headers: { authorization: a },
    });
    console.log(
      enc,
      put.statusCode,
      put.body.slice(0, 150),
      '| GET',
      get.statusCode,
      get.headers['content-encoding'],
      JSON.stringify(get.rawPayload.subarray(0, 40).toString('latin1')),
    );
  }
  // vonage upload? JSON route with gzip
  const j = await server.app.inject({
    method: 'POST',
    url: '/api/v1/interactions',
    headers: { authorization: a, 'content-type': 'application/json', 'content-encoding': 'gzip' },
    payload: gzipSync(JSON.stringify(callRecord())),
  });
  console.log('json gzip', j.statusCode, j.body.slice(0, 200));
  await server.stop();
}, 300_000);
