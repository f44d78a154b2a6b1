/** `ixvault demo`: load a generated contact center (interactions, transcripts, WAV recordings) into the store. */
import { join } from 'node:path';
import type { Command } from 'commander';
import { DEMO_AGENTS, DEMO_SEED, DEMO_TENANT, demoPrincipals } from '../demo/principals.js';
import { seedContactCenter } from '../demo/seed.js';
import { addStoreOptions, configOf, openFromFlags, shownPath, wholeNumber } from './common.js';
import { Progress } from './progress.js';

export function registerDemo(program: Command): void {
  addStoreOptions(
    program
      .command('demo')
      .description(`Load a generated contact center into tenant '${DEMO_TENANT}' (principals in DATA/demo-principals.json)`)
      .option('--interactions <n>', 'how many interactions', '3000')
      .option('--days <n>', 'spread over this many days up to now', '30')
      .option('--seed <n>', 'random seed (same seed, same data)', String(DEMO_SEED)),
  ).action(async (flags) => {
    // Checked before anything opens: a typo used to load nothing (`--interactions abc`) or fail as 'Invalid time value'.
    const count = wholeNumber('--interactions', flags.interactions);
    const days = wholeNumber('--days', flags.days);
    const seed = wholeNumber('--seed', flags.seed, 0);
    const config = configOf(flags);
    const principalsFile = join(config.dataDir, 'demo-principals.json');
    const principals = await demoPrincipals(principalsFile);
    const { runtime } = await openFromFlags(flags, principals);
    const tenant = runtime.directory.tenants.get(DEMO_TENANT);
    if (!tenant) throw new Error(`tenant ${DEMO_TENANT} missing from the demo principals`);
    const now = Date.now();
    const progress = new Progress('generating demo interactions', count);
    try {
      const loaded = await seedContactCenter(
        runtime.vault,
        tenant,
        {
          seed,
          agents: DEMO_AGENTS,
          contacts: Math.max(10, Math.round(count / 8)),
          interactions: count,
          fromMs: now - days * 86_400_000,
          // Interactions last up to an hour: end them all before now.
          toMs: now - 2 * 3_600_000,
          contentRatio: 0.3,
          messagesPerChat: 12,
        },
        (n) => progress.tick(n),
      );
      progress.finish();
      process.stdout.write(
        `loaded ${loaded.interactions} interactions and ${loaded.contentItems} content items into tenant ${DEMO_TENANT}; ` +
          `its users and passwords are in ${shownPath(principalsFile)} (ixvault serve --demo serves them)\n`,
      );
    } finally {
      await runtime.close();
    }
  });
}
