import type { Command } from 'commander';
import { addStoreOptions, openFromFlags } from './common.js';

export function registerToken(program: Command): void {
  addStoreOptions(
    program
      .command('token')
      .description('Issue a bearer token for an API client of the config file, as POST /oauth2/token would')
      .requiredOption('--client-id <id>', 'the client id')
      .requiredOption(
        '--client-secret <secret>',
        'the client secret (env IXVAULT_CLIENT_SECRET)',
        process.env.IXVAULT_CLIENT_SECRET,
      )
      .option('--scope <scopes>', 'space-separated subset of the client scopes'),
  ).action(async (flags) => {
    const { runtime } = await openFromFlags(flags);
    try {
      const token = await runtime.auth.issueToken(flags.clientId, flags.clientSecret, flags.scope);
      process.stdout.write(`${JSON.stringify(token, null, 2)}\n`);
    } finally {
      await runtime.close();
    }
  });
}
