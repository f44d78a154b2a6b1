/**
 * Contacts as a first-class record through the native API: create, read,
 * merge-patch, lookup by email or phone in their normal forms, RFC 7807
 * errors naming the field, rights from the one scope table, and tenants
 * that never see each other's contacts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { build } from '../helpers/app.js';
import { chatRecord } from '../helpers/fixtures.js';
import { BACKEND, call, removeTestData, type TestServer } from '../helpers/server.js';

describe(`native contacts (${BACKEND})`, () => {
  let server: TestServer;
  const api = () => `${server.url}/api/v1`;
  const as = (user: string) => server.basic(user);
  const create = (json: unknown, auth = as('admin1')) =>
    call(`${api()}/contacts`, { method: 'POST', headers: { authorization: auth }, json });
  const lookup = (query: string, auth = as('admin1')) => call(`${api()}/contacts?${query}`, { headers: { authorization: auth } });

  beforeAll(async () => {
    server = await build();
  });
  afterAll(async () => {
    await server.stop();
    await removeTestData(server);
  });

  it('creates a contact with a generated id, reads it back as given', async () => {
    const res = await create({
      firstName: 'Constance',
      lastName: 'Doe',
      emailAddresses: ['Constance@Example.FR'],
      phoneNumbers: ['+1 (323) 234-2342'],
      attributes: { tier: 'gold' },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body.id).toMatch(/^[0-9A-Za-z]{16}$/);
    expect(res.headers.get('location')).toBe(`/api/v1/contacts/${res.body.id}`);
    const got = await call(`${api()}/contacts/${res.body.id}`, { headers: { authorization: as('agent1') } });
    expect(got.status).toBe(200);
    expect(got.body).toEqual({
      id: res.body.id,
      firstName: 'Constance',
      lastName: 'Doe',
      emailAddresses: ['Constance@Example.FR'],
      phoneNumbers: ['+1 (323) 234-2342'],
      attributes: { tier: 'gold' },
      created: expect.any(String),
      updated: expect.any(String),
    });
  });

  it('looks contacts up by email without case and by phone by its digits, either or both', async () => {
    const { body: a } = await create({
      id: 'lookup-a',
      emailAddresses: ['ann@shop.example'],
      phoneNumbers: ['00 44 20 7946 0018'],
    });
    const { body: b } = await create({ id: 'lookup-b', phoneNumbers: ['44-20-7946-0018', '555 0100'] });
    expect(a.id).toBe('lookup-a');
    const byEmail = await lookup(`email=${encodeURIComponent('  ANN@Shop.Example ')}`);
    expect(byEmail.status).toBe(200);
    expect(byEmail.body.items.map((c: { id: string }) => c.id)).toEqual(['lookup-a']);
    const byPhone = await lookup(`phone=${encodeURIComponent('+44 20 7946 0018')}`);
    expect(byPhone.body.items.map((c: { id: string }) => c.id)).toEqual(['lookup-a', 'lookup-b']);
    const either = await lookup(`email=nobody%40x.example&phone=5550100`);
    expect(either.body.items.map((c: { id: string }) => c.id)).toEqual([b.id]);
    expect((await lookup('email=nobody%40x.example')).body.items).toEqual([]);
  });

  it('patches with a JSON merge patch: lists replace, null removes, lookups follow the new addresses', async () => {
    await create({ id: 'patch-me', firstName: 'Old', emailAddresses: ['old@x.example'], phoneNumbers: ['111'] });
    const patched = await call(`${api()}/contacts/patch-me`, {
      method: 'PATCH',
      headers: { authorization: as('admin1'), 'content-type': 'application/merge-patch+json' },
      json: { firstName: null, lastName: 'New', emailAddresses: ['new@x.example'] },
    });
    expect(patched.status, JSON.stringify(patched.body)).toBe(200);
    expect(patched.body).toMatchObject({
      id: 'patch-me',
      lastName: 'New',
      emailAddresses: ['new@x.example'],
      phoneNumbers: ['111'],
    });
    expect(patched.body).not.toHaveProperty('firstName');
    expect((await lookup('email=old%40x.example')).body.items).toEqual([]);
    expect((await lookup('email=new%40x.example')).body.items.map((c: { id: string }) => c.id)).toEqual(['patch-me']);
  });

  it('bad input is a 400 problem naming the field; unknown ids 404; a taken id 409', async () => {
    const problems = [
      [{ emailAddresses: ['not-an-address'] }, 'emailAddresses.0'],
      [{ phoneNumbers: ['call me'] }, 'phoneNumbers.0'],
      [{ phoneNumbers: ['555 0101', '5550101'] }, 'phoneNumbers.1'],
      [{ attributes: { tier: { level: 3 } } }, 'attributes.tier'],
      [{ id: 'has space' }, 'id'],
    ] as const;
    for (const [body, field] of problems) {
      const res = await create(body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(JSON.stringify(res.body.errors ?? res.body.field), JSON.stringify(body)).toContain(field);
    }
    expect((await lookup('')).body).toMatchObject({
      status: 400,
      code: 'IXV_MISSING_FIELD',
      detail: 'email or phone is required',
    });
    const missing = await call(`${api()}/contacts/NOSUCHCONTACT`, { headers: { authorization: as('admin1') } });
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({ code: 'IXV_CONTACT_NOT_FOUND', field: 'id' });
    await create({ id: 'taken' });
    expect((await create({ id: 'taken' })).body).toMatchObject({ status: 409, code: 'IXV_CONTACT_CONFLICT' });
    const idChange = await call(`${api()}/contacts/taken`, {
      method: 'PATCH',
      headers: { authorization: as('admin1') },
      json: { id: 'other' },
    });
    expect(idChange.body).toMatchObject({ status: 400, field: 'id' });
  });

  it('rights: a reader client looks up but cannot create; a writer client creates', async () => {
    const reader = await server.bearer('acme-reader');
    expect((await create({ firstName: 'X' }, reader)).status).toBe(403);
    expect((await lookup('phone=111', reader)).status).toBe(200);
    const writer = await server.bearer('acme-writer');
    expect((await create({ firstName: 'Y' }, writer)).status).toBe(201);
  });

  it("contacts are per tenant: another tenant's lookups, reads and patches find nothing", async () => {
    await create({ id: 'acme-only', emailAddresses: ['secret@acme.example'], phoneNumbers: ['+358 40 123 4567'] });
    const globex = as('gadmin');
    expect((await lookup('email=secret%40acme.example', globex)).body.items).toEqual([]);
    expect((await lookup('phone=358401234567', globex)).body.items).toEqual([]);
    expect((await call(`${api()}/contacts/acme-only`, { headers: { authorization: globex } })).status).toBe(404);
    const patch = await call(`${api()}/contacts/acme-only`, {
      method: 'PATCH',
      headers: { authorization: globex },
      json: { firstName: 'Mallory' },
    });
    expect(patch.status).toBe(404);
    // The same id is free in the other tenant, and stays its own.
    expect((await create({ id: 'acme-only', firstName: 'Globex' }, globex)).status).toBe(201);
    expect((await call(`${api()}/contacts/acme-only`, { headers: { authorization: as('admin1') } })).body).not.toHaveProperty(
      'firstName',
    );
  });

  it("the native search's contactId finds the contact's interactions, within the caller's visibility", async () => {
    const { body: contact } = await create({ firstName: 'History' });
    for (const owner of ['agent-1', 'agent-2'])
      await call(`${api()}/interactions`, {
        method: 'POST',
        headers: { authorization: as('admin1') },
        json: chatRecord({ contactId: contact.id, ownerInformation: { id: owner }, handlingAgents: [{ id: owner }] }),
      });
    const search = (user: string) =>
      call(`${api()}/interactions?contactId=${contact.id}&from=2025-01-01T00:00:00Z`, { headers: { authorization: as(user) } });
    expect((await search('super1')).body.items).toHaveLength(2);
    const own = (await search('agent1')).body.items;
    expect(own).toHaveLength(1);
    expect(own[0].ownerInformation.id).toBe('agent-1');
  });
});
