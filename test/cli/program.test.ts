/**
 * The command line's shape, in-process: every command has help, and what
 * `--help` or a principals edit loads stays small (the server, the database
 * drivers, faye and the YAML parser load only inside the actions that need them).
 */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { IMPORT_FORMAT_HELP } from '../../src/cli/import.js';
import { buildProgram } from '../../src/cli/main.js';

function commandsOf(command: Command, prefix: string[] = []): { path: string[]; command: Command }[] {
  return command.commands.flatMap((sub) => [
    { path: [...prefix, sub.name()], command: sub },
    ...commandsOf(sub, [...prefix, sub.name()]),
  ]);
}

/** Packages and files reached through static (not type-only, not dynamic) imports from a module. */
function staticGraph(entry: string): { files: Set<string>; packages: Set<string> } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const visit = (file: string) => {
    if (files.has(file)) return;
    files.add(file);
    const text = readFileSync(file, 'utf8');
    for (const match of text.matchAll(/^import\s+(type\s+)?([^;]*?)\s*from\s*'([^']+)';/gms)) {
      const [, typeOnly, names = '', target = ''] = match;
      if (typeOnly || /^\{\s*(type\s+[^,}]+,?\s*)+\}$/.test(names)) continue;
      if (target.startsWith('.')) visit(resolve(dirname(file), target.replace(/\.js$/, '.ts')));
      else if (!target.startsWith('node:'))
        packages.add(target.startsWith('@') ? target.split('/').slice(0, 2).join('/') : (target.split('/')[0] ?? target));
    }
  };
  visit(entry);
  return { files, packages };
}

describe('command line', () => {
  const program = buildProgram();
  const all = commandsOf(program);

  it('has the documented commands', () => {
    expect(all.map((c) => c.path.join(' ')).sort()).toEqual(
      [
        'archive',
        'audit',
        'audit export',
        'audit search',
        'audit verify',
        'client',
        'client add',
        'client remove',
        'demo',
        'export',
        'export cancel',
        'export create',
        'export list',
        'export show',
        'import',
        'migrate',
        'principals',
        'reindex',
        'retention',
        'retention run',
        'scrub',
        'serve',
        'tenant',
        'tenant add',
        'token',
        'user',
        'user add',
        'user remove',
      ].sort(),
    );
  });

  it('has help on every command', () => {
    for (const { path, command } of all) {
      const help = command.helpInformation();
      expect(help, path.join(' ')).toContain(`Usage: ixvault ${path.join(' ')}`);
      expect(help, path.join(' ')).toContain('-h, --help');
      expect(command.description(), path.join(' ')).not.toBe('');
    }
  });

  it('documents the import record format and --dry-run', () => {
    const importCommand = all.find((c) => c.path.join(' ') === 'import')?.command;
    expect(importCommand?.helpInformation()).toContain('--dry-run');
    expect(IMPORT_FORMAT_HELP).toContain('Example line:');
    const example = IMPORT_FORMAT_HELP.split('\n').find((line) => line.trim().startsWith('{'));
    expect(() => JSON.parse(example ?? '')).not.toThrow();
  });

  it('loads no server, database driver, Bayeux server or YAML parser before a command runs', () => {
    const { files, packages } = staticGraph(join(import.meta.dirname, '../../src/cli/main.ts'));
    expect([...packages].sort()).toEqual(['commander']);
    const heavy = ['runtime.ts', 'server.ts', 'app.ts', 'store/database.ts', 'notify/index.ts', 'auth/directory.ts'];
    for (const file of files) for (const name of heavy) expect(file.endsWith(`src/${name}`), file).toBe(false);
  });
});
