/**
 * The principals of a deployment — tenants, their users and API clients —
 * as declared in the configuration file (JSON or YAML). User names and client
 * ids are unique across the deployment, since Basic credentials name no tenant.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, extname } from 'node:path';
import YAML from 'yaml';
import { errors } from '../domain/errors.js';
import { FEATURES, ROLES, type Role, SCOPES, type Tenant } from '../domain/principal.js';
import { checkRetentionConfig, type RetentionConfig } from '../domain/retention.js';
import { isValidTimeZone } from '../domain/time.js';
import { hashPassword, isPasswordHash } from './passwords.js';

export interface UserConfig {
  id: string;
  userName: string;
  firstName?: string;
  lastName?: string;
  /** Plain text (hashed when loaded) or an scrypt hash. */
  password: string;
  role: Role;
}

export interface ClientConfig {
  clientId: string;
  /** Plain text (hashed when loaded) or an scrypt hash. */
  clientSecret: string;
  scopes: string[];
  /**
   * Requests a minute this client may make (Vonage's fair usage is per
   * client; its samples assume about 160); the server's limit when left out,
   * 0 for none.
   */
  rateLimitPerMinute?: number;
}

export interface TenantConfig {
  id: string;
  timeZone?: string;
  features?: string[];
  /** Mask card numbers in ingested text (default true). */
  cardRedaction?: boolean;
  /** Retention policy of the tenant (see src/domain/retention.ts); changes that remove more wait the grace period. */
  retention?: RetentionConfig;
  users?: UserConfig[];
  clients?: ClientConfig[];
}

export interface PrincipalsConfig {
  tenants: TenantConfig[];
}

export interface UserEntry extends Omit<UserConfig, 'password'> {
  tenant: Tenant;
  passwordHash: string;
  /** Which password this is, the same at every load of the same file (credentialOf): what a session cookie is bound to. */
  credential: string;
}

export interface ClientEntry extends Omit<ClientConfig, 'clientSecret'> {
  tenant: Tenant;
  secretHash: string;
  /** Which secret this is (credentialOf): what a bearer token is bound to. */
  credential: string;
}

/**
 * Names a configured password or secret the same way at every load: a stored
 * hash as it is; a plain-text one (hashed on the way in with a fresh salt, so
 * its hash differs at each start) by a digest of the principal and the text.
 * Kept in memory only; tokens carry it keyed by the deployment key.
 */
function credentialOf(principal: string, configured: string): string {
  return isPasswordHash(configured)
    ? configured
    : `plain:${createHash('sha256').update(`${principal}\u0000${configured}`).digest('base64url')}`;
}

const TENANT_ID = /^[A-Za-z0-9_-]{1,64}$/;

export class Directory {
  readonly tenants = new Map<string, Tenant>();
  readonly usersByName = new Map<string, UserEntry>();
  readonly usersById = new Map<string, UserEntry>();
  readonly clients = new Map<string, ClientEntry>();
  /** Retention policies declared in the file, by tenant. */
  readonly retention = new Map<string, RetentionConfig>();

  /** Builds the directory; plain-text secrets are hashed on the way in. */
  static async fromConfig(config: PrincipalsConfig): Promise<Directory> {
    const problems = checkConfig(config);
    if (problems.length > 0) throw errors.invalidField('config', problems.join('; '));
    const dir = new Directory();
    for (const t of config.tenants) {
      const tenant: Tenant = { id: t.id, features: new Set(t.features ?? FEATURES), timeZone: t.timeZone ?? 'UTC' };
      if (t.cardRedaction === false) tenant.cardRedaction = false;
      if (t.retention !== undefined)
        dir.retention.set(t.id, checkRetentionConfig(t.retention, `tenants.${config.tenants.indexOf(t)}.retention`));
      dir.tenants.set(t.id, tenant);
      for (const u of t.users ?? []) {
        const { password, ...rest } = u;
        const entry: UserEntry = {
          ...rest,
          tenant,
          passwordHash: isPasswordHash(password) ? password : await hashPassword(password),
          credential: credentialOf(`user:${t.id}/${u.id}`, password),
        };
        dir.usersByName.set(u.userName, entry);
        dir.usersById.set(`${t.id}/${u.id}`, entry);
      }
      for (const c of t.clients ?? []) {
        const { clientSecret, ...rest } = c;
        dir.clients.set(c.clientId, {
          ...rest,
          tenant,
          secretHash: isPasswordHash(clientSecret) ? clientSecret : await hashPassword(clientSecret),
          credential: credentialOf(`client:${t.id}/${c.clientId}`, clientSecret),
        });
      }
    }
    return dir;
  }
}

export function checkConfig(config: PrincipalsConfig): string[] {
  const problems: string[] = [];
  if (!config || !Array.isArray(config.tenants)) return ['tenants must be an array'];
  const userNames = new Set<string>();
  const clientIds = new Set<string>();
  const tenantIds = new Set<string>();
  config.tenants.forEach((t, i) => {
    const at = `tenants.${i}`;
    if (typeof t.id !== 'string' || !TENANT_ID.test(t.id)) problems.push(`${at}.id must be 1 to 64 of [A-Za-z0-9_-]`);
    else if (tenantIds.has(t.id)) problems.push(`${at}.id '${t.id}' is declared twice`);
    tenantIds.add(t.id);
    if (t.timeZone !== undefined && !isValidTimeZone(t.timeZone))
      problems.push(`${at}.timeZone '${t.timeZone}' is not an IANA time zone`);
    if (t.cardRedaction !== undefined && typeof t.cardRedaction !== 'boolean')
      problems.push(`${at}.cardRedaction must be true or false`);
    if (t.retention !== undefined) {
      try {
        checkRetentionConfig(t.retention, `${at}.retention`);
      } catch (err) {
        problems.push((err as Error).message);
      }
    }
    for (const f of t.features ?? [])
      if (!(FEATURES as readonly string[]).includes(f)) problems.push(`${at}.features: unknown feature '${f}'`);
    // A session cookie and a CometD channel name a user by tenant and id: two users with one id would be one principal.
    const userIds = new Set<string>();
    (t.users ?? []).forEach((u, j) => {
      const uat = `${at}.users.${j}`;
      if (typeof u.id !== 'string' || u.id.length === 0) problems.push(`${uat}.id is required`);
      else if (userIds.has(u.id)) problems.push(`${uat}.id '${u.id}' is used twice in the tenant: each user needs its own`);
      userIds.add(u.id);
      if (typeof u.userName !== 'string' || u.userName.length === 0 || u.userName.includes(':'))
        problems.push(`${uat}.userName is required and may not contain ':'`);
      else if (userNames.has(u.userName)) problems.push(`${uat}.userName '${u.userName}' is used twice`);
      userNames.add(u.userName);
      if (typeof u.password !== 'string' || u.password.length === 0) problems.push(`${uat}.password is required`);
      if (!(ROLES as readonly string[]).includes(u.role)) problems.push(`${uat}.role must be one of ${ROLES.join(', ')}`);
    });
    (t.clients ?? []).forEach((c, j) => {
      const cat = `${at}.clients.${j}`;
      if (typeof c.clientId !== 'string' || c.clientId.length === 0 || c.clientId.includes(':'))
        problems.push(`${cat}.clientId is required and may not contain ':'`);
      else if (clientIds.has(c.clientId)) problems.push(`${cat}.clientId '${c.clientId}' is used twice`);
      clientIds.add(c.clientId);
      if (typeof c.clientSecret !== 'string' || c.clientSecret.length === 0) problems.push(`${cat}.clientSecret is required`);
      for (const s of c.scopes ?? [])
        if (!(SCOPES as readonly string[]).includes(s)) problems.push(`${cat}.scopes: unknown scope '${s}'`);
      const limit = c.rateLimitPerMinute;
      if (limit !== undefined && (!Number.isSafeInteger(limit) || limit < 0))
        problems.push(`${cat}.rateLimitPerMinute must be a whole number, 0 for no limit`);
    });
  });
  return problems;
}

export async function readPrincipalsConfig(path: string): Promise<PrincipalsConfig> {
  const text = await readFile(path, 'utf8');
  const parsed = isYaml(path) ? YAML.parse(text) : JSON.parse(text);
  return parsed as PrincipalsConfig;
}

export async function writePrincipalsConfig(path: string, config: PrincipalsConfig): Promise<void> {
  const text = isYaml(path) ? YAML.stringify(config) : `${JSON.stringify(config, null, 2)}\n`;
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, text, { mode: 0o600 });
}

function isYaml(path: string): boolean {
  return ['.yaml', '.yml'].includes(extname(path).toLowerCase());
}
