/**
 * Erasure by data subject (GDPR art. 17): every interaction of the tenant, in
 * the main store and the archive, where the subject appears is deleted through
 * the Vault's one deletion path — record, messages, content rows and bytes,
 * and whatever else that path removes (the search index) — unless that path
 * refuses (a legal hold): such an interaction is reported as kept.
 *
 * The subject's contact records go after its interactions: the given contact
 * id and the contacts holding one of its phone numbers or email addresses
 * (whose interactions are the subject's too). A contact stays when a legal
 * hold covers it or a kept interaction still names it; the receipt counts them.
 *
 * Crash-safe by construction: the erasure is recorded (with the subject) before
 * anything is touched, and what was found (interactions and contact ids) is
 * recorded before the first deletion. A killed erasure is resumed by asking again for the same subject:
 * it deletes what is still there, and what is gone counts as removed. Once done,
 * the subject's identifiers are dropped from the record (its HMAC digest
 * stays), and the signed receipt and an audit entry that names only the
 * receipt are written in one transaction. A scrub of what the deletions left
 * in the store's files follows in the background (residue.ts).
 */
import { createHmac, randomUUID } from 'node:crypto';
import { CompactSign, compactVerify } from 'jose';
import {
  CONTACT_KEPT_BY_INTERACTIONS,
  canonicalSubject,
  type ErasureReceipt,
  type ErasureSubject,
  type FoundInteraction,
  type KeptInteraction,
} from '../domain/erasure.js';
import { CODES, errors, isVaultError } from '../domain/errors.js';
import { describePrincipal, type Principal } from '../domain/principal.js';
import { authorize } from '../domain/scopes.js';
import { safeSegment } from '../exports/sink.js';
import { ContactRepository } from '../store/contact-repository.js';
import { ErasureRepository, parseFound } from '../store/erasure-repository.js';
import { ExportRepository } from '../store/export-repository.js';
import { contactHolds } from '../store/hold-repository.js';
import type { ResidueScrubber } from './residue.js';
import type { Vault } from './vault.js';

export interface SignedReceipt {
  id: string;
  status: 'running' | 'done';
  receipt?: ErasureReceipt;
  /** The receipt as a compact JWS (HS256, the deployment's receipt key). */
  signature?: string;
  /**
   * The scrub of what the erasure left in the store's files (residue.ts), once it is done: `pending` until one
   * ends, `done` with its end, `unavailable` where the store has none (PostgreSQL: docs/GOVERNANCE.md).
   */
  scrub?: { status: 'pending' | 'done' | 'unavailable'; at?: string };
}

export class ErasureService {
  private readonly repo: ErasureRepository;
  private readonly contacts: ContactRepository;
  private readonly exports: ExportRepository;

  constructor(
    private readonly vault: Vault,
    private readonly key: Uint8Array,
    private readonly scrubber: ResidueScrubber,
  ) {
    this.repo = new ErasureRepository(vault.store);
    this.contacts = new ContactRepository(vault.store);
    this.exports = new ExportRepository(vault.store);
    scrubber.onScrubbed((startedMs, endedMs) => this.repo.markScrubbed(startedMs, endedMs));
  }

  async erase(principal: Principal, subject: ErasureSubject): Promise<SignedReceipt> {
    authorize(principal, 'erasure.run');
    const tenantId = principal.tenant.id;
    const digest = this.digest(tenantId, subject);
    let row = await this.repo.unfinished(tenantId, digest);
    if (!row) {
      row = {
        tenant_id: tenantId,
        id: randomUUID(),
        status: 'running',
        requested_by: describePrincipal(principal),
        requested_ms: Date.now(),
        finished_ms: null,
        subject: JSON.stringify(subject),
        subject_digest: digest,
        found: null,
        receipt: null,
        scrubbed_ms: null,
      };
      await this.repo.create(row);
    }
    const id = row.id;
    // A resumed erasure keeps what it found before (some of it is gone now) and adds what appeared since.
    const earlier = parseFound(row.found);
    const contactIds = [
      ...new Set([...earlier.contactIds, ...(await this.contacts.ofSubject(tenantId, subject.contactId, subject))]),
    ].sort();
    const found = new Map(earlier.interactions.map((f) => [`${f.source}/${f.id}`, f]));
    for (const source of ['main', 'archive'] as const)
      for (const f of await this.repo.find(tenantId, subject, source, contactIds)) found.set(`${f.source}/${f.id}`, f);
    const all = [...found.values()];
    await this.repo.recordFound(tenantId, id, { interactions: all, contactIds });

    const refused = new Map<string, string>();
    for (const f of all) {
      try {
        await this.vault.deleteInteraction(principal, f.id, 'erasure.delete', f.source);
      } catch (err) {
        if (isVaultError(err) && err.kind === 'not_found') continue; // removed by an earlier, interrupted run
        if (isVaultError(err) && err.kind === 'conflict') refused.set(`${f.source}/${f.id}`, err.code);
        else throw err;
      }
    }
    // What is still there was kept, whatever the reason; everything else is gone.
    const kept: KeptInteraction[] = [];
    const removed: FoundInteraction[] = [];
    for (const source of ['main', 'archive'] as const) {
      const mine = all.filter((f) => f.source === source);
      const still = await this.repo.present(
        tenantId,
        mine.map((f) => f.id),
        source,
      );
      for (const f of mine) {
        if (still.has(f.id)) kept.push({ ...f, reason: refused.get(`${source}/${f.id}`) ?? 'not removed' });
        else removed.push(f);
      }
    }
    // Then the contact records; one already gone was removed by an earlier, interrupted run.
    const contacts = { found: contactIds.length, removed: 0, kept: 0, keptReasons: {} as Record<string, number> };
    for (const contactId of contactIds) {
      const outcome = await this.contacts.removeUnless(tenantId, contactId, async (root) => {
        if ((await contactHolds(this.vault.store, root, tenantId, contactId)).length > 0) return CODES.interactionHeld;
        return (await this.repo.contactNamed(root, tenantId, contactId)) ? CONTACT_KEPT_BY_INTERACTIONS : undefined;
      });
      if (typeof outcome === 'object') {
        contacts.kept++;
        contacts.keptReasons[outcome.kept] = (contacts.keptReasons[outcome.kept] ?? 0) + 1;
      } else contacts.removed++;
    }
    // Export runs hold copies of some of it: named in the receipt, so that the operator knows what to purge.
    const runs = (
      await this.exports.copiesOf(
        tenantId,
        removed.map((f) => f.id),
      )
    ).map((r) => ({
      job: r.job_id,
      run: r.run_no,
      location: `${safeSegment(tenantId)}/${safeSegment(r.job_id)}/run-${r.run_no}`,
      files: r.files,
    }));
    const receipt: ErasureReceipt = {
      id,
      tenant: tenantId,
      requestedBy: row.requested_by,
      requestedAt: new Date(row.requested_ms).toISOString(),
      completedAt: new Date().toISOString(),
      subjectDigest: digest,
      identifiers: {
        contactId: subject.contactId ? 1 : 0,
        phoneNumbers: subject.phoneNumbers.length,
        emailAddresses: subject.emailAddresses.length,
      },
      found: { count: all.length, interactions: all },
      removed: {
        count: removed.length,
        interactions: removed,
        contentSha256s: [...new Set(removed.flatMap((f) => f.contentSha256s))].sort(),
      },
      kept: { count: kept.length, interactions: kept },
      contacts,
      exportedCopies: { files: runs.reduce((n, r) => n + r.files, 0), runs },
    };
    const signature = await new CompactSign(new TextEncoder().encode(JSON.stringify(receipt)))
      .setProtectedHeader({ alg: 'HS256', typ: 'ixvault-erasure-receipt+jws' })
      .sign(this.key);
    await this.vault.store.write(async (trx) => {
      await this.vault.store
        .on(trx, 'main')
        .updateTable('erasures')
        .set({
          status: 'done',
          finished_ms: Date.parse(receipt.completedAt),
          subject: null,
          found: JSON.stringify(all),
          receipt: signature,
        })
        .where('tenant_id', '=', tenantId)
        .where('id', '=', id)
        .execute();
      await this.vault.audits.append(
        tenantId,
        {
          atMs: Date.now(),
          actor: describePrincipal(principal),
          action: 'erasure',
          interactionId: '',
          detail: {
            receipt: id,
            found: all.length,
            removed: removed.length,
            kept: kept.length,
            contactsRemoved: contacts.removed,
            contactsKept: contacts.kept,
          },
        },
        trx,
      );
    });
    // What the deletions left in the store's files (the index's words, the WAL's older pages) goes in the background.
    this.scrubber.request();
    return { id, status: 'done', receipt, signature, scrub: this.scrubOf(null) };
  }

  /** At a server's start: a scrub for erasures whose scrub a stop cut short. */
  async resumeScrub(): Promise<void> {
    if (this.scrubber.applies && (await this.repo.scrubPending())) this.scrubber.request();
  }

  /** A receipt by its id, its signature checked again on the way out. */
  async get(principal: Principal, id: string): Promise<SignedReceipt> {
    authorize(principal, 'erasure.run');
    const row = await this.repo.get(principal.tenant.id, id);
    if (!row) throw errors.notFound(`erasure ${id} not found`);
    if (!row.receipt) return { id, status: 'running' };
    const receipt = await this.verify(row.receipt);
    return { id, status: 'done', receipt, signature: row.receipt, scrub: this.scrubOf(row.scrubbed_ms) };
  }

  private scrubOf(scrubbedMs: number | null): NonNullable<SignedReceipt['scrub']> {
    if (!this.scrubber.applies) return { status: 'unavailable' };
    if (scrubbedMs === null) return { status: 'pending' };
    return { status: 'done', at: new Date(Number(scrubbedMs)).toISOString() };
  }

  /** The receipt a signature carries, when the signature is this deployment's; throws otherwise. */
  async verify(signature: string): Promise<ErasureReceipt> {
    const { payload } = await compactVerify(signature, this.key, { algorithms: ['HS256'] });
    return JSON.parse(new TextDecoder().decode(payload)) as ErasureReceipt;
  }

  private digest(tenantId: string, subject: ErasureSubject): string {
    return createHmac('sha256', this.key)
      .update(`${tenantId}\u0000${canonicalSubject(subject)}`)
      .digest('hex');
  }
}
