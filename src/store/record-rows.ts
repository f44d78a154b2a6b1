/**
 * A batch of records as the rows the store keeps for them, column by column:
 * what InteractionRepository writes for an upsert, made by pure code (no I/O),
 * so it can be made wherever is cheapest. On SQLite with its batch writer
 * thread, the main thread makes the rows of a batch of new records while the
 * thread writes the previous batch, and hands them over as a few arrays of
 * strings and numbers: copying those between threads costs a fraction of
 * copying the records (objects with nested messages; measured in
 * docs/BENCHMARKS.md, "Ingest, session 3"), and the thread then only writes.
 */
import { newGuid, newInteractionId } from '../domain/ids.js';
import type { InteractionInput } from '../domain/validate.js';
import type { UpsertOutcome } from './interaction-repository.js';
import { type Columns, emptyColumns, interactionToRow, messageToRow, pushRow } from './rows.js';
import type { CustomAttributesTable, InteractionAgentsTable, InteractionsTable, MessagesTable } from './schema.js';
import { TextIndex } from './text-index.js';

/** A record with the identity it is stored under, and whether it was stored before this write. */
export interface IdentifiedRecord {
  input: InteractionInput;
  id: string;
  guid: string;
  existed: boolean;
}

export interface RecordRows {
  /** The records' identities, in the order their rows are written. */
  ids: string[];
  guids: string[];
  interactions: Columns<InteractionsTable>;
  agents: Columns<InteractionAgentsTable>;
  attributes: Columns<CustomAttributesTable>;
  messages: Columns<MessagesTable>;
  /** Per record: the card numbers this write masked (they accumulate on the stored row). */
  cardRedactions: number[];
  /** The full-text documents of the records new to the store that have text (a stored one's is rebuilt from what is stored). */
  documents: { ids: string[]; startMs: number[]; bodies: string[] };
}

const INTERACTION_COLUMNS: (keyof InteractionsTable)[] = [
  'tenant_id',
  'id',
  'guid',
  'media_type',
  'type_id',
  'state',
  'start_ms',
  'end_ms',
  'subject',
  'comment',
  'contact_id',
  'parent_id',
  'phone_number',
  'call_duration',
  'owner_id',
  'owner_user_name',
  'owner_first_name',
  'owner_last_name',
  'connect_from',
  'connect_to',
  'direction',
  'custom_attributes',
  'user_data',
  'content_count',
  'card_redactions',
  'created_ms',
  'updated_ms',
  'email',
  'vonage_head',
];
const AGENT_COLUMNS: (keyof InteractionAgentsTable)[] = ['tenant_id', 'interaction_id', 'agent_id', 'start_ms'];
const ATTRIBUTE_COLUMNS: (keyof CustomAttributesTable)[] = ['tenant_id', 'interaction_id', 'name', 'value', 'start_ms'];
const MESSAGE_COLUMNS: (keyof MessagesTable)[] = [
  'tenant_id',
  'interaction_id',
  'idx',
  'from_nickname',
  'from_type',
  'from_participant_id',
  'text',
  'visibility',
  'ts_ms',
  'type',
];

/**
 * The rows of these records, in the order given. created_ms and updated_ms are
 * `nowMs`; content_count and card_redactions 0 (on a stored row the writer
 * keeps both: InteractionRepository.writeRecords).
 */
export function recordRows(tenantId: string, records: IdentifiedRecord[], nowMs: number): RecordRows {
  const out: RecordRows = {
    ids: [],
    guids: [],
    interactions: emptyColumns(INTERACTION_COLUMNS),
    agents: emptyColumns(AGENT_COLUMNS),
    attributes: emptyColumns(ATTRIBUTE_COLUMNS),
    messages: emptyColumns(MESSAGE_COLUMNS),
    cardRedactions: [],
    documents: { ids: [], startMs: [], bodies: [] },
  };
  const times = { createdMs: nowMs, updatedMs: nowMs, contentCount: 0 };
  for (const { input, id, guid, existed } of records) {
    out.ids.push(id);
    out.guids.push(guid);
    pushRow(out.interactions, interactionToRow(tenantId, { ...input, id, guid }, times), INTERACTION_COLUMNS);
    const { agents, attributes, messages } = out;
    for (const agentId of new Set(input.handlingAgentIds)) {
      agents.tenant_id.push(tenantId);
      agents.interaction_id.push(id);
      agents.agent_id.push(agentId);
      agents.start_ms.push(input.startMs);
    }
    for (const name in input.customAttributes) {
      attributes.tenant_id.push(tenantId);
      attributes.interaction_id.push(id);
      attributes.name.push(name);
      attributes.value.push(input.customAttributes[name] as string);
      attributes.start_ms.push(input.startMs);
    }
    for (const message of input.messages ?? []) pushRow(messages, messageToRow(tenantId, id, message), MESSAGE_COLUMNS);
    out.cardRedactions.push(input.cardRedactions ?? 0);
    // A new record without text has no document to write, nor one to replace (the outside shape: none has text).
    const body = existed ? '' : TextIndex.documentOfRecord(tenantId, input);
    if (body !== '') {
      out.documents.ids.push(id);
      out.documents.startMs.push(input.startMs);
      out.documents.bodies.push(body);
    }
  }
  return out;
}

/**
 * A batch whose records are all taken to be new: each keeps the id and guid it
 * names, and gets the missing ones made here, as InteractionRepository.upsertMany
 * would make them for a record the store does not hold. Whoever writes it
 * must first check that the store holds none of `given` (writeFresh), else
 * write the records themselves (an update, a conflict or a 409 in create mode
 * depends on what is stored).
 */
export interface FreshBatch {
  /** The ids and guids the records name (what the store is asked about). */
  given: { ids: string[]; guids: string[] };
  rows: RecordRows;
  /** The outcomes, in the order of the records given. */
  outcomes: UpsertOutcome[];
}

export function freshBatch(tenantId: string, inputs: InteractionInput[], nowMs: number): FreshBatch {
  const given = { ids: [] as string[], guids: [] as string[] };
  const records = inputs.map((input): IdentifiedRecord => {
    if (input.id !== undefined) given.ids.push(input.id);
    if (input.guid !== undefined) given.guids.push(input.guid);
    return { input, id: input.id ?? newInteractionId(nowMs), guid: input.guid ?? newGuid(), existed: false };
  });
  const outcomes = records.map(({ id, guid }) => ({ id, guid, created: true }));
  // Written in id order, as upsertMany writes (see there).
  records.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return { given, rows: recordRows(tenantId, records, nowMs), outcomes };
}
