/**
 * A changed password or client secret ends what the old one proved
 * (session 7, redteam). A session cookie (12 hours) named its user by id
 * only, and a bearer token (an hour) its client by id: after an operator
 * changed a user's password or rotated a client's secret — what one does
 * when they leak — and restarted ixvault (or reloaded its principals), a
 * cookie or token obtained with the old one went on reading records until it
 * expired. Now each carries a digest of the credential it was obtained with
 * (keyed by the deployment's session or token key, never the hash itself),
 * and one whose credential has changed since is refused; the other users'
 * and clients' cookies and tokens go on.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Directory, type PrincipalsConfig } from '../../src/auth/directory.js';
import { build } from '../helpers/app.js';
import { BACKEND, call, PRINCIPALS, removeTestData, type TestServer } from '../helpers/server.js';

async function signIn(on: TestServer, userName: string, password = `pw-${userName}`): Promise<string> {
  const res = await call(`${on.url}/api/v1/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-requested-with': 'test', origin: on.url },
    json: { userName, password },
  });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return (res.headers.get('set-cookie') ?? '').split(';')[0] as string;
}

/** PRINCIPALS with agent1's password and acme-reader's secret changed. */
function changedCredentials(): PrincipalsConfig {
  const changed = structuredClone(PRINCIPALS);
  const acme = changed.tenants.find((t) => t.id === 'acme');
  const agent1 = acme?.users?.find((u) => u.userName === 'agent1');
  const reader = acme?.clients?.find((c) => c.clientId === 'acme-reader');
  if (!agent1 || !reader) throw new Error('fixture changed');
  agent1.password = 'a-new-password';
  reader.clientSecret = 'a-new-secret';
  return changed;
}

describe(`a changed credential ends its sessions and tokens (${BACKEND})`, () => {
  let server: TestServer;
  let restarted: TestServer | undefined;
  beforeAll(async () => {
    server = await build();
  });
  afterAll(async () => {
    await restarted?.stop();
    await server.stop();
    await removeTestData(server);
  });

  const status = async (on: TestServer, headers: Record<string, string>) =>
    (await call(`${on.url}/api/v1/interactions?limit=1`, { headers })).status;

  it('refuses after a reload the cookie and the token the old password and secret gave; the others go on', async () => {
    const cookie = await signIn(server, 'agent1');
    const otherCookie = await signIn(server, 'agent2');
    const token = await server.bearer('acme-reader');
    const otherToken = await server.bearer('acme-qa');
    const all: Record<string, string>[] = [
      { cookie },
      { cookie: otherCookie },
      { authorization: token },
      { authorization: otherToken },
    ];
    for (const headers of all) expect(await status(server, headers)).toBe(200);

    server.runtime.auth.reload(await Directory.fromConfig(changedCredentials()));
    try {
      expect(await status(server, { cookie }), 'cookie of the old password').toBe(401);
      expect(await status(server, { authorization: token }), 'token of the old secret').toBe(401);
      expect(await status(server, { cookie: otherCookie }), "another user's cookie").toBe(200);
      expect(await status(server, { authorization: otherToken }), "another client's token").toBe(200);
      // The new password signs in, and its cookie reads.
      expect(await status(server, { cookie: await signIn(server, 'agent1', 'a-new-password') })).toBe(200);
    } finally {
      server.runtime.auth.reload(await Directory.fromConfig(PRINCIPALS));
    }
    // Back to the old credentials (a reverted change): what they proved is good again.
    expect(await status(server, { cookie })).toBe(200);
  });

  it('refuses them after a restart with the changed principals file (what serve does)', async () => {
    const cookie = await signIn(server, 'agent1');
    const token = await server.bearer('acme-reader');
    const otherCookie = await signIn(server, 'super1');
    restarted = await build({
      reuse: { dataDir: server.dataDir, databaseUrl: server.databaseUrl },
      principals: changedCredentials(),
    });
    expect(await status(restarted, { cookie }), 'cookie of the old password').toBe(401);
    expect(await status(restarted, { authorization: token }), 'token of the old secret').toBe(401);
    expect(await status(restarted, { cookie: otherCookie }), "another user's cookie").toBe(200);
  });
});
