/**
 * A newcomer's first hour, as the README tells it: the quick start is two commands (`npm start`
 * installs a fresh checkout first), every `npx ixvault …` line of the README is a command with the
 * options it shows, `serve --help` puts a first run's options first and names every default, and the
 * banner tells where everything is and how to stop. The README's import lines are checked against
 * the real CLI in test/cli.test.ts, its console address in test/console/server.test.ts.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureInstalled, needsInstall, nodeProblem } from '../../scripts/ensure-installed.mjs';
import { counted } from '../../src/cli/common.js';
import { buildProgram } from '../../src/cli/main.js';
import { bannerText } from '../../src/cli/serve.js';
import { DEFAULTS, EDGE_DEFAULTS } from '../../src/config.js';

const README = await readFile(new URL('../../README.md', import.meta.url), 'utf8');

/** The fenced `sh` blocks of a README section (from its heading to the next `## `). */
function shellBlocksOf(heading: string): string[] {
  const start = README.indexOf(`\n${heading}\n`);
  expect(start, heading).toBeGreaterThan(0);
  const end = README.indexOf('\n## ', start + heading.length + 1);
  const section = README.slice(start, end < 0 ? undefined : end);
  return [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1] ?? '');
}

/** A command line's words, without its comment, quotes kept together. */
const wordsOf = (line: string) => (line.replace(/\s#.*$/, '').match(/"[^"]*"|'[^']*'|\S+/g) ?? []) as string[];

describe('the first hour', () => {
  it('the quick start is two commands: npm start installs and serves the demo, npm test tests', async () => {
    const [first] = shellBlocksOf('## Quick start');
    const commands = (first ?? '')
      .split('\n')
      .map((line) => line.replace(/\s#.*$/, '').trim())
      .filter(Boolean);
    expect(commands).toEqual(['npm start', 'npm test']);
    const scripts = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')).scripts;
    // No prestart: npm would run it before start.mjs could install what it needs (vite).
    expect(scripts.prestart).toBeUndefined();
    expect(scripts.start).toBe('node scripts/start.mjs');
    const start = await readFile(new URL('../../scripts/start.mjs', import.meta.url), 'utf8');
    expect(start).toContain("ensureInstalled(root, { command: 'npm start' })");
    expect(start).toContain("'serve', '--demo'");
    const test = await readFile(new URL('../../scripts/test.mjs', import.meta.url), 'utf8');
    expect(test).toContain("{ command: 'npm test' }");
  });

  it("refuses a Node.js outside package.json's engines before installing, naming the versions it needs", async () => {
    const engines = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')).engines.node;
    expect(engines).toBe('^20.19.0 || ^22.12.0');
    for (const ok of ['20.19.0', '20.20.2', '22.12.0', '22.21.1', process.versions.node])
      expect(nodeProblem(ok), ok).toBeUndefined();
    for (const old of ['18.20.4', '20.18.3', '21.7.0', '22.11.0'])
      expect(nodeProblem(old)).toBe(
        `Node.js ${old} is too old or not supported: ixvault needs Node.js 20.19+ or 22.12+ (node --version)`,
      );
  });

  describe('a fresh checkout installs once, saying why', () => {
    let root: string;
    let npmLog: string;
    const saved = process.env.npm_execpath;
    beforeAll(async () => {
      root = await mkdtemp(join(tmpdir(), 'ixvault-fresh-'));
      npmLog = join(root, 'npm-calls.txt');
      // Stands in for npm: records its arguments and working directory, and completes an install.
      const fakeNpm = join(root, 'fake-npm.mjs');
      await writeFile(
        fakeNpm,
        [
          "import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';",
          `appendFileSync(${JSON.stringify(npmLog)}, process.argv.slice(2).join(' ') + ' in ' + process.cwd() + '\\n');`,
          "mkdirSync('node_modules', { recursive: true });",
          "writeFileSync('node_modules/.package-lock.json', '{}');",
        ].join('\n'),
      );
      process.env.npm_execpath = fakeNpm;
    });
    afterAll(async () => {
      if (saved === undefined) delete process.env.npm_execpath;
      else process.env.npm_execpath = saved;
      await rm(root, { recursive: true, force: true });
    });

    it('runs npm ci in a checkout without node_modules, then never again', async () => {
      expect(needsInstall(root)).toBe(true);
      const said: string[] = [];
      expect(ensureInstalled(root, { command: 'npm start', log: (m) => said.push(m) })).toBe(true);
      expect(said.join('\n')).toMatch(/^npm start: no node_modules here yet, so first: npm ci \(.*a few minutes/);
      expect(await readFile(npmLog, 'utf8')).toBe(`ci --no-audit --no-fund in ${root}\n`);
      expect(needsInstall(root)).toBe(false);
      expect(ensureInstalled(root, { command: 'npm start', log: (m) => said.push(m) })).toBe(false);
      expect(await readFile(npmLog, 'utf8')).toBe(`ci --no-audit --no-fund in ${root}\n`);
      expect(said).toHaveLength(1);
    });

    it("the repository's own install is complete (npm test does not reinstall it)", () => {
      expect(needsInstall(new URL('../..', import.meta.url).pathname)).toBe(false);
    });
  });

  it("every `npx ixvault` line of the README names a command and only that command's options", () => {
    const program = buildProgram();
    // The examples' lines, and the commands quoted in the text (`npx ixvault serve --blob-store …`).
    const lines = [
      ...README.split('\n').filter((line) => /^\s*npx ixvault /.test(line)),
      ...[...README.matchAll(/`(npx ixvault [^`]+)`/g)].map((m) => m[1] as string).filter((c) => !c.includes('…')),
    ];
    expect(lines.length).toBeGreaterThanOrEqual(9);
    for (const line of lines) {
      const words = wordsOf(line).slice(2);
      let command: Command = program;
      while (words[0] && !words[0].startsWith('-')) {
        const sub = command.commands.find((c) => c.name() === words[0]);
        if (!sub) break;
        command = sub;
        words.shift();
      }
      expect(command, line).not.toBe(program);
      const known = new Set(['--help', ...command.options.flatMap((o) => [o.long, o.short]).filter(Boolean)]);
      for (const flag of words.filter((w) => w.startsWith('--')))
        expect(known.has(flag.split('=')[0]), `${line}: ${flag}`).toBe(true);
    }
  });

  it('serve --help lists a first run’s options first and names the default of every numeric option', () => {
    const serve = buildProgram().commands.find((c) => c.name() === 'serve') as Command;
    expect(serve.options.slice(0, 5).map((o) => o.long)).toEqual(['--port', '--host', '--demo', '--data', '--config']);
    for (const option of serve.options.filter((o) => o.flags.endsWith('<n>')))
      expect(option.description, option.long).toMatch(/\bdefault \d+/);
    const help = serve.helpInformation() + (serve as unknown as { _helpTextAfter?: string })._helpTextAfter;
    const line = (flag: string) => serve.options.find((o) => o.long === flag)?.description ?? '';
    expect(line('--rate-limit')).toContain(`default ${EDGE_DEFAULTS.rateLimitPerMinute})`);
    expect(line('--max-content-bytes')).toContain(`default ${DEFAULTS.maxContentBytes} = 4 GiB)`);
    expect(line('--data')).toContain('default ./data');
    expect(help).toContain('--demo');
  });

  it("serve --help and the README's configuration table give every numeric option the same default", () => {
    const serve = buildProgram().commands.find((c) => c.name() === 'serve') as Command;
    const rows = new Map(
      [...README.matchAll(/^\| `(--[a-z0-9-]+) N` \| [^|]+ \| ([^|]+) \|/gm)].map((m) => [m[1], (m[2] ?? '').trim()]),
    );
    let compared = 0;
    for (const option of serve.options.filter((o) => o.flags.endsWith('<n>'))) {
      const readme = rows.get(option.long ?? '');
      expect(readme, `${option.long} in the README's table`).toBeDefined();
      // `default 67108864 = 64 MiB` in the help, `64 MiB` (or the number) in the README.
      const [, number, unit] = /\bdefault (\d+)(?: = ([^;)]+))?/.exec(option.description) ?? [];
      expect([number, unit], `${option.long}: README says ${readme}`).toContain(readme);
      compared++;
    }
    expect(compared).toBeGreaterThan(15);
  });

  it('the banner aligns the addresses, prints the demo credentials and says how to stop', () => {
    const url = 'http://127.0.0.1:8080';
    const text = bannerText(
      url,
      'SQLite in /srv/data',
      {
        tenants: [
          {
            id: 'demo',
            users: [{ id: 'u1', userName: 'supervisor', password: 'pw-s', role: 'supervisor' }],
            clients: [{ clientId: 'demo-qa', clientSecret: 'sec', scopes: ['interactions:read'] }],
          },
        ],
      },
      '/srv/data/demo-principals.json',
    );
    const addresses = text.split('\n').filter((l) => /^ {2}[A-Za-z -]+:\s+http/.test(l));
    expect(addresses.map((l) => l.replace(/:\s+http.*/, ''))).toEqual([
      '  console',
      '  API reference',
      '  native API',
      '  Vonage-compatible',
      '  Genesys-compatible',
    ]);
    // Every address starts in the same column, after at least one space.
    expect(new Set(addresses.map((l) => l.indexOf('http')))).toHaveLength(1);
    expect(addresses.every((l) => /: +http/.test(l))).toBe(true);
    expect(text).toContain(`  console:            ${url}/console/`);
    expect(text).toContain('  user   supervisor   password pw-s  (supervisor)');
    expect(text).toContain(`curl -u supervisor:pw-s '${url}/api/v1/interactions?limit=2'`);
    expect(text).toContain('Ctrl-C stops the server');
    expect(text).not.toContain('nobody can sign in');
  });

  it('the banner says when nobody can sign in (no --demo, no --config), and how to fix it', () => {
    const text = bannerText('http://127.0.0.1:8080', 'SQLite in /srv/data', { tenants: [] });
    expect(text).toContain(
      'No users or API clients: nobody can sign in. Start with --demo for a demo tenant, or give --config FILE',
    );
    expect(text).not.toContain('password');
    // A principals file whose tenant has a client: someone can.
    const withClient = bannerText('http://127.0.0.1:8080', 'SQLite', {
      tenants: [{ id: 'acme', clients: [{ clientId: 'qa', clientSecret: 'x', scopes: [] }] }],
    });
    expect(withClient).not.toContain('nobody can sign in');
    expect(withClient).not.toContain('secret');
  });

  it('counts as a person writes them', () => {
    expect([counted(0, 'invalid line'), counted(1, 'interaction'), counted(2, 'valid record')]).toEqual([
      '0 invalid lines',
      '1 interaction',
      '2 valid records',
    ]);
  });
});
