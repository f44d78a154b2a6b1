/**
 * The benchmark deployment's principals: one tenant with an admin (ingest),
 * a supervisor (Genesys searches see the whole tenant), an API client with
 * every scope (Vonage), and one user per concurrent CometD session.
 *
 * Passwords are stored as scrypt hashes with a small cost (N=1024): the
 * production cost (N=16384, ~50 ms a check) would make the first request of
 * 5000 session users spend minutes in scrypt, which is a login cost, not
 * what these workloads measure. The hash format carries its parameters, so
 * ixvault verifies these exactly as it verifies any other.
 */
import { randomBytes, scryptSync } from 'node:crypto';
import type { PrincipalsConfig, UserConfig } from '../../src/auth/directory.js';
import { FEATURES, SCOPES } from '../../src/domain/principal.js';
import { TENANT } from './dataset.js';

const N = 1024;

function cheapHash(password: string): string {
  const salt = randomBytes(16);
  const key = scryptSync(password, salt, 32, { N, r: 8, p: 1 });
  return `scrypt$${N}$8$1$${salt.toString('base64url')}$${key.toString('base64url')}`;
}

export const ADMIN = { userName: 'bench-admin', password: 'bench-admin-pw' };
export const SUPERVISOR = { userName: 'bench-supervisor', password: 'bench-supervisor-pw' };
export const CLIENT = { clientId: 'bench-qa', clientSecret: 'bench-qa-secret' };

export function sessionUser(i: number): { userName: string; password: string } {
  return { userName: `session${String(i).padStart(5, '0')}`, password: `pw-session${i}` };
}

export function basic(user: { userName: string; password: string }): string {
  return `Basic ${Buffer.from(`${user.userName}:${user.password}`).toString('base64')}`;
}

export function benchPrincipals(sessionUsers: number): PrincipalsConfig {
  const users: UserConfig[] = [
    { id: 'bench-admin', ...ADMIN, password: cheapHash(ADMIN.password), role: 'admin' },
    { id: 'bench-supervisor', ...SUPERVISOR, password: cheapHash(SUPERVISOR.password), role: 'supervisor' },
  ];
  for (let i = 0; i < sessionUsers; i++) {
    const u = sessionUser(i);
    // Supervisors: each session looks up customers' histories across the tenant.
    users.push({ id: `session-${i}`, userName: u.userName, password: cheapHash(u.password), role: 'supervisor' });
  }
  return {
    tenants: [
      {
        id: TENANT,
        timeZone: 'UTC',
        features: [...FEATURES],
        users,
        clients: [{ clientId: CLIENT.clientId, clientSecret: cheapHash(CLIENT.clientSecret), scopes: [...SCOPES] }],
      },
    ],
  };
}
