/**
 * Legal holds (issue 14): placed on interactions, a contact or a query, they
 * beat every deletion path — native, Vonage single and batch, content
 * deletion and replacement — each refusal audited; released by admins,
 * audited; race-safe against a deletion running at the same time.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { build } from '../helpers/app.js';
import { callRecord } from '../helpers/fixtures.js';
import { BACKEND, call, type JsonResponse, removeTestData, type TestServer } from '../helpers/server.js';
import { vonage } from '../vonage/helpers.js';
import { auditLog, exists, native, type Stored, storeCall } from './helpers.js';

describe(`legal holds (${BACKEND})`, () => {
  let server: TestServer;
  let admin: string;
  let qa: string;

  beforeAll(async () => {
    server = await build();
    admin = server.basic('admin1');
    qa = await server.bearer('acme-qa');
  });
  afterAll(async () => {
    await server.stop();
    await removeTestData(server);
  });

  const hold = (body: Record<string, unknown>, auth = admin) =>
    native(server, '/holds', auth, { method: 'POST', json: { name: 'Case 42', reason: 'litigation', ...body } });

  async function expectEveryDeletionRefused(target: Stored) {
    const nativeDelete = await native(server, `/interactions/${target.id}`, admin, { method: 'DELETE' });
    expect(nativeDelete.status).toBe(409);
    expect(nativeDelete.body).toMatchObject({ code: 'IXV_INTERACTION_HELD', status: 409 });
    const vonageDelete = await vonage(server, `/interactions/${target.guid}`, qa, { method: 'DELETE' });
    expect(vonageDelete.status).toBe(409);
    expect(Object.keys(vonageDelete.body)).toEqual(['message']);
    expect(vonageDelete.body.message).toContain('legal hold');
    const batch = await call(`${server.url}/interaction-content/interactions/delete-batch`, {
      method: 'POST',
      headers: { authorization: qa, accept: 'application/vnd.newvoicemedia.v3+json' },
      json: { guids: [target.guid] },
    });
    expect(batch.status).toBe(200);
    expect(batch.body.failures).toEqual([{ guid: target.guid, message: expect.stringContaining('legal hold'), statusCode: 409 }]);
    const contentDelete = await native(server, `/interactions/${target.id}/content/callRecording`, admin, { method: 'DELETE' });
    expect(contentDelete.status).toBe(409);
    const vonageContentDelete = await vonage(server, `/interactions/${target.guid}/content/callRecording`, qa, {
      method: 'DELETE',
    });
    expect(vonageContentDelete.status).toBe(409);
    const replace = await native(server, `/interactions/${target.id}/content/callRecording`, admin, {
      method: 'PUT',
      headers: { 'content-type': 'audio/wav' },
      body: 'other bytes',
    });
    expect(replace.status).toBe(409);
    expect(await exists(server, target.id)).toBe(true);
    const download = await native(server, `/interactions/${target.id}/content/callRecording`, admin);
    expect(download.status).toBe(200);
  }

  it('holds named interactions against every deletion path, each refusal audited; released, they can go', async () => {
    const held = await storeCall(server);
    const byGuid = await storeCall(server);
    const free = await storeCall(server);
    const created = await hold({ interactionIds: [held.id, byGuid.guid.toUpperCase()] });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body).toMatchObject({
      name: 'Case 42',
      reason: 'litigation',
      kind: 'interactions',
      createdBy: 'user:acme/admin-1',
      interactionIds: [held.id, byGuid.id],
    });
    expect(created.headers.get('location')).toBe(`/api/v1/holds/${created.body.id}`);
    const holdId: string = created.body.id;

    await expectEveryDeletionRefused(held);
    await expectEveryDeletionRefused(byGuid);
    expect((await native(server, `/interactions/${free.id}`, admin, { method: 'DELETE' })).status).toBe(204);

    const audit = await auditLog(server);
    const refusals = audit.filter((e) => e.interactionId === held.id && e.action.endsWith('.refused'));
    expect(refusals.map((e) => e.action).sort()).toEqual([
      'content.delete.refused',
      'content.delete.refused',
      'content.replace.refused',
      'interaction.delete.refused',
      'interaction.delete.refused',
      'interaction.delete.refused',
    ]);
    expect(refusals[0]?.detail.holds).toEqual([holdId]);
    expect(audit.find((e) => e.action === 'hold.create' && e.detail.holdId === holdId)).toMatchObject({
      actor: 'user:acme/admin-1',
      detail: { name: 'Case 42', kind: 'interactions', interactions: 2 },
    });

    const listed = await native(server, '/holds', admin);
    expect(listed.body.holds.map((h: { id: string }) => h.id)).toContain(holdId);
    const one = await native(server, `/holds/${holdId}`, admin);
    expect(one.body.interactionIds).toEqual([held.id, byGuid.id].sort());

    const released = await native(server, `/holds/${holdId}/release`, admin, { method: 'POST', json: { reason: 'case closed' } });
    expect(released.status).toBe(200);
    expect(released.body).toMatchObject({ releasedBy: 'user:acme/admin-1', releaseReason: 'case closed' });
    expect((await native(server, `/holds/${holdId}/release`, admin, { method: 'POST', json: { reason: 'again' } })).status).toBe(
      409,
    );
    expect((await native(server, '/holds', admin)).body.holds.map((h: { id: string }) => h.id)).not.toContain(holdId);
    expect(
      (await native(server, '/holds?includeReleased=true', admin)).body.holds.find((h: { id: string }) => h.id === holdId),
    ).toMatchObject({ releaseReason: 'case closed' });
    expect((await auditLog(server)).find((e) => e.action === 'hold.release' && e.detail.holdId === holdId)).toMatchObject({
      detail: { reason: 'case closed' },
    });

    expect((await native(server, `/interactions/${held.id}`, admin, { method: 'DELETE' })).status).toBe(204);
    expect((await vonage(server, `/interactions/${byGuid.guid}`, qa, { method: 'DELETE' })).status).toBe(200);
  });

  it('holds every interaction of a contact, present and future, and nothing of other contacts', async () => {
    const contactId = `contact-${randomUUID()}`;
    const before = await storeCall(server, { contactId });
    const other = await storeCall(server, { contactId: `${contactId}-other` });
    const created = await hold({ contactId });
    expect(created.status).toBe(201);
    const after = await storeCall(server, { contactId });
    await expectEveryDeletionRefused(before);
    await expectEveryDeletionRefused(after);
    expect((await native(server, `/interactions/${other.id}`, admin, { method: 'DELETE' })).status).toBe(204);
  });

  it('holds what a query covers — time range, media type, agent, attributes — including interactions stored later', async () => {
    const marker = randomUUID();
    const inside = { startDate: '2024-02-10T10:00:00Z', customAttributes: { Case: marker } };
    const created = await hold({
      query: {
        from: '2024-02-01T00:00:00Z',
        to: '2024-03-01T00:00:00Z',
        mediaTypes: ['call'],
        customAttributes: { Case: marker },
      },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body.query).toEqual({
      from: '2024-02-01T00:00:00.000Z',
      to: '2024-03-01T00:00:00.000Z',
      mediaTypes: ['call'],
      customAttributes: { Case: marker },
    });
    const covered = await storeCall(server, inside);
    await expectEveryDeletionRefused(covered);
    const outsideTime = await storeCall(server, { ...inside, startDate: '2024-03-01T00:00:00Z' });
    const otherAttribute = await storeCall(server, { ...inside, customAttributes: { Case: 'other' } });
    for (const free of [outsideTime, otherAttribute])
      expect((await native(server, `/interactions/${free.id}`, admin, { method: 'DELETE' })).status).toBe(204);
  });

  it('has no count limit: one hold names a thousand and more interactions', async () => {
    const ids: string[] = [];
    for (const size of [1000, 300]) {
      const records = Array.from({ length: size }, () => callRecord({ guid: randomUUID(), endDate: undefined }));
      const batch = await native(server, '/interactions:batch', admin, { method: 'POST', json: { records } });
      expect(batch.status).toBe(200);
      ids.push(...batch.body.results.map((r: { id: string }) => r.id));
    }
    const created = await hold({ interactionIds: ids });
    expect(created.status).toBe(201);
    expect(created.body.interactionIds).toHaveLength(1300);
    // The detail lists the first 1000 by id and says how many there are; the rest page through /interactions.
    const detail = await native(server, `/holds/${created.body.id}`, admin);
    expect(detail.body.interactionCount).toBe(1300);
    expect(detail.body.interactionIds).toEqual([...ids].sort().slice(0, 1000));
    const listed = [...detail.body.interactionIds];
    for (let cursor = detail.body.interactionsNextCursor, pages = 0; cursor; pages++) {
      expect(pages).toBeLessThan(10);
      const page = await native(server, `/holds/${created.body.id}/interactions?limit=128&cursor=${cursor}`, admin);
      expect(page.status).toBe(200);
      expect(page.body.interactionIds.length).toBeLessThanOrEqual(128);
      listed.push(...page.body.interactionIds);
      cursor = page.body.nextCursor;
    }
    expect(listed).toEqual([...ids].sort());
    const walked: string[] = [];
    for (let cursor: string | null = null; ; ) {
      const page: JsonResponse<{ interactionIds: string[]; nextCursor: string | null }> = await native(
        server,
        `/holds/${created.body.id}/interactions?limit=500${cursor ? `&cursor=${cursor}` : ''}`,
        admin,
      );
      walked.push(...page.body.interactionIds);
      cursor = page.body.nextCursor;
      if (!cursor) break;
    }
    expect(walked).toEqual(listed);
    for (const id of [ids[0], ids[777], ids[1299]])
      expect((await native(server, `/interactions/${id}`, admin, { method: 'DELETE' })).status).toBe(409);
  });

  it('is for admins only, and each tenant sees and is bound by its own holds only', async () => {
    const target = await storeCall(server);
    for (const auth of [server.basic('super1'), server.basic('agent1'), qa])
      expect((await hold({ interactionIds: [target.id] }, auth)).status).toBe(403);
    expect((await native(server, '/holds', server.basic('super1'))).status).toBe(403);
    const created = await hold({ interactionIds: [target.id] });
    const globex = server.basic('gadmin');
    expect((await native(server, `/holds/${created.body.id}`, globex)).status).toBe(404);
    expect((await native(server, '/holds', globex)).body.holds).toEqual([]);
    expect(
      (await native(server, `/holds/${created.body.id}/release`, globex, { method: 'POST', json: { reason: 'x' } })).status,
    ).toBe(404);
    // Another tenant cannot place a hold on acme's interaction: to globex it does not exist.
    const foreign = await hold({ interactionIds: [target.id] }, globex);
    expect(foreign.status).toBe(400);
    expect(foreign.body).toMatchObject({ field: 'interactionIds.0' });
  });

  it('lists holds newest first a page at a time, with cursors bound to the listing and the caller', async () => {
    const made: string[] = [];
    for (let i = 0; i < 5; i++) made.push((await hold({ contactId: `paging-${randomUUID()}` })).body.id);
    const seen: string[] = [];
    let first: { nextCursor: string | null } | undefined;
    for (let cursor: string | null = null, pages = 0; ; pages++) {
      expect(pages).toBeLessThan(1000);
      const page: JsonResponse<{ holds: { id: string }[]; nextCursor: string | null }> = await native(
        server,
        `/holds?limit=2${cursor ? `&cursor=${cursor}` : ''}`,
        admin,
      );
      expect(page.status).toBe(200);
      expect(page.body.holds.length).toBeLessThanOrEqual(2);
      first ??= page.body;
      seen.push(...page.body.holds.map((h: { id: string }) => h.id));
      cursor = page.body.nextCursor;
      if (!cursor) break;
    }
    expect(new Set(seen).size).toBe(seen.length);
    // The newest first: the five just made lead, in the reverse of their making (or of their ids, made in the same ms).
    expect(new Set(seen.slice(0, 5))).toEqual(new Set(made));
    const cursor = first?.nextCursor as string;
    const refused = [
      await native(server, `/holds?limit=2&cursor=${cursor}x`, admin),
      await native(server, `/holds?limit=2&includeReleased=true&cursor=${cursor}`, admin),
      await native(server, `/holds/${made[0]}/interactions?cursor=${cursor}`, admin),
      // Another tenant's admin holding acme's cursor.
      await native(server, `/holds?limit=2&cursor=${cursor}`, server.basic('gadmin')),
    ];
    for (const res of refused) {
      expect(res.status, JSON.stringify(res.body)).toBe(400);
      expect(res.body).toMatchObject({ field: 'cursor' });
    }
    for (const bad of ['limit=0', 'limit=1001', 'limit=x'])
      expect((await native(server, `/holds?${bad}`, admin)).body).toMatchObject({ status: 400 });
    expect((await native(server, '/holds/no-such-hold/interactions', admin)).status).toBe(404);
    expect((await native(server, `/holds/${made[0]}/interactions`, server.basic('gadmin'))).status).toBe(404);
    expect((await native(server, `/holds/${made[0]}/interactions`, server.basic('super1'))).status).toBe(403);
  });

  it('answers bad requests with a 400 naming the field, and stores nothing', async () => {
    const before = (await native(server, '/holds', admin)).body.holds.length;
    const cases: [Record<string, unknown>, string][] = [
      [{ name: undefined, interactionIds: ['x'] }, 'name'],
      [{ reason: '', contactId: 'c' }, 'reason'],
      [{ contactId: 'c', interactionIds: ['x'] }, 'contactId'],
      [{}, 'interactionIds'],
      [{ interactionIds: [] }, 'interactionIds'],
      [{ interactionIds: ['no-such-interaction'] }, 'interactionIds.0'],
      [{ query: { from: '2024-01-01T00:00:00Z' } }, 'query.to'],
      [{ query: { from: '2024-02-01T00:00:00Z', to: '2024-01-01T00:00:00Z' } }, 'query.to'],
      [{ query: { from: '2024-01-01T00:00:00Z', to: '2024-02-01T00:00:00Z', mediaTypes: ['fax'] } }, 'query.mediaTypes'],
      [{ contactId: 'c', color: 'red' }, 'color'],
    ];
    for (const [body, field] of cases) {
      const res = await hold(body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.field ?? res.body.problems?.[0]?.field, JSON.stringify(res.body)).toBe(field);
    }
    expect((await native(server, '/holds/no-such-hold', admin)).status).toBe(404);
    expect((await native(server, '/holds', admin)).body.holds.length).toBe(before);
  });

  it('never loses a hold to a deletion running at the same time', async () => {
    const rounds = 12;
    const targets = await Promise.all(Array.from({ length: rounds }, () => storeCall(server, {}, false)));
    const outcomes = await Promise.all(
      targets.map(async (target) => {
        const [created, deleted] = await Promise.all([
          hold({ interactionIds: [target.id] }),
          native(server, `/interactions/${target.id}`, admin, { method: 'DELETE' }),
        ]);
        return { target, created: created.status, deleted: deleted.status };
      }),
    );
    for (const { target, created, deleted } of outcomes) {
      // Either the hold came first (the deletion was refused and the record is there) or the deletion did (the hold found nothing).
      if (created === 201) {
        expect(deleted).toBe(409);
        expect(await exists(server, target.id)).toBe(true);
      } else {
        expect([created, deleted]).toEqual([400, 204]);
        expect(await exists(server, target.id)).toBe(false);
      }
    }
  });
});
