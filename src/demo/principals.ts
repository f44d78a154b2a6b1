/** The demo deployment's principals: one tenant, a few of the generated agents, a supervisor, an admin and a QA client. */
import { existsSync } from 'node:fs';
import type { PrincipalsConfig } from '../auth/directory.js';
import { generateSecret } from '../auth/generated-secret.js';
import { FEATURES } from '../domain/principal.js';
import { agentsOf } from './contact-center.js';

export const DEMO_TENANT = 'demo';
export const DEMO_SEED = 7;
export const DEMO_AGENTS = 20;

/** Reads the demo principals file, creating it (with fresh random passwords) on first use. */
export async function demoPrincipals(path: string): Promise<PrincipalsConfig> {
  const { readPrincipalsConfig, writePrincipalsConfig } = await import('../auth/directory.js');
  if (existsSync(path)) return readPrincipalsConfig(path);
  const password = () => generateSecret(9);
  const agents = agentsOf({ seed: DEMO_SEED, agents: DEMO_AGENTS }).slice(0, 3);
  const config: PrincipalsConfig = {
    tenants: [
      {
        id: DEMO_TENANT,
        timeZone: 'Europe/Helsinki',
        features: [...FEATURES],
        users: [
          {
            id: 'demo-supervisor',
            userName: 'supervisor',
            firstName: 'Sam',
            lastName: 'Supervisor',
            password: password(),
            role: 'supervisor',
          },
          { id: 'demo-admin', userName: 'admin', firstName: 'Ada', lastName: 'Admin', password: password(), role: 'admin' },
          ...agents.map((a) => ({ ...a, password: password(), role: 'agent' as const })),
        ],
        clients: [
          {
            clientId: 'demo-qa',
            clientSecret: password(),
            scopes: ['interactions:read', 'interactions:write', 'interaction-content:read', 'interaction-content:delete'],
          },
        ],
      },
    ],
  };
  await writePrincipalsConfig(path, config);
  return config;
}
