/**
 * Erasure by data subject (issue 14): every interaction of the subject in the
 * main store and the archive goes, with messages, content rows and bytes; the
 * receipt is signed with the deployment key and retrievable; the audit log
 * names the receipt, never the subject; an interrupted erasure resumes. The
 * subject's contact records go too, unless a legal hold keeps them.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { compactVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deriveKeys } from '../../src/auth/secrets.js';
import type { ErasureReceipt } from '../../src/domain/erasure.js';
import { VaultError } from '../../src/domain/errors.js';
import type { ContactRepository } from '../../src/store/contact-repository.js';
import { build } from '../helpers/app.js';
import { callRecord, chatRecord } from '../helpers/fixtures.js';
import { BACKEND, call, removeTestData, send, type TestServer } from '../helpers/server.js';

const SECRET = 'test-secret-not-for-production-0123456789';

describe(`erasure by data subject (${BACKEND})`, () => {
  let server: TestServer;
  let admin: string;
  const api = () => `${server.url}/api/v1`;
  let serial = 0;
  const ingest = async (record: Record<string, unknown>, content?: string, auth = admin) => {
    const res = await call(`${api()}/interactions`, { method: 'POST', headers: { authorization: auth }, json: record });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    const id = res.body.id as string;
    let sha256: string | undefined;
    if (content !== undefined) {
      const put = await send(`${api()}/interactions/${id}/content/callRecording`, {
        method: 'PUT',
        headers: { authorization: auth, 'content-type': 'audio/wav' },
        body: Buffer.from(content),
      });
      expect(put.status).toBe(201);
      sha256 = createHash('sha256').update(content).digest('hex');
    }
    return { id, sha256 };
  };
  const blobPath = (tenant: string, sha: string) => join(server.dataDir, 'blobs', tenant, sha.slice(0, 2), sha);
  /** Whether the bytes are stored: a blob file, or kept in the database (small content, src/blobs/inline.ts). */
  const stored = async (tenant: string, sha: string) =>
    existsSync(blobPath(tenant, sha)) || (await server.runtime.vault.content.inlineBytes(tenant, sha)) !== undefined;
  const exists = async (id: string, source = 'main') =>
    (await call(`${api()}/interactions/${id}?source=${source}`, { headers: { authorization: admin } })).status === 200;
  const erase = (body: unknown, auth = admin) =>
    call(`${api()}/erasures`, { method: 'POST', headers: { authorization: auth }, json: body });
  const unique = () => `${Date.now().toString(36)}${++serial}`;

  beforeAll(async () => {
    server = await build();
    admin = server.basic('admin1');
  });
  afterAll(async () => {
    await server.stop();
    await removeTestData(server);
  });

  it('finds the subject in main and archive by contact, phone, email and participant; removes all of it; signs the receipt', async () => {
    const tag = unique();
    const contactId = `contact-${tag}`;
    const phone = `+1415555${tag.length}${serial}00`;
    const email = `Subject.${tag}@Example.org`;
    const byContact = await ingest(chatRecord({ contactId, connectFrom: `other-${tag}@example.org` }), `recording of ${tag}`);
    const byPhone = await ingest(
      callRecord({ contactId: 'someone-else', phoneNumber: phone, connectFrom: phone }),
      `call ${tag}`,
    );
    const byEmail = await ingest(chatRecord({ contactId: 'someone-else', connectFrom: email.toLowerCase() }));
    const asParticipant = await ingest(
      chatRecord({
        contactId: 'someone-else',
        connectFrom: 'x@example.org',
        messages: [
          {
            index: 1,
            from: { type: 'Customer', participantId: contactId },
            text: 'hi',
            visibility: 'All',
            timestamp: '2025-03-10T09:00:00Z',
            type: 'Text',
          },
        ],
      }),
    );
    const byEmailParts = await ingest(
      chatRecord({
        mediaType: 'email',
        messages: [],
        contactId: 'someone-else',
        connectFrom: 'support@example.com',
        email: { from: 'support@example.com', to: ['x_y@example.org'], cc: [email.toUpperCase()], text: 'Your order' },
      }),
    );
    // `_` in an address is a LIKE wildcard: x_y must not match xzy.
    const lookalike = await ingest(
      chatRecord({
        mediaType: 'email',
        messages: [],
        contactId: 'someone-else',
        connectFrom: 'a@example.com',
        email: { from: 'a@example.com', to: ['xzy@example.org'] },
      }),
    );
    const archived = await ingest(
      callRecord({ contactId, startDate: '2020-01-01T00:00:00Z', endDate: '2020-01-01T00:01:00Z' }),
      `old ${tag}`,
    );
    const bystander = await ingest(callRecord({ contactId: `bystander-${tag}` }), `bystander ${tag}`);
    // The same identifiers in another tenant are another person's: untouched.
    const foreign = await ingest(chatRecord({ contactId, connectFrom: email }), undefined, server.basic('gadmin'));
    expect(await server.runtime.vault.archive.moveBatch('acme', Date.parse('2021-01-01T00:00:00Z'), 1000)).toBeGreaterThan(0);

    const res = await erase({ contactId, phoneNumbers: [phone], emailAddresses: [email, 'x_y@example.org'] });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.headers.get('location')).toBe(`/api/v1/erasures/${res.body.id}`);
    // What the erasure left in the files is scrubbed after it on SQLite; PostgreSQL has no scrub (docs/GOVERNANCE.md).
    expect(res.body.scrub).toEqual({ status: BACKEND === 'sqlite' ? 'pending' : 'unavailable' });
    const receipt = res.body.receipt as ErasureReceipt;
    const ids = (list: { id: string }[]) => list.map((f) => f.id).sort();
    const expected = [byContact.id, byPhone.id, byEmail.id, byEmailParts.id, asParticipant.id, archived.id].sort();
    expect(ids(receipt.found.interactions)).toEqual(expected);
    expect(ids(receipt.removed.interactions)).toEqual(expected);
    expect(receipt.found.count).toBe(6);
    expect(receipt.removed.count).toBe(6);
    expect(receipt.kept).toEqual({ count: 0, interactions: [] });
    expect(receipt.found.interactions.find((f) => f.id === archived.id)?.source).toBe('archive');
    expect(receipt.removed.contentSha256s).toEqual([byContact.sha256, byPhone.sha256, archived.sha256].sort());
    expect(receipt.identifiers).toEqual({ contactId: 1, phoneNumbers: 1, emailAddresses: 2 });
    expect(receipt.contacts).toEqual({ found: 0, removed: 0, kept: 0, keptReasons: {} });

    // The signature is the deployment key's, over exactly this receipt; an altered receipt fails.
    const key = deriveKeys(Buffer.from(SECRET)).receipt;
    const { payload, protectedHeader } = await compactVerify(res.body.signature, key);
    expect(protectedHeader.alg).toBe('HS256');
    expect(JSON.parse(new TextDecoder().decode(payload))).toEqual(receipt);
    const [header, body, sig] = (res.body.signature as string).split('.');
    const altered = JSON.parse(Buffer.from(body as string, 'base64url').toString());
    altered.kept.count = 1;
    await expect(
      compactVerify(`${header}.${Buffer.from(JSON.stringify(altered)).toString('base64url')}.${sig}`, key),
    ).rejects.toThrow();
    // Nothing of the subject's identifiers is in the receipt.
    const text = JSON.stringify(res.body);
    for (const value of [contactId, phone, email, email.toLowerCase()]) expect(text).not.toContain(value);

    // Gone: records (both stores), messages, content bytes; the bystander and the other tenant stay.
    for (const { id } of [byContact, byPhone, byEmail, asParticipant]) expect(await exists(id)).toBe(false);
    expect(await exists(archived.id, 'archive')).toBe(false);
    for (const table of ['messages', 'content_items'] as const)
      for (const source of ['main', 'archive'] as const) {
        const left = await server.runtime.store
          .in(source)
          .selectFrom(table)
          .select('interaction_id')
          .where('tenant_id', '=', 'acme')
          .where('interaction_id', 'in', expected)
          .execute();
        expect(left, `${source}.${table}`).toEqual([]);
      }
    for (const sha of receipt.removed.contentSha256s) expect(await stored('acme', sha), sha).toBe(false);
    expect(await exists(bystander.id)).toBe(true);
    expect(await exists(lookalike.id)).toBe(true);
    expect(await stored('acme', bystander.sha256 as string)).toBe(true);
    const theirs = await call(`${api()}/interactions/${foreign.id}`, { headers: { authorization: server.basic('gadmin') } });
    expect(theirs.status).toBe(200);

    // Retrievable later by id, the same signed receipt.
    const again = await call(`${api()}/erasures/${res.body.id}`, { headers: { authorization: admin } });
    const { scrub, ...signed } = again.body;
    expect(signed).toEqual({ id: res.body.id, status: 'done', receipt, signature: res.body.signature });
    expect(['pending', 'done', 'unavailable']).toContain(scrub.status);
    // Another tenant cannot read it.
    expect((await call(`${api()}/erasures/${res.body.id}`, { headers: { authorization: server.basic('gadmin') } })).status).toBe(
      404,
    );

    // The audit log references the receipt and never repeats the personal data.
    const log = await call(`${api()}/audit?limit=1000`, { headers: { authorization: admin } });
    const erasure = log.body.entries.find((e: { action: string }) => e.action === 'erasure');
    expect(erasure).toMatchObject({
      actor: 'user:acme/admin-1',
      detail: { receipt: res.body.id, found: 6, removed: 6, kept: 0 },
    });
    const deletions = log.body.entries.filter((e: { action: string }) => e.action === 'erasure.delete');
    expect(deletions.map((e: { interactionId: string }) => e.interactionId).sort()).toEqual(expected);
    const logText = JSON.stringify(log.body);
    for (const value of [contactId, phone, email, email.toLowerCase()]) expect(logText).not.toContain(value);
    // The erasure record dropped the identifiers once done.
    const row = await server.runtime.store
      .in('main')
      .selectFrom('erasures')
      .selectAll()
      .where('id', '=', res.body.id)
      .executeTakeFirst();
    expect(row).toMatchObject({ status: 'done', subject: null });
  });

  it('resumes an interrupted erasure: same receipt id, everything found removed, nothing twice', async () => {
    const contactId = `contact-${unique()}`;
    const first = await ingest(callRecord({ contactId }), 'first bytes');
    const second = await ingest(callRecord({ contactId }), 'second bytes');
    const vault = server.runtime.vault;
    const original = vault.deleteInteraction.bind(vault);
    let calls = 0;
    // The process "dies" right after the first deletion committed.
    vault.deleteInteraction = async (...args: Parameters<typeof original>) => {
      if (++calls === 2) throw new Error('killed');
      return original(...args);
    };
    try {
      const crashed = await erase({ contactId });
      expect(crashed.status).toBe(500);
    } finally {
      vault.deleteInteraction = original;
    }
    const [running] = await server.runtime.store
      .in('main')
      .selectFrom('erasures')
      .selectAll()
      .where('status', '=', 'running')
      .execute();
    expect(running).toBeDefined();
    expect(await exists(first.id)).toBe(false);

    const resumed = await erase({ contactId });
    expect(resumed.status).toBe(201);
    expect(resumed.body.id).toBe(running?.id);
    const receipt = resumed.body.receipt as ErasureReceipt;
    expect(receipt.found.interactions.map((f) => f.id).sort()).toEqual([first.id, second.id].sort());
    expect(receipt.removed.count).toBe(2);
    expect(await exists(second.id)).toBe(false);
    // Repeating it is harmless: a new receipt that finds nothing.
    const repeated = await erase({ contactId });
    expect(repeated.body.id).not.toBe(resumed.body.id);
    expect(repeated.body.receipt.found).toEqual({ count: 0, interactions: [] });
  });

  it('reports what the deletion path refuses (a legal hold) as kept, with the refusal code, and leaves it', async () => {
    const contactId = `contact-${unique()}`;
    const held = await ingest(callRecord({ contactId }), 'held bytes');
    const free = await ingest(callRecord({ contactId }), 'free bytes');
    const vault = server.runtime.vault;
    const original = vault.deleteInteraction.bind(vault);
    // What the holds branch's check in the one deletion path does: a 409 for a held interaction.
    vault.deleteInteraction = async (...args: Parameters<typeof original>) => {
      if (args[1] === held.id)
        throw new VaultError('conflict', 'IXV_IDENTITY_CONFLICT', `interaction ${held.id} is under a legal hold`);
      return original(...args);
    };
    let receipt: ErasureReceipt;
    try {
      const res = await erase({ contactId });
      expect(res.status).toBe(201);
      receipt = res.body.receipt;
    } finally {
      vault.deleteInteraction = original;
    }
    expect(receipt.found.count).toBe(2);
    expect(receipt.removed.interactions.map((f) => f.id)).toEqual([free.id]);
    expect(receipt.kept).toEqual({
      count: 1,
      interactions: [{ id: held.id, source: 'main', contentSha256s: [held.sha256], reason: 'IXV_IDENTITY_CONFLICT' }],
    });
    expect(receipt.removed.contentSha256s).toEqual([free.sha256]);
    expect(await exists(held.id)).toBe(true);
    expect(await stored('acme', held.sha256 as string)).toBe(true);
  });

  const contact = async (json: Record<string, unknown>) => {
    const res = await call(`${api()}/contacts`, { method: 'POST', headers: { authorization: admin }, json });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body.id as string;
  };
  const contactExists = async (id: string) =>
    (await call(`${api()}/contacts/${id}`, { headers: { authorization: admin } })).status === 200;
  const identifiersOf = (ids: string[]) =>
    server.runtime.store
      .in('main')
      .selectFrom('contact_identifiers')
      .select('contact_id')
      .where('tenant_id', '=', 'acme')
      .where('contact_id', 'in', ids)
      .execute();

  it("removes the subject's contact records: by id and by address (with their interactions), counted, not named", async () => {
    const tag = unique();
    const byId = await contact({ id: `contact-${tag}`, emailAddresses: [`c.${tag}@example.org`] });
    const digits = `1415${Date.now().toString().slice(-7)}`;
    // The subject's number in another format than the contact's: compared in normal form.
    const byPhone = await contact({
      firstName: 'Ada',
      phoneNumbers: [`+${digits.slice(0, 1)} (${digits.slice(1, 4)}) ${digits.slice(4)}`],
    });
    const bystander = await contact({ firstName: 'Bob', phoneNumbers: ['+1 555 0100'] });
    const ofPhoneContact = await ingest(callRecord({ contactId: byPhone }), `phone contact ${tag}`);
    const ofBystander = await ingest(callRecord({ contactId: bystander }));

    const res = await erase({ contactId: byId, phoneNumbers: [`+${digits}`] });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    const receipt = res.body.receipt as ErasureReceipt;
    expect(receipt.contacts).toEqual({ found: 2, removed: 2, kept: 0, keptReasons: {} });
    expect(receipt.removed.interactions.map((f) => f.id)).toEqual([ofPhoneContact.id]);
    expect(await contactExists(byId)).toBe(false);
    expect(await contactExists(byPhone)).toBe(false);
    expect(await identifiersOf([byId, byPhone])).toEqual([]);
    expect(await contactExists(bystander)).toBe(true);
    expect(await exists(ofBystander.id)).toBe(true);
    // Neither the receipt, the audit log nor the finished erasure record names the contacts.
    const log = await call(`${api()}/audit?action=erasure&limit=1000`, { headers: { authorization: admin } });
    const entry = log.body.entries.find((e: { detail: { receipt: string } }) => e.detail.receipt === res.body.id);
    expect(entry.detail).toMatchObject({ contactsRemoved: 2, contactsKept: 0 });
    const row = await server.runtime.store
      .in('main')
      .selectFrom('erasures')
      .selectAll()
      .where('id', '=', res.body.id)
      .executeTakeFirstOrThrow();
    for (const text of [JSON.stringify(res.body), JSON.stringify(entry), JSON.stringify(row)])
      for (const value of [byId, byPhone, digits]) expect(text).not.toContain(value);
  });

  it('keeps a contact under legal hold, with its interactions, and reports it kept; released, a new erasure removes it', async () => {
    const held = await contact({ firstName: 'Held' });
    const interaction = await ingest(callRecord({ contactId: held }), 'held contact bytes');
    const hold = await call(`${api()}/holds`, {
      method: 'POST',
      headers: { authorization: admin },
      json: { name: 'Case 7', reason: 'litigation', contactId: held },
    });
    expect(hold.status, JSON.stringify(hold.body)).toBe(201);

    const first = (await erase({ contactId: held })).body.receipt as ErasureReceipt;
    expect(first.kept.interactions).toMatchObject([{ id: interaction.id, reason: 'IXV_INTERACTION_HELD' }]);
    expect(first.contacts).toEqual({ found: 1, removed: 0, kept: 1, keptReasons: { IXV_INTERACTION_HELD: 1 } });
    expect(await contactExists(held)).toBe(true);
    expect(await exists(interaction.id)).toBe(true);

    const released = await call(`${api()}/holds/${hold.body.id}/release`, {
      method: 'POST',
      headers: { authorization: admin },
      json: { reason: 'case closed' },
    });
    expect(released.status, JSON.stringify(released.body)).toBe(200);
    const second = (await erase({ contactId: held })).body.receipt as ErasureReceipt;
    expect(second.removed.interactions.map((f) => f.id)).toEqual([interaction.id]);
    expect(second.contacts).toEqual({ found: 1, removed: 1, kept: 0, keptReasons: {} });
    expect(await contactExists(held)).toBe(false);
  });

  it('keeps a contact that a kept interaction still names (a hold on the interaction)', async () => {
    const named = await contact({ firstName: 'Named' });
    const interaction = await ingest(callRecord({ contactId: named }));
    const hold = await call(`${api()}/holds`, {
      method: 'POST',
      headers: { authorization: admin },
      json: { name: 'Case 8', reason: 'complaint', interactionIds: [interaction.id] },
    });
    expect(hold.status, JSON.stringify(hold.body)).toBe(201);
    const receipt = (await erase({ contactId: named })).body.receipt as ErasureReceipt;
    expect(receipt.kept.count).toBe(1);
    expect(receipt.contacts).toEqual({ found: 1, removed: 0, kept: 1, keptReasons: { 'interactions kept': 1 } });
    expect(await contactExists(named)).toBe(true);
  });

  it('resumes an erasure killed after a contact went: the contact counts as removed, nothing else changes', async () => {
    const gone = await contact({ firstName: 'Gone', emailAddresses: [`gone.${unique()}@example.org`] });
    const interaction = await ingest(callRecord({ contactId: gone }), 'gone bytes');
    const contacts = (server.runtime.erasures as unknown as { contacts: ContactRepository }).contacts;
    const original = contacts.removeUnless.bind(contacts);
    // The process "dies" right after the contact's removal committed, before the receipt.
    contacts.removeUnless = async (...args: Parameters<typeof original>) => {
      await original(...args);
      throw new Error('killed');
    };
    try {
      expect((await erase({ contactId: gone })).status).toBe(500);
    } finally {
      contacts.removeUnless = original;
    }
    expect(await contactExists(gone)).toBe(false);
    const resumed = await erase({ contactId: gone });
    expect(resumed.status).toBe(201);
    const receipt = resumed.body.receipt as ErasureReceipt;
    expect(receipt.removed.interactions.map((f) => f.id)).toEqual([interaction.id]);
    expect(receipt.contacts).toEqual({ found: 1, removed: 1, kept: 0, keptReasons: {} });
  });

  it('refuses bad input naming the field, and anyone but an admin', async () => {
    expect((await erase({})).body).toMatchObject({ status: 400, field: 'contactId, phoneNumbers or emailAddresses' });
    expect((await erase({ phoneNumbers: ['call me'] })).body).toMatchObject({ status: 400, field: 'phoneNumbers.0' });
    expect((await erase({ emailAddresses: ['a@b.c', 'nope'] })).body).toMatchObject({ status: 400, field: 'emailAddresses.1' });
    expect((await erase({ contactId: 'x', extra: 1 })).status).toBe(400);
    expect((await erase({ contactId: 'x' }, server.basic('super1'))).status).toBe(403);
    expect((await erase({ contactId: 'x' }, await server.bearer('acme-qa'))).status).toBe(403);
    expect((await call(`${api()}/erasures/nope`, { headers: { authorization: admin } })).status).toBe(404);
  });
});
