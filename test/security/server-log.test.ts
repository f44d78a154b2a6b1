/**
 * What the operator's log keeps, from the real `ixvault serve` (JSON log on
 * stdout). A content upload cut off by the client is the client's doing and
 * must not read as a server failure (an error-level entry with a stack):
 * those are what an operator pages on, and a client that disconnects would
 * drown the real ones. And a search must not leave what it searched for
 * readable in the log — a card number (PCI DSS: logs are storage too), a
 * customer's phone number (the log is out of an erasure's reach).
 */
import { randomBytes } from 'node:crypto';
import { readdir, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ServedCli, serveCli, storeArgs } from '../helpers/cli.js';
import { callRecord } from '../helpers/fixtures.js';
import { ADMIN, type KillStore, killStore } from '../helpers/kill-store.js';
import { BACKEND } from '../helpers/server.js';
import { waitFor } from '../helpers/wait.js';

interface LogLine {
  level: number;
  msg: string;
  access?: boolean;
  method?: string;
  url?: string;
}

describe(`the server's log (${BACKEND})`, () => {
  let store: KillStore;
  let served: ServedCli;
  const lines = (): LogLine[] =>
    served
      .output()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as LogLine);
  const newInteraction = async () => {
    const res = await fetch(`${served.url}/api/v1/interactions`, {
      method: 'POST',
      headers: { authorization: ADMIN, 'content-type': 'application/json' },
      body: JSON.stringify(callRecord()),
    });
    return ((await res.json()) as { id: string }).id;
  };

  beforeAll(async () => {
    store = await killStore('server-log', 'server-log-secret-0123456789abcdef0123');
    served = await serveCli(['--config', store.principalsFile, ...storeArgs(store.store)], {
      IXVAULT_SECRET: 'server-log-secret-0123456789abcdef0123',
      IXVAULT_LOG_FORMAT: 'json',
    });
  });
  afterAll(async () => {
    served?.child.kill('SIGTERM');
    await served?.exited;
    await rm(store.dataDir, { recursive: true, force: true });
  });

  it('a client that disconnects midway: one info entry naming the request, no error', async () => {
    const id = await newInteraction();
    const path = `/api/v1/interactions/${id}/content/callRecording`;
    const tmp = join(store.dataDir, 'blobs', '.tmp');
    await new Promise<void>((resolve) => {
      const url = new URL(served.url + path);
      const req = request({
        host: url.hostname,
        port: url.port,
        path,
        method: 'PUT',
        headers: { authorization: ADMIN, 'content-type': 'audio/wav', 'content-length': String(2_000_000) },
      });
      req.on('error', () => resolve());
      req.write(randomBytes(300_000));
      // Disconnect once the server is writing the upload.
      waitFor(async () => (await readdir(tmp).catch(() => [])).length > 0, 'the upload to start').then(() => {
        req.destroy();
        resolve();
      }, resolve);
    });
    // No access line: the answer has nowhere to go. What the log says of the request is one entry.
    const entry = await waitFor(
      () => lines().find((l) => !l.access && (l.url === path || l.msg === 'request failed')),
      'the log entry of the abandoned upload',
    );
    expect(entry).toMatchObject({ level: 30, method: 'PUT', msg: 'client closed the request before its body ended' });
    expect(lines().filter((l) => l.level >= 50)).toEqual([]);
  });

  it("a search's numbers and words are withheld from the access lines, card numbers and phone numbers alike", async () => {
    const card = '4111 1111 1111 1111';
    const phone = '+14155550123';
    const asked = [
      `/api/v1/interactions?q=${encodeURIComponent(card)}&limit=1`,
      `/interaction-content/interactions?connectFrom=${card.replaceAll(' ', '')}`,
      `/interaction-content/interactions?connectFrom=${encodeURIComponent(phone)}&limit=2`,
    ];
    for (const path of asked) (await fetch(served.url + path, { headers: { authorization: ADMIN } })).body?.cancel();
    const logged = await waitFor(() => {
      const lines = served
        .output()
        .split('\n')
        .filter((l) => l.includes('"access":true') && l.includes('interactions?'));
      return lines.length >= asked.length ? lines : undefined;
    }, 'the access lines of the searches');
    const text = logged.join('\n');
    expect(text).not.toMatch(/4111[ +%20]*1111[ +%20]*1111/);
    expect(text).not.toMatch(/4155550123/);
    // What the operator still reads: which search, its page size.
    expect(text).toContain('GET /api/v1/interactions?q=*&limit=1 ');
    expect(text).toContain('GET /interaction-content/interactions?connectFrom=*&limit=2 ');
  });
});
