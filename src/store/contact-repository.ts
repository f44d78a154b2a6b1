/**
 * Contacts of one tenant (main store only): create, read, read-modify-write,
 * look up by email address or phone number, and identify (look up, and create
 * when nothing matches). Every query is scoped to one tenant.
 *
 * Identification is a lookup then maybe an insert: two requests identifying
 * the same new number at once must not both create a contact, so both take
 * the advisory locks of the identifiers they name first (`lockKeys`;
 * SQLite's IMMEDIATE transaction already serializes writers).
 */
import type { Transaction } from 'kysely';
import { type Contact, type ContactCriteria, type ContactInput, normalizeEmail, normalizePhone } from '../domain/contact.js';
import { errors } from '../domain/errors.js';
import { newInteractionId } from '../domain/ids.js';
import type { StoreConnection } from './database.js';
import type { ContactIdentifiersTable, ContactsTable, Database } from './schema.js';

export interface Identified {
  /** Matching contacts' ids, oldest first; the created one when `created`. */
  contactIds: string[];
  created: boolean;
}

export class ContactRepository {
  constructor(private readonly store: StoreConnection) {}

  private get db() {
    return this.store.in('main');
  }

  /** Creates a contact; a given id that exists is a conflict. */
  async create(tenantId: string, input: ContactInput, nowMs = Date.now()): Promise<Contact> {
    return this.store.write(async (root) => {
      const id = input.id ?? newInteractionId(nowMs);
      await this.store.impl.lockKeys(root, `${tenantId}\u0000contact`, [id]);
      const trx = this.store.on(root, 'main');
      const existing = await trx
        .selectFrom('contacts')
        .select('id')
        .where('tenant_id', '=', tenantId)
        .where('id', '=', id)
        .executeTakeFirst();
      if (existing) throw errors.contactConflict(id);
      const contact: Contact = { ...input, id, createdMs: nowMs, updatedMs: nowMs };
      await this.write(root, tenantId, contact, false);
      return contact;
    });
  }

  async get(tenantId: string, id: string): Promise<Contact | undefined> {
    const row = await this.db
      .selectFrom('contacts')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('id', '=', id)
      .executeTakeFirst();
    return row ? rowToContact(row) : undefined;
  }

  /** Whether the tenant has this contact (an existence check, inside `trx` when given). */
  async exists(tenantId: string, id: string, trx?: Transaction<Database>): Promise<boolean> {
    const db = trx ? this.store.on(trx, 'main') : this.db;
    const row = await db
      .selectFrom('contacts')
      .select('id')
      .where('tenant_id', '=', tenantId)
      .where('id', '=', id)
      .executeTakeFirst();
    return row !== undefined;
  }

  /** Read, change and write one contact in one write transaction, its row locked throughout. */
  async modify(tenantId: string, id: string, change: (current: Contact) => ContactInput, nowMs = Date.now()): Promise<Contact> {
    return this.store.write(async (root) => {
      const row = await this.store
        .on(root, 'main')
        .selectFrom('contacts')
        .selectAll()
        .where('tenant_id', '=', tenantId)
        .where('id', '=', id)
        .$if(this.store.impl.lockRows, (q) => q.forUpdate())
        .executeTakeFirst();
      if (!row) throw errors.contactNotFound(id);
      const current = rowToContact(row);
      const next: Contact = { ...change(current), id, createdMs: current.createdMs, updatedMs: nowMs };
      await this.write(root, tenantId, next, true);
      return next;
    });
  }

  /** The ids of the contacts that have `id` or any of these addresses (erasure's subject), in id order. */
  async ofSubject(
    tenantId: string,
    id: string | undefined,
    addresses: Pick<ContactInput, 'emailAddresses' | 'phoneNumbers'>,
  ): Promise<string[]> {
    const ids = new Set<string>();
    if (id !== undefined && (await this.exists(tenantId, id))) ids.add(id);
    const wanted = identifierRows(tenantId, '', addresses);
    if (wanted.length > 0) {
      const rows = await this.db
        .selectFrom('contact_identifiers')
        .select('contact_id')
        .distinct()
        .where('tenant_id', '=', tenantId)
        .where((eb) => eb.or(wanted.map((w) => eb.and([eb('kind', '=', w.kind), eb('value', '=', w.value)]))))
        .execute();
      for (const r of rows) ids.add(r.contact_id);
    }
    return [...ids].sort();
  }

  /**
   * Removes a contact and its identifiers in one write transaction, unless
   * `keep` (run in that transaction) answers a reason to keep it. Answers
   * `removed`, `absent` (gone already: an earlier, interrupted erasure), or the reason.
   */
  async removeUnless(
    tenantId: string,
    id: string,
    keep: (root: Transaction<Database>) => Promise<string | undefined>,
  ): Promise<'removed' | 'absent' | { kept: string }> {
    return this.store.write(async (root) => {
      await this.store.impl.lockKeys(root, `${tenantId}\u0000contact`, [id]);
      if (!(await this.exists(tenantId, id, root))) return 'absent';
      const reason = await keep(root);
      if (reason !== undefined) return { kept: reason };
      const trx = this.store.on(root, 'main');
      await trx.deleteFrom('contact_identifiers').where('tenant_id', '=', tenantId).where('contact_id', '=', id).execute();
      await trx.deleteFrom('contacts').where('tenant_id', '=', tenantId).where('id', '=', id).execute();
      return 'removed';
    });
  }

  /** Contacts with this email address or phone number (both given: either), oldest id first. */
  async find(tenantId: string, criteria: ContactCriteria, limit: number): Promise<Contact[]> {
    const ids = await this.matching(this.store.in('main'), tenantId, criteria, limit);
    if (ids.length === 0) return [];
    const rows = await this.db
      .selectFrom('contacts')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('id', 'in', ids)
      .orderBy('id')
      .execute();
    return rows.map(rowToContact);
  }

  /**
   * The contacts that match, or, when none does and `create` is given, a new
   * contact made of it; at most `limit` ids.
   */
  async identify(
    tenantId: string,
    criteria: ContactCriteria,
    create: ContactInput | undefined,
    limit: number,
    nowMs = Date.now(),
  ): Promise<Identified> {
    if (!create) return { contactIds: await this.matching(this.db, tenantId, criteria, limit), created: false };
    return this.store.write(async (root) => {
      await this.store.impl.lockKeys(
        root,
        `${tenantId}\u0000contact-identifier`,
        identifierRows(tenantId, '', criteriaInput(criteria)).map((r) => `${r.kind}\u0000${r.value}`),
      );
      const found = await this.matching(this.store.on(root, 'main'), tenantId, criteria, limit);
      if (found.length > 0) return { contactIds: found, created: false };
      const contact: Contact = { ...create, id: create.id ?? newInteractionId(nowMs), createdMs: nowMs, updatedMs: nowMs };
      await this.write(root, tenantId, contact, false);
      return { contactIds: [contact.id], created: true };
    });
  }

  private async matching(
    db: ReturnType<StoreConnection['in']> | Transaction<Database>,
    tenantId: string,
    criteria: ContactCriteria,
    limit: number,
  ): Promise<string[]> {
    const wanted = identifierRows(tenantId, '', criteriaInput(criteria));
    if (wanted.length === 0) return [];
    const rows = await db
      .selectFrom('contact_identifiers')
      .select('contact_id')
      .distinct()
      .where('tenant_id', '=', tenantId)
      .where((eb) => eb.or(wanted.map((w) => eb.and([eb('kind', '=', w.kind), eb('value', '=', w.value)]))))
      .orderBy('contact_id')
      .limit(limit)
      .execute();
    return rows.map((r) => r.contact_id);
  }

  /** Writes the contact row and replaces its identifiers. */
  private async write(root: Transaction<Database>, tenantId: string, contact: Contact, replace: boolean): Promise<void> {
    const trx = this.store.on(root, 'main');
    const row = contactToRow(tenantId, contact);
    if (replace) {
      const { tenant_id: _t, id: _i, created_ms: _c, ...changed } = row;
      await trx.updateTable('contacts').set(changed).where('tenant_id', '=', tenantId).where('id', '=', contact.id).execute();
      await trx
        .deleteFrom('contact_identifiers')
        .where('tenant_id', '=', tenantId)
        .where('contact_id', '=', contact.id)
        .execute();
    } else await trx.insertInto('contacts').values(row).execute();
    const identifiers = identifierRows(tenantId, contact.id, contact);
    if (identifiers.length > 0) await trx.insertInto('contact_identifiers').values(identifiers).execute();
  }
}

function criteriaInput(criteria: ContactCriteria): Pick<ContactInput, 'emailAddresses' | 'phoneNumbers'> {
  return {
    emailAddresses: criteria.emailAddress !== undefined ? [criteria.emailAddress] : [],
    phoneNumbers: criteria.phoneNumber !== undefined ? [criteria.phoneNumber] : [],
  };
}

/** The normal forms of a contact's addresses, each once. */
function identifierRows(
  tenantId: string,
  contactId: string,
  contact: Pick<ContactInput, 'emailAddresses' | 'phoneNumbers'>,
): ContactIdentifiersTable[] {
  const rows = new Map<string, ContactIdentifiersTable>();
  const add = (kind: 'email' | 'phone', value: string) => {
    if (value !== '') rows.set(`${kind}\u0000${value}`, { tenant_id: tenantId, kind, value, contact_id: contactId });
  };
  for (const address of contact.emailAddresses) add('email', normalizeEmail(address));
  for (const number of contact.phoneNumbers) add('phone', normalizePhone(number));
  return [...rows.values()];
}

function contactToRow(tenantId: string, contact: Contact): ContactsTable {
  return {
    tenant_id: tenantId,
    id: contact.id,
    first_name: contact.firstName ?? null,
    last_name: contact.lastName ?? null,
    email_addresses: JSON.stringify(contact.emailAddresses),
    phone_numbers: JSON.stringify(contact.phoneNumbers),
    attributes: JSON.stringify(contact.attributes),
    created_ms: contact.createdMs,
    updated_ms: contact.updatedMs,
  };
}

function rowToContact(row: ContactsTable): Contact {
  const contact: Contact = {
    id: row.id,
    emailAddresses: JSON.parse(row.email_addresses) as string[],
    phoneNumbers: JSON.parse(row.phone_numbers) as string[],
    attributes: JSON.parse(row.attributes) as Record<string, string>,
    createdMs: Number(row.created_ms),
    updatedMs: Number(row.updated_ms),
  };
  if (row.first_name !== null) contact.firstName = row.first_name;
  if (row.last_name !== null) contact.lastName = row.last_name;
  return contact;
}
