/**
 * ixvault in-process for the input tests: the real app and runtime on the
 * backend of the run (SQLite in a temporary directory, or a fresh database on
 * the suite's PostgreSQL cluster), driven with `app.inject`, no socket.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { buildApp } from '../../src/app.js';
import { openRuntime, type Runtime } from '../../src/runtime.js';
import { createTestDatabase, PRINCIPALS } from '../helpers/server.js';

export const VONAGE_ACCEPT = 'application/vnd.newvoicemedia.v3+json';

export interface InProcess {
  app: FastifyInstance;
  runtime: Runtime;
  inject(options: InjectOptions): Promise<LightMyRequestResponse>;
  /** Authorization header of a user of PRINCIPALS (password pw-<userName>). */
  basic(userName: string): string;
  /** Authorization header with a bearer token of a client of PRINCIPALS, optionally narrowed to some scopes. */
  bearer(clientId: string, scope?: string): Promise<string>;
  close(): Promise<void>;
}

export interface InProcessOptions {
  maxContentBytes?: number;
  /** Receives every line the app logs at level error or above (failures the client never saw, too). */
  onErrorLog?: (line: string) => void;
}

export async function openInProcess(options: InProcessOptions = {}): Promise<InProcess> {
  const dataDir = await mkdtemp(join(tmpdir(), 'ixvault-input-'));
  const runtime = await openRuntime({
    dataDir,
    databaseUrl: await createTestDatabase(),
    principals: PRINCIPALS,
    maxContentBytes: options.maxContentBytes ?? 1024 * 1024,
    secret: 'input-tests-secret-0123456789abcdef',
    poolSize: 4,
  });
  const onErrorLog = options.onErrorLog;
  const app = await buildApp(runtime, onErrorLog ? { logger: { level: 'error', stream: { write: onErrorLog } } } : {});
  await app.ready();
  const inject = (options: InjectOptions) => app.inject(options);
  return {
    app,
    runtime,
    inject,
    basic: (userName) => `Basic ${Buffer.from(`${userName}:pw-${userName}`).toString('base64')}`,
    async bearer(clientId, scope) {
      const form = new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: clientId,
        client_secret: `secret-${clientId}`,
      });
      if (scope) form.set('scope', scope);
      const res = await inject({
        method: 'POST',
        url: '/oauth2/token',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: form.toString(),
      });
      if (res.statusCode !== 200) throw new Error(`token for ${clientId}: ${res.statusCode} ${res.body}`);
      return `Bearer ${res.json().access_token}`;
    },
    async close() {
      await app.close();
      await runtime.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
