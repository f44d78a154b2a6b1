/**
 * The Kysely view of the tables. Both logical stores (main and archive) have
 * exactly these tables; instants are epoch milliseconds, booleans 0/1, JSON
 * as text, so that SQLite and PostgreSQL hold the same values.
 * Every primary key and index leads with tenant_id (see migrations).
 */
import type { ColumnType } from 'kysely';

export interface InteractionsTable {
  tenant_id: string;
  id: string;
  guid: string;
  media_type: string;
  type_id: string;
  state: string;
  start_ms: number;
  end_ms: number | null;
  subject: string | null;
  comment: string | null;
  contact_id: string | null;
  parent_id: string | null;
  phone_number: string | null;
  call_duration: number | null;
  owner_id: string | null;
  owner_user_name: string | null;
  owner_first_name: string | null;
  owner_last_name: string | null;
  connect_from: string | null;
  connect_to: string | null;
  direction: string | null;
  /** JSON object of string values; the searchable copy lives in custom_attributes. */
  custom_attributes: string;
  /** JSON object. */
  user_data: string;
  /** Number of content items, so the content-only search needs no join. */
  content_count: number;
  /** Card numbers masked in this record's texts, over all its writes. */
  card_redactions: number;
  created_ms: number;
  updated_ms: number;
  /** JSON of EmailParts; email interactions only. */
  email: string | null;
  /** The Vonage item up to its content list (domain/vonage-item.ts vonageItemHead), kept by interactionToRow. */
  vonage_head: string;
  /**
   * The whole Vonage item (head, content items, `]}`) of an interaction with content, kept by the database's
   * triggers (migration 010); NULL without content, and wherever the triggers are absent (Citus).
   */
  vonage_item?: string | null;
}

/** One row per agent who handled an interaction; start_ms is copied so agent searches page on this index alone. */
export interface InteractionAgentsTable {
  tenant_id: string;
  interaction_id: string;
  agent_id: string;
  start_ms: number;
}

/** The searchable copy of custom attributes (name = value equality through an index). */
export interface CustomAttributesTable {
  tenant_id: string;
  interaction_id: string;
  name: string;
  value: string;
  start_ms: number;
}

export interface MessagesTable {
  tenant_id: string;
  interaction_id: string;
  idx: number;
  from_nickname: string | null;
  from_type: string;
  from_participant_id: string | null;
  text: string | null;
  visibility: string;
  ts_ms: number;
  type: string;
}

export interface ContentItemsTable {
  tenant_id: string;
  interaction_id: string;
  content_key: string;
  type: string;
  content_type: string;
  content_length: number;
  sha256: string;
  last_modified_ms: number;
  owning_agent_id: string | null;
  owning_interaction_plan_id: string | null;
  version: number | null;
  duration_ms: number | null;
  /** Card numbers masked in the bytes as they were uploaded. */
  card_redactions: number;
  /** 1: containsSensitiveData, downloads need content.readSensitive. */
  sensitive: number;
  file_name: string | null;
  /** The item as Vonage prints it (domain/vonage-item.ts vonageContentJson), kept by contentToRow. */
  vonage_json: string;
}

/** The bytes of small content, by tenant and SHA-256 (migration 011; main store only, see src/blobs/inline.ts). */
export interface ContentBlobsTable {
  tenant_id: string;
  sha256: string;
  bytes: Buffer;
}

/** Contacts live in the main store only (migration 004). */
export interface ContactsTable {
  tenant_id: string;
  id: string;
  first_name: string | null;
  last_name: string | null;
  /** JSON arrays of the addresses as given; their normal forms are in contact_identifiers. */
  email_addresses: string;
  phone_numbers: string;
  /** JSON object of string values. */
  attributes: string;
  created_ms: number;
  updated_ms: number;
}

/** The lookup path of identification: each normalized email address ('email') and phone number ('phone'). */
export interface ContactIdentifiersTable {
  tenant_id: string;
  kind: 'email' | 'phone';
  value: string;
  contact_id: string;
}

export interface AuditLogTable {
  tenant_id: string;
  at_ms: number;
  /** Orders entries of one millisecond. PostgreSQL: a bigint its default draws; SQLite: zero-padded text given by the insert. */
  seq: ColumnType<string | number, string | undefined, never>;
  actor: string;
  action: string;
  interaction_id: string;
  content_key: string | null;
  detail: string;
  /** The entry's place in its tenant's hash chain (1, 2, …), unique per tenant (src/domain/audit.ts). */
  chain_no: ColumnType<number, number | undefined, number>;
  prev_hash: ColumnType<string, string | undefined, string>;
  hash: ColumnType<string, string | undefined, string>;
}

/** One erasure by data subject; `receipt` is the signed receipt (JWS) once it is done. */
export interface ErasuresTable {
  tenant_id: string;
  id: string;
  status: 'running' | 'done';
  requested_by: string;
  requested_ms: number;
  finished_ms: number | null;
  subject: string | null;
  subject_digest: string;
  found: string | null;
  receipt: string | null;
  /** When the scrub that followed it ended (migration 026); null while pending, and always on PostgreSQL. */
  scrubbed_ms: number | null;
}

/** An export job; (after_start_ms, after_id) is how far the current run got. */
export interface ExportJobsTable {
  tenant_id: string;
  id: string;
  status: 'queued' | 'running' | 'scheduled' | 'done' | 'failed' | 'cancelled';
  schedule: 'hourly' | 'daily' | null;
  delay_ms: number;
  filters: string;
  sink: string;
  created_by: string;
  created_ms: number;
  updated_ms: number;
  run_no: number;
  window_from_ms: number | null;
  window_to_ms: number | null;
  after_start_ms: number | null;
  after_id: string | null;
  next_run_ms: number | null;
  lease_owner: string | null;
  lease_until_ms: number;
  total: number | null;
  interactions: number;
  files: number;
  bytes: number;
  /** JSON array of { interactionId?, message }. */
  errors: string;
}

/** A file an export run wrote and committed; its `line` is the manifest line. */
export interface ExportFilesTable {
  tenant_id: string;
  job_id: string;
  run_no: number;
  path: string;
  interaction_id: string;
  sha256: string;
  size: number;
  line: string;
}

export interface LegalHoldsTable {
  tenant_id: string;
  id: string;
  name: string;
  reason: string;
  kind: string;
  contact_id: string | null;
  query: string | null;
  created_by: string;
  created_ms: number;
  released_ms: number | null;
  released_by: string | null;
  release_reason: string | null;
}

export interface LegalHoldInteractionsTable {
  tenant_id: string;
  interaction_id: string;
  hold_id: string;
}

export interface RetentionPoliciesTable {
  tenant_id: string;
  state: string;
  rules: string;
  set_by: string;
  set_ms: number;
  effective_ms: number;
}

/** When a user last signed out (migration 017): their session cookies signed before then are refused. */
export interface SessionRevocationsTable {
  tenant_id: string;
  user_id: string;
  signed_out_ms: number;
}

export interface MigrationsTable {
  name: string;
  applied_ms: number;
}

/** Every searchable piece of an interaction's text as stored (migration 005, src/domain/texts.ts). */
export interface TextPartsTable {
  tenant_id: string;
  interaction_id: string;
  place: string;
  /** The content item's key (transcripts, attachments); '' otherwise. */
  content_key: string;
  seq: number;
  at_ms: number | null;
  speaker: string | null;
  body: string;
}

export interface Database {
  interactions: InteractionsTable;
  interaction_agents: InteractionAgentsTable;
  custom_attributes: CustomAttributesTable;
  messages: MessagesTable;
  content_items: ContentItemsTable;
  content_blobs: ContentBlobsTable;
  audit_log: AuditLogTable;
  legal_holds: LegalHoldsTable;
  legal_hold_interactions: LegalHoldInteractionsTable;
  retention_policies: RetentionPoliciesTable;
  contacts: ContactsTable;
  contact_identifiers: ContactIdentifiersTable;
  erasures: ErasuresTable;
  export_jobs: ExportJobsTable;
  export_files: ExportFilesTable;
  ixv_migrations: MigrationsTable;
  text_parts: TextPartsTable;
  session_revocations: SessionRevocationsTable;
}
