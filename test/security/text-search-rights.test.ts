/**
 * Full-text search shows no more of a record than its reader may download
 * (session 4, redteam). A transcript is content: its text is indexed, so a
 * text query and its snippets read it. Before: a token with
 * `interactions:read` alone (which downloads no content) read transcripts
 * through `q` snippets, and an agent read a transcript marked
 * `containsSensitiveData` (its download needs content.readSensitive), both by
 * snippet and by a yes/no oracle (`q=word`, `q=subject -word`).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { build } from '../helpers/app.js';
import { callRecord } from '../helpers/fixtures.js';
import { BACKEND, call, removeTestData, type TestServer } from '../helpers/server.js';

interface Hit {
  id: string;
  matches?: { in: string; snippet: string; contentKey?: string }[];
}

const transcript = (text: string) => JSON.stringify({ version: 1, lines: [{ speaker: 'customer', text, offsetMs: 0 }] });

describe(`full-text search keeps to what the reader may download (${BACKEND})`, () => {
  let server: TestServer;
  let admin: string;
  const ids: Record<string, string> = {};
  const search = (q: string, auth: string) =>
    call<{ items: Hit[]; type?: string; detail?: string }>(
      `${server.url}/api/v1/interactions?q=${encodeURIComponent(q)}&limit=1000`,
      { headers: { authorization: auth } },
    );
  const hits = async (q: string, auth: string) => {
    const res = await search(q, auth);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return res.body.items;
  };
  const upload = async (id: string, key: string, text: string, sensitive: boolean) => {
    const res = await call(
      `${server.url}/api/v1/interactions/${id}/content/${key}?type=transcript${sensitive ? '&containsSensitiveData=true' : ''}`,
      { method: 'PUT', headers: { authorization: admin, 'content-type': 'application/json' }, body: transcript(text) },
    );
    expect(res.status, JSON.stringify(res.body)).toBe(201);
  };

  beforeAll(async () => {
    server = await build();
    admin = server.basic('admin1');
    for (const name of ['plain', 'sensitive', 'flipped']) {
      const res = await call(`${server.url}/api/v1/interactions`, {
        method: 'POST',
        headers: { authorization: admin },
        json: callRecord({
          subject: `routine ${name} call`,
          ownerInformation: { id: 'agent-1' },
          handlingAgents: [{ id: 'agent-1' }],
        }),
      });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      ids[name] = res.body.id;
    }
    await upload(ids.plain as string, 'transcript', 'my order number is plainword forty two', false);
    await upload(ids.sensitive as string, 'transcript', 'the security code is secretword seven three seven', true);
    // Indexed first, then replaced by the same transcript marked sensitive: what was indexed goes.
    await upload(ids.flipped as string, 'transcript', 'expiry flipword twelve twenty nine', false);
    await upload(ids.flipped as string, 'transcript', 'expiry flipword twelve twenty nine', true);
  });
  afterAll(async () => {
    await server.stop();
    await removeTestData(server);
  });

  it('an agent finds an ordinary transcript, with its snippet', async () => {
    const found = await hits('plainword', server.basic('agent1'));
    expect(found.map((h) => h.id)).toEqual([ids.plain]);
    expect(found[0]?.matches?.[0]?.snippet).toContain('plainword');
  });

  it('a transcript marked containsSensitiveData is never read through a text query: no hit, no snippet, no oracle', async () => {
    const agent = server.basic('agent1');
    // The agent may not download it.
    const download = await call(`${server.url}/api/v1/interactions/${ids.sensitive}/content/transcript`, {
      headers: { authorization: agent },
    });
    expect(download.status).toBe(403);
    for (const auth of [agent, server.basic('super1'), admin, await server.bearer('acme-reader')]) {
      for (const word of ['secretword', 'flipword']) {
        const found = await hits(word, auth);
        expect(JSON.stringify(found)).not.toContain(word);
        expect(found.map((h) => h.id)).toEqual([]);
      }
      // Excluding a word of it changes nothing either: the exclusion cannot tell what it holds.
      const routine = (await hits('routine -secretword -flipword', auth)).map((h) => h.id).sort();
      expect(routine).toEqual([ids.plain, ids.sensitive, ids.flipped].sort());
    }
  });

  it('a token that downloads no content (interactions:read alone) may not run a text query, which reads transcripts', async () => {
    const metadataOnly = await server.bearer('acme-qa', 'interactions:read');
    const res = await search('plainword', metadataOnly);
    expect(res.status).toBe(403);
    expect(res.body.type).toBeDefined();
    expect(res.body.detail).toMatch(/interaction-content:read/);
    expect(JSON.stringify(res.body)).not.toContain('forty two');
    // Its searches without q still work; a token with content access still runs q.
    const plain = await call(`${server.url}/api/v1/interactions?limit=10`, { headers: { authorization: metadataOnly } });
    expect(plain.status).toBe(200);
    expect((await hits('plainword', await server.bearer('acme-reader'))).map((h) => h.id)).toEqual([ids.plain]);
  });
});
