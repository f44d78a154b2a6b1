/**
 * Legal holds: what they are, how a request for one is checked, and which
 * interactions a hold on a query covers. A hold names interactions (any
 * number), a contact (every interaction with that contactId, present and
 * future) or a query (a time range with filters, evaluated whenever a
 * deletion asks, so it too covers interactions stored later). While a hold is
 * active nothing deletes what it covers (the store checks it in every
 * deletion's own transaction), and nothing changes or removes what was said
 * in it (`changesToWhatWasSaid`, checked in every write's own transaction).
 */
import { errors, type FieldProblem } from './errors.js';
import { type EmailParts, MEDIA_TYPES, type MediaType, type Message } from './interaction.js';
import { parseInstant } from './time.js';

export const HOLD_KINDS = ['interactions', 'contact', 'query'] as const;
export type HoldKind = (typeof HOLD_KINDS)[number];

/** A hold on a query: interactions that started in [fromMs, toMs) and match every filter given. */
export interface HoldQuery {
  fromMs: number;
  toMs: number;
  mediaTypes?: MediaType[];
  /** A handling agent. */
  agentId?: string;
  /** Equalities, all of which must hold. */
  customAttributes?: Record<string, string>;
}

export interface HoldInput {
  name: string;
  reason: string;
  kind: HoldKind;
  /** kind interactions: ids or guids as the client named them. */
  interactionIds?: string[];
  contactId?: string;
  query?: HoldQuery;
}

export interface LegalHold {
  id: string;
  name: string;
  reason: string;
  kind: HoldKind;
  interactionIds?: string[];
  contactId?: string;
  query?: HoldQuery;
  /** kind contact or query: interactions pinned to it by a change while it covered them (read by id only). */
  pinnedInteractionIds?: string[];
  createdBy: string;
  createdMs: number;
  releasedMs?: number;
  releasedBy?: string;
  releaseReason?: string;
}

/** What a hold on a query is matched against: the interaction being deleted. */
export interface HoldSubject {
  startMs: number;
  mediaType: string;
  handlingAgentIds: readonly string[];
  customAttributes: Readonly<Record<string, string>>;
}

export const HOLD_LIMITS = { name: 256, reason: 4096, id: 256, customAttributes: 10 } as const;

export function queryCovers(query: HoldQuery, subject: HoldSubject): boolean {
  if (subject.startMs < query.fromMs || subject.startMs >= query.toMs) return false;
  if (query.mediaTypes && !query.mediaTypes.includes(subject.mediaType as MediaType)) return false;
  if (query.agentId !== undefined && !subject.handlingAgentIds.includes(query.agentId)) return false;
  for (const [name, value] of Object.entries(query.customAttributes ?? {}))
    if (subject.customAttributes[name] !== value) return false;
  return true;
}

/**
 * What a hold preserves of an interaction: what was said in it. The rest of
 * the record (state, end, agents, attributes, user data, contact) belongs to
 * the live workflow and may still change.
 */
export interface WhatWasSaid {
  subject?: string;
  comment?: string;
  email?: EmailParts;
  messages?: Message[];
}

const PRESERVED = 'is under legal hold: it can be set where there was none, not changed or removed';
const MESSAGE_PRESERVED = 'is under legal hold: messages can be added, not changed or removed';

/**
 * The problems of writing `next` over `stored` while a hold covers it: a
 * preserved text that would change or go, a message that would change or go.
 * Additions are no problem. `next.messages` undefined keeps the stored
 * messages. An append (`appendOnly`) names messages only: the texts and the
 * messages it does not name are kept. A changed message is named by its place
 * in `next.messages`, a removed one by the list.
 */
export function changesToWhatWasSaid(stored: WhatWasSaid, next: WhatWasSaid, appendOnly = false): FieldProblem[] {
  const problems: FieldProblem[] = [];
  if (!appendOnly) {
    for (const field of ['subject', 'comment'] as const)
      if (stored[field] !== undefined && next[field] !== stored[field]) problems.push({ field, message: PRESERVED });
    for (const part of ['from', 'text', 'html', 'to', 'cc'] as const) {
      const was = stored.email?.[part];
      if (was !== undefined && JSON.stringify(next.email?.[part]) !== JSON.stringify(was))
        problems.push({ field: `email.${part}`, message: PRESERVED });
    }
  }
  if (next.messages === undefined) return problems;
  const nextByIndex = new Map(next.messages.map((m, position) => [m.index, { m, position }]));
  const removed: number[] = [];
  for (const was of stored.messages ?? []) {
    const now = nextByIndex.get(was.index);
    if (!now) {
      if (!appendOnly) removed.push(was.index);
    } else if (!sameMessage(was, now.m))
      problems.push({ field: `messages.${now.position}`, message: `message ${was.index} ${MESSAGE_PRESERVED}` });
  }
  if (removed.length > 0) problems.push({ field: 'messages', message: `message(s) ${removed.join(', ')} ${MESSAGE_PRESERVED}` });
  return problems;
}

function sameMessage(a: Message, b: Message): boolean {
  return (
    a.index === b.index &&
    a.type === b.type &&
    a.visibility === b.visibility &&
    a.timestampMs === b.timestampMs &&
    a.text === b.text &&
    a.from.type === b.from.type &&
    a.from.nickname === b.from.nickname &&
    a.from.participantId === b.from.participantId
  );
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function text(problems: FieldProblem[], raw: Record<string, unknown>, field: string, max: number): string | undefined {
  const value = raw[field];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.trim().length === 0 || value.length > max) {
    problems.push({ field, message: `must be a non-empty string of at most ${max} characters` });
    return undefined;
  }
  return value;
}

/** Checks a request for a hold; every problem is reported with its field. */
export function validateHold(raw: unknown): HoldInput {
  if (!isObject(raw)) throw errors.invalidField('(body)', 'must be a JSON object');
  const problems: FieldProblem[] = [];
  const known = new Set(['name', 'reason', 'interactionIds', 'contactId', 'query']);
  for (const key of Object.keys(raw)) if (!known.has(key)) problems.push({ field: key, message: 'is not a field of a hold' });
  const name = text(problems, raw, 'name', HOLD_LIMITS.name);
  const reason = text(problems, raw, 'reason', HOLD_LIMITS.reason);
  if (raw.name === undefined) problems.push({ field: 'name', message: 'is required' });
  if (raw.reason === undefined) problems.push({ field: 'reason', message: 'is required' });
  const given = (['interactionIds', 'contactId', 'query'] as const).filter((k) => raw[k] !== undefined);
  if (given.length !== 1)
    problems.push({ field: given[1] ?? 'interactionIds', message: 'give exactly one of interactionIds, contactId or query' });
  const input: Partial<HoldInput> = {};
  if (raw.interactionIds !== undefined) {
    input.kind = 'interactions';
    const ids = raw.interactionIds;
    if (!Array.isArray(ids) || ids.length === 0) problems.push({ field: 'interactionIds', message: 'must be a non-empty array' });
    else {
      ids.forEach((id, i) => {
        if (typeof id !== 'string' || id.length === 0 || id.length > HOLD_LIMITS.id)
          problems.push({
            field: `interactionIds.${i}`,
            message: `must be an id or guid of at most ${HOLD_LIMITS.id} characters`,
          });
      });
      input.interactionIds = [...new Set(ids as string[])];
    }
  }
  if (raw.contactId !== undefined) {
    input.kind = 'contact';
    const contactId = text(problems, raw, 'contactId', HOLD_LIMITS.id);
    if (contactId !== undefined) input.contactId = contactId;
  }
  if (raw.query !== undefined) {
    input.kind = 'query';
    const query = checkQuery(problems, raw.query);
    if (query) input.query = query;
  }
  if (problems.length > 0 || !name || !reason || !input.kind) throw errors.invalidRecord(problems);
  return { ...input, name, reason, kind: input.kind } as HoldInput;
}

function checkQuery(problems: FieldProblem[], raw: unknown): HoldQuery | undefined {
  if (!isObject(raw)) {
    problems.push({ field: 'query', message: 'must be an object with from, to and optional filters' });
    return undefined;
  }
  const known = new Set(['from', 'to', 'mediaTypes', 'agentId', 'customAttributes']);
  for (const key of Object.keys(raw))
    if (!known.has(key)) problems.push({ field: `query.${key}`, message: 'is not a filter of a hold query' });
  const instant = (field: 'from' | 'to') => {
    const value = raw[field];
    const ms = typeof value === 'string' ? parseInstant(value) : undefined;
    if (ms === undefined) problems.push({ field: `query.${field}`, message: 'is required: an ISO 8601 instant' });
    return ms;
  };
  const fromMs = instant('from');
  const toMs = instant('to');
  if (fromMs !== undefined && toMs !== undefined && toMs <= fromMs)
    problems.push({ field: 'query.to', message: 'must be after query.from' });
  const query: Partial<HoldQuery> = {};
  if (raw.mediaTypes !== undefined) {
    const list = raw.mediaTypes;
    if (!Array.isArray(list) || list.length === 0 || list.some((m) => !(MEDIA_TYPES as readonly unknown[]).includes(m)))
      problems.push({ field: 'query.mediaTypes', message: `must be a non-empty array of ${MEDIA_TYPES.join(', ')}` });
    else query.mediaTypes = [...new Set(list as MediaType[])];
  }
  if (raw.agentId !== undefined) {
    if (typeof raw.agentId !== 'string' || raw.agentId.length === 0 || raw.agentId.length > HOLD_LIMITS.id)
      problems.push({ field: 'query.agentId', message: 'must be a non-empty string' });
    else query.agentId = raw.agentId;
  }
  if (raw.customAttributes !== undefined) {
    const attributes = raw.customAttributes;
    if (
      !isObject(attributes) ||
      Object.keys(attributes).length > HOLD_LIMITS.customAttributes ||
      Object.values(attributes).some((v) => typeof v !== 'string')
    )
      problems.push({
        field: 'query.customAttributes',
        message: `must be an object of at most ${HOLD_LIMITS.customAttributes} string values`,
      });
    else query.customAttributes = attributes as Record<string, string>;
  }
  if (fromMs === undefined || toMs === undefined) return undefined;
  return { ...query, fromMs, toMs };
}
