import type { MigrationContext } from '../migrator.js';

/**
 * Contacts (issue 9), and the email parts of interactions.
 *
 * - `contacts`: one row per contact, its addresses as given (JSON arrays) and
 *   its attributes (JSON object). Only the main store has contacts: the
 *   archive holds old interactions, and their contacts stay where every
 *   lookup finds them.
 * - `contact_identifiers`: the normal form of every email address and phone
 *   number of a contact (src/domain/contact.ts), the lookup path of
 *   identification; one contact per (kind, value) is not enforced, as UCS
 *   allows several contacts to share a number.
 * - `interactions.email`: the email parts (from, to, cc, bodies) as JSON, both
 *   stores; `content_items.file_name`: an attachment's name, both stores.
 */
export async function up({ db, schema, text, source, createIndex }: MigrationContext): Promise<void> {
  const s = db.withSchema(schema).schema;
  await s.alterTable('interactions').addColumn('email', text).execute();
  await s.alterTable('content_items').addColumn('file_name', text).execute();
  if (source !== 'main') return;

  await s
    .createTable('contacts')
    .addColumn('tenant_id', text, (c) => c.notNull())
    .addColumn('id', text, (c) => c.notNull())
    .addColumn('first_name', text)
    .addColumn('last_name', text)
    .addColumn('email_addresses', text, (c) => c.notNull())
    .addColumn('phone_numbers', text, (c) => c.notNull())
    .addColumn('attributes', text, (c) => c.notNull())
    .addColumn('created_ms', 'bigint', (c) => c.notNull())
    .addColumn('updated_ms', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('contacts_pk', ['tenant_id', 'id'])
    .execute();

  await s
    .createTable('contact_identifiers')
    .addColumn('tenant_id', text, (c) => c.notNull())
    .addColumn('kind', text, (c) => c.notNull())
    .addColumn('value', text, (c) => c.notNull())
    .addColumn('contact_id', text, (c) => c.notNull())
    .addPrimaryKeyConstraint('contact_identifiers_pk', ['tenant_id', 'kind', 'value', 'contact_id'])
    .execute();
  // Replacing a contact's identifiers deletes them by contact.
  await createIndex('contact_identifiers_contact_ix', 'contact_identifiers', ['tenant_id', 'contact_id']);
}
