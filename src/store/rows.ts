/** Translation between table rows and domain records; nothing else in the store builds either by hand. */
import type { ContentItem, ContentType, EmailParts, Interaction, Message } from '../domain/interaction.js';
import { directionOf, orderAgents } from '../domain/interaction.js';
import { vonageContentJson, vonageItemHead } from '../domain/vonage-item.js';
import type { ContentItemsTable, InteractionsTable, MessagesTable } from './schema.js';

/**
 * Rows of one table column by column: one array per column, all as long as
 * the number of rows (how the ingestion path hands rows around: record-rows.ts).
 */
export type Columns<R> = { [K in keyof R]: R[K][] };

export function emptyColumns<R>(names: (keyof R)[]): Columns<R> {
  const columns = {} as Columns<R>;
  for (const name of names) columns[name] = [];
  return columns;
}

/** Appends a row's values of the columns `names` (the columns' keys, as a list: no key enumeration per row). */
export function pushRow<R>(columns: Columns<R>, row: R, names: (keyof R)[]): void {
  for (let i = 0; i < names.length; i++) {
    const name = names[i] as keyof R;
    columns[name].push(row[name]);
  }
}

/** Row objects (all with the same keys) as columns. */
export function columnsOf<R extends object>(rows: R[]): Columns<R> {
  const first = rows[0];
  const names = first ? (Object.keys(first) as (keyof R)[]) : [];
  const columns = emptyColumns<R>(names);
  for (const row of rows) pushRow(columns, row, names);
  return columns;
}

export function interactionToRow(
  tenantId: string,
  record: Interaction,
  times: { createdMs: number; updatedMs: number; contentCount: number },
): InteractionsTable {
  return {
    tenant_id: tenantId,
    id: record.id,
    guid: record.guid,
    media_type: record.mediaType,
    type_id: record.typeId,
    state: record.state,
    start_ms: record.startMs,
    end_ms: record.endMs ?? null,
    subject: record.subject ?? null,
    comment: record.comment ?? null,
    contact_id: record.contactId ?? null,
    parent_id: record.parentId ?? null,
    phone_number: record.phoneNumber ?? null,
    call_duration: record.callDuration ?? null,
    owner_id: record.owner?.id ?? null,
    owner_user_name: record.owner?.userName ?? null,
    owner_first_name: record.owner?.firstName ?? null,
    owner_last_name: record.owner?.lastName ?? null,
    connect_from: record.connectFrom ?? null,
    connect_to: record.connectTo ?? null,
    direction: directionOf(record.typeId) ?? null,
    custom_attributes: JSON.stringify(record.customAttributes),
    user_data: JSON.stringify(record.userData),
    content_count: times.contentCount,
    // Kept on update (the count accumulates; see InteractionRepository.writeRecords).
    card_redactions: 0,
    created_ms: times.createdMs,
    updated_ms: times.updatedMs,
    email: record.email === undefined ? null : JSON.stringify(record.email),
    vonage_head: vonageItemHead(asListed(record)),
  };
}

/** The record with its handling agents as a read gives them back: distinct, owner first (orderAgents). */
export function asListed(record: Interaction): Interaction {
  return { ...record, handlingAgentIds: orderAgents(record.owner?.id, [...new Set(record.handlingAgentIds)]) };
}

/**
 * An interactions row as read back: every column, or only those of a search
 * summary (the rest then absent, and the record's fields with them).
 */
export type InteractionRow = Pick<InteractionsTable, SummaryColumn> & Partial<InteractionsTable>;

/** What a listing prints: identity, media, type, state, start, owner and addresses. */
export const SUMMARY_COLUMNS = [
  'id',
  'guid',
  'media_type',
  'type_id',
  'state',
  'start_ms',
  'owner_id',
  'connect_from',
  'connect_to',
] as const;
type SummaryColumn = (typeof SUMMARY_COLUMNS)[number];

/** Builds the domain record; handling agents come from their own table and are passed in. */
export function rowToInteraction(row: InteractionRow, handlingAgentIds: string[]): Interaction {
  const record: Interaction = {
    id: row.id,
    guid: row.guid,
    mediaType: row.media_type as Interaction['mediaType'],
    typeId: row.type_id as Interaction['typeId'],
    state: row.state as Interaction['state'],
    startMs: row.start_ms,
    handlingAgentIds,
    customAttributes: row.custom_attributes === undefined ? {} : (JSON.parse(row.custom_attributes) as Record<string, string>),
    userData: row.user_data === undefined ? {} : (JSON.parse(row.user_data) as Record<string, unknown>),
  };
  // `!= null`: a column may be NULL, or absent from a summary row.
  if (row.end_ms != null) record.endMs = row.end_ms;
  if (row.subject != null) record.subject = row.subject;
  if (row.comment != null) record.comment = row.comment;
  if (row.contact_id != null) record.contactId = row.contact_id;
  if (row.parent_id != null) record.parentId = row.parent_id;
  if (row.phone_number != null) record.phoneNumber = row.phone_number;
  if (row.call_duration != null) record.callDuration = row.call_duration;
  if (row.email != null) record.email = JSON.parse(row.email) as EmailParts;
  if (row.connect_from !== null) record.connectFrom = row.connect_from;
  if (row.connect_to !== null) record.connectTo = row.connect_to;
  if (row.owner_id !== null) {
    record.owner = { id: row.owner_id };
    if (row.owner_user_name != null) record.owner.userName = row.owner_user_name;
    if (row.owner_first_name != null) record.owner.firstName = row.owner_first_name;
    if (row.owner_last_name != null) record.owner.lastName = row.owner_last_name;
  }
  return record;
}

export function messageToRow(tenantId: string, interactionId: string, m: Message): MessagesTable {
  return {
    tenant_id: tenantId,
    interaction_id: interactionId,
    idx: m.index,
    from_nickname: m.from.nickname ?? null,
    from_type: m.from.type,
    from_participant_id: m.from.participantId ?? null,
    text: m.text ?? null,
    visibility: m.visibility,
    ts_ms: m.timestampMs,
    type: m.type,
  };
}

export function rowToMessage(row: MessagesTable): Message {
  const message: Message = {
    index: row.idx,
    from: { type: row.from_type },
    visibility: row.visibility,
    timestampMs: row.ts_ms,
    type: row.type,
  };
  if (row.from_nickname !== null) message.from.nickname = row.from_nickname;
  if (row.from_participant_id !== null) message.from.participantId = row.from_participant_id;
  if (row.text !== null) message.text = row.text;
  return message;
}

export function contentToRow(tenantId: string, interactionId: string, item: ContentItem): ContentItemsTable {
  return {
    tenant_id: tenantId,
    interaction_id: interactionId,
    content_key: item.contentKey,
    type: item.type,
    content_type: item.contentType,
    content_length: item.contentLength,
    sha256: item.sha256,
    last_modified_ms: item.lastModifiedMs,
    owning_agent_id: item.owningAgentId ?? null,
    owning_interaction_plan_id: item.owningInteractionPlanId ?? null,
    version: item.properties.version ?? null,
    duration_ms: item.properties.duration ?? null,
    card_redactions: item.cardRedactions ?? 0,
    sensitive: item.containsSensitiveData ? 1 : 0,
    file_name: item.fileName ?? null,
    vonage_json: vonageContentJson(item),
  };
}

export function rowToContent(row: ContentItemsTable): ContentItem {
  const item: ContentItem = {
    contentKey: row.content_key,
    type: row.type as ContentType,
    contentType: row.content_type,
    contentLength: row.content_length,
    sha256: row.sha256,
    lastModifiedMs: row.last_modified_ms,
    properties: {},
  };
  if (row.owning_agent_id !== null) item.owningAgentId = row.owning_agent_id;
  if (row.owning_interaction_plan_id !== null) item.owningInteractionPlanId = row.owning_interaction_plan_id;
  if (row.version !== null) item.properties.version = row.version;
  if (row.duration_ms !== null) item.properties.duration = row.duration_ms;
  if (row.card_redactions > 0) item.cardRedactions = row.card_redactions;
  if (row.sensitive) item.containsSensitiveData = true;
  if (row.file_name !== null) item.fileName = row.file_name;
  return item;
}
