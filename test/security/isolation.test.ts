/**
 * Issue 8: nobody reads what is not theirs, by any path. Every principal
 * aims every operation of /openapi.json at other principals' records
 * (test/security/isolation.ts); Genesys results on CometD reach only the
 * requester's sessions, and the console's live channel tells an agent only
 * about its own interactions. Bounded here; `npm run probe:isolation --
 * --rounds N` runs the HTTP probe with more.
 */
import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LIVE_CHANNEL } from '../../src/notify/live.js';
import { TestClient, TRANSPORTS } from '../genesys/cometd.js';
import { accepted, ingest } from '../genesys/helpers.js';
import { build } from '../helpers/app.js';
import { callRecord } from '../helpers/fixtures.js';
import { BACKEND, removeTestData, startTestServer, type TestServer } from '../helpers/server.js';
import {
  type Actor,
  actorsOf,
  damaged,
  foreignIn,
  OPERATIONS,
  probe,
  type Seeded,
  seed,
  tokensOf,
  visibleTo,
} from './isolation.js';

const ROUNDS = Number(process.env.IXVAULT_ISOLATION_ROUNDS ?? 4);
const SEED = Number(process.env.IXVAULT_ISOLATION_SEED ?? 20261121);

describe(`isolation over HTTP: every operation, every principal, others' records (${BACKEND})`, () => {
  let server: TestServer;
  let items: Seeded[];
  let operations: string[];
  beforeAll(async () => {
    server = await build();
    items = await seed(server);
    const spec = (await server.app.inject({ method: 'GET', url: '/openapi.json' })).json() as { paths: Record<string, object> };
    operations = Object.entries(spec.paths).flatMap(([path, methods]) =>
      Object.keys(methods).map((m) => `${m.toUpperCase()} ${path}`),
    );
  }, 120_000);
  afterAll(async () => {
    await server.stop();
    await removeTestData(server);
  });

  it('the probe covers every operation of /openapi.json', async () => {
    const spec = (await server.app.inject({ method: 'GET', url: '/openapi.json' })).json() as { paths: Record<string, object> };
    const documented = Object.entries(spec.paths).flatMap(([path, methods]) =>
      Object.keys(methods).map((m) => `${m.toUpperCase()} ${path}`),
    );
    expect(documented.filter((op) => !(op in OPERATIONS))).toEqual([]);
  });

  it('finds a foreign id in a body, but not one the request sent', () => {
    const [item] = items as [Seeded];
    expect(foreignIn(`{"id":"${item.id}"}`, [item], [])).toContain(item.id);
    expect(foreignIn(`{"message":"no interaction ${item.id}"}`, [item], [item.id])).toBeUndefined();
    expect(foreignIn(`subject ${item.marker}`, [item], [item.id])).toContain(item.marker);
  });

  it(
    `answers ${ROUNDS} rounds of foreign-aimed requests with 0 cross reads, the data intact`,
    async () => {
      const actors = await actorsOf(server);
      // Each actor sees its own records (so the probe aims at real data, not at an empty store).
      for (const actor of actors) expect(items.some((i) => visibleTo(actor, i)) || actor.name.startsWith('globex')).toBe(true);
      const tokens = await tokensOf(server, actors);
      expect([...tokens.values()].flat().length).toBeGreaterThan(actors.length);
      const started = Date.now();
      const tally = await probe(
        (o) => server.app.inject(o),
        { items, actors, tokens, operations },
        {
          rounds: ROUNDS,
          seed: SEED,
          onRound: (round, t) => {
            if (ROUNDS > 10 ? round % 10 === 0 : process.env.IXVAULT_ISOLATION_VERBOSE)
              console.log(
                `isolation (${BACKEND}): round ${round}/${ROUNDS}, ${t.requests} requests, ${t.crossReads.length} cross reads`,
              );
          },
        },
      );
      const problems = await damaged(server, items);
      const ok = [...tally.byOperation.values()].reduce(
        (n, s) => n + [...s].filter(([st]) => st < 300).reduce((m, [, c]) => m + c, 0),
        0,
      );
      const summary = `${BACKEND}: ${tally.requests} requests (${ok} answered 2xx), ${tally.crossReads.length} cross reads, ${problems.length} records damaged; seed ${SEED}; ${((Date.now() - started) / 1000).toFixed(0)} s`;
      console.log(`isolation — ${summary}`);
      if (process.env.IXVAULT_ISOLATION_REPORT)
        writeFileSync(
          `${process.env.IXVAULT_ISOLATION_REPORT}.${BACKEND}.json`,
          JSON.stringify({
            backend: BACKEND,
            seed: SEED,
            rounds: ROUNDS,
            requests: tally.requests,
            ok,
            crossReads: tally.crossReads.length,
            damaged: problems.length,
            examples: tally.crossReads.slice(0, 10),
          }),
        );
      expect(tally.crossReads.slice(0, 10)).toEqual([]);
      expect(problems).toEqual([]);
      // Searches were answered (not all refused), so their bodies were really checked.
      for (const op of ['GET /api/v1/interactions', 'GET /interaction-content/interactions', 'GET /api/v2/ucs/interactions'])
        expect(tally.byOperation.get(op)?.get(200) ?? 0).toBeGreaterThan(0);
    },
    120_000 + ROUNDS * 60_000,
  );
});

/** The CometD users: two agents of one tenant, their supervisor, and the other tenant's admin. */
const SESSION_USERS: [string, Actor['tenant'], string?][] = [
  ['agent1', 'acme', 'agent-1'],
  ['agent2', 'acme', 'agent-2'],
  ['super1', 'acme'],
  ['gadmin', 'globex'],
];

describe(`isolation over CometD: results and live news reach only their own user (${BACKEND})`, () => {
  let server: TestServer;
  let items: Seeded[];
  const clients: TestClient[] = [];
  beforeAll(async () => {
    server = await startTestServer();
    items = await seed(server);
  }, 120_000);
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.disconnect()));
    await server.stop();
    await removeTestData(server);
  });
  const open = async (userName: string, transport: (typeof TRANSPORTS)[number], subscribe = true) => {
    const client = new TestClient(server.url, { transport, ext: server.basic(userName), subscribe });
    clients.push(client);
    return client.open();
  };

  for (const transport of TRANSPORTS)
    it(`a Genesys result for one user never reaches another's session (${transport})`, async () => {
      const users = await Promise.all(
        SESSION_USERS.map(async ([userName, tenant, agentId]) => ({
          userName,
          actor: { name: userName, tenant, ...(agentId ? { agentId } : {}), auth: {} } as Actor,
          client: await open(userName, transport),
          asked: 0,
          sent: [] as string[],
        })),
      );
      // Each user asks for its own records and for everyone else's: by history, agent, contact and content.
      for (const user of users) {
        const auth = server.basic(user.userName);
        for (const item of items) {
          const source = item.source;
          await accepted(server, `/interactions/${item.id}`, auth, { operationName: 'GetInteractionContent', source });
          await accepted(server, `/contacts/${item.contactId}/interactions`, auth, {
            operationName: 'RetrieveContactHistory',
            source,
          });
          user.asked += 2;
          user.sent.push(item.id, item.contactId);
          // Within the cap of 16 requests computing per principal (bounded.test.ts tests the cap): a transcript
          // read is an audited write now, so answers come slower than this loop asks.
          await user.client.until(() => user.client.received.length >= user.asked - 8, `${user.userName}'s answers`, 120_000);
        }
        for (const source of ['main', 'archive']) {
          await accepted(server, '/interactions', auth, { operationName: 'RetrieveInteractionHistory', source });
          await accepted(server, '/interactions', auth, { operationName: 'RetrieveAgentHistory', source });
          user.asked += 2;
        }
      }
      for (const user of users)
        await user.client.until(
          () => user.client.received.length >= user.asked,
          `${user.userName}'s ${user.asked} results`,
          120_000,
        );
      // A last question each, answered after everything before it: anything misdelivered has arrived by now.
      for (const user of users) {
        await accepted(server, '/interactions', server.basic(user.userName), { operationName: 'RetrieveAgentHistory' });
        user.asked++;
      }
      for (const user of users)
        await user.client.until(() => user.client.received.length >= user.asked, `${user.userName}'s last result`);
      for (const user of users) {
        expect(user.client.received.length, user.userName).toBe(user.asked);
        const foreign = items.filter((i) => !visibleTo(user.actor, i));
        const own = items.filter((i) => visibleTo(user.actor, i));
        const text = JSON.stringify(user.client.received);
        expect(foreignIn(text, foreign, user.sent), user.userName).toBeUndefined();
        // …and the user did get its own records (so the check above looked at real results).
        // …and got its own records (acme has no Facebook or Twitter feature), so the check above read real results.
        const readable = own.filter((i) => i.tenant === 'globex' || !/facebook|twitter/.test(i.mediaType));
        expect(
          readable.filter((i) => !text.includes(i.marker)).map((i) => i.id),
          user.userName,
        ).toEqual([]);
      }
    });

  for (const transport of TRANSPORTS)
    it(`the live channel tells each user only about interactions it may see (${transport})`, async () => {
      const users = await Promise.all(
        SESSION_USERS.map(async ([userName]) => {
          const client = await open(userName, transport, false);
          client.subscribe(LIVE_CHANNEL);
          await client.until(() => client.subscribes.some((s) => s.successful), `${userName}'s subscription`);
          return { userName, client };
        }),
      );
      const [one] = await ingest(server, [
        callRecord({ ownerInformation: { id: 'agent-1' }, handlingAgents: [{ id: 'agent-1' }] }),
      ]);
      const [two] = await ingest(server, [
        callRecord({ ownerInformation: { id: 'agent-2' }, handlingAgents: [{ id: 'agent-2' }] }),
      ]);
      const [nobody] = await ingest(server, [
        callRecord({ ownerInformation: { id: 'agent-3' }, handlingAgents: [{ id: 'agent-3' }] }),
      ]);
      const [globex] = await ingest(server, [callRecord({ ownerInformation: { id: 'admin-g' }, handlingAgents: [] })], 'gadmin');
      // Sentinels last, one per tenant, that everyone of the tenant may see.
      const [both] = await ingest(server, [
        callRecord({ ownerInformation: { id: 'agent-1' }, handlingAgents: [{ id: 'agent-1' }, { id: 'agent-2' }] }),
      ]);
      const [globexLast] = await ingest(
        server,
        [callRecord({ ownerInformation: { id: 'admin-g' }, handlingAgents: [] })],
        'gadmin',
      );
      const expected: Record<string, (string | undefined)[]> = {
        agent1: [one, both],
        agent2: [two, both],
        super1: [one, two, nobody, both],
        gadmin: [globex, globexLast],
      };
      for (const { userName, client } of users) {
        const sentinel = userName === 'gadmin' ? globexLast : both;
        await client.until(() => client.received.some((m) => m.id === sentinel), `${userName}'s live news`);
        expect(
          client.received.map((m) => m.id),
          userName,
        ).toEqual(expected[userName]);
      }
    });
});
