/**
 * Erasure by data subject (GDPR art. 17): every interaction of the tenant, in
 * the main store and the archive, where the subject appears is deleted through
 * the Vault's one deletion path — record, messages, content rows and bytes,
 * and whatever else that path removes (the search index) — unless that path
 * refuses (a legal hold): such an interaction is reported as kept.
 *
 * Crash-safe by construction: the erasure is recorded (with the subject) before
 * anything is touched, and what was found is recorded before the first
 * deletion. A killed erasure is resumed by asking again for the same subject:
 * it deletes what is still there, and what is gone counts as removed. Once done,
 * the subject's identifiers are dropped from the record (its HMAC digest
 * stays), and the signed receipt and an audit entry that names only the
 * receipt are written in one transaction.
 */
import { createHmac, randomUUID } from 'node:crypto';
import { CompactSign, compactVerify } from 'jose';
import {
  canonicalSubject,
  type ErasureReceipt,
  type ErasureSubject,
  type FoundInteraction,
  type KeptInteraction,
} from '../domain/erasure.js';
import { errors, isVaultError } from '../domain/errors.js';
import { describePrincipal, type Principal } from '../domain/principal.js';
import { authorize } from '../domain/scopes.js';
import { ErasureRepository } from '../store/erasure-repository.js';
import type { Vault } from './vault.js';

export interface SignedReceipt {
  id: string;
  status: 'running' | 'done';
  receipt?: ErasureReceipt;
  /** The receipt as a compact JWS (HS256, the deployment's receipt key). */
  signature?: string;
}

export class ErasureService {
  private readonly repo: ErasureRepository;

  constructor(
    private readonly vault: Vault,
    private readonly key: Uint8Array,
  ) {
    this.repo = new ErasureRepository(vault.store);
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
      };
      await this.repo.create(row);
    }
    const id = row.id;
    // A resumed erasure keeps what it found before (some of it is gone now) and adds what appeared since.
    const earlier: FoundInteraction[] = row.found ? (JSON.parse(row.found) as FoundInteraction[]) : [];
    const found = new Map(earlier.map((f) => [`${f.source}/${f.id}`, f]));
    for (const source of ['main', 'archive'] as const)
      for (const f of await this.repo.find(tenantId, subject, source)) found.set(`${f.source}/${f.id}`, f);
    const all = [...found.values()];
    await this.repo.recordFound(tenantId, id, all);

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
    };
    const signature = await new CompactSign(new TextEncoder().encode(JSON.stringify(receipt)))
      .setProtectedHeader({ alg: 'HS256', typ: 'ixvault-erasure-receipt+jws' })
      .sign(this.key);
    await this.vault.store.write(async (trx) => {
      await this.vault.store
        .on(trx, 'main')
        .updateTable('erasures')
        .set({ status: 'done', finished_ms: Date.parse(receipt.completedAt), subject: null, receipt: signature })
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
          detail: { receipt: id, found: all.length, removed: removed.length, kept: kept.length },
        },
        trx,
      );
    });
    return { id, status: 'done', receipt, signature };
  }

  /** A receipt by its id, its signature checked again on the way out. */
  async get(principal: Principal, id: string): Promise<SignedReceipt> {
    authorize(principal, 'erasure.run');
    const row = await this.repo.get(principal.tenant.id, id);
    if (!row) throw errors.notFound(`erasure ${id} not found`);
    if (!row.receipt) return { id, status: 'running' };
    const receipt = await this.verify(row.receipt);
    return { id, status: 'done', receipt, signature: row.receipt };
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
