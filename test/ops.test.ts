import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { callRecord } from './helpers/fixtures.js';
import { BACKEND, call, removeTestData, startTestServer, type TestServer } from './helpers/server.js';

describe(`operations (${BACKEND})`, () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await removeTestData(server);
  });

  it('answers liveness and readiness', async () => {
    expect((await call(`${server.url}/health`)).body).toEqual({ status: 'ok' });
    expect((await call(`${server.url}/ready`)).body).toEqual({ status: 'ready', database: BACKEND });
  });

  it('says what is down when not ready, never the driver’s message (hosts, addresses, user names)', async () => {
    const executor = server.runtime.store.db.getExecutor();
    const database = vi
      .spyOn(executor, 'executeQuery')
      .mockRejectedValueOnce(new Error('password authentication failed for user "ixvault" at db-primary.internal:5432'));
    const down = await call<Record<string, unknown>>(`${server.url}/ready`);
    database.mockRestore();
    expect(down.status).toBe(503);
    expect(down.body).toEqual({ status: 'unavailable', reason: 'database unreachable' });
    const redis = vi
      .spyOn(server.runtime.coordination, 'check')
      .mockRejectedValueOnce(new Error('connect ECONNREFUSED 10.9.8.7:6379'));
    const shared = await call<Record<string, unknown>>(`${server.url}/ready`);
    redis.mockRestore();
    expect(shared.status).toBe(503);
    expect(shared.body).toEqual({ status: 'unavailable', reason: 'Redis unreachable' });
    expect((await call(`${server.url}/ready`)).status).toBe(200);
  });

  it('serves the OpenAPI description and a browsable reference', async () => {
    const spec = await call(`${server.url}/openapi.json`);
    expect(spec.status).toBe(200);
    expect(spec.body.openapi).toBe('3.1.0');
    for (const path of [
      '/api/v1/interactions',
      '/api/v1/interactions:batch',
      '/api/v1/interactions/{id}/content/{contentKey}',
      '/oauth2/token',
    ]) {
      expect(Object.keys(spec.body.paths), path).toContain(path);
    }
    const docs = await fetch(`${server.url}/docs/`);
    expect(docs.status).toBe(200);
    expect(await docs.text()).toContain('swagger');
  });

  it('finishes an in-flight upload during a graceful shutdown', async () => {
    const admin = server.basic('admin1');
    const created = await call(`${server.url}/api/v1/interactions`, {
      method: 'POST',
      headers: { authorization: admin },
      json: callRecord(),
    });
    const chunk = randomBytes(64 * 1024);
    let sent = 0;
    let stopping: Promise<void> | undefined;
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        if (sent === 4 * chunk.length) stopping = server.stop(); // shutdown begins mid-upload
        if (sent >= 16 * chunk.length) return controller.close();
        await new Promise((r) => setTimeout(r, 10));
        controller.enqueue(chunk);
        sent += chunk.length;
      },
    });
    const res = await fetch(`${server.url}/api/v1/interactions/${created.body.id}/content/callRecording`, {
      method: 'PUT',
      headers: { authorization: admin, 'content-type': 'audio/wav' },
      body,
      duplex: 'half',
    } as RequestInit);
    expect(stopping).toBeDefined();
    expect(res.status).toBe(201);
    expect(((await res.json()) as { contentLength: number }).contentLength).toBe(16 * chunk.length);
    await stopping;
  });
});
