/**
 * Managing the principals file from the command line: tenants, users and API
 * clients. Passwords and secrets are stored as scrypt hashes; generated ones
 * are printed once.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import type { PrincipalsConfig, TenantConfig } from '../auth/directory.js';
import { generateSecret } from '../auth/generated-secret.js';
import { hashPassword } from '../auth/passwords.js';
import { FEATURES, ROLES, type Role, SCOPES } from '../domain/principal.js';

// The YAML parser loads only when a file is read or written, so `--help` answers at once.
const directory = () => import('../auth/directory.js');

function configPath(flags: { config?: string }): string {
  const path = flags.config ?? process.env.IXVAULT_CONFIG;
  if (!path) throw new Error('--config FILE (or IXVAULT_CONFIG) is required');
  return path;
}

async function load(path: string): Promise<PrincipalsConfig> {
  return existsSync(path) ? (await directory()).readPrincipalsConfig(path) : { tenants: [] };
}

async function save(path: string, config: PrincipalsConfig): Promise<void> {
  const { checkConfig, writePrincipalsConfig } = await directory();
  const problems = checkConfig(config);
  if (problems.length > 0) throw new Error(problems.join('; '));
  await writePrincipalsConfig(path, config);
}

function tenantOf(config: PrincipalsConfig, id: string): TenantConfig {
  const tenant = config.tenants.find((t) => t.id === id);
  if (!tenant) throw new Error(`no tenant '${id}' in the config (add it with: ixvault tenant add ${id})`);
  return tenant;
}

const secret = () => generateSecret(18);

/** Removes a user or client from whichever tenant holds it; `drop` answers whether it removed one. */
async function removePrincipal(path: string, kind: 'user' | 'client', drop: (tenant: TenantConfig) => boolean, name: string) {
  const config = await load(path);
  const found = config.tenants.map(drop).some(Boolean);
  if (!found) throw new Error(`no ${kind} '${name}'`);
  await save(path, config);
  process.stdout.write(`removed ${kind} ${name}\n`);
}

export function registerPrincipals(program: Command): void {
  const tenant = program.command('tenant').description('Manage tenants in the principals file');
  tenant
    .command('add')
    .description('Add a tenant')
    .argument('<id>', 'tenant id: 1 to 64 of [A-Za-z0-9_-]')
    .requiredOption('--config <file>', 'principals file (JSON or YAML); created when missing')
    .option('--time-zone <zone>', 'IANA zone for Genesys dates', 'UTC')
    .option('--features <list>', `comma-separated (${FEATURES.join(', ')})`, FEATURES.join(','))
    .action(async (id: string, flags) => {
      const path = configPath(flags);
      const config = await load(path);
      if (config.tenants.some((t) => t.id === id)) throw new Error(`tenant '${id}' exists`);
      config.tenants.push({
        id,
        timeZone: flags.timeZone,
        features: String(flags.features).split(',').filter(Boolean),
        users: [],
        clients: [],
      });
      await save(path, config);
      // What a first-time operator does next, with the file they named.
      process.stdout.write(
        `added tenant ${id}; next: ixvault user add --config ${path} --tenant ${id} --user-name NAME --role admin, ` +
          `then ixvault serve --config ${path}\n`,
      );
    });

  const user = program.command('user').description('Manage users (Basic authentication) in the principals file');
  user
    .command('add')
    .description('Add a user; prints a generated password unless --password is given')
    .requiredOption('--config <file>', 'principals file')
    .requiredOption('--tenant <id>', 'tenant id')
    .requiredOption('--user-name <name>', 'login name, unique in the deployment')
    .requiredOption('--role <role>', ROLES.join('|'))
    .option('--id <id>', 'user id (agent id in interactions); defaults to a random 32-hex id')
    .option('--first-name <name>')
    .option('--last-name <name>')
    .option(
      '--password <password>',
      'password (env IXVAULT_USER_PASSWORD); generated when absent',
      process.env.IXVAULT_USER_PASSWORD,
    )
    .action(async (flags) => {
      if (!(ROLES as readonly string[]).includes(flags.role)) throw new Error(`--role must be one of ${ROLES.join(', ')}`);
      const path = configPath(flags);
      const config = await load(path);
      const t = tenantOf(config, flags.tenant);
      const password: string = flags.password ?? secret();
      t.users ??= [];
      t.users.push({
        id: flags.id ?? randomBytes(16).toString('hex'),
        userName: flags.userName,
        ...(flags.firstName ? { firstName: flags.firstName } : {}),
        ...(flags.lastName ? { lastName: flags.lastName } : {}),
        password: await hashPassword(password),
        role: flags.role as Role,
      });
      await save(path, config);
      process.stdout.write(
        flags.password
          ? `added user ${flags.userName}\n`
          : `added user ${flags.userName} with password ${password}  (shown only now: ${path} keeps its hash)\n`,
      );
    });
  user
    .command('remove')
    .description('Remove a user')
    .requiredOption('--config <file>', 'principals file')
    .argument('<userName>')
    .action(async (userName: string, flags) => {
      await removePrincipal(
        configPath(flags),
        'user',
        (t) => {
          const before = t.users?.length ?? 0;
          t.users = (t.users ?? []).filter((u) => u.userName !== userName);
          return t.users.length !== before;
        },
        userName,
      );
    });

  const client = program.command('client').description('Manage API clients (OAuth2 client credentials) in the principals file');
  client
    .command('add')
    .description('Add an API client; prints its generated secret once')
    .requiredOption('--config <file>', 'principals file')
    .requiredOption('--tenant <id>', 'tenant id')
    .requiredOption('--client-id <id>', 'client id, unique in the deployment')
    .option('--scopes <list>', `space- or comma-separated (${SCOPES.join(' ')})`, 'interaction-content:read')
    .action(async (flags) => {
      const path = configPath(flags);
      const config = await load(path);
      const t = tenantOf(config, flags.tenant);
      const clientSecret = secret();
      t.clients ??= [];
      t.clients.push({
        clientId: flags.clientId,
        clientSecret: await hashPassword(clientSecret),
        scopes: String(flags.scopes)
          .split(/[\s,]+/)
          .filter(Boolean),
      });
      await save(path, config);
      process.stdout.write(
        `added client ${flags.clientId} with secret ${clientSecret}  (shown only now: ${path} keeps its hash)\n`,
      );
    });
  client
    .command('remove')
    .description('Remove an API client')
    .requiredOption('--config <file>', 'principals file')
    .argument('<clientId>')
    .action(async (clientId: string, flags) => {
      await removePrincipal(
        configPath(flags),
        'client',
        (t) => {
          const before = t.clients?.length ?? 0;
          t.clients = (t.clients ?? []).filter((c) => c.clientId !== clientId);
          return t.clients.length !== before;
        },
        clientId,
      );
    });

  program
    .command('principals')
    .description('List the tenants, users and clients of a principals file (no secrets)')
    .requiredOption('--config <file>', 'principals file')
    .action(async (flags) => {
      const config = await load(configPath(flags));
      for (const t of config.tenants) {
        process.stdout.write(
          `tenant ${t.id} (time zone ${t.timeZone ?? 'UTC'}; features ${(t.features ?? FEATURES).join(', ')})\n`,
        );
        for (const u of t.users ?? []) process.stdout.write(`  user   ${u.userName} id=${u.id} role=${u.role}\n`);
        for (const c of t.clients ?? []) process.stdout.write(`  client ${c.clientId} scopes=${c.scopes.join(' ')}\n`);
      }
    });
}
