/**
 * Finding 13 (keys): secrets shorter than 32 bytes are refused, the key file
 * is created atomically and readable by its owner only, and a token without
 * `exp` is refused.
 */
import { execFile } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { credentialStamp } from '../../src/auth/authenticator.js';
import { deriveKeys, loadSecret, MIN_SECRET_BYTES } from '../../src/auth/secrets.js';
import { BACKEND } from '../helpers/server.js';
import { type InProcess, openInProcess } from './harness.js';

const run = promisify(execFile);

describe('the deployment secret', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ixvault-keys-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('refuses an IXVAULT_SECRET shorter than 32 bytes, empty included', async () => {
    for (const secret of ['', 'short', 'x'.repeat(MIN_SECRET_BYTES - 1)])
      await expect(loadSecret(join(dir, 'unused'), secret)).rejects.toThrow(/IXVAULT_SECRET.*at least 32/);
    expect((await loadSecret(join(dir, 'unused'), 'x'.repeat(MIN_SECRET_BYTES))).length).toBe(MIN_SECRET_BYTES);
  });

  it('refuses an empty or short key file instead of signing with it', async () => {
    const files: [string, string][] = [
      ['empty', ''],
      ['blank', '\n'],
      ['short', `${Buffer.alloc(8, 1).toString('base64url')}\n`],
    ];
    for (const [name, content] of files) {
      const data = join(dir, name);
      await rm(data, { recursive: true, force: true });
      await mkdir(data);
      await writeFile(join(data, 'secret.key'), content, { mode: 0o600 });
      await expect(loadSecret(data), name).rejects.toThrow(/secret\.key.*at least 32/);
    }
  });

  it('creates one 0600 key file when many starters race, and every one reads the same secret', async () => {
    const data = join(dir, 'race-in-process');
    const secrets = await Promise.all(Array.from({ length: 32 }, () => loadSecret(data)));
    expect(new Set(secrets.map((s) => s.toString('hex'))).size).toBe(1);
    expect(secrets[0]?.length).toBeGreaterThanOrEqual(MIN_SECRET_BYTES);
    expect((await stat(join(data, 'secret.key'))).mode & 0o777).toBe(0o600);
    expect((await stat(data)).mode & 0o077).toBe(0);
  });

  it('two processes starting together agree on one secret', async () => {
    const data = join(dir, 'race-processes');
    const module = new URL('../../dist/auth/secrets.js', import.meta.url).href;
    const script = `import(${JSON.stringify(module)}).then((m) => m.loadSecret(${JSON.stringify(data)})).then((s) => process.stdout.write(s.toString('hex')))`;
    const outputs = await Promise.all(
      Array.from({ length: 6 }, () => run(process.execPath, ['--input-type=module', '-e', script]).then((r) => r.stdout)),
    );
    expect(new Set(outputs).size).toBe(1);
    expect(outputs[0]?.length).toBe(MIN_SECRET_BYTES * 2);
    const fileSecret = Buffer.from((await readFile(join(data, 'secret.key'), 'utf8')).trim(), 'base64url');
    expect(fileSecret.toString('hex')).toBe(outputs[0]);
  });

  it('tightens a key file others could read to 0600', async () => {
    const data = join(dir, 'loose');
    await loadSecret(data);
    await chmod(join(data, 'secret.key'), 0o644);
    await loadSecret(data);
    expect((await stat(join(data, 'secret.key'))).mode & 0o777).toBe(0o600);
  });
});

describe(`tokens must carry exp (${BACKEND})`, () => {
  let ix: InProcess;
  beforeAll(async () => {
    ix = await openInProcess();
  });
  afterAll(() => ix.close());

  it('refuses a correctly signed bearer token or session cookie without exp', async () => {
    const keys = deriveKeys(Buffer.from('input-tests-secret-0123456789abcdef'));
    // Each with the credential claim the server signs in, so that only exp is missing.
    const cv = credentialStamp(keys.token, ix.runtime.auth.directory.clients.get('acme-qa')?.credential ?? '');
    const forever = await new SignJWT({ tid: 'acme', scope: 'interactions:read interaction-content:read', cv })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('acme-qa')
      .setIssuer('ixvault')
      .setAudience('api')
      .setIssuedAt()
      .sign(keys.token);
    const bearer = await ix.inject({
      method: 'GET',
      url: '/api/v1/interactions',
      headers: { authorization: `Bearer ${forever}` },
    });
    expect(bearer.statusCode).toBe(401);
    const admin = ix.runtime.auth.directory.usersById.get('acme/admin-1')?.credential ?? '';
    const session = await new SignJWT({ tid: 'acme', cv: credentialStamp(keys.session, admin) })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('admin-1')
      .setIssuer('ixvault')
      .setAudience('session')
      .setIssuedAt()
      .sign(keys.session);
    const cookie = await ix.inject({ method: 'GET', url: '/api/v1/interactions', headers: { cookie: `ixv_session=${session}` } });
    expect(cookie.statusCode).toBe(401);
    // The same tokens with exp are accepted: the refusal is about exp alone.
    const expiring = await new SignJWT({ tid: 'acme', scope: 'interactions:read', cv })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('acme-qa')
      .setIssuer('ixvault')
      .setAudience('api')
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(keys.token);
    const ok = await ix.inject({ method: 'GET', url: '/api/v1/interactions', headers: { authorization: `Bearer ${expiring}` } });
    expect(ok.statusCode).toBe(200);
  });
});
