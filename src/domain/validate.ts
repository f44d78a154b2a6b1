/**
 * Validation of the canonical record as clients send it (the native API and
 * `ixvault import` both come through here). Every problem is reported with
 * the dotted path of its field, all at once, so a client can fix a record in
 * one round trip.
 */
import { errors, type FieldProblem } from './errors.js';
import { isInteractionId, isUuid } from './ids.js';
import {
  type EmailParts,
  type Interaction,
  type InteractionState,
  MEDIA_TYPES,
  type MediaType,
  type Message,
  STATES,
  TYPE_IDS,
  type TypeId,
} from './interaction.js';
import { type InteractionSearch, MAX_PAGE_SIZE } from './search.js';
import { parseInstant } from './time.js';

export const LIMITS = {
  shortText: 256,
  subject: 1024,
  comment: 8192,
  customAttributes: 100,
  customAttributeName: 128,
  customAttributeValue: 1024,
  userDataBytes: 64 * 1024,
  messages: 10_000,
  messageText: 64 * 1024,
  handlingAgents: 100,
  /** Message indexes are stored as 32-bit integers. */
  messageIndex: 2_147_483_647,
  callDurationSeconds: Number.MAX_SAFE_INTEGER,
  /** Nesting of any JSON a client sends (userData is the one free-form field). */
  jsonDepth: 32,
  /** Custom attribute equalities in one search: each is a join. */
  searchCustomAttributes: 10,
  emailAddress: 320,
  emailRecipients: 500,
  /** Each of an email's bodies (plain text, HTML). */
  emailBody: 1024 * 1024,
} as const;

/**
 * What no JSON schema keyword bounds in a parsed request part: nesting depth,
 * numbers that are not finite (`1e309` parses to Infinity, and a schema's
 * `maximum` lets the Infinity that type coercion makes of "Infinity" through),
 * and the NUL character in any string or name (PostgreSQL cannot store it in
 * text or jsonb, so it would fail there and pass on SQLite).
 * Walks iteratively, so the check itself cannot overflow the stack. Returns the
 * first problem, with the dotted path of its field under `root`.
 */
export function unboundedValue(value: unknown, root: string): FieldProblem | undefined {
  // Every value of a batch body passes here (the facades' preHandler, then userData again): the common case,
  // nothing wrong, is answered without allocating; the walk below only runs to name a problem's field.
  if (withinBounds(value, 0)) return undefined;
  interface Node {
    value: unknown;
    key: string;
    depth: number;
    parent: Node | undefined;
  }
  const pathOf = (node: Node) => {
    const keys: string[] = [];
    for (let at: Node | undefined = node; at; at = at.parent) if (at.key !== '') keys.unshift(at.key);
    return keys.join('.') || root || '(body)';
  };
  const stack: Node[] = [{ value, key: root, depth: 0, parent: undefined }];
  for (let node = stack.pop(); node; node = stack.pop()) {
    const v = node.value;
    if (typeof v === 'number' && !Number.isFinite(v)) return { field: pathOf(node), message: 'must be a finite number' };
    if ((typeof v === 'string' && v.includes('\u0000')) || node.key.includes('\u0000'))
      return { field: pathOf(node), message: NO_NUL };
    if (typeof v !== 'object' || v === null) continue;
    if (node.depth >= LIMITS.jsonDepth)
      return { field: pathOf(node), message: `must not nest deeper than ${LIMITS.jsonDepth} levels` };
    for (const [key, child] of Object.entries(v)) stack.push({ value: child, key, depth: node.depth + 1, parent: node });
  }
  return undefined;
}

/**
 * Whether unboundedValue finds nothing in `value` at `depth`. Recursive, but no
 * deeper than LIMITS.jsonDepth: a value nested deeper is refused before its
 * children are looked at.
 */
function withinBounds(value: unknown, depth: number): boolean {
  if (typeof value === 'string') return !value.includes('\u0000');
  if (typeof value === 'number') return Number.isFinite(value);
  if (typeof value !== 'object' || value === null) return true;
  if (depth >= LIMITS.jsonDepth) return false;
  // Arrays by index: `for…in` would make a string of every index.
  if (Array.isArray(value)) {
    for (let index = 0; index < value.length; index++) if (!withinBounds(value[index], depth + 1)) return false;
    return true;
  }
  const object = value as Record<string, unknown>;
  for (const key in object) {
    if (!Object.hasOwn(object, key)) continue;
    if (key.includes('\u0000') || !withinBounds(object[key], depth + 1)) return false;
  }
  return true;
}

/**
 * The bounds of a search, whichever facade built it: the store may trust them.
 * Facades check their own parameters first, under their own names; this is
 * the backstop. Repeated media types are folded into one.
 */
export function checkSearch(search: InteractionSearch): InteractionSearch {
  if (!Number.isInteger(search.limit) || search.limit < 1 || search.limit > MAX_PAGE_SIZE)
    throw errors.invalidField('limit', `must be a whole number from 1 to ${MAX_PAGE_SIZE}`);
  for (const key of ['fromMs', 'toMs'] as const) {
    const ms = search[key];
    if (ms !== undefined && !Number.isFinite(ms)) throw errors.invalidField(key === 'fromMs' ? 'from' : 'to', 'is out of range');
  }
  if (search.customAttributes && Object.keys(search.customAttributes).length > LIMITS.searchCustomAttributes)
    throw errors.invalidField('customAttributes', `must hold at most ${LIMITS.searchCustomAttributes} name = value pairs`);
  return search.mediaTypes ? { ...search, mediaTypes: [...new Set(search.mediaTypes)] } : search;
}

/** PostgreSQL cannot store the NUL character in text or jsonb: refused everywhere, on every backend alike. */
const NO_NUL = 'must not contain the NUL character';

/** A record as accepted on input, before ids are assigned. */
export interface InteractionInput extends Omit<Interaction, 'id' | 'guid'> {
  id?: string;
  guid?: string;
  /** Absent: an update keeps the stored messages; present (even empty): they are replaced. */
  messages?: Message[];
  /** Card numbers the vault masked in this input's texts (set after validation, never by a client). */
  cardRedactions?: number;
}

type Json = Record<string, unknown>;

class Collector {
  readonly problems: FieldProblem[] = [];
  add(field: string, message: string): void {
    this.problems.push({ field, message });
  }
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function optionalString(c: Collector, obj: Json, key: string, path: string, max: number): string | undefined {
  const value = obj[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') {
    c.add(path, 'must be a string');
    return undefined;
  }
  if (value.length > max) c.add(path, `must be at most ${max} characters`);
  if (value.includes('\u0000')) c.add(path, NO_NUL);
  return value;
}

function requiredString(c: Collector, obj: Json, key: string, path: string, max: number): string | undefined {
  if (obj[key] === undefined || obj[key] === null || obj[key] === '') {
    c.add(path, 'is required');
    return undefined;
  }
  return optionalString(c, obj, key, path, max);
}

function instant(c: Collector, obj: Json, key: string, path: string, required: boolean): number | undefined {
  const raw = required ? requiredString(c, obj, key, path, 64) : optionalString(c, obj, key, path, 64);
  if (raw === undefined) return undefined;
  const ms = parseInstant(raw);
  if (ms === undefined) c.add(path, `'${raw}' is not an ISO 8601 date-time with a time zone offset`);
  return ms;
}

function oneOf<T extends string>(
  c: Collector,
  raw: string | undefined,
  allowed: readonly T[],
  path: string,
  caseInsensitive: boolean,
): T | undefined {
  if (raw === undefined) return undefined;
  const found = allowed.find((a) => (caseInsensitive ? a.toLowerCase() === raw.toLowerCase() : a === raw));
  if (!found) c.add(path, `'${raw}' is not one of ${allowed.join(', ')}`);
  return found;
}

export function parseMediaType(raw: string): MediaType | undefined {
  const lower = raw.toLowerCase();
  return MEDIA_TYPES.find((m) => m === lower);
}

/** A message as sent: the index may be left for the server to assign. */
export type MessageInput = Omit<Message, 'index'> & { index?: number };

function collectMessages(c: Collector, raw: unknown, path: string): MessageInput[] {
  if (!Array.isArray(raw)) {
    c.add(path, 'must be an array');
    return [];
  }
  if (raw.length > LIMITS.messages) c.add(path, `must hold at most ${LIMITS.messages} messages`);
  const seen = new Set<number>();
  const messages: MessageInput[] = [];
  raw.forEach((item, i) => {
    const at = `${path}.${i}`;
    if (!isObject(item)) {
      c.add(at, 'must be an object');
      return;
    }
    let index: number | undefined;
    if (item.index !== undefined) {
      if (!Number.isInteger(item.index) || (item.index as number) < 1 || (item.index as number) > LIMITS.messageIndex)
        c.add(`${at}.index`, `must be an integer from 1 to ${LIMITS.messageIndex}`);
      else if (seen.has(item.index as number)) c.add(`${at}.index`, `duplicate message index ${item.index}`);
      else {
        index = item.index as number;
        seen.add(index);
      }
    }
    const from = item.from;
    let participant: Message['from'] = { type: 'Unknown' };
    if (!isObject(from)) c.add(`${at}.from`, 'is required and must be an object');
    else {
      const type = requiredString(c, from, 'type', `${at}.from.type`, LIMITS.shortText);
      participant = { type: type ?? 'Unknown' };
      const nickname = optionalString(c, from, 'nickname', `${at}.from.nickname`, LIMITS.shortText);
      const participantId = optionalString(c, from, 'participantId', `${at}.from.participantId`, LIMITS.shortText);
      if (nickname !== undefined) participant.nickname = nickname;
      if (participantId !== undefined) participant.participantId = participantId;
    }
    const type = requiredString(c, item, 'type', `${at}.type`, LIMITS.shortText);
    const text = optionalString(c, item, 'text', `${at}.text`, LIMITS.messageText);
    const visibility = optionalString(c, item, 'visibility', `${at}.visibility`, LIMITS.shortText) ?? 'All';
    const timestampMs = instant(c, item, 'timestamp', `${at}.timestamp`, true);
    const message: MessageInput = { from: participant, visibility, timestampMs: timestampMs ?? 0, type: type ?? '' };
    if (index !== undefined) message.index = index;
    if (text !== undefined) message.text = text;
    messages.push(message);
  });
  return messages;
}

/** A record's transcript: a message without index takes its position (1-based); sorted by index. */
function validateMessages(c: Collector, raw: unknown, path: string): Message[] {
  // The collected messages are this call's own objects: numbered in place rather than copied.
  const messages = collectMessages(c, raw, path);
  const seen = new Set<number>();
  messages.forEach((m, i) => {
    m.index ??= i + 1;
    if (seen.has(m.index)) c.add(`${path}.${i}.index`, `duplicate message index ${m.index}`);
    seen.add(m.index);
  });
  return (messages as Message[]).sort((a, b) => a.index - b.index);
}

/** Messages appended to a stored transcript (`{messages:[…]}` or a bare array); indexes are optional. */
export function validateAppendedMessages(raw: unknown): MessageInput[] {
  const list = Array.isArray(raw) ? raw : isObject(raw) ? raw.messages : undefined;
  const c = new Collector();
  if (!Array.isArray(list) || list.length === 0) c.add('messages', 'must be a non-empty array');
  const messages = c.problems.length === 0 ? collectMessages(c, list, 'messages') : [];
  if (c.problems.length > 0) throw errors.invalidRecord(c.problems);
  return messages;
}

function validateCustomAttributes(c: Collector, raw: unknown): Record<string, string> {
  if (raw === undefined || raw === null) return {};
  if (!isObject(raw)) {
    c.add('customAttributes', 'must be an object of string values');
    return {};
  }
  const entries = Object.entries(raw);
  if (entries.length > LIMITS.customAttributes)
    c.add('customAttributes', `must hold at most ${LIMITS.customAttributes} attributes`);
  const out: Record<string, string> = {};
  for (const [name, value] of entries) {
    const at = `customAttributes.${name}`;
    if (name.length === 0 || name.length > LIMITS.customAttributeName)
      c.add(at, `name must be 1 to ${LIMITS.customAttributeName} characters`);
    if (name.includes('\u0000') || (typeof value === 'string' && value.includes('\u0000'))) c.add(at, NO_NUL);
    if (typeof value === 'number' || typeof value === 'boolean') out[name] = String(value);
    else if (typeof value !== 'string') c.add(at, 'must be a string');
    else if (value.length > LIMITS.customAttributeValue) c.add(at, `must be at most ${LIMITS.customAttributeValue} characters`);
    else out[name] = value;
  }
  return out;
}

/** The email parts of an email interaction: sender, recipients, the plain-text and HTML bodies. */
function validateEmail(c: Collector, raw: unknown): EmailParts | undefined {
  if (!isObject(raw)) {
    c.add('email', 'must be an object');
    return undefined;
  }
  const email: EmailParts = {};
  const from = optionalString(c, raw, 'from', 'email.from', LIMITS.emailAddress);
  if (from !== undefined) email.from = from;
  for (const key of ['to', 'cc'] as const) {
    const list = raw[key];
    if (list === undefined || list === null) continue;
    if (!Array.isArray(list)) {
      c.add(`email.${key}`, 'must be an array of addresses');
      continue;
    }
    if (list.length > LIMITS.emailRecipients) c.add(`email.${key}`, `must hold at most ${LIMITS.emailRecipients} addresses`);
    const addresses: string[] = [];
    list.forEach((_, i) => {
      const address = optionalString(c, list as unknown as Json, String(i), `email.${key}.${i}`, LIMITS.emailAddress);
      if (address !== undefined) addresses.push(address);
    });
    email[key] = addresses;
  }
  const text = optionalString(c, raw, 'text', 'email.text', LIMITS.emailBody);
  if (text !== undefined) email.text = text;
  const html = optionalString(c, raw, 'html', 'email.html', LIMITS.emailBody);
  if (html !== undefined) email.html = html;
  return email;
}

/** Validates one record; throws a VaultError listing every problem. */
export function validateInteraction(raw: unknown): InteractionInput {
  const c = new Collector();
  const result = collectInteraction(c, raw);
  if (c.problems.length > 0 || !result) throw errors.invalidRecord(c.problems);
  return result;
}

/** Validates one record; returns the problems instead of throwing (batches report them all). */
export function checkInteraction(raw: unknown): { value?: InteractionInput; problems: FieldProblem[] } {
  const c = new Collector();
  const value = collectInteraction(c, raw);
  return c.problems.length > 0 || !value ? { problems: c.problems } : { value, problems: [] };
}

function collectInteraction(c: Collector, raw: unknown): InteractionInput | undefined {
  if (!isObject(raw)) {
    c.add('(record)', 'must be a JSON object');
    return undefined;
  }
  const id = optionalString(c, raw, 'id', 'id', 64);
  if (id !== undefined && !isInteractionId(id))
    c.add('id', 'must be 1 to 64 characters of [0-9A-Za-z_.-], starting with a letter or digit, and not a UUID');
  const guid = optionalString(c, raw, 'guid', 'guid', 36);
  if (guid !== undefined && !isUuid(guid)) c.add('guid', `'${guid}' is not a valid UUID string`);

  const mediaRaw = requiredString(c, raw, 'mediaType', 'mediaType', LIMITS.shortText);
  const mediaType = oneOf(c, mediaRaw, MEDIA_TYPES, 'mediaType', true);
  const typeIdRaw = optionalString(c, raw, 'typeId', 'typeId', LIMITS.shortText);
  const typeId: TypeId = oneOf(c, typeIdRaw, TYPE_IDS, 'typeId', true) ?? 'Unknown';
  const startMs = instant(c, raw, 'startDate', 'startDate', true);
  const endMs = instant(c, raw, 'endDate', 'endDate', false);
  if (startMs !== undefined && endMs !== undefined && endMs < startMs) c.add('endDate', 'must not be before startDate');
  const stateRaw = optionalString(c, raw, 'state', 'state', LIMITS.shortText);
  const state: InteractionState = oneOf(c, stateRaw, STATES, 'state', true) ?? (endMs !== undefined ? 'Stopped' : 'New');

  const record: InteractionInput = {
    mediaType: mediaType ?? 'call',
    typeId,
    state,
    startMs: startMs ?? 0,
    handlingAgentIds: [],
    customAttributes: validateCustomAttributes(c, raw.customAttributes),
    userData: {},
  };
  if (raw.messages !== undefined && raw.messages !== null) record.messages = validateMessages(c, raw.messages, 'messages');
  if (id !== undefined) record.id = id;
  if (guid !== undefined) record.guid = guid.toLowerCase();
  if (endMs !== undefined) record.endMs = endMs;

  const texts = [
    ['subject', LIMITS.subject],
    ['comment', LIMITS.comment],
    ['contactId', LIMITS.shortText],
    ['parentId', LIMITS.shortText],
    ['phoneNumber', LIMITS.shortText],
    ['connectFrom', LIMITS.shortText],
    ['connectTo', LIMITS.shortText],
  ] as const;
  for (const [key, max] of texts) {
    const value = optionalString(c, raw, key, key, max);
    if (value !== undefined) record[key] = value;
  }

  if (raw.callDuration !== undefined && raw.callDuration !== null) {
    if (
      !Number.isInteger(raw.callDuration) ||
      (raw.callDuration as number) < 0 ||
      (raw.callDuration as number) > LIMITS.callDurationSeconds
    )
      c.add('callDuration', `must be a whole number of seconds from 0 to ${LIMITS.callDurationSeconds}`);
    else record.callDuration = raw.callDuration as number;
  }

  const owner = raw.ownerInformation;
  if (owner !== undefined && owner !== null) {
    if (!isObject(owner)) c.add('ownerInformation', 'must be an object');
    else {
      const ownerId = requiredString(c, owner, 'id', 'ownerInformation.id', LIMITS.shortText);
      if (ownerId !== undefined) {
        record.owner = { id: ownerId };
        for (const key of ['userName', 'firstName', 'lastName'] as const) {
          const value = optionalString(c, owner, key, `ownerInformation.${key}`, LIMITS.shortText);
          if (value !== undefined) record.owner[key] = value;
        }
      }
    }
  }

  const agents = raw.handlingAgents;
  const agentIds = new Set<string>();
  if (agents !== undefined && agents !== null) {
    if (!Array.isArray(agents)) c.add('handlingAgents', 'must be an array of {id}');
    else {
      if (agents.length > LIMITS.handlingAgents) c.add('handlingAgents', `must hold at most ${LIMITS.handlingAgents} agents`);
      agents.forEach((agent, i) => {
        if (typeof agent === 'string' && agent.length > 0) agentIds.add(agent);
        else if (isObject(agent)) {
          const agentId = requiredString(c, agent, 'id', `handlingAgents.${i}.id`, LIMITS.shortText);
          if (agentId !== undefined) agentIds.add(agentId);
        } else c.add(`handlingAgents.${i}`, 'must be an object with an id');
      });
    }
  }
  if (record.owner) agentIds.add(record.owner.id);
  record.handlingAgentIds = [...agentIds];

  if (raw.email !== undefined && raw.email !== null) {
    const email = validateEmail(c, raw.email);
    if (email && record.mediaType !== 'email')
      c.add('email', `only an email interaction has one (mediaType is ${record.mediaType})`);
    else if (email) record.email = email;
  }

  const userData = raw.userData;
  if (userData !== undefined && userData !== null) {
    const unbounded = isObject(userData) ? unboundedValue(userData, 'userData') : undefined;
    if (!isObject(userData)) c.add('userData', 'must be a JSON object');
    else if (unbounded) c.add(unbounded.field, unbounded.message);
    else if (JSON.stringify(userData).length > LIMITS.userDataBytes)
      c.add('userData', `must serialize to at most ${LIMITS.userDataBytes} bytes`);
    else record.userData = userData;
  }
  return record;
}
