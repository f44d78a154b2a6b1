import type { MigrationContext } from '../migrator.js';

/** Every primary key and index leads with tenant_id so the schema can later be distributed by tenant. */
export async function up({ db, schema, text, createIndex }: MigrationContext): Promise<void> {
  const s = db.withSchema(schema).schema;

  await s
    .createTable('interactions')
    .addColumn('tenant_id', text, (c) => c.notNull())
    .addColumn('id', text, (c) => c.notNull())
    .addColumn('guid', text, (c) => c.notNull())
    .addColumn('media_type', text, (c) => c.notNull())
    .addColumn('type_id', text, (c) => c.notNull())
    .addColumn('state', text, (c) => c.notNull())
    .addColumn('start_ms', 'bigint', (c) => c.notNull())
    .addColumn('end_ms', 'bigint')
    .addColumn('subject', text)
    .addColumn('comment', text)
    .addColumn('contact_id', text)
    .addColumn('parent_id', text)
    .addColumn('phone_number', text)
    .addColumn('call_duration', 'bigint')
    .addColumn('owner_id', text)
    .addColumn('owner_user_name', text)
    .addColumn('owner_first_name', text)
    .addColumn('owner_last_name', text)
    .addColumn('connect_from', text)
    .addColumn('connect_to', text)
    .addColumn('direction', text)
    .addColumn('custom_attributes', text, (c) => c.notNull())
    .addColumn('user_data', text, (c) => c.notNull())
    .addColumn('content_count', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_ms', 'bigint', (c) => c.notNull())
    .addColumn('updated_ms', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('interactions_pk', ['tenant_id', 'id'])
    .addUniqueConstraint('interactions_guid_uq', ['tenant_id', 'guid'])
    .execute();
  // The time-window searches of both facades walk this index; it covers the
  // Vonage filters so a prefix or direction filter is checked without a table visit.
  await createIndex('interactions_time_ix', 'interactions', [
    'tenant_id',
    'start_ms',
    'id',
    'content_count',
    'media_type',
    'direction',
    'connect_from',
    'connect_to',
  ]);
  await createIndex('interactions_contact_ix', 'interactions', ['tenant_id', 'contact_id', 'start_ms', 'id']);
  await createIndex('interactions_owner_ix', 'interactions', ['tenant_id', 'owner_id', 'start_ms', 'id']);

  await s
    .createTable('interaction_agents')
    .addColumn('tenant_id', text, (c) => c.notNull())
    .addColumn('interaction_id', text, (c) => c.notNull())
    .addColumn('agent_id', text, (c) => c.notNull())
    .addColumn('start_ms', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('interaction_agents_pk', ['tenant_id', 'interaction_id', 'agent_id'])
    .execute();
  await createIndex('interaction_agents_agent_ix', 'interaction_agents', ['tenant_id', 'agent_id', 'start_ms', 'interaction_id']);

  await s
    .createTable('custom_attributes')
    .addColumn('tenant_id', text, (c) => c.notNull())
    .addColumn('interaction_id', text, (c) => c.notNull())
    .addColumn('name', text, (c) => c.notNull())
    .addColumn('value', text, (c) => c.notNull())
    .addColumn('start_ms', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('custom_attributes_pk', ['tenant_id', 'interaction_id', 'name'])
    .execute();
  await createIndex('custom_attributes_value_ix', 'custom_attributes', [
    'tenant_id',
    'name',
    'value',
    'start_ms',
    'interaction_id',
  ]);

  await s
    .createTable('messages')
    .addColumn('tenant_id', text, (c) => c.notNull())
    .addColumn('interaction_id', text, (c) => c.notNull())
    .addColumn('idx', 'integer', (c) => c.notNull())
    .addColumn('from_nickname', text)
    .addColumn('from_type', text, (c) => c.notNull())
    .addColumn('from_participant_id', text)
    .addColumn('text', text)
    .addColumn('visibility', text, (c) => c.notNull())
    .addColumn('ts_ms', 'bigint', (c) => c.notNull())
    .addColumn('type', text, (c) => c.notNull())
    .addPrimaryKeyConstraint('messages_pk', ['tenant_id', 'interaction_id', 'idx'])
    .execute();

  await s
    .createTable('content_items')
    .addColumn('tenant_id', text, (c) => c.notNull())
    .addColumn('interaction_id', text, (c) => c.notNull())
    .addColumn('content_key', text, (c) => c.notNull())
    .addColumn('type', text, (c) => c.notNull())
    .addColumn('content_type', text, (c) => c.notNull())
    .addColumn('content_length', 'bigint', (c) => c.notNull())
    .addColumn('sha256', text, (c) => c.notNull())
    .addColumn('last_modified_ms', 'bigint', (c) => c.notNull())
    .addColumn('owning_agent_id', text)
    .addColumn('owning_interaction_plan_id', text)
    .addColumn('version', 'bigint')
    .addColumn('duration_ms', 'bigint')
    .addPrimaryKeyConstraint('content_items_pk', ['tenant_id', 'interaction_id', 'content_key'])
    .execute();
  // Reference counting of content-addressed blobs.
  await createIndex('content_items_sha_ix', 'content_items', ['tenant_id', 'sha256']);

  await s
    .createTable('audit_log')
    .addColumn('tenant_id', text, (c) => c.notNull())
    .addColumn('at_ms', 'bigint', (c) => c.notNull())
    .addColumn('seq', text, (c) => c.notNull())
    .addColumn('actor', text, (c) => c.notNull())
    .addColumn('action', text, (c) => c.notNull())
    .addColumn('interaction_id', text, (c) => c.notNull())
    .addColumn('content_key', text)
    .addColumn('detail', text, (c) => c.notNull())
    .addPrimaryKeyConstraint('audit_log_pk', ['tenant_id', 'at_ms', 'seq'])
    .execute();
}
