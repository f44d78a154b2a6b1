/**
 * A text search with an agent (handlingAgentId, or an agent's own visibility)
 * asks the engine for the words AND the agent's token, which every document
 * carries for each of its handling agents (agentToken, docs/SEARCH.md). The
 * token only chooses what the engine reads: the agent is checked in SQL on
 * every row. On the run's backend: an agent never sees another agent's
 * interaction, also after the agents of an interaction change (patch,
 * re-ingest, archive move) and when the index holds a wrong token; nothing
 * typed in `q` matches a token.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentToken, PART_BREAK } from '../../src/domain/fulltext.js';
import { build } from '../helpers/app.js';
import { chatRecord } from '../helpers/fixtures.js';
import { BACKEND, call, removeTestData, type TestServer } from '../helpers/server.js';

describe(`full-text search with an agent: the agents' tokens (${BACKEND})`, () => {
  let server: TestServer;
  let admin: string;
  let agent1: string;
  let agent2: string;
  const api = () => `${server.url}/api/v1`;
  const page = async (query: string, auth = admin) => {
    const res = await call<{ items: { id: string }[]; nextCursor: string | null }>(`${api()}/interactions?${query}`, {
      headers: { authorization: auth },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return res.body;
  };
  /** Every hit of `q` (paged by `limit`, following the cursor), in the search's order. */
  const find = async (q: string, auth = admin, extra = '', limit = 1000) => {
    const found: string[] = [];
    let cursor: string | null = null;
    do {
      const body = await page(
        `q=${encodeURIComponent(q)}&limit=${limit}${extra}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
        auth,
      );
      found.push(...body.items.map((i) => i.id));
      cursor = body.nextCursor;
    } while (cursor);
    return found;
  };
  const ingest = async (record: Record<string, unknown>) => {
    const res = await call(`${api()}/interactions`, { method: 'POST', headers: { authorization: admin }, json: record });
    expect(res.status, JSON.stringify(res.body)).toBeLessThan(300);
  };
  const record = (id: string, day: number, agents: string[], subject = 'kumquat order') =>
    chatRecord({
      id,
      startDate: new Date(Date.UTC(2025, 2, day, 9)).toISOString(),
      endDate: undefined,
      state: 'New',
      subject,
      ownerInformation: { id: agents[0] },
      handlingAgents: agents.map((id) => ({ id })),
      messages: [],
    });

  beforeAll(async () => {
    server = await build();
    admin = server.basic('admin1');
    agent1 = server.basic('agent1');
    agent2 = server.basic('agent2');
    // Newest first: BOTH (both agents), TWO (agent-2), ONE (agent-1), OLD (agent-1, a year before).
    await ingest(record('AT-OLD', 1, ['agent-1']));
    await ingest(record('AT-ONE', 10, ['agent-1']));
    await ingest(record('AT-TWO', 11, ['agent-2']));
    await ingest(record('AT-BOTH', 12, ['agent-1', 'agent-2']));
    // PostgreSQL: with the lexeme statistics the engine chooses its own plan (fulltext-engines.ts), not the planner.
    if (server.runtime.store.dialect === 'postgres') await sql`analyze`.execute(server.runtime.store.db);
  });
  afterAll(async () => {
    await server.stop();
    await removeTestData(server);
  });

  it('finds an agent’s interactions only, by its own visibility and by handlingAgentId, in time order', async () => {
    expect(await find('kumquat')).toEqual(['AT-BOTH', 'AT-TWO', 'AT-ONE', 'AT-OLD']);
    expect(await find('kumquat', agent1)).toEqual(['AT-BOTH', 'AT-ONE', 'AT-OLD']);
    expect(await find('kumquat', agent2)).toEqual(['AT-BOTH', 'AT-TWO']);
    expect(await find('kumquat', admin, '&handlingAgentId=agent-1')).toEqual(['AT-BOTH', 'AT-ONE', 'AT-OLD']);
    expect(await find('kumquat', admin, '&handlingAgentId=agent-1&sort=asc', 1)).toEqual(['AT-OLD', 'AT-ONE', 'AT-BOTH']);
    // Both: an agent asking for another agent's interactions gets those the two handled together.
    expect(await find('kumquat', agent1, '&handlingAgentId=agent-2')).toEqual(['AT-BOTH']);
    expect(await find('kumquat -order', agent1)).toEqual([]);
    expect(await find('kumquat OR nothinghere', agent2, '', 1)).toEqual(['AT-BOTH', 'AT-TWO']);
    expect(await find('"kumquat order"', admin, '&handlingAgentId=agent-3')).toEqual([]);
  });

  it('follows a change of an interaction’s agents: patch, re-ingest, deletion', async () => {
    await ingest(record('AT-MOVE', 5, ['agent-1'], 'tamarind'));
    expect(await find('tamarind', agent1)).toEqual(['AT-MOVE']);
    expect(await find('tamarind', agent2)).toEqual([]);
    const patched = await call(`${api()}/interactions/AT-MOVE`, {
      method: 'PATCH',
      headers: { authorization: admin, 'content-type': 'application/merge-patch+json' },
      body: JSON.stringify({ ownerInformation: { id: 'agent-2' }, handlingAgents: [{ id: 'agent-2' }] }),
    });
    expect(patched.status, JSON.stringify(patched.body)).toBeLessThan(300);
    expect(await find('tamarind', agent1)).toEqual([]);
    expect(await find('tamarind', admin, '&handlingAgentId=agent-1')).toEqual([]);
    expect(await find('tamarind', agent2)).toEqual(['AT-MOVE']);
    // The whole record again, with both agents.
    await ingest(record('AT-MOVE', 5, ['agent-2', 'agent-1'], 'tamarind'));
    expect(await find('tamarind', agent1)).toEqual(['AT-MOVE']);
    expect(await find('tamarind', agent2)).toEqual(['AT-MOVE']);
    // And back to agent-1 alone, with other words.
    await ingest(record('AT-MOVE', 5, ['agent-1'], 'tamarind pulp'));
    expect(await find('tamarind pulp', agent2)).toEqual([]);
    expect(await find('tamarind pulp', agent1)).toEqual(['AT-MOVE']);
    const deleted = await call(`${api()}/interactions/AT-MOVE`, { method: 'DELETE', headers: { authorization: admin } });
    expect(deleted.status).toBeLessThan(300);
    expect(await find('tamarind', agent1)).toEqual([]);
  });

  it('an archived interaction keeps its agents’ tokens', async () => {
    // Before the other records of this file (2025): only this one moves.
    const archived = chatRecord({
      id: 'AT-ARCHIVED',
      startDate: new Date(Date.UTC(2020, 0, 5)).toISOString(),
      endDate: undefined,
      state: 'New',
      subject: 'loquat',
      ownerInformation: { id: 'agent-2' },
      handlingAgents: [{ id: 'agent-2' }],
      messages: [],
    });
    await ingest(archived);
    expect(await server.runtime.vault.archive.moveBatch('acme', Date.UTC(2021, 0, 1), 100)).toBe(1);
    expect(await find('loquat', admin, '&source=archive&handlingAgentId=agent-2')).toEqual(['AT-ARCHIVED']);
    expect(await find('loquat', admin, '&source=archive&handlingAgentId=agent-1')).toEqual([]);
    expect(await find('loquat', admin, '&handlingAgentId=agent-2')).toEqual([]);
  });

  it('nothing typed in q matches an agent’s token: not as a word, a phrase, a prefix or an exclusion', async () => {
    const token = agentToken('acme', 'agent-1');
    expect(token.startsWith('ꙮ')).toBe(true);
    const typed = [
      token,
      token.toUpperCase(),
      `"${token}"`,
      `"kumquat order ${token}"`,
      `${token}*`,
      `${token.slice(0, 4)}*`,
      `kumquat ${token}`,
      `kumquat "${PART_BREAK} ${token}"`,
      // Without the mark, and the mark spelled as it folds.
      token.slice(1),
      `o${token.slice(1)}`,
      `${PART_BREAK}*`,
    ];
    for (const q of typed) {
      expect(await find(q), q).toEqual([]);
      expect(await find(q, agent1), q).toEqual([]);
      expect(await find(q, admin, '&handlingAgentId=agent-1'), q).toEqual([]);
    }
    // Excluding it excludes nothing: no document holds what it folds to.
    expect(await find(`kumquat -${token}`, agent1)).toEqual(['AT-BOTH', 'AT-ONE', 'AT-OLD']);
    expect(await find(`kumquat -"${token}"`)).toEqual(['AT-BOTH', 'AT-TWO', 'AT-ONE', 'AT-OLD']);
  });

  it('a wrong token in the index never shows a row: the agent is checked in SQL on every row', async () => {
    // AT-TWO (agent-2's) and a newer one of agent-2 indexed as if agent-1 had handled them: a stale token, or a
    // hash collision. The engine now returns them for agent-1; the search must not.
    await ingest(record('AT-STALE', 20, ['agent-2']));
    const store = server.runtime.store;
    const wrong = (id: string, startMs: number) => ({
      id,
      startMs,
      body: `kumquat order ${PART_BREAK} ${agentToken('acme', 'agent-2')} ${agentToken('acme', 'agent-1')}`,
    });
    await store.write((trx) =>
      store.impl.fullText.put(trx, 'main', 'acme', [
        wrong('AT-TWO', Date.UTC(2025, 2, 11, 9)),
        wrong('AT-STALE', Date.UTC(2025, 2, 20, 9)),
      ]),
    );
    for (const limit of [1, 2, 1000]) {
      expect(await find('kumquat', agent1, '', limit)).toEqual(['AT-BOTH', 'AT-ONE', 'AT-OLD']);
      expect(await find('kumquat', admin, '&handlingAgentId=agent-1', limit)).toEqual(['AT-BOTH', 'AT-ONE', 'AT-OLD']);
      expect(await find('kumquat', admin, '&handlingAgentId=agent-1&sort=asc', limit)).toEqual(['AT-OLD', 'AT-ONE', 'AT-BOTH']);
    }
    expect(await find('kumquat', agent2)).toEqual(['AT-STALE', 'AT-BOTH', 'AT-TWO']);
  });
});
