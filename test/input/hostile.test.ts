/**
 * The hostile-input suite: requests generated from the OpenAPI description
 * (see hostile.ts) against every operation, on the backend of the run;
 * not one may be answered ≥ 500, leak an internal message, or log an error
 * (a Genesys search fails after its 200, where only the log would tell).
 * Bounded here; `npm run fuzz -- --requests 100000` runs the same with more.
 */
import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callRecord, chatRecord } from '../helpers/fixtures.js';
import { BACKEND } from '../helpers/server.js';
import { type InProcess, openInProcess } from './harness.js';
import { hostileRequests, type Known, type OpenApi, operationsOf, runHostile, withRecordSchemas } from './hostile.js';

const REQUESTS = Number(process.env.IXVAULT_FUZZ_REQUESTS ?? 1200);
const SEED = Number(process.env.IXVAULT_FUZZ_SEED ?? 20261121);

describe(`hostile input generated from the OpenAPI description (${BACKEND})`, () => {
  let ix: InProcess;
  const errorLog: string[] = [];
  let known: Known;

  beforeAll(async () => {
    ix = await openInProcess({ onErrorLog: (line) => errorLog.push(line) });
    const admin = ix.basic('admin1');
    const json = { authorization: admin, 'content-type': 'application/json' };
    const created = [];
    for (const record of [chatRecord(), callRecord(), callRecord({ handlingAgents: [{ id: 'agent-1' }] })]) {
      const res = await ix.inject({ method: 'POST', url: '/api/v1/interactions', headers: json, payload: record });
      expect(res.statusCode).toBe(201);
      created.push(res.json() as { id: string; guid: string });
    }
    for (const { id } of created) {
      const put = await ix.inject({
        method: 'PUT',
        url: `/api/v1/interactions/${id}/content/callRecording`,
        headers: { authorization: admin, 'content-type': 'audio/wav' },
        payload: Buffer.from('RIFF-recording-bytes'),
      });
      expect(put.statusCode).toBe(201);
    }
    const withCookie = await ix.inject({
      method: 'GET',
      url: '/api/v2/ucs/interactions',
      headers: { authorization: ix.basic('super1') },
    });
    const sessionCookie = String(withCookie.headers['set-cookie'] ?? '').split(';')[0] ?? '';
    known = {
      authorizations: [admin, admin, await ix.bearer('acme-qa'), ix.basic('super1'), ix.basic('agent1'), ix.basic('gadmin')],
      sessionCookie,
      ids: created.map((c) => c.id),
      guids: created.map((c) => c.guid),
      contentKeys: ['callRecording'],
    };
  });
  afterAll(async () => {
    await ix.close();
  });

  it(
    `answers ${REQUESTS} generated requests with no status ≥ 500 and no internal message`,
    async () => {
      const spec = (await ix.inject({ method: 'GET', url: '/openapi.json' })).json() as OpenApi;
      const operations = withRecordSchemas(operationsOf(spec));
      expect(operations.length).toBeGreaterThanOrEqual(20);
      const started = Date.now();
      const tally = await runHostile(ix.inject, hostileRequests(operations, known), {
        count: REQUESTS,
        seed: SEED,
        onProgress: (done) => {
          if (REQUESTS > 5000 && done % 5000 === 0) console.log(`hostile input (${BACKEND}): ${done}/${REQUESTS}`);
        },
      });
      // Genesys searches run after their answer: wait for them before reading the log.
      await ix.app.close();
      const summary = `${BACKEND}: ${tally.summary()}; errors logged: ${errorLog.length}; seed ${SEED}; ${((Date.now() - started) / 1000).toFixed(0)} s`;
      console.log(`hostile input — ${summary}`);
      if (process.env.IXVAULT_FUZZ_REPORT)
        writeFileSync(
          `${process.env.IXVAULT_FUZZ_REPORT}.${BACKEND}.json`,
          JSON.stringify({
            backend: BACKEND,
            seed: SEED,
            total: tally.total,
            byStatus: Object.fromEntries(tally.byStatus),
            failures: tally.failed,
            errorsLogged: errorLog.length,
          }),
        );
      expect(tally.failures.slice(0, 5)).toEqual([]);
      expect(errorLog.slice(0, 5)).toEqual([]);
      // Most requests must get past authentication, or the suite would only be testing the 401.
      expect([...tally.byStatus.entries()].filter(([s]) => s !== 401).reduce((n, [, c]) => n + c, 0)).toBeGreaterThan(
        REQUESTS / 2,
      );
    },
    120_000 + REQUESTS * 100,
  );
});
