/**
 * Card-number redaction on ingest (issue 14): every text field — subject,
 * comment, messages (at create, replace, batch, patch and append) and textual
 * content such as transcripts — is masked before it is stored; the original
 * reaches neither the database nor the blob store nor the logs; the record
 * and the tenant's report carry the counts; digit runs that are not card
 * numbers stay as they were; a tenant may turn it off.
 */
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { logAccess } from '../../src/logging.js';
import { openRuntime, type Runtime } from '../../src/runtime.js';
import { runCli, storeArgs } from '../helpers/cli.js';
import { chatRecord } from '../helpers/fixtures.js';
import {
  BACKEND,
  call,
  createTestDatabase,
  IN_PROCESS,
  PRINCIPALS,
  removeTestData,
  type TestServer,
  testServerOf,
} from '../helpers/server.js';
import { native } from './helpers.js';

/** Well-known test card numbers (Luhn-valid) in the layouts people type. */
const CARDS = ['4111 1111 1111 1111', '5555-5555-5555-4444', '378282246310005', '6011 0009 9013 9424', '4000-0566-5566-5556'];
/** Digit runs that are not card numbers: they must survive untouched. */
const NOT_CARDS = ['order 2024-000123-4567', 'call +1 415 420 4204', 'ref 4111111111111112', 'invoice 12345678901234567890123'];

describe(`card-number redaction on ingest (${BACKEND})`, () => {
  let server: TestServer;
  let runtime: Runtime;
  let admin: string;
  const logs: string[] = [];

  beforeAll(async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'ixvault-test-'));
    const databaseUrl = await createTestDatabase();
    const principals = structuredClone(PRINCIPALS);
    const globex = principals.tenants.find((t) => t.id === 'globex');
    if (globex) globex.cardRedaction = false;
    runtime = await openRuntime({
      dataDir,
      databaseUrl,
      principals,
      maxContentBytes: 64 * 1024 * 1024,
      secret: 'test-secret-not-for-production-0123456789',
      poolSize: 4,
      sweep: false,
    });
    // Every log line the server writes, at the most verbose level, as the deployed server writes them.
    const stream = new Writable({
      write(chunk, _encoding, done) {
        logs.push(String(chunk));
        done();
      },
    });
    const app = await buildApp(runtime, {
      logger: { level: 'trace', stream },
      disableRequestLogging: true,
      limits: { rateLimitPerMinute: 0, ipRateLimitPerMinute: 0, searchTimePerMinuteMs: 0 },
    });
    logAccess(app);
    await app.ready();
    const url = `http://in-process-redaction-${process.pid}.test`;
    IN_PROCESS.set(url, app);
    server = testServerOf({
      url,
      app,
      runtime,
      dataDir,
      ...(databaseUrl ? { databaseUrl } : {}),
      async stop() {
        IN_PROCESS.delete(url);
        await app.close();
        await runtime.close();
      },
    });
    admin = server.basic('admin1');
  });
  afterAll(async () => {
    await server.stop();
    await removeTestData(server);
  });

  const digits = (s: string) => s.replace(/\D/g, '');
  const masked = (card: string) => card.replace(/\d(?=(?:\D*\d){4})/g, '*');

  /** Every text column of the database and every stored blob, as one string. */
  async function everythingStored(): Promise<string> {
    const parts: string[] = [];
    for (const source of ['main', 'archive'] as const) {
      const db = runtime.store.in(source);
      parts.push(JSON.stringify(await db.selectFrom('interactions').selectAll().execute()));
      parts.push(JSON.stringify(await db.selectFrom('messages').selectAll().execute()));
      parts.push(JSON.stringify(await db.selectFrom('audit_log').selectAll().execute()));
    }
    const blobs = join(server.dataDir, 'blobs');
    const walk = async (dir: string): Promise<void> => {
      for (const entry of await readdir(dir, { withFileTypes: true })) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) await walk(path);
        else parts.push(await readFile(path, 'latin1'));
      }
    };
    await walk(blobs);
    return parts.join('\n');
  }

  function expectNoCardAnywhere(text: string) {
    for (const card of CARDS) {
      expect(text).not.toContain(card);
      expect(text).not.toContain(digits(card));
    }
  }

  it('masks card numbers in subject, comment and every message, counts them, and leaves other digit runs alone', async () => {
    const record = chatRecord({
      subject: `Payment with ${CARDS[0]} — ${NOT_CARDS[0]}`,
      comment: `Customer read out ${CARDS[1]} and ${CARDS[2]}; ${NOT_CARDS[1]}`,
      messages: [
        { index: 1, from: { type: 'Customer' }, text: `my card is ${CARDS[3]}`, timestamp: '2025-03-10T09:00:01Z', type: 'Text' },
        {
          index: 2,
          from: { type: 'Agent' },
          text: `${NOT_CARDS[2]} and ${NOT_CARDS[3]}`,
          timestamp: '2025-03-10T09:00:02Z',
          type: 'Text',
        },
      ],
    });
    const created = await native(server, '/interactions', admin, { method: 'POST', json: record });
    expect(created.status).toBe(201);
    const stored = (await native(server, `/interactions/${created.body.id}`, admin)).body;
    expect(stored.subject).toBe(`Payment with ${masked(CARDS[0] as string)} — ${NOT_CARDS[0]}`);
    expect(stored.comment).toBe(
      `Customer read out ${masked(CARDS[1] as string)} and ${masked(CARDS[2] as string)}; ${NOT_CARDS[1]}`,
    );
    expect(stored.messages.map((m: { text: string }) => m.text)).toEqual([
      `my card is ${masked(CARDS[3] as string)}`,
      `${NOT_CARDS[2]} and ${NOT_CARDS[3]}`,
    ]);
    expect(stored.cardNumbersRedacted).toBe(4);

    // Appending and patching add to the count; a re-ingest of masked text adds nothing.
    const appended = await native(server, `/interactions/${created.body.id}/messages`, admin, {
      method: 'POST',
      json: {
        messages: [{ from: { type: 'Customer' }, text: `again: ${CARDS[4]}`, timestamp: '2025-03-10T09:00:03Z', type: 'Text' }],
      },
    });
    expect(appended.status).toBe(200);
    const patched = await native(server, `/interactions/${created.body.id}`, admin, {
      method: 'PATCH',
      headers: { 'content-type': 'application/merge-patch+json' },
      json: { comment: `corrected: ${CARDS[0]}` },
    });
    expect(patched.status).toBe(200);
    const after = (await native(server, `/interactions/${created.body.id}`, admin)).body;
    expect(after.messages.at(-1).text).toBe(`again: ${masked(CARDS[4] as string)}`);
    expect(after.comment).toBe(`corrected: ${masked(CARDS[0] as string)}`);
    expect(after.cardNumbersRedacted).toBe(6);
    const replaced = await native(server, '/interactions', admin, {
      method: 'POST',
      json: { ...after, content: undefined, cardNumbersRedacted: undefined },
    });
    expect(replaced.status).toBe(200);
    expect((await native(server, `/interactions/${created.body.id}`, admin)).body.cardNumbersRedacted).toBe(6);
  });

  it('masks the bodies of an email, and leaves its addresses alone', async () => {
    const created = await native(server, '/interactions', admin, {
      method: 'POST',
      json: chatRecord({
        mediaType: 'email',
        messages: [],
        subject: 'Payment',
        email: {
          from: 'customer@example.org',
          to: ['billing@example.com'],
          text: `Please charge ${CARDS[0]}. ${NOT_CARDS[0]}`,
          html: `<p>Please charge <b>${CARDS[1]}</b>.</p>`,
        },
      }),
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const stored = (await native(server, `/interactions/${created.body.id}`, admin)).body;
    expect(stored.email).toEqual({
      from: 'customer@example.org',
      to: ['billing@example.com'],
      text: `Please charge ${masked(CARDS[0] as string)}. ${NOT_CARDS[0]}`,
      html: `<p>Please charge <b>${masked(CARDS[1] as string)}</b>.</p>`,
    });
    expect(stored.cardNumbersRedacted).toBe(2);
  });

  it('masks batches record by record, and textual content (transcripts) on its way to the blob store', async () => {
    const batch = await native(server, '/interactions:batch', admin, {
      method: 'POST',
      json: { records: [chatRecord({ subject: `card ${CARDS[2]}` }), chatRecord({ subject: NOT_CARDS[0] })] },
    });
    expect(batch.status).toBe(200);
    const [first, second] = batch.body.results as { id: string }[];
    expect((await native(server, `/interactions/${first?.id}`, admin)).body).toMatchObject({
      subject: `card ${masked(CARDS[2] as string)}`,
      cardNumbersRedacted: 1,
    });
    const untouched = (await native(server, `/interactions/${second?.id}`, admin)).body;
    expect(untouched.subject).toBe(NOT_CARDS[0]);
    expect(untouched.cardNumbersRedacted).toBeUndefined();

    // A transcript large enough to arrive in many chunks, card numbers at every offset.
    const lines = Array.from(
      { length: 4000 },
      (_, i) => `line ${i}: ${i % 7 === 0 ? CARDS[i % CARDS.length] : NOT_CARDS[i % NOT_CARDS.length]}`,
    );
    const transcript = JSON.stringify({ words: lines });
    const put = await native(server, `/interactions/${first?.id}/content/transcript`, admin, {
      method: 'PUT',
      headers: { 'content-type': 'application/json; charset=utf-8' },
      body: transcript,
    });
    expect(put.status).toBe(201);
    const expectedCount = lines.filter((_, i) => i % 7 === 0).length;
    expect(put.body.cardNumbersRedacted).toBe(expectedCount);
    expect(put.body.contentLength).toBe(Buffer.byteLength(transcript));
    const download = await call(`${server.url}/api/v1/interactions/${first?.id}/content/transcript`, {
      headers: { authorization: admin },
    });
    const words = (download.body as { words: string[] }).words;
    expect(words[0]).toBe(`line 0: ${masked(CARDS[0] as string)}`);
    expect(words[1]).toBe(`line 1: ${NOT_CARDS[1]}`);
    expect(JSON.stringify(words)).not.toContain(digits(CARDS[0] as string));

    // A recording is bytes: never rewritten, whatever digits it holds (see containsSensitiveData for those).
    const wav = 'RIFF 4242 4242 4242 4242 WAVE';
    const recording = await native(server, `/interactions/${first?.id}/content/callRecording`, admin, {
      method: 'PUT',
      headers: { 'content-type': 'audio/wav' },
      body: wav,
    });
    expect(recording.body.cardNumbersRedacted).toBeUndefined();
    expect(
      (await call(`${server.url}/api/v1/interactions/${first?.id}/content/callRecording`, { headers: { authorization: admin } }))
        .body,
    ).toBe(wav);

    // Text in a charset whose digits are not ASCII bytes cannot be scanned: refused, naming the header.
    const utf16 = await native(server, `/interactions/${first?.id}/content/chatTranscript`, admin, {
      method: 'PUT',
      headers: { 'content-type': 'text/plain; charset=utf-16' },
      body: 'x',
    });
    expect(utf16.status).toBe(400);
    expect(utf16.body.field).toBe('Content-Type');
  });

  it("reports the tenant's counts to its admins only", async () => {
    const report = await native(server, '/redactions', admin);
    expect(report.status).toBe(200);
    expect(report.body.records.interactions).toBeGreaterThanOrEqual(2);
    expect(report.body.records.cardNumbers).toBeGreaterThanOrEqual(7);
    expect(report.body.content).toMatchObject({ items: 1 });
    expect(report.body.content.cardNumbers).toBeGreaterThan(500);
    expect((await native(server, '/redactions', server.basic('super1'))).status).toBe(403);
    expect((await native(server, '/redactions', server.basic('gadmin'))).body).toEqual({
      records: { interactions: 0, cardNumbers: 0 },
      content: { items: 0, cardNumbers: 0 },
    });
  });

  it('never lets an original reach the database, the blob store or the logs — refused input included', async () => {
    // A record refused for another field: its card number must not be echoed or logged either.
    const refused = await native(server, '/interactions', admin, {
      method: 'POST',
      json: chatRecord({ subject: `card ${CARDS[0]}`, startDate: 'not a date' }),
    });
    expect(refused.status).toBe(400);
    expectNoCardAnywhere(JSON.stringify(refused.body));
    const stored = await everythingStored();
    expectNoCardAnywhere(stored);
    expect(stored).toContain(NOT_CARDS[0]);
    const logged = logs.join('');
    expect(logged).toContain('/api/v1/interactions');
    expectNoCardAnywhere(logged);
    // PostgreSQL keeps no copy elsewhere we could read either: the statement log is off, bodies are never parameters of a log.
    if (BACKEND === 'postgres') {
      const { rows } = await sql<{ setting: string }>`select setting from pg_settings where name = 'log_statement'`.execute(
        runtime.store.db,
      );
      expect(rows[0]?.setting).not.toBe('all');
    }
  });

  it('masks what `ixvault import` loads too', async () => {
    const file = join(server.dataDir, 'import.ndjson');
    const principalsFile = join(server.dataDir, 'principals.json');
    await writeFile(principalsFile, JSON.stringify(PRINCIPALS));
    await writeFile(file, `${JSON.stringify(chatRecord({ id: 'IMPORTEDCARD0001', comment: `card ${CARDS[1]}` }))}\n`);
    const imported = await runCli(['import', file, '--tenant', 'acme', '--config', principalsFile, ...storeArgs(server)]);
    expect(imported.code, imported.stderr).toBe(0);
    const stored = (await native(server, '/interactions/IMPORTEDCARD0001', admin)).body;
    expect(stored).toMatchObject({ comment: `card ${masked(CARDS[1] as string)}`, cardNumbersRedacted: 1 });
  });

  it('is a tenant setting: a tenant that turned it off stores its text as sent', async () => {
    const gadmin = server.basic('gadmin');
    const created = await native(server, '/interactions', gadmin, {
      method: 'POST',
      json: chatRecord({ subject: `card ${CARDS[0]}` }),
    });
    expect(created.status).toBe(201);
    const stored = (await native(server, `/interactions/${created.body.id}`, gadmin)).body;
    expect(stored.subject).toBe(`card ${CARDS[0]}`);
    expect(stored.cardNumbersRedacted).toBeUndefined();
  });
});
