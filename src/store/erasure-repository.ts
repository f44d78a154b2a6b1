/**
 * Erasure by data subject: finding where a subject appears, and the erasure
 * records (subject while running, what was found, the signed receipt).
 */
import { sql, type Transaction } from 'kysely';
import type { ErasureSubject, FoundInteraction } from '../domain/erasure.js';
import type { Source } from '../domain/search.js';
import { chunkValues } from './chunks.js';
import type { StoreConnection } from './database.js';
import { nextTurn, SCAN_CHUNK } from './event-loop.js';
import type { Database, ErasuresTable } from './schema.js';

export type ErasureRow = ErasuresTable;

/**
 * The `found` column while an erasure runs. Contact ids are the subject's
 * identifiers, so once done the column keeps only the interactions (the form
 * older erasures stored: an array of them).
 */
export interface ErasureFound {
  interactions: FoundInteraction[];
  contactIds: string[];
}

export function parseFound(text: string | null): ErasureFound {
  if (!text) return { interactions: [], contactIds: [] };
  const parsed = JSON.parse(text) as FoundInteraction[] | ErasureFound;
  return Array.isArray(parsed) ? { interactions: parsed, contactIds: [] } : parsed;
}

export class ErasureRepository {
  constructor(private readonly store: StoreConnection) {}

  /**
   * Every interaction of one store where the subject appears: as the contact
   * (the given id, or `contactIds`: the contacts holding its addresses), by a phone number (phoneNumber, connectFrom, connectTo), by an email
   * address (connectFrom, connectTo, an email's from, to and cc; compared
   * without case), or as a message participant. A scan of the tenant's rows: erasures are rare, and an index
   * per identifier column would cost every ingest. The scan goes by chunks of the primary key (event-loop.ts:
   * one scan of a tenant held every other request of a SQLite server until it ended, seconds at 1M).
   */
  async find(tenantId: string, subject: ErasureSubject, source: Source, contactIds: string[] = []): Promise<FoundInteraction[]> {
    const db = this.store.in(source);
    const phones = subject.phoneNumbers;
    const emails = subject.emailAddresses.map((e) => e.toLowerCase());
    const contacts = [...new Set([...(subject.contactId ? [subject.contactId] : []), ...contactIds])];
    const participants = [...contacts, ...phones, ...subject.emailAddresses];
    const ids: string[] = [];
    for (let after: string | undefined; ; ) {
      // The chunk's last id, from the primary key alone.
      const edge = await db
        .selectFrom('interactions')
        .select('id')
        .where('tenant_id', '=', tenantId)
        .$if(after !== undefined, (q) => q.where('id', '>', after as string))
        .orderBy('id')
        .limit(1)
        .offset(SCAN_CHUNK - 1)
        .executeTakeFirst();
      const rows = await db
        .selectFrom('interactions as i')
        .select('i.id')
        .where('i.tenant_id', '=', tenantId)
        .$if(after !== undefined, (q) => q.where('i.id', '>', after as string))
        .$if(edge !== undefined, (q) => q.where('i.id', '<=', edge?.id as string))
        .where((eb) => {
          const any = [];
          if (contacts.length > 0) any.push(eb('i.contact_id', 'in', contacts));
          if (phones.length > 0)
            any.push(eb('i.phone_number', 'in', phones), eb('i.connect_from', 'in', phones), eb('i.connect_to', 'in', phones));
          if (emails.length > 0)
            any.push(
              eb(sql<string>`lower(i.connect_from)`, 'in', emails),
              eb(sql<string>`lower(i.connect_to)`, 'in', emails),
              // An email's from, to and cc are JSON strings in its `email` column: the address, quoted, appears there.
              ...emails.map((e) => sql<boolean>`lower(i.email) like ${`%${likeLiteral(JSON.stringify(e))}%`} escape '!'`),
            );
          if (participants.length > 0)
            any.push(
              eb.exists(
                eb
                  .selectFrom('messages as m')
                  .select('m.idx')
                  // The tenant as a value, not only joined: PostgreSQL runs this EXISTS under OR as a hashed
                  // subplan, uncorrelated, which would otherwise read every tenant's messages (and on Citus every shard).
                  .where('m.tenant_id', '=', tenantId)
                  .whereRef('m.tenant_id', '=', 'i.tenant_id')
                  .whereRef('m.interaction_id', '=', 'i.id')
                  .where('m.from_participant_id', 'in', participants),
              ),
            );
          return eb.or(any);
        })
        .orderBy('i.id')
        .execute();
      for (const r of rows) ids.push(r.id);
      if (!edge) break;
      after = edge.id;
      await nextTurn();
    }
    const hashes = new Map<string, string[]>(ids.map((id) => [id, []]));
    for (const chunk of chunkValues(ids)) {
      const content = await db
        .selectFrom('content_items')
        .select(['interaction_id', 'sha256'])
        .where('tenant_id', '=', tenantId)
        .where('interaction_id', 'in', chunk)
        .orderBy('interaction_id')
        .orderBy('content_key')
        .execute();
      for (const c of content) hashes.get(c.interaction_id)?.push(c.sha256);
    }
    return ids.map((id) => ({ id, source, contentSha256s: hashes.get(id) ?? [] }));
  }

  /** Which of these ids a store still holds. */
  async present(tenantId: string, ids: string[], source: Source): Promise<Set<string>> {
    const out = new Set<string>();
    for (const chunk of chunkValues(ids)) {
      const rows = await this.store
        .in(source)
        .selectFrom('interactions')
        .select('id')
        .where('tenant_id', '=', tenantId)
        .where('id', 'in', chunk)
        .execute();
      for (const r of rows) out.add(r.id);
    }
    return out;
  }

  /** Whether an interaction in either store still names this contact (inside the deleting transaction). */
  async contactNamed(root: Transaction<Database>, tenantId: string, contactId: string): Promise<boolean> {
    for (const source of ['main', 'archive'] as const) {
      const row = await this.store
        .on(root, source)
        .selectFrom('interactions')
        .select('id')
        .where('tenant_id', '=', tenantId)
        .where('contact_id', '=', contactId)
        .limit(1)
        .executeTakeFirst();
      if (row) return true;
    }
    return false;
  }

  async create(row: ErasureRow): Promise<void> {
    // A write transaction like every other write: under the writer lock, durable once it returns.
    await this.store.write((trx) => this.store.on(trx, 'main').insertInto('erasures').values(row).execute());
  }

  async get(tenantId: string, id: string): Promise<ErasureRow | undefined> {
    return this.store
      .in('main')
      .selectFrom('erasures')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('id', '=', id)
      .executeTakeFirst();
  }

  /** An erasure of the same subject that did not finish (a crash), to resume. */
  async unfinished(tenantId: string, subjectDigest: string): Promise<ErasureRow | undefined> {
    return this.store
      .in('main')
      .selectFrom('erasures')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('subject_digest', '=', subjectDigest)
      .where('status', '=', 'running')
      .orderBy('requested_ms')
      .limit(1)
      .executeTakeFirst();
  }

  /** Records that a scrub begun at `startedMs` ended at `atMs`: it covered every erasure done before it began. */
  async markScrubbed(startedMs: number, atMs: number): Promise<void> {
    await this.store.write((trx) =>
      this.store
        .on(trx, 'main')
        .updateTable('erasures')
        .set({ scrubbed_ms: atMs })
        .where('status', '=', 'done')
        .where('scrubbed_ms', 'is', null)
        .where('finished_ms', '<=', startedMs)
        .execute(),
    );
  }

  /** Whether some erasure, of any tenant, is done and still waits for its scrub. */
  async scrubPending(): Promise<boolean> {
    const row = await this.store
      .in('main')
      .selectFrom('erasures')
      .select('id')
      .where('status', '=', 'done')
      .where('scrubbed_ms', 'is', null)
      .limit(1)
      .executeTakeFirst();
    return row !== undefined;
  }

  /** What a running erasure found: its interactions, and the contact ids to remove after them. */
  async recordFound(tenantId: string, id: string, found: ErasureFound): Promise<void> {
    await this.store
      .in('main')
      .updateTable('erasures')
      .set({ found: JSON.stringify(found) })
      .where('tenant_id', '=', tenantId)
      .where('id', '=', id)
      .execute();
  }
}

/** Text matched literally by LIKE … ESCAPE '!' (email addresses often hold `_`). */
function likeLiteral(text: string): string {
  return text.replace(/[!%_]/g, (c) => `!${c}`);
}
