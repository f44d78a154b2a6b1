/**
 * The real `ixvault` process: import (and its dry run), the principals file,
 * tokens, migrations, and what `serve` says when it cannot listen or logs. One
 * test per behaviour, each running the CLI a few times at most, with timeouts
 * that leave room for a busy machine.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, startCli, storeArgs } from './helpers/cli.js';
import { callRecord, chatRecord } from './helpers/fixtures.js';
import { BACKEND, call, PRINCIPALS, removeTestData, startTestServer, type TestServer } from './helpers/server.js';
import { waitFor } from './helpers/wait.js';

const CLI_TIMEOUT = 60_000;

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

  it('answers --help from the binary', async () => {
    const top = await runCli(['--help']);
    expect(top.code).toBe(0);
    for (const command of [
      'serve',
      'import',
      'demo',
      'archive',
      'migrate',
      'token',
      'tenant',
      'user',
      'client',
      'principals',
      'reindex',
    ])
      expect(top.stdout).toContain(command);
    const importHelp = await runCli(['import', '--help']);
    expect(importHelp.stdout).toContain('Record format: one JSON object per line');
  });

  describe('import', () => {
    const lines = [
      JSON.stringify(chatRecord({ id: 'IMPORTED00000001' })),
      '{"mediaType": "call", broken',
      JSON.stringify(callRecord({ guid: undefined, contactId: 'import-contact' })),
      '',
      JSON.stringify({ mediaType: 'fax', startDate: '2025-01-01T00:00:00Z' }),
      JSON.stringify(callRecord({ guid: undefined, contactId: 'import-contact', subject: 'second' })),
    ];
    const admin = () => server.basic('admin1');
    // The tenant must be one of the principals file's.
    let principals: string;
    beforeAll(async () => {
      principals = join(dir, 'import-principals.json');
      await writeFile(principals, JSON.stringify(PRINCIPALS));
    });
    const found = async () =>
      (await call(`${server.url}/api/v1/interactions?contactId=import-contact`, { headers: { authorization: admin() } })).body
        .items;

    it(
      'validates without writing on --dry-run',
      async () => {
        const file = join(dir, 'dry.ndjson');
        await writeFile(file, `${lines.join('\n')}\n`);
        const dry = await runCli(['import', file, '--tenant', 'acme', '--config', principals, '--dry-run', ...storeArgs(server)]);
        expect(dry.code).toBe(2);
        expect(dry.stderr).toContain(`${file}:2: not JSON`);
        expect(dry.stderr).toContain(`${file}:5: mediaType: 'fax' is not one of`);
        expect(dry.stdout).toContain('dry run: 3 valid records, 2 invalid lines');
        expect(await found()).toHaveLength(0);
      },
      CLI_TIMEOUT,
    );

    it(
      'imports NDJSON with per-line errors and idempotent re-runs',
      async () => {
        const file = join(dir, 'history.ndjson');
        await writeFile(file, `${lines.join('\n')}\n`);
        // Another process writes into the same store while the server keeps running (SQLite WAL, or PostgreSQL).
        const first = await runCli(['import', file, '--tenant', 'acme', '--config', principals, ...storeArgs(server)]);
        expect(first.code).toBe(2);
        expect(first.stderr).toContain(`${file}:2: not JSON`);
        expect(first.stderr).toContain(`${file}:5: mediaType: 'fax' is not one of`);
        expect(first.stdout).toContain('imported 3 interactions');
        const second = await runCli(['import', file, '--tenant', 'acme', '--config', principals, ...storeArgs(server)]);
        expect(second.stdout).toContain('imported 3 interactions');
        expect(await found()).toHaveLength(2);
        const chat = await call(`${server.url}/api/v1/interactions/IMPORTED00000001`, { headers: { authorization: admin() } });
        expect(chat.body.messages).toHaveLength(2);
      },
      CLI_TIMEOUT,
    );

    it(
      "imports the README's and --help's example line",
      async () => {
        const help = await runCli(['import', '--help']);
        const example =
          help.stdout
            .split('\n')
            .find((line) => line.trim().startsWith('{'))
            ?.trim() ?? '';
        const file = join(dir, 'history.ndjson.example');
        await writeFile(file, `${example}\n`);
        const readme = await readFile('README.md', 'utf8');
        expect(readme).toContain(example);
        // What the README says each of its two import lines prints, with this test's file for history.ndjson.
        const said = (flags: string) =>
          new RegExp(`^npx ixvault import history\\.ndjson --tenant demo${flags}\\s+# (.+)$`, 'm')
            .exec(readme)?.[1]
            ?.replaceAll('history.ndjson', file);
        const dry = await runCli(['import', file, '--tenant', 'acme', '--config', principals, '--dry-run']);
        expect(dry.code, dry.stderr).toBe(0);
        expect(dry.stdout.trim()).toBe(said(' --dry-run'));
        const res = await runCli(['import', file, '--tenant', 'acme', '--config', principals, ...storeArgs(server)]);
        expect(res.code, res.stderr).toBe(0);
        expect(res.stdout.trim()).toBe(said(''));
      },
      CLI_TIMEOUT,
    );
  });

  describe('principals file', () => {
    let config: string;
    let password: string;
    let secret: string;
    beforeAll(() => {
      config = join(dir, 'principals.yaml');
    });

    it(
      'adds a tenant and a user, storing only the hash of the generated password',
      async () => {
        const tenant = await runCli(['tenant', 'add', 'initech', '--config', config, '--time-zone', 'America/Chicago']);
        expect(tenant.code).toBe(0);
        // It says what to do next, with the file it wrote.
        expect(tenant.stdout).toBe(
          `added tenant initech; next: ixvault user add --config ${config} --tenant initech --user-name NAME --role admin, then ixvault serve --config ${config}\n`,
        );
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
        password = /with password (\S+)/.exec(user.stdout)?.[1] ?? '';
        expect(password).not.toBe('');
        // The only time the password shows: the output says so, and where its hash went.
        expect(user.stdout).toContain(`(shown only now: ${config} keeps its hash)`);
        const text = await readFile(config, 'utf8');
        expect(text).toContain('scrypt$');
        expect(text).not.toContain(password);
      },
      CLI_TIMEOUT,
    );

    it(
      'adds a client and lists the file without secrets',
      async () => {
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
        secret = /with secret (\S+)/.exec(client.stdout)?.[1] ?? '';
        expect(secret).not.toBe('');
        expect(client.stdout).toContain(`(shown only now: ${config} keeps its hash)`);
        expect(await readFile(config, 'utf8')).not.toContain(secret);
        const list = await runCli(['principals', '--config', config]);
        expect(list.stdout).toContain('tenant initech (time zone America/Chicago');
        expect(list.stdout).toContain('user   peter id=p-1 role=agent');
      },
      CLI_TIMEOUT,
    );

    it(
      'explains an unknown tenant and a bad role',
      async () => {
        const bad = await runCli([
          'user',
          'add',
          '--config',
          config,
          '--tenant',
          'nowhere',
          '--user-name',
          'x',
          '--role',
          'agent',
        ]);
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
      },
      CLI_TIMEOUT,
    );

    it(
      'issues a token for the client, and refuses a wrong secret naming the principals file',
      async () => {
        const data = await mkdtemp(join(dir, 'data-'));
        const token = await runCli([
          'token',
          '--config',
          config,
          '--data',
          data,
          '--client-id',
          'tps',
          '--client-secret',
          secret,
        ]);
        expect(token.code, token.stderr).toBe(0);
        expect(JSON.parse(token.stdout)).toMatchObject({
          token_type: 'Bearer',
          scope: 'interaction-content:read interactions:read',
        });
        const refused = await runCli([
          'token',
          '--config',
          config,
          '--data',
          data,
          '--client-id',
          'tps',
          '--client-secret',
          'wrong',
        ]);
        expect(refused.code).toBe(1);
        expect(refused.stderr).toContain("invalid client credentials for 'tps'");
        expect(refused.stderr).toContain('principals.yaml');
      },
      CLI_TIMEOUT,
    );

    it(
      'removes a user',
      async () => {
        expect((await runCli(['user', 'remove', 'peter', '--config', config])).code).toBe(0);
        expect((await runCli(['principals', '--config', config])).stdout).not.toContain('peter');
      },
      CLI_TIMEOUT,
    );
  });

  it(
    'token uses the demo principals of the data directory when --config is absent, and says which file it used',
    async () => {
      const data = join(dir, 'demo-data');
      await mkdir(data, { recursive: true });
      const none = await runCli(['token', '--data', data, '--client-id', 'demo-qa', '--client-secret', 'x'], {
        IXVAULT_CONFIG: '',
      });
      expect(none.code).toBe(1);
      expect(none.stderr).toContain('--config');
      expect(none.stderr).toContain('demo-principals.json does not exist');
      const added = await runCli(['tenant', 'add', 'demo', '--config', join(data, 'demo-principals.json')]);
      expect(added.code).toBe(0);
      const client = await runCli([
        'client',
        'add',
        '--config',
        join(data, 'demo-principals.json'),
        '--tenant',
        'demo',
        '--client-id',
        'demo-qa',
      ]);
      const secret = /with secret (\S+)/.exec(client.stdout)?.[1] ?? '';
      const token = await runCli(['token', '--data', data, '--client-id', 'demo-qa', '--client-secret', secret], {
        IXVAULT_CONFIG: '',
      });
      expect(token.code, token.stderr).toBe(0);
      expect(JSON.parse(token.stdout).token_type).toBe('Bearer');
      const refused = await runCli(['token', '--data', data, '--client-id', 'demo-qa', '--client-secret', 'wrong'], {
        IXVAULT_CONFIG: '',
      });
      expect(refused.stderr).toContain(`(principals from ${join(data, 'demo-principals.json')})`);
    },
    CLI_TIMEOUT,
  );

  it(
    'migrates an existing store idempotently',
    async () => {
      const res = await runCli(['migrate', ...storeArgs(server)]);
      expect(res.code, res.stderr).toBe(0);
      expect(res.stdout).toContain('database is up to date');
    },
    CLI_TIMEOUT,
  );

  it(
    'demo refuses a count that is not one, naming the flag, says where the demo users are, and the maintenance commands find them',
    async () => {
      const data = await mkdtemp(join(dir, 'demo-'));
      // Before, `--interactions abc` loaded nothing and succeeded; `--days x` failed as 'Invalid time value'.
      const typo = await runCli(['demo', '--data', data, '--interactions', 'abc']);
      expect(typo.code).toBe(1);
      expect(typo.stderr).toBe("ixvault: --interactions must be a whole number >= 1, got 'abc'\n");
      const days = await runCli(['demo', '--data', data, '--interactions', '5', '--days', 'x']);
      expect(days.stderr).toBe("ixvault: --days must be a whole number >= 1, got 'x'\n");
      const maxErrors = await runCli(['import', 'README.md', '--tenant', 'acme', '--config', 'x.json', '--max-errors', '0']);
      expect(maxErrors.stderr).toBe("ixvault: --max-errors must be a whole number >= 1, got '0'\n");
      const loaded = await runCli(['demo', '--data', data, '--interactions', '12'], { IXVAULT_DATABASE_URL: '' });
      expect(loaded.code, loaded.stderr).toBe(0);
      expect(loaded.stdout).toBe(
        `loaded 12 interactions and ${/and (\d+) content/.exec(loaded.stdout)?.[1]} content items into tenant demo; ` +
          `its users and passwords are in ${join(data, 'demo-principals.json')} (ixvault serve --demo serves them)\n`,
      );
      // The maintenance commands find the demo's tenant as token and import do, without --config.
      const noConfig = { IXVAULT_CONFIG: '', IXVAULT_DATABASE_URL: '' };
      const verified = await runCli(['audit', 'verify', '--data', data], noConfig);
      expect(verified.code, verified.stderr).toBe(0);
      expect(verified.stdout).toMatch(/^demo: /);
      const retention = await runCli(['retention', 'run', '--dry-run', '--data', data], noConfig);
      expect(retention.code, retention.stderr).toBe(0);
      expect(retention.stdout).toMatch(/^demo \(active policy, \d+ rules\): would remove \d+ interactions/);
      // With no principals at all, retention used to do nothing and say nothing.
      const empty = await mkdtemp(join(dir, 'no-principals-'));
      const nothing = await runCli(['retention', 'run', '--data', empty], noConfig);
      expect(nothing.code).toBe(1);
      expect(nothing.stderr).toBe(
        'ixvault: no tenants to apply retention to: give the principals file (--config FILE, or IXVAULT_CONFIG) or --tenant ID\n',
      );
    },
    CLI_TIMEOUT,
  );

  it(
    'names the PostgreSQL server it cannot open and what to check, never the password',
    async () => {
      const refused = await runCli(['migrate', '--database-url', 'postgres://someone:sekrit@127.0.0.1:1/ixvault']);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toBe(
        'ixvault: cannot open PostgreSQL at 127.0.0.1:1/ixvault (--database-url or IXVAULT_DATABASE_URL): connect ECONNREFUSED 127.0.0.1:1; is PostgreSQL running and listening there?\n',
      );
      if (!server.databaseUrl) return;
      // A database that does not exist on a server that does (the PostgreSQL half only).
      const url = new URL(server.databaseUrl);
      url.pathname = '/ixvault_never_created';
      const missing = await runCli(['migrate', '--database-url', url.href]);
      expect(missing.code).toBe(1);
      expect(missing.stderr).toContain(`cannot open PostgreSQL at ${url.hostname}:${url.port}/ixvault_never_created`);
      expect(missing.stderr).toContain('create the database first');
      if (url.password) expect(missing.stderr).not.toContain(url.password);
    },
    CLI_TIMEOUT,
  );

  describe('serve', () => {
    const port = () => Number(new URL(server.url).port);

    it(
      'says in one line what to do when the port is taken',
      async () => {
        const data = await mkdtemp(join(dir, 'busy-'));
        const res = await runCli(['serve', '--data', data, '--port', String(port())]);
        expect(res.code).toBe(1);
        const lines = res.stderr.trim().split('\n');
        expect(lines).toHaveLength(1);
        expect(lines[0]).toBe(
          `ixvault: 127.0.0.1:${port()} is already in use (another ixvault on that port?): stop it, or choose another port with --port N or IXVAULT_PORT=N`,
        );
      },
      CLI_TIMEOUT,
    );

    it(
      'npm start (scripts/start.mjs) serves in its own process with the arguments given, and stops on SIGTERM',
      async () => {
        const data = await mkdtemp(join(dir, 'start-'));
        const config = join(data, 'principals.json');
        await writeFile(config, JSON.stringify(PRINCIPALS));
        // As `npm start -- --port 0 --config FILE`: installed already, so no npm ci; --config skips the demo data.
        const child = spawn(process.execPath, ['scripts/start.mjs', '--port', '0', '--data', data, '--config', config], {
          env: { ...process.env, IXVAULT_DATABASE_URL: '' },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let output = '';
        child.stdout?.on('data', (d) => {
          output += d;
        });
        child.stderr?.on('data', (d) => {
          output += d;
        });
        const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
        try {
          const url = await waitFor(() => /listening on (http:\/\/\S+)/.exec(output)?.[1], 'the banner');
          expect(output).not.toContain('npm ci');
          expect(output).toContain(`  console:            ${url}/console/`);
          expect((await fetch(`${url}/health`)).status).toBe(200);
        } finally {
          // SIGTERM reaches the server itself: no wrapper process between them.
          child.kill('SIGTERM');
        }
        expect(await exited).toBe(0);
        expect(output).toContain('shutting down');
      },
      CLI_TIMEOUT,
    );

    for (const format of ['pretty', 'json'] as const) {
      it(
        `logs one ${format} access line per request`,
        async () => {
          const data = await mkdtemp(join(dir, `log-${format}-`));
          // Not a terminal here: JSON is the default, pretty is asked for.
          const child = startCli([
            'serve',
            '--data',
            data,
            '--port',
            '0',
            ...(format === 'pretty' ? ['--log-format', 'pretty'] : []),
          ]);
          let stdout = '';
          child.stdout?.on('data', (d) => {
            stdout += d;
          });
          const exited = new Promise((resolve) => child.on('exit', resolve));
          try {
            const url = await waitFor(() => /listening on (http:\/\/\S+)/.exec(stdout)?.[1], 'the banner');
            expect((await fetch(`${url}/health`)).status).toBe(200);
            const line = await waitFor(() => stdout.split('\n').find((l) => l.includes('GET /health 200')), 'the access line');
            if (format === 'json') {
              expect(JSON.parse(line)).toMatchObject({ level: 30, method: 'GET', url: '/health', statusCode: 200 });
            } else {
              expect(line).toMatch(/^\d\d:\d\d:\d\d GET \/health 200 \d+ ms$/);
              expect(stdout).not.toContain('{"level"');
            }
            expect(stdout.split('\n').filter((l) => l.includes('/health'))).toHaveLength(1);
          } finally {
            child.kill('SIGTERM');
            await exited;
          }
          expect(existsSync(join(data, 'secret.key'))).toBe(true);
        },
        CLI_TIMEOUT,
      );
    }
  });
});
