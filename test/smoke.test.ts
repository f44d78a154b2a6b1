import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { build } from './helpers/app.js';
import { chatRecord } from './helpers/fixtures.js';
import { BACKEND, call, removeTestData, type TestServer } from './helpers/server.js';

describe(`smoke (${BACKEND})`, () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await build();
  });
  afterAll(async () => {
    await server.stop();
    await removeTestData(server);
  });

  it('stores an interaction and reads it back', async () => {
    const auth = server.basic('admin1');
    const created = await call(`${server.url}/api/v1/interactions`, {
      method: 'POST',
      headers: { authorization: auth },
      json: chatRecord(),
    });
    expect(created.status).toBe(201);
    const got = await call(`${server.url}/api/v1/interactions/${created.body.id}`, { headers: { authorization: auth } });
    expect(got.status).toBe(200);
    expect(got.body.messages).toHaveLength(2);
    expect(got.body.guid).toBe(created.body.guid);
  });
});
