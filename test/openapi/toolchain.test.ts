/**
 * `/openapi.json` is good enough to generate a client from (issue 9): a
 * maintained linter (@redocly/cli, the repository's redocly.yaml) finds no
 * error in it, openapi-typescript generates the committed types from it
 * (test/openapi/generated/ixvault.d.ts; `npm run openapi:types` rewrites them),
 * a client written against those types only (./client.ts) type-checks, and
 * that client creates, patches, uploads to, searches and deletes an
 * interaction on a real server. Every tool runs from node_modules: nothing
 * is fetched.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKEND, removeTestData, startTestServer, type TestServer } from '../helpers/server.js';
import { ixvaultClient, lifecycle } from './client.js';

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '../..');
const GENERATED = join(ROOT, 'test/openapi/generated/ixvault.d.ts');
/** openapi-typescript is built on TypeScript 5's compiler API: it lives in its own workspace (see DECISIONS.md). */
const OPENAPI_TYPESCRIPT = join(
  dirname(createRequire(join(ROOT, 'tools/openapi-typescript/package.json')).resolve('openapi-typescript/package.json')),
  'bin/cli.js',
);
const REDOCLY = join(ROOT, 'node_modules/@redocly/cli/bin/cli.js');
const TSC = join(ROOT, 'node_modules/typescript/bin/tsc');
/** No telemetry, no update check: the tools must work offline. */
const OFFLINE = { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true', NO_COLOR: '1' };
const TOOL_TIMEOUT_MS = 180_000;

async function tool(args: string[]) {
  return run(process.execPath, args, { cwd: ROOT, env: OFFLINE, timeout: TOOL_TIMEOUT_MS, maxBuffer: 16 * 1024 * 1024 }).then(
    ({ stdout, stderr }) => ({ code: 0, output: `${stdout}${stderr}` }),
    (err: { code?: number; stdout?: string; stderr?: string }) => ({
      code: typeof err.code === 'number' ? err.code : 1,
      output: `${err.stdout ?? ''}${err.stderr ?? ''}`,
    }),
  );
}

describe(`the OpenAPI description generates a working client (${BACKEND})`, () => {
  let server: TestServer;
  let scratch: string;
  let spec: string;

  beforeAll(async () => {
    server = await startTestServer();
    scratch = await mkdtemp(join(tmpdir(), 'ixvault-openapi-'));
    spec = join(scratch, 'openapi.json');
    const res = await fetch(`${server.url}/openapi.json`);
    expect(res.status).toBe(200);
    await writeFile(spec, await res.text());
  });
  afterAll(async () => {
    await server.stop();
    await removeTestData(server);
    await rm(scratch, { recursive: true, force: true });
  });

  it('passes @redocly/cli lint with no error', async () => {
    const lint = await tool([REDOCLY, 'lint', '--config', join(ROOT, 'redocly.yaml'), '--format', 'stylish', spec]);
    expect(lint.output, lint.output).not.toMatch(/\berror\b/i);
    expect(lint.code, lint.output).toBe(0);
  });

  it('generates the committed TypeScript types with openapi-typescript', async () => {
    const fresh = join(scratch, 'ixvault.d.ts');
    const generated = await tool([OPENAPI_TYPESCRIPT, spec, '--output', fresh, '--default-non-nullable', 'false']);
    expect(generated.code, generated.output).toBe(0);
    const text = await readFile(fresh, 'utf8');
    if (process.env.IXVAULT_UPDATE_OPENAPI_TYPES === '1') await writeFile(GENERATED, text);
    const committed = await readFile(GENERATED, 'utf8').catch(() => '');
    expect(committed === text, 'the API changed: regenerate the types with `npm run openapi:types` and commit them').toBe(true);
  });

  it('type-checks the client against the generated types', async () => {
    const check = await tool([TSC, '--noEmit', '-p', join(ROOT, 'test/openapi/tsconfig.json')]);
    expect(check.output, check.output).toBe('');
    expect(check.code).toBe(0);
  });

  it('runs the client: create, patch, upload, search, read through Vonage, refuse an unknown field, delete', async () => {
    const writer = ixvaultClient(server.url, server.basic('admin1'));
    const readerToken = await server.bearer('acme-reader');
    const reader = ixvaultClient(server.url, readerToken);
    const result = await lifecycle(writer, reader, readerToken, server.url);

    expect(result.created).toBe(true);
    expect(result.patchedSubject).toBe('patched by the typed client');
    expect(result.uploaded).toEqual({ contentKey: 'callRecording', contentLength: 'RIFF typed client recording'.length });
    expect(result.found).toEqual([result.id]);
    expect(result.vonageContentType).toBe('audio/wav');
    expect(result.vonageBytes).toBe('RIFF typed client recording');
    expect(result.unknownField).toMatchObject({ status: 400, code: 'IXV_UNKNOWN_FIELD', field: 'customAttribute' });
    expect(result.deletedStatus).toBe(204);
    expect(result.afterDelete).toMatchObject({ status: 404, code: 'IXV_INTERACTION_NOT_FOUND' });
  });
});
