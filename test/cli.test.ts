import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, storeArgs } from './helpers/cli.js';
import { callRecord, chatRecord } from './helpers/fixtures.js';
import { BACKEND, call, PRINCIPALS, removeTestData, startTestServer, type TestServer } from './helpers/server.js';

describe(`command line (${BACKEND})`, () => {
  let server: TestServer;
  let dir: string;

  beforeAll(async () => {
    server = await startTestServer();
    dir = await mkdtemp(join(tmpdir(), 'ixvault-cli-'));
  });
  afterAll(async () => {
    await server.stop();
    await removeTestData(server);
    await rm(dir, { recursive: true, force: true });
  });

  it('has --help on every command', async () => {
    const top = await runCli(['--help']);
    expect(top.code).toBe(0);
    const commands = ['serve', 'import', 'demo', 'archive', 'migrate', 'token', 'tenant', 'user', 'client', 'principals'];
    for (const command of commands) expect(top.stdout).toContain(command);
    for (const command of [...commands, 'tenant add', 'user add', 'user remove', 'client add', 'client remove']) {
      const res = await runCli([...command.split(' '), '--help']);
      expect(res.code, command).toBe(0);
      expect(res.stdout, command).toContain('Usage: ixvault');
      expect(res.stdout, command).toContain('--help');
    }
  });

  it('imports NDJSON with per-line errors and idempotent re-runs', async () => {
    const file = join(dir, 'history.ndjson');
    const lines = [
      JSON.stringify(chatRecord({ id: 'IMPORTED00000001' })),
      '{"mediaType": "call", broken',
      JSON.stringify(callRecord({ guid: undefined, contactId: 'import-contact' })),
      '',
      JSON.stringify({ mediaType: 'fax', startDate: '2025-01-01T00:00:00Z' }),
      JSON.stringify(callRecord({ guid: undefined, contactId: 'import-contact', subject: 'second' })),
    ];
    await writeFile(file, `${lines.join('\n')}\n`);
    const principals = join(dir, 'import-principals.json');
    await writeFile(principals, JSON.stringify(PRINCIPALS));
    const importArgs = [file, '--tenant', 'acme', '--config', principals, ...storeArgs(server)];
    // Another process writes into the same store while the server keeps running (SQLite WAL, or PostgreSQL).
    const first = await runCli(['import', ...importArgs]);
    expect(first.code).toBe(2);
    expect(first.stderr).toContain(`${file}:2: not JSON`);
    expect(first.stderr).toContain(`${file}:5: mediaType: 'fax' is not one of`);
    expect(first.stdout).toContain('imported 3 interactions');
    const second = await runCli(['import', ...importArgs]);
    expect(second.stdout).toContain('imported 3 interactions');
    const admin = server.basic('admin1');
    const found = await call(`${server.url}/api/v1/interactions?contactId=import-contact`, { headers: { authorization: admin } });
    expect(found.body.items).toHaveLength(2);
    const chat = await call(`${server.url}/api/v1/interactions/IMPORTED00000001`, { headers: { authorization: admin } });
    expect(chat.body.messages).toHaveLength(2);
  });

  it('manages principals in a config file, storing only hashes', async () => {
    const config = join(dir, 'principals.yaml');
    expect((await runCli(['tenant', 'add', 'initech', '--config', config, '--time-zone', 'America/Chicago'])).code).toBe(0);
    const user = await runCli([
      'user',
      'add',
      '--config',
      config,
      '--tenant',
      'initech',
      '--user-name',
      'peter',
      '--role',
      'agent',
      '--id',
      'p-1',
    ]);
    expect(user.code).toBe(0);
    const password = /with password (\S+)/.exec(user.stdout)?.[1];
    expect(password).toBeTruthy();
    const client = await runCli([
      'client',
      'add',
      '--config',
      config,
      '--tenant',
      'initech',
      '--client-id',
      'tps',
      '--scopes',
      'interaction-content:read,interactions:read',
    ]);
    const secret = /with secret (\S+)/.exec(client.stdout)?.[1] ?? '';
    const text = await readFile(config, 'utf8');
    expect(text).toContain('scrypt$');
    expect(text).not.toContain(password);
    expect(text).not.toContain(secret);
    const list = await runCli(['principals', '--config', config]);
    expect(list.stdout).toContain('tenant initech (time zone America/Chicago');
    expect(list.stdout).toContain('user   peter id=p-1 role=agent');
    const bad = await runCli(['user', 'add', '--config', config, '--tenant', 'nowhere', '--user-name', 'x', '--role', 'agent']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("no tenant 'nowhere'");
    const badRole = await runCli([
      'user',
      'add',
      '--config',
      config,
      '--tenant',
      'initech',
      '--user-name',
      'y',
      '--role',
      'king',
    ]);
    expect(badRole.stderr).toContain('--role');

    const data = await mkdtemp(join(dir, 'data-'));
    const token = await runCli(['token', '--config', config, '--data', data, '--client-id', 'tps', '--client-secret', secret]);
    expect(token.code, token.stderr).toBe(0);
    expect(JSON.parse(token.stdout)).toMatchObject({ token_type: 'Bearer', scope: 'interaction-content:read interactions:read' });
    const refused = await runCli(['token', '--config', config, '--data', data, '--client-id', 'tps', '--client-secret', 'wrong']);
    expect(refused.code).toBe(1);
    expect((await runCli(['user', 'remove', 'peter', '--config', config])).code).toBe(0);
    expect((await runCli(['principals', '--config', config])).stdout).not.toContain('peter');
  });

  it('migrates an existing store idempotently', async () => {
    const res = await runCli(['migrate', ...storeArgs(server)]);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toContain('database is up to date');
  });
});
