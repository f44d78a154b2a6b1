/**
 * One identity, one principal (session 4, redteam). A user's session cookie
 * and its CometD channel name it by tenant and user id, not by user name: two
 * users of a tenant with the same id were one principal to both. With
 * `{id: agent-1, userName: ann, role: agent}` and `{id: agent-1, userName:
 * ann-admin, role: admin}`, ann signed in as an agent and her cookie came back
 * as the admin (the last entry of that id), and each heard the other's Genesys
 * results. A principals file that gives two users of a tenant one id is now
 * refused, naming the entry.
 */
import { describe, expect, it } from 'vitest';
import { checkConfig, Directory, type PrincipalsConfig } from '../../src/auth/directory.js';
import { build } from '../helpers/app.js';
import { PRINCIPALS, removeTestData } from '../helpers/server.js';

function withTwin(): PrincipalsConfig {
  const config = structuredClone(PRINCIPALS);
  const acme = config.tenants.find((t) => t.id === 'acme');
  acme?.users?.push({ id: 'agent-1', userName: 'ann-admin', password: 'pw-ann-admin', role: 'admin' });
  return config;
}

describe('a user id names one user of its tenant', () => {
  it('refuses a principals file that gives two users of a tenant the same id, naming the entry', async () => {
    expect(checkConfig(withTwin())).toEqual([
      expect.stringMatching(/^tenants\.0\.users\.4\.id 'agent-1' is used twice in the tenant/),
    ]);
    await expect(Directory.fromConfig(withTwin())).rejects.toMatchObject({ status: 400 });
    await expect(build({ principals: withTwin() })).rejects.toThrow(/agent-1/);
  });

  it('allows the same user id in two tenants: they are two principals', async () => {
    const config = structuredClone(PRINCIPALS);
    config.tenants
      .find((t) => t.id === 'globex')
      ?.users?.push({ id: 'agent-1', userName: 'g-agent', password: 'pw-g-agent', role: 'agent' });
    expect(checkConfig(config)).toEqual([]);
    const server = await build({ principals: config });
    try {
      const login = await server.app.inject({
        method: 'POST',
        url: '/api/v1/session',
        headers: { 'content-type': 'application/json', 'x-requested-with': 'XMLHttpRequest', 'sec-fetch-site': 'same-origin' },
        payload: { userName: 'g-agent', password: 'pw-g-agent' },
      });
      expect(login.statusCode).toBe(200);
      const cookie = String(login.headers['set-cookie']).split(';')[0] as string;
      const me = await server.app.inject({ method: 'GET', url: '/api/v1/session', headers: { cookie } });
      expect(me.json()).toMatchObject({ userName: 'g-agent', tenant: 'globex' });
    } finally {
      await server.stop();
      await removeTestData(server);
    }
  });
});
