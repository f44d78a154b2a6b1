/**
 * The isolation probe (issue 8: "0 cross-tenant or cross-user reads"): two
 * tenants' data seeded through the native API, then every principal of
 * PRINCIPALS sends every operation of /openapi.json aimed at resources that
 * are NOT theirs — ids, guids, content keys, contact ids, search filters that
 * would match them, cursors and continuation tokens minted for someone else.
 * A cross read is any answer carrying a foreign id, guid or marker (after
 * removing what the request itself sent, which an error may echo), or a 2xx
 * to a change aimed at a foreign record; afterwards every seeded record must
 * be intact. Shared by test/security/isolation.test.ts (bounded) and
 * `npm run probe:isolation` (as many rounds as asked).
 */
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { MEDIA_TYPES } from '../../src/domain/interaction.js';
import type { TestServer } from '../helpers/server.js';

export const VONAGE_ACCEPT = 'application/vnd.newvoicemedia.v3+json';
/** The week every main-store record starts in (Vonage searches span at most 7 days). */
const WEEK = { start: '2025-03-10T00:00:00.000Z', end: '2025-03-16T00:00:00.000Z' };
/** Archived records start here, long before the archive cutoff. */
const ARCHIVED_START = '2020-01-10T09:00:00.000Z';
const ARCHIVE_CUTOFF_MS = Date.parse('2021-01-01T00:00:00.000Z');

export interface Actor {
  name: string;
  tenant: 'acme' | 'globex';
  /** Set for agents: sees only what this agent owns or handled. */
  agentId?: string;
  /** Set for users. */
  userName?: string;
  /** Authorization header or cookie, ready to send. */
  auth: Record<string, string>;
}

export interface Seeded {
  tenant: 'acme' | 'globex';
  id: string;
  guid: string;
  mediaType: string;
  source: 'main' | 'archive';
  ownerId: string;
  handlerIds: string[];
  contactId: string;
  connectFrom: string;
  /** The value of its custom attribute Ref, for searches that would match it. */
  ref: string;
  /** In the subject, a message's text and the content bytes: never sent by a probe, so never echoed. */
  marker: string;
  contentKeys: string[];
  bytes: Record<string, string>;
  /** Its contact (a record of the contact's tenant, which any principal of that tenant may look up). */
  contactEmail: string;
  contactPhone: string;
  /** In the contact's attributes: never sent, so in an answer to another tenant's principal it is a leak. */
  contactMarker: string;
  /** The legal hold of its tenant, which names two of the tenant's interactions (its id is the tenant's own). */
  holdId?: string;
}

const hex = () => randomUUID().replaceAll('-', '').slice(0, 12);

/** Who may see a record: its tenant; an agent only what it owns or handled. */
export function visibleTo(actor: Actor, item: Seeded): boolean {
  if (actor.tenant !== item.tenant) return false;
  return actor.agentId === undefined || item.ownerId === actor.agentId || item.handlerIds.includes(actor.agentId);
}

function record(item: Seeded, start: string) {
  const messages = ['chat', 'email', 'smssession', 'facebooksession', 'facebook', 'twitter'].includes(item.mediaType)
    ? [
        {
          index: 1,
          from: { nickname: 'Cust', type: 'Customer', participantId: `p-${item.marker}` },
          text: `message ${item.marker}`,
          visibility: 'All',
          timestamp: start,
          type: 'Text',
        },
      ]
    : undefined;
  return {
    id: item.id,
    guid: item.guid,
    mediaType: item.mediaType,
    typeId: 'Inbound',
    state: 'Stopped',
    startDate: start,
    endDate: new Date(Date.parse(start) + 60_000).toISOString(),
    subject: `subject ${item.marker}`,
    contactId: item.contactId,
    ownerInformation: { id: item.ownerId },
    handlingAgents: item.handlerIds.map((id) => ({ id })),
    connectFrom: item.connectFrom,
    connectTo: 'queue-support',
    customAttributes: { Ref: item.ref },
    userData: { marker: item.marker },
    ...(messages ? { messages } : {}),
  };
}

/**
 * Every media type in each tenant, owned and handled by different agents
 * (agent-3 is nobody's login: neither acme agent may see its records),
 * each with a recording and a transcript; every fourth one archived.
 */
export async function seed(server: TestServer): Promise<Seeded[]> {
  const owners = { acme: ['agent-1', 'agent-2', 'agent-3'], globex: ['admin-g', 'agent-g'] };
  const items: Seeded[] = [];
  let n = 0;
  for (const tenant of ['acme', 'globex'] as const) {
    const admin = tenant === 'acme' ? server.basic('admin1') : server.basic('gadmin');
    for (const mediaType of MEDIA_TYPES)
      for (let copy = 0; copy < 2; copy++) {
        const list = owners[tenant];
        const ownerId = list[n % list.length] as string;
        const handler = list[(n + copy) % list.length] as string;
        const marker = `MK${hex()}`;
        const item: Seeded = {
          tenant,
          id: `ixp-${tenant}-${hex()}`,
          guid: randomUUID(),
          mediaType,
          source: n % 4 === 3 ? 'archive' : 'main',
          ownerId,
          handlerIds: [handler],
          contactId: `contact-${hex()}`,
          connectFrom: `from-${hex()}@example.org`,
          ref: `ref-${hex()}`,
          marker,
          contentKeys: ['callRecording', 'transcript'],
          bytes: { callRecording: `RIFF recording ${marker}`, transcript: `transcript ${marker}` },
          contactEmail: `c-${hex()}@contacts.example`,
          contactPhone: `+1 555 ${parseInt(hex().slice(0, 8), 16)}`,
          contactMarker: `CM${hex()}`,
        };
        // An email's attachment: what GET /api/v2/emails/{id}/attachments/{key} serves.
        if (mediaType === 'email') {
          item.contentKeys.push('att');
          item.bytes.att = `attachment ${marker}`;
        }
        n++;
        const start = item.source === 'archive' ? ARCHIVED_START : `2025-03-1${n % 5}T09:00:00.000Z`;
        const headers = { authorization: admin, 'content-type': 'application/json' };
        const created = await server.app.inject({
          method: 'POST',
          url: '/api/v1/interactions',
          headers,
          payload: record(item, start),
        });
        if (created.statusCode !== 201) throw new Error(`seed ${item.id}: ${created.statusCode} ${created.body}`);
        const contact = await server.app.inject({
          method: 'POST',
          url: '/api/v1/contacts',
          headers,
          payload: {
            id: item.contactId,
            emailAddresses: [item.contactEmail],
            phoneNumbers: [item.contactPhone],
            attributes: { marker: item.contactMarker },
          },
        });
        if (contact.statusCode !== 201) throw new Error(`seed contact ${item.contactId}: ${contact.statusCode} ${contact.body}`);
        for (const [key, type, query] of [
          ['callRecording', 'audio/wav', ''],
          ['transcript', 'text/plain', ''],
          ['att', 'application/pdf', '?type=attachment&fileName=a.pdf'],
        ] as const) {
          if (!item.contentKeys.includes(key)) continue;
          const put = await server.app.inject({
            method: 'PUT',
            url: `/api/v1/interactions/${item.id}/content/${key}${query}`,
            headers: { authorization: admin, 'content-type': type },
            payload: Buffer.from(item.bytes[key] as string),
          });
          if (put.statusCode !== 201) throw new Error(`seed content ${item.id}/${key}: ${put.statusCode} ${put.body}`);
        }
        items.push(item);
      }
    // One deletion per tenant, so that each audit log has entries naming its records.
    const first = items.find((i) => i.tenant === tenant && i.source === 'main') as Seeded;
    const del = await server.app.inject({
      method: 'DELETE',
      url: `/api/v1/interactions/${first.id}/content/transcript`,
      headers: { authorization: admin },
    });
    if (del.statusCode >= 300) throw new Error(`seed audit: ${del.statusCode} ${del.body}`);
    first.contentKeys = ['callRecording'];
    await server.runtime.vault.archive.moveBatch(tenant, ARCHIVE_CUTOFF_MS, 1000);
    // A hold naming two of the tenant's interactions: its detail and listing carry their ids, which no other
    // tenant may read (nor release the hold).
    const mine = items.filter((i) => i.tenant === tenant);
    const hold = await server.app.inject({
      method: 'POST',
      url: '/api/v1/holds',
      headers: { authorization: admin, 'content-type': 'application/json' },
      payload: { name: `probe hold ${tenant}`, reason: 'isolation probe', interactionIds: mine.slice(-2).map((i) => i.id) },
    });
    if (hold.statusCode !== 201) throw new Error(`seed hold: ${hold.statusCode} ${hold.body}`);
    for (const item of mine) item.holdId = hold.json().id;
  }
  return items;
}

/** Every principal of PRINCIPALS: users by Basic and by session cookie, clients by bearer token. */
export async function actorsOf(server: TestServer): Promise<Actor[]> {
  const users: [string, 'acme' | 'globex', string?][] = [
    ['agent1', 'acme', 'agent-1'],
    ['agent2', 'acme', 'agent-2'],
    ['super1', 'acme'],
    ['admin1', 'acme'],
    ['gadmin', 'globex'],
  ];
  const actors: Actor[] = [];
  for (const [userName, tenant, agentId] of users) {
    const base = { tenant, userName, ...(agentId ? { agentId } : {}) };
    actors.push({ name: `${userName} (basic)`, ...base, auth: { authorization: server.basic(userName) } });
    const login = await server.app.inject({
      method: 'POST',
      url: '/api/v1/session',
      headers: { 'content-type': 'application/json', 'x-requested-with': 'XMLHttpRequest', 'sec-fetch-site': 'same-origin' },
      payload: { userName, password: `pw-${userName}` },
    });
    const cookie = String(login.headers['set-cookie'] ?? '').split(';')[0];
    if (login.statusCode !== 200 || !cookie) throw new Error(`login ${userName}: ${login.statusCode} ${login.body}`);
    actors.push({
      name: `${userName} (cookie)`,
      ...base,
      auth: { cookie, 'x-requested-with': 'XMLHttpRequest', 'sec-fetch-site': 'same-origin' },
    });
  }
  for (const [clientId, tenant] of [
    ['acme-qa', 'acme'],
    ['acme-reader', 'acme'],
    ['acme-writer', 'acme'],
    ['globex-qa', 'globex'],
  ] as const)
    actors.push({ name: clientId, tenant, auth: { authorization: await server.bearer(clientId) } });
  return actors;
}

/** Cursors and continuation tokens each actor was given (page size 1, so there is a next page). */
export async function tokensOf(server: TestServer, actors: Actor[]): Promise<Map<Actor, string[]>> {
  const tokens = new Map<Actor, string[]>();
  for (const actor of actors) {
    const mine: string[] = [];
    for (const source of ['main', 'archive']) {
      const native = await server.app.inject({
        method: 'GET',
        url: `/api/v1/interactions?limit=1&source=${source}`,
        headers: actor.auth,
      });
      const cursor = native.statusCode === 200 ? native.json().nextCursor : undefined;
      if (typeof cursor === 'string') mine.push(cursor);
    }
    const vonage = await server.app.inject({
      method: 'GET',
      url: `/interaction-content/interactions?limit=1&start=${WEEK.start}&end=${WEEK.end}`,
      headers: { ...actor.auth, accept: VONAGE_ACCEPT },
    });
    const token = vonage.statusCode === 200 ? vonage.json().meta?.nextContinuationToken : undefined;
    if (typeof token === 'string') mine.push(token);
    tokens.set(actor, mine);
  }
  return tokens;
}

export interface ProbeRequest {
  operation: string;
  request: InjectOptions;
  /** Foreign values the request carries (an error may echo them; they are not a leak). */
  sent: string[];
  /** A change aimed at a foreign record: any 2xx is a cross write. */
  change: boolean;
}

type Build = (
  actor: Actor,
  victim: Seeded,
  token: string | undefined,
  pick: (n: number) => number,
) => Omit<ProbeRequest, 'operation'>;

const json = (actor: Actor) => ({ ...actor.auth, 'content-type': 'application/json' });
const vonage = (actor: Actor) => ({ ...actor.auth, accept: VONAGE_ACCEPT });
const key = (v: Seeded, pick: (n: number) => number) => v.contentKeys[pick(v.contentKeys.length)] as string;
const q = (params: Record<string, string>) => new URLSearchParams(params).toString();
const ownClient = (actor: Actor) =>
  q({ grant_type: 'client_credentials', client_id: `${actor.tenant}-qa`, client_secret: `secret-${actor.tenant}-qa` });
const fresh = (actor: Actor) => ({
  id: `ixp-new-${hex()}`,
  mediaType: 'chat',
  startDate: '2025-03-12T09:00:00.000Z',
  ownerInformation: { id: actor.agentId ?? 'admin-g' },
});

/**
 * One builder per operation of /openapi.json: the suite checks that every
 * documented operation has one, and the probe sends those the app documents.
 */
export const OPERATIONS: Record<string, Build> = {
  'POST /api/v1/session': (a) => ({
    // Signing in again as oneself (a client, by its id and secret, is refused: only users sign in).
    request: {
      method: 'POST',
      url: '/api/v1/session',
      headers: { ...json(a), 'x-requested-with': 'XMLHttpRequest', 'sec-fetch-site': 'same-origin' },
      payload: { userName: a.userName ?? a.name, password: a.userName ? `pw-${a.userName}` : `secret-${a.name}` },
    },
    sent: [],
    change: false,
  }),
  'GET /api/v1/session': (a) => ({
    request: { method: 'GET', url: '/api/v1/session', headers: a.auth },
    sent: [],
    change: false,
  }),
  'DELETE /api/v1/session': (a) => ({
    // Signing out clears the caller's own cookie only; the probe keeps its cookie (stateless signed sessions).
    request: { method: 'DELETE', url: '/api/v1/session', headers: { ...a.auth, 'x-requested-with': 'XMLHttpRequest' } },
    sent: [],
    change: false,
  }),
  'GET /health': () => ({ request: { method: 'GET', url: '/health' }, sent: [], change: false }),
  'GET /ready': () => ({ request: { method: 'GET', url: '/ready' }, sent: [], change: false }),
  'POST /oauth2/token': (a) => ({
    // A token for the caller's own tenant (a wrong secret would only exercise the login throttle):
    // nothing of another tenant may come with it.
    request: {
      method: 'POST',
      url: '/oauth2/token',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: ownClient(a),
    },
    sent: [],
    change: false,
  }),
  'POST /Auth/connect/token': (a) => ({
    // A token for the caller's own tenant (a wrong secret would only exercise the login throttle):
    // nothing of another tenant may come with it.
    request: {
      method: 'POST',
      url: '/Auth/connect/token',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: ownClient(a),
    },
    sent: [],
    change: false,
  }),
  'POST /api/v1/interactions': (a, v) => ({
    request: {
      method: 'POST',
      url: '/api/v1/interactions',
      headers: json(a),
      payload: { ...fresh(a), contactId: v.contactId, connectFrom: v.connectFrom },
    },
    sent: [v.contactId, v.connectFrom],
    change: false,
  }),
  'GET /api/v1/interactions': (a, v, token, pick) => {
    const filters: Record<string, string>[] = [
      { contactId: v.contactId },
      { connectFrom: v.connectFrom },
      { ownerId: v.ownerId },
      { handlingAgentId: v.handlerIds[0] as string },
      { customAttribute: `Ref=${v.ref}` },
      { mediaType: v.mediaType, hasContent: 'true' },
      // Full text: the word only its subject, message and transcript hold (hits carry snippets).
      { q: v.marker },
      { q: `${v.marker} OR subject`, sort: 'relevance' },
      {},
    ];
    const params: Record<string, string> = {
      ...(filters[pick(filters.length)] as Record<string, string>),
      source: v.source,
      limit: '100',
    };
    if (token && pick(2) === 0 && params.sort !== 'relevance') params.cursor = token;
    return {
      request: { method: 'GET', url: `/api/v1/interactions?${q(params)}`, headers: a.auth },
      // An error may echo the URL, where the query's words are encoded one by one: the marker alone is sent too.
      // (A hit would still name the record's id and guid, which are not sent.)
      sent: [...Object.values(params), ...(params.q ? [v.marker] : [])],
      change: false,
    };
  },
  'POST /api/v1/interactions:batch': (a, v) => ({
    request: {
      method: 'POST',
      url: '/api/v1/interactions:batch',
      headers: json(a),
      payload: [{ ...fresh(a), contactId: v.contactId }],
    },
    sent: [v.contactId],
    change: false,
  }),
  'GET /api/v1/interactions/{id}': (a, v, _t, pick) => ({
    request: { method: 'GET', url: `/api/v1/interactions/${pick(2) ? v.id : v.guid}?source=${v.source}`, headers: a.auth },
    sent: [v.id, v.guid],
    change: false,
  }),
  'PATCH /api/v1/interactions/{id}': (a, v) => ({
    request: {
      method: 'PATCH',
      url: `/api/v1/interactions/${v.id}`,
      headers: { ...json(a), 'content-type': 'application/merge-patch+json' },
      payload: { subject: 'patched by a stranger' },
    },
    sent: [v.id],
    change: true,
  }),
  'DELETE /api/v1/interactions/{id}': (a, v) => ({
    request: { method: 'DELETE', url: `/api/v1/interactions/${v.id}`, headers: a.auth },
    sent: [v.id],
    change: true,
  }),
  'POST /api/v1/interactions/{id}/messages': (a, v) => ({
    request: {
      method: 'POST',
      url: `/api/v1/interactions/${v.id}/messages`,
      headers: json(a),
      payload: [
        {
          index: 99,
          from: { type: 'Agent', nickname: 'x' },
          text: 'stranger',
          timestamp: '2025-03-12T09:00:00.000Z',
          type: 'Text',
        },
      ],
    },
    sent: [v.id],
    change: true,
  }),
  'GET /api/v1/audit': (a) => ({
    request: { method: 'GET', url: '/api/v1/audit?since=0&limit=1000', headers: a.auth },
    sent: [],
    change: false,
  }),
  'GET /api/v1/audit/export': (a, v) => ({
    request: { method: 'GET', url: `/api/v1/audit/export?interactionId=${v.id}`, headers: a.auth },
    sent: [v.id],
    change: false,
  }),
  'GET /api/v1/audit/verify': (a) => ({
    request: { method: 'GET', url: '/api/v1/audit/verify', headers: a.auth },
    sent: [],
    change: false,
  }),
  // An erasure of a foreign subject erases nothing of the caller's tenant and nothing of the other:
  // a 2xx is the caller's own empty receipt, and damaged() afterwards proves the victim intact.
  'POST /api/v1/erasures': (a, v) => ({
    request: {
      method: 'POST',
      url: '/api/v1/erasures',
      headers: json(a),
      payload: { contactId: v.contactId, emailAddresses: [v.connectFrom] },
    },
    sent: [v.contactId, v.connectFrom],
    change: false,
  }),
  'GET /api/v1/erasures/{id}': (a, v) => ({
    request: { method: 'GET', url: `/api/v1/erasures/${v.guid}`, headers: a.auth },
    sent: [v.guid],
    change: false,
  }),
  // A job exports the caller's own tenant only; its window holds the victim's start time.
  'POST /api/v1/exports': (a) => ({
    request: {
      method: 'POST',
      url: '/api/v1/exports',
      headers: json(a),
      payload: { startDate: '2025-03-10T00:00:00.000Z', endDate: '2025-03-16T00:00:00.000Z' },
    },
    sent: [],
    change: false,
  }),
  'GET /api/v1/exports': (a) => ({
    request: { method: 'GET', url: '/api/v1/exports', headers: a.auth },
    sent: [],
    change: false,
  }),
  'GET /api/v1/exports/{id}': (a, v) => ({
    request: { method: 'GET', url: `/api/v1/exports/${v.guid}`, headers: a.auth },
    sent: [v.guid],
    change: false,
  }),
  'POST /api/v1/exports/{id}/cancel': (a, v) => ({
    request: { method: 'POST', url: `/api/v1/exports/${v.guid}/cancel`, headers: a.auth },
    sent: [v.guid],
    change: true,
  }),
  // Governance: a hold on a foreign interaction must not be placed (it does not exist for the caller);
  // a foreign hold cannot be read or released; policies, previews and reports are the caller's tenant's own.
  'POST /api/v1/holds': (a, v, _t, pick) => ({
    request: {
      method: 'POST',
      url: '/api/v1/holds',
      headers: json(a),
      payload: { name: 'probe', reason: 'probe', interactionIds: [pick(2) ? v.id : v.guid] },
    },
    sent: [v.id, v.guid],
    change: true,
  }),
  'GET /api/v1/holds': (a) => ({
    request: { method: 'GET', url: '/api/v1/holds?includeReleased=true', headers: a.auth },
    sent: [],
    change: false,
  }),
  // The victim's tenant's real hold (it names two of that tenant's interactions), or a made-up id.
  'GET /api/v1/holds/{id}': (a, v, _t, pick) => {
    const id = pick(2) && v.holdId ? v.holdId : `hold-${v.guid}`;
    return { request: { method: 'GET', url: `/api/v1/holds/${id}`, headers: a.auth }, sent: [id], change: false };
  },
  'GET /api/v1/holds/{id}/interactions': (a, v, _t, pick) => {
    const id = pick(2) && v.holdId ? v.holdId : `hold-${v.guid}`;
    return {
      request: { method: 'GET', url: `/api/v1/holds/${id}/interactions?limit=10`, headers: a.auth },
      sent: [id],
      change: false,
    };
  },
  // A hold of the caller's own tenant may be released by its admin: only another tenant's is a cross write.
  'POST /api/v1/holds/{id}/release': (a, v, _t, pick) => {
    const id = pick(2) && v.holdId && v.tenant !== a.tenant ? v.holdId : `hold-${v.guid}`;
    return {
      request: { method: 'POST', url: `/api/v1/holds/${id}/release`, headers: json(a), payload: { reason: 'probe' } },
      sent: [id],
      change: true,
    };
  },
  'GET /api/v1/retention': (a) => ({
    request: { method: 'GET', url: '/api/v1/retention', headers: a.auth },
    sent: [],
    change: false,
  }),
  'PUT /api/v1/retention': (a, v) => ({
    // A century: a pending change of the caller's own policy, never removing a seeded record.
    request: {
      method: 'PUT',
      url: '/api/v1/retention',
      headers: json(a),
      payload: { rules: [{ mediaType: v.mediaType, maxAgeDays: 36500 }] },
    },
    sent: [v.mediaType],
    change: false,
  }),
  'GET /api/v1/retention/preview': (a, _v, _t, pick) => ({
    request: { method: 'GET', url: `/api/v1/retention/preview?policy=${pick(2) ? 'active' : 'pending'}`, headers: a.auth },
    sent: [],
    change: false,
  }),
  'GET /api/v1/redactions': (a) => ({
    request: { method: 'GET', url: '/api/v1/redactions', headers: a.auth },
    sent: [],
    change: false,
  }),
  'PUT /api/v1/interactions/{id}/content/{contentKey}': (a, v, _t, pick) => {
    const k = key(v, pick);
    return {
      request: {
        method: 'PUT',
        url: `/api/v1/interactions/${v.id}/content/${k}`,
        headers: { ...a.auth, 'content-type': 'audio/wav' },
        payload: Buffer.from('overwritten by a stranger'),
      },
      sent: [v.id],
      change: true,
    };
  },
  'GET /api/v1/interactions/{id}/content/{contentKey}': (a, v, _t, pick) => ({
    request: {
      method: 'GET',
      url: `/api/v1/interactions/${pick(2) ? v.id : v.guid}/content/${key(v, pick)}?source=${v.source}`,
      headers: a.auth,
    },
    sent: [v.id, v.guid],
    change: false,
  }),
  'DELETE /api/v1/interactions/{id}/content/{contentKey}': (a, v, _t, pick) => ({
    request: { method: 'DELETE', url: `/api/v1/interactions/${v.id}/content/${key(v, pick)}`, headers: a.auth },
    sent: [v.id],
    change: true,
  }),
  'GET /interaction-content/interactions': (a, v, token, pick) => {
    const filters: Record<string, string>[] = [
      { handlingAgentId: v.handlerIds[0] as string },
      { connectFrom: v.connectFrom },
      { direction: 'Inbound' },
      {},
    ];
    const params: Record<string, string> = {
      start: WEEK.start,
      end: WEEK.end,
      limit: '100',
      ...(filters[pick(filters.length)] as Record<string, string>),
    };
    if (token && pick(2) === 0) params.continuationToken = token;
    return {
      request: { method: 'GET', url: `/interaction-content/interactions?${q(params)}`, headers: vonage(a) },
      sent: Object.values(params),
      change: false,
    };
  },
  'GET /interaction-content/interactions/{guid}': (a, v) => ({
    request: { method: 'GET', url: `/interaction-content/interactions/${v.guid}`, headers: vonage(a) },
    sent: [v.guid],
    change: false,
  }),
  'DELETE /interaction-content/interactions/{guid}': (a, v) => ({
    request: { method: 'DELETE', url: `/interaction-content/interactions/${v.guid}`, headers: vonage(a) },
    sent: [v.guid],
    change: true,
  }),
  'GET /interaction-content/interactions/{guid}/content/{contentKey}': (a, v, _t, pick) => ({
    request: { method: 'GET', url: `/interaction-content/interactions/${v.guid}/content/${key(v, pick)}`, headers: vonage(a) },
    sent: [v.guid],
    change: false,
  }),
  'DELETE /interaction-content/interactions/{guid}/content/{contentKey}': (a, v, _t, pick) => ({
    request: { method: 'DELETE', url: `/interaction-content/interactions/${v.guid}/content/${key(v, pick)}`, headers: vonage(a) },
    sent: [v.guid],
    change: true,
  }),
  'POST /interaction-content/interactions/delete-batch': (a, v) => ({
    // Answered per GUID (a 2xx may list each as refused): the records must simply still be there afterwards.
    request: {
      method: 'POST',
      url: '/interaction-content/interactions/delete-batch',
      headers: { ...json(a), accept: VONAGE_ACCEPT },
      payload: { guids: [v.guid] },
    },
    sent: [v.guid],
    change: false,
  }),
  'GET /api/v2/interactions/{id}': (a, v, _t, pick) => ({
    request: { method: 'GET', url: `/api/v2/interactions/${pick(2) ? v.id : v.guid}?source=${v.source}`, headers: a.auth },
    sent: [v.id, v.guid],
    change: false,
  }),
  'POST /api/v2/ucs/interactions': (a, v, _t, pick) => {
    const payloads = [
      { operationName: 'RetrieveInteractionHistory', userId: v.ownerId, source: v.source },
      { operationName: 'RetrieveAgentHistory', source: v.source },
      // Claiming a call of one's own tenant that is not one's own: answered (the refusal is the CometD result);
      // `damaged` checks the record after. Another tenant's ids are free in one's own: a new id stands for them.
      {
        operationName: 'FindPhoneCall',
        callId: v.tenant === a.tenant ? v.id : `ixp-new-${hex()}`,
        status: 'InProcess',
        phoneNumber: v.contactPhone,
        type: 'Inbound',
      },
    ];
    return {
      request: { method: 'POST', url: '/api/v2/ucs/interactions', headers: json(a), payload: payloads[pick(3)] },
      sent: [v.ownerId, v.id, v.contactPhone],
      change: false,
    };
  },
  'GET /api/v2/ucs/interactions': (a, v, _t, pick) => {
    const filters: Record<string, string>[] = [
      { contactId: v.contactId },
      { userId: v.ownerId },
      { searchCustomAttributes: `Ref=${v.ref}` },
      {},
    ];
    const params: Record<string, string> = {
      source: v.source,
      maxSize: '100',
      ...(filters[pick(filters.length)] as Record<string, string>),
    };
    return {
      request: { method: 'GET', url: `/api/v2/ucs/interactions?${q(params)}`, headers: a.auth },
      sent: Object.values(params),
      change: false,
    };
  },
  'POST /api/v2/ucs/contacts/{id}/interactions': (a, v) => ({
    request: {
      method: 'POST',
      url: `/api/v2/ucs/contacts/${v.contactId}/interactions`,
      headers: json(a),
      payload: { operationName: 'RetrieveContactHistory', source: v.source },
    },
    sent: [v.contactId],
    change: false,
  }),
  'POST /api/v2/ucs/interactions/{id}': (a, v, _t, pick) => {
    const payloads = [
      { operationName: 'GetInteractionContent', source: v.source },
      // Changes to a foreign call: answered (the refusal is the CometD result); `damaged` checks the record after.
      { operationName: 'SetCallNote', note: 'noted by a stranger' },
      { operationName: 'SetCallContact', contactPath: '/contacts/stranger-contact' },
      { operationName: 'SetCallCompleted', callDuration: 1 },
    ];
    return {
      request: {
        method: 'POST',
        url: `/api/v2/ucs/interactions/${pick(2) ? v.id : v.guid}`,
        headers: json(a),
        payload: payloads[pick(payloads.length)],
      },
      sent: [v.id, v.guid],
      change: false,
    };
  },
  'POST /api/v1/contacts': (a, v) => ({
    // Another contact with the same address: allowed, and nothing of the first may come back.
    request: {
      method: 'POST',
      url: '/api/v1/contacts',
      headers: json(a),
      payload: { emailAddresses: [v.contactEmail], phoneNumbers: [v.contactPhone] },
    },
    sent: [v.contactEmail, v.contactPhone],
    change: false,
  }),
  'GET /api/v1/contacts': (a, v, _t, pick) => {
    const params = [{ email: v.contactEmail }, { phone: v.contactPhone }, { email: v.contactEmail, phone: v.contactPhone }][
      pick(3)
    ] as Record<string, string>;
    return {
      request: { method: 'GET', url: `/api/v1/contacts?${q(params)}`, headers: a.auth },
      sent: Object.values(params),
      change: false,
    };
  },
  'GET /api/v1/contacts/{id}': (a, v) => ({
    request: { method: 'GET', url: `/api/v1/contacts/${v.contactId}`, headers: a.auth },
    sent: [v.contactId],
    change: false,
  }),
  'PATCH /api/v1/contacts/{id}': (a, v) => ({
    // A contact is its whole tenant's: only a change across tenants is a cross write.
    request: {
      method: 'PATCH',
      url: `/api/v1/contacts/${v.contactId}`,
      headers: { ...json(a), 'content-type': 'application/merge-patch+json' },
      payload: { firstName: 'patched by a stranger' },
    },
    sent: [v.contactId],
    change: a.tenant !== v.tenant,
  }),
  'POST /api/v2/contacts/ucs': (a, v, _t, pick) => ({
    request: {
      method: 'POST',
      url: '/api/v2/contacts/ucs',
      headers: json(a),
      payload: { operationName: 'IdentifyUCSContact', phoneNumber: v.contactPhone, createContactEnabled: pick(2) === 0 },
    },
    sent: [v.contactPhone],
    change: false,
  }),
  'GET /api/v2/emails/{id}/attachments/{attachmentId}': (a, v, _t, pick) => ({
    request: {
      method: 'GET',
      url: `/api/v2/emails/${pick(2) ? v.id : v.guid}/attachments/${v.contentKeys.includes('att') ? 'att' : key(v, pick)}`,
      headers: a.auth,
    },
    sent: [v.id, v.guid],
    change: false,
  }),
};

export interface CrossRead {
  actor: string;
  operation: string;
  url: string;
  status: number;
  found: string;
}

export interface Tally {
  requests: number;
  byOperation: Map<string, Map<number, number>>;
  crossReads: CrossRead[];
}

/**
 * What in a response belongs to a record the actor may not see (the request's
 * own values removed first); with `otherTenants`, also their contacts (a
 * contact is its whole tenant's).
 */
export function foreignIn(text: string, foreign: Seeded[], sent: string[], otherTenants: Seeded[] = []): string | undefined {
  let rest = text;
  for (const value of sent) if (value) rest = rest.split(value).join('');
  for (const item of foreign)
    for (const needle of [item.id, item.guid, item.marker])
      if (rest.includes(needle)) return `${item.tenant}/${item.id} (${needle})`;
  for (const item of otherTenants)
    if (rest.includes(item.contactMarker)) return `${item.tenant}/contact ${item.contactId} (${item.contactMarker})`;
  return undefined;
}

/**
 * `rounds` times: every actor × every documented operation, aimed at a foreign record
 * picked with the seed (and, half the time on searches, another actor's
 * cursor or continuation token).
 */
export async function probe(
  inject: (options: InjectOptions) => Promise<LightMyRequestResponse>,
  setup: { items: Seeded[]; actors: Actor[]; tokens: Map<Actor, string[]>; operations: string[] },
  options: { rounds: number; seed: number; onRound?: (round: number, tally: Tally) => void },
): Promise<Tally> {
  const random = fc.sample(fc.integer({ min: 0, max: 2 ** 31 - 1 }), { seed: options.seed, numRuns: 1 })[0] as number;
  let state = random || 1;
  const pick = (n: number) => {
    state = (state * 48271) % 2147483647;
    return state % n;
  };
  const tally: Tally = { requests: 0, byOperation: new Map(), crossReads: [] };
  for (let round = 0; round < options.rounds; round++) {
    for (const actor of setup.actors) {
      const foreign = setup.items.filter((i) => !visibleTo(actor, i));
      const otherTenants = setup.items.filter((i) => i.tenant !== actor.tenant);
      const othersTokens = [...setup.tokens]
        .filter(([other]) => other.tenant !== actor.tenant || other.agentId !== actor.agentId)
        .flatMap(([, t]) => t);
      for (const operation of setup.operations) {
        const build = OPERATIONS[operation];
        if (!build) throw new Error(`no probe for ${operation}`);
        const victim = foreign[pick(foreign.length)] as Seeded;
        const token = othersTokens.length ? othersTokens[pick(othersTokens.length)] : undefined;
        const probeRequest = build(actor, victim, token, pick);
        const res = await inject(probeRequest.request);
        tally.requests++;
        const byStatus = tally.byOperation.get(operation) ?? new Map<number, number>();
        byStatus.set(res.statusCode, (byStatus.get(res.statusCode) ?? 0) + 1);
        tally.byOperation.set(operation, byStatus);
        const url = probeRequest.request.url as string;
        const found = foreignIn(res.body, foreign, [...probeRequest.sent, ...(token ? [token] : [])], otherTenants);
        if (found) tally.crossReads.push({ actor: actor.name, operation, url, status: res.statusCode, found });
        else if (probeRequest.change && res.statusCode < 300)
          tally.crossReads.push({
            actor: actor.name,
            operation,
            url,
            status: res.statusCode,
            found: `changed ${victim.tenant}/${victim.id}`,
          });
      }
    }
    options.onRound?.(round + 1, tally);
  }
  return tally;
}

/** Every seeded record as its tenant's admin reads it: present, unchanged, content bytes as uploaded. */
export async function damaged(server: TestServer, items: Seeded[]): Promise<string[]> {
  const problems: string[] = [];
  for (const item of items) {
    const auth = { authorization: server.basic(item.tenant === 'acme' ? 'admin1' : 'gadmin') };
    const res = await server.app.inject({
      method: 'GET',
      url: `/api/v1/interactions/${item.id}?source=${item.source}`,
      headers: auth,
    });
    if (res.statusCode !== 200) {
      problems.push(`${item.id}: ${res.statusCode}`);
      continue;
    }
    const body = res.json();
    if (body.subject !== `subject ${item.marker}`) problems.push(`${item.id}: subject ${body.subject}`);
    // The voice operations aimed at it changed nothing.
    if (
      body.comment !== undefined ||
      body.state !== 'Stopped' ||
      body.contactId !== item.contactId ||
      body.callDuration !== undefined
    )
      problems.push(`${item.id}: changed by a voice operation (${body.comment}, ${body.state}, ${body.contactId})`);
    if ((body.messages ?? []).length > 1) problems.push(`${item.id}: ${body.messages.length} messages`);
    for (const k of item.contentKeys) {
      const content = await server.app.inject({
        method: 'GET',
        url: `/api/v1/interactions/${item.id}/content/${k}?source=${item.source}`,
        headers: auth,
      });
      if (content.statusCode !== 200 || content.body !== item.bytes[k]) problems.push(`${item.id}/${k}: ${content.statusCode}`);
    }
  }
  return problems;
}
