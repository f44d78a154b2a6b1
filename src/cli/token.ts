/**
 * `ixvault token`: a bearer token for an API client, signed with the data
 * directory's secret exactly as POST /oauth2/token signs it. It needs the
 * principals and the secret only, not the database.
 */
import type { Command } from 'commander';
import { addStoreOptions, configOf, principalsFileOf, shownPath } from './common.js';

export function registerToken(program: Command): void {
  addStoreOptions(
    program
      .command('token')
      .description(
        'Issue a bearer token for an API client, as POST /oauth2/token would. Principals: --config, else DATA/demo-principals.json (written by npm start)',
      )
      .requiredOption('--client-id <id>', 'the client id')
      .requiredOption(
        '--client-secret <secret>',
        'the client secret (env IXVAULT_CLIENT_SECRET)',
        process.env.IXVAULT_CLIENT_SECRET,
      )
      .option('--scope <scopes>', 'space-separated subset of the client scopes'),
  ).action(async (flags) => {
    const config = configOf(flags);
    const file = principalsFileOf(config);
    if (!file)
      throw new Error(
        `no principals file: pass --config FILE (or IXVAULT_CONFIG); ${shownPath(config.dataDir)}/demo-principals.json does not exist either`,
      );
    const [{ Authenticator }, { Directory, readPrincipalsConfig }, { deriveKeys, loadSecret }, { CODES, isVaultError }] =
      await Promise.all([
        import('../auth/authenticator.js'),
        import('../auth/directory.js'),
        import('../auth/secrets.js'),
        import('../domain/errors.js'),
      ]);
    const directory = await Directory.fromConfig(await readPrincipalsConfig(file));
    const auth = new Authenticator(directory, deriveKeys(await loadSecret(config.dataDir, process.env.IXVAULT_SECRET)));
    try {
      const token = await auth.issueToken(flags.clientId, flags.clientSecret, flags.scope);
      process.stdout.write(`${JSON.stringify(token, null, 2)}\n`);
    } catch (err) {
      if (isVaultError(err) && err.code === CODES.oauthInvalidClient)
        throw new Error(`invalid client credentials for '${flags.clientId}' (principals from ${shownPath(file)})`);
      throw err;
    }
  });
}
