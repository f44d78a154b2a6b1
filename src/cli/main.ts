/**
 * The `ixvault` command line. Each command lives in its own module; this file
 * only wires them. Registering a command loads nothing heavy: a command's
 * action imports the server, the database drivers or the YAML parser when it
 * runs, so `--help` and the principals commands answer at once.
 */
import { Command } from 'commander';
import { registerArchive } from './archive.js';
import { registerAudit } from './audit.js';
import { registerDemo } from './demo.js';
import { registerExport } from './export.js';
import { registerImport } from './import.js';
import { registerMigrate } from './migrate.js';
import { registerPrincipals } from './principals.js';
import { registerReindex } from './reindex.js';
import { registerRetention } from './retention.js';
import { registerScrub } from './scrub.js';
import { registerServe } from './serve.js';
import { registerToken } from './token.js';

export function buildProgram(): Command {
  const program = new Command('ixvault')
    .description('Interaction history and content service with Genesys- and Vonage-compatible APIs')
    .version('0.1.0')
    .showHelpAfterError()
    .configureHelp({ sortSubcommands: true })
    .addHelpText(
      'after',
      `
Start here: ixvault serve --demo (what npm start runs) serves a demo contact center on http://127.0.0.1:8080
and prints its users' passwords. Each command has --help; the README has examples of each.`,
    );
  registerServe(program);
  registerImport(program);
  registerDemo(program);
  registerArchive(program);
  registerAudit(program);
  registerExport(program);
  registerMigrate(program);
  registerToken(program);
  registerPrincipals(program);
  registerRetention(program);
  registerReindex(program);
  registerScrub(program);
  return program;
}

export async function main(argv: string[]): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (err) {
    process.stderr.write(`ixvault: ${(err as Error).message}\n`);
    process.exitCode = 1;
  }
}
