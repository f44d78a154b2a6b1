/** `ixvault import` (issue 8, finding 6): repeated ids in one batch, unknown tenants, GUID-shaped ids. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openRuntime } from '../../src/runtime.js';
import { runCli } from '../helpers/cli.js';
import { chatRecord } from '../helpers/fixtures.js';
import { BACKEND, createTestDatabase, PRINCIPALS } from '../helpers/server.js';

describe(`ixvault import integrity (${BACKEND})`, () => {
  let dir: string;
  let databaseUrl: string | undefined;
  let principals: string;
  const args = () => ['--data', dir, '--config', principals, ...(databaseUrl ? ['--database-url', databaseUrl] : [])];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ixvault-import-'));
    databaseUrl = await createTestDatabase();
    principals = join(dir, 'principals.json');
    await writeFile(principals, JSON.stringify(PRINCIPALS));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('stores an id repeated within one batch once, the last line winning, and reports a GUID-shaped id by line', async () => {
    const file = join(dir, 'repeats.ndjson');
    const lines = [
      chatRecord({ id: 'REPEAT0000000001', subject: 'first' }),
      chatRecord({ id: 'REPEAT0000000002', subject: 'other' }),
      chatRecord({ id: 'REPEAT0000000001', subject: 'last' }),
      chatRecord({ id: 'abcdefgh-ijkl-mnop-qrst-uvwxyz012345' }),
    ].map((r) => JSON.stringify(r));
    await writeFile(file, `${lines.join('\n')}\n`);
    const res = await runCli(['import', file, '--tenant', 'acme', ...args()]);
    expect(res.stderr).not.toMatch(/SqliteError|duplicate key/);
    expect(res.stderr).toContain(`${file}:4: id: must not have the form of a GUID`);
    expect(res.stdout).toContain('imported 3 interactions');
    expect(res.code).toBe(2);
    const runtime = await openRuntime({
      dataDir: dir,
      databaseUrl,
      principals: PRINCIPALS,
      maxContentBytes: 1024,
      secret: 'import-test-secret-import-test-secret-0',
      sweep: false,
    });
    try {
      const stored = await runtime.vault.interactions.get({ tenantId: 'acme' }, 'REPEAT0000000001');
      expect(stored?.subject).toBe('last');
    } finally {
      await runtime.close();
    }
  }, 120_000);

  it('refuses a tenant the principals file does not have', async () => {
    const file = join(dir, 'one.ndjson');
    await writeFile(file, `${JSON.stringify(chatRecord({ id: 'NOWHERE000000001' }))}\n`);
    const res = await runCli(['import', file, '--tenant', 'nowhere', ...args()]);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain(`tenant nowhere is not in ${principals}`);
    const without = await runCli(['import', file, '--tenant', 'acme', '--data', dir]);
    expect(without.code).toBe(1);
    expect(without.stderr).toContain('--config');
  }, 120_000);
});
