/**
 * Content uploads that need a real connection: a body cut off at the size
 * limit while the client still sends, a client that disconnects midway, and a
 * 256 MiB body streamed with flat memory.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callRecord } from '../helpers/fixtures.js';
import { BACKEND, call, removeTestData, startTestServer, type TestServer } from '../helpers/server.js';
import { waitFor } from '../helpers/wait.js';

const LIMIT = 4 * 1024 * 1024;

describe(`native content, oversized and abandoned uploads (${BACKEND})`, () => {
  let server: TestServer;
  let admin: string;
  const api = () => `${server.url}/api/v1`;
  const blobFiles = (): string[] => {
    const root = join(server.dataDir, 'blobs', 'acme');
    if (!existsSync(root)) return [];
    return readdirSync(root).flatMap((dir) => readdirSync(join(root, dir)));
  };
  const tempFiles = () => readdirSync(join(server.dataDir, 'blobs', '.tmp'));
  const newInteraction = async () =>
    (await call(`${api()}/interactions`, { method: 'POST', headers: { authorization: admin }, json: callRecord() })).body
      .id as string;

  const upload = (id: string, key: string, bytes: Uint8Array) =>
    call(`${api()}/interactions/${id}/content/${key}`, {
      method: 'PUT',
      headers: { authorization: admin, 'content-type': 'audio/wav' },
      body: bytes,
    });

  beforeAll(async () => {
    server = await startTestServer({ maxContentBytes: LIMIT });
    admin = server.basic('admin1');
  });
  afterAll(async () => {
    await server.stop();
    await removeTestData(server);
  });

  it('refuses an oversized upload and leaves nothing behind', async () => {
    const id = await newInteraction();
    const before = blobFiles().length;
    const res = await upload(id, 'callRecording', randomBytes(LIMIT + 1));
    expect(res.status).toBe(413);
    expect(res.body.field).toBe('body');
    expect(blobFiles().length).toBe(before);
    expect(tempFiles()).toEqual([]);
    const record = await call(`${api()}/interactions/${id}`, { headers: { authorization: admin } });
    expect(record.body.content).toEqual([]);
  });

  it('leaves nothing visible when the client disconnects midway', async () => {
    const id = await newInteraction();
    const before = blobFiles().length;
    await new Promise<void>((resolve) => {
      const url = new URL(`${api()}/interactions/${id}/content/callRecording`);
      const req = request({
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: 'PUT',
        headers: { authorization: admin, 'content-type': 'audio/wav', 'content-length': String(2_000_000) },
      });
      req.on('error', () => resolve());
      req.write(randomBytes(500_000));
      // Disconnect once the server is writing the upload to a temporary file.
      waitFor(() => tempFiles().length > 0, 'the upload to start').then(() => {
        req.destroy();
        resolve();
      }, resolve);
    });
    // The server notices the abort asynchronously.
    await waitFor(() => tempFiles().length === 0, 'the temporary file to go');
    expect(blobFiles().length).toBe(before);
    const record = await call(`${api()}/interactions/${id}`, { headers: { authorization: admin } });
    expect(record.body.content).toEqual([]);
  });
});

describe(`native content, large uploads (${BACKEND})`, () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ maxContentBytes: 1024 ** 3 });
  });
  afterAll(async () => {
    await server.stop();
    await removeTestData(server);
  });

  it('streams a 256 MiB upload with flat memory', async () => {
    const admin = server.basic('admin1');
    const created = await call(`${server.url}/api/v1/interactions`, {
      method: 'POST',
      headers: { authorization: admin },
      json: callRecord(),
    });
    const size = 256 * 1024 * 1024;
    const chunk = randomBytes(256 * 1024);
    const hash = createHash('sha256');
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent >= size) return controller.close();
        controller.enqueue(chunk);
        hash.update(chunk);
        sent += chunk.length;
      },
    });
    // Client and server share this process: sample its heap while the body flows.
    const baseline = process.memoryUsage().heapUsed;
    let peak = baseline;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().heapUsed);
    }, 5);
    try {
      const res = await fetch(`${server.url}/api/v1/interactions/${created.body.id}/content/screenRecording`, {
        method: 'PUT',
        headers: { authorization: admin, 'content-type': 'video/webm' },
        body,
        duplex: 'half',
      } as RequestInit);
      expect(res.status).toBe(201);
      const item = (await res.json()) as { contentLength: number; sha256: string };
      expect(item.contentLength).toBe(size);
      expect(item.sha256).toBe(hash.digest('hex'));
    } finally {
      clearInterval(sampler);
    }
    expect(peak - baseline).toBeLessThan(64 * 1024 * 1024);
  }, 120_000);
});
