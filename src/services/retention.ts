/**
 * Enforcing retention: each tenant's active policy (see
 * src/domain/retention.ts) removes what it has outlived, through the same
 * deletion paths as every other deletion (Vault.delete, Vault.deleteContent):
 * one transaction per interaction or item, audited as `retention.delete`,
 * refused (and audited as refused) where a legal hold covers it. A crash
 * between two deletions leaves each one done or not done; blobs a crash left
 * unreferenced are removed by the sweep. A dry run removes nothing and reports
 * what would go — for the active policy, or for a pending change while it
 * waits out its grace period.
 */
import type { Transaction } from 'kysely';
import type { Directory } from '../auth/directory.js';
import { CODES, errors, isVaultError } from '../domain/errors.js';
import type { Principal, Tenant } from '../domain/principal.js';
import { describePrincipal } from '../domain/principal.js';
import { checkRules, cutoffs, graceMsOf, type RetentionRule } from '../domain/retention.js';
import { authorize } from '../domain/scopes.js';
import { type Policies, RetentionRepository } from '../store/retention-repository.js';
import type { Database } from '../store/schema.js';
import type { Vault } from './vault.js';

/** How many removed (or would-be removed) ids a report lists; the counts are always complete. */
export const REPORT_LIST_LIMIT = 1000;
const BATCH = 200;

export interface RetentionReport {
  tenantId: string;
  dryRun: boolean;
  policy: 'active' | 'pending';
  rules: RetentionRule[];
  at: string;
  interactions: { removed: number; held: number; ids: string[] };
  content: { removed: number; held: number; items: { interactionId: string; contentKey: string }[] };
}

export interface RunOptions {
  dryRun?: boolean;
  /** Which policy a dry run shows; a real run always applies the active one. */
  policy?: 'active' | 'pending';
  nowMs?: number;
  /** Called after each interaction or item considered. */
  onProgress?: (considered: number) => void;
}

export class RetentionService {
  readonly policies: RetentionRepository;

  constructor(
    private readonly vault: Vault,
    private readonly directory: Directory,
  ) {
    this.policies = new RetentionRepository(vault.store);
  }

  /** Proposes each tenant's policy of the principals file, where it changed since last read. */
  async syncConfig(nowMs = Date.now()): Promise<void> {
    for (const [tenantId, config] of this.directory.retention)
      await this.policies.propose(tenantId, config.rules, 'config', graceMsOf(config), {
        fromConfig: true,
        nowMs,
        whenSet: this.auditPolicy(tenantId, 'config', config.rules),
      });
  }

  /** The audit entry of a policy set (by an admin, or by the principals file: actor `config`), in its transaction. */
  private auditPolicy(tenantId: string, actor: string, rules: RetentionRule[]) {
    return (root: Transaction<Database>, outcome: { state: 'active' | 'pending'; effectiveMs: number }) =>
      this.vault.audits
        .append(
          tenantId,
          {
            atMs: Date.now(),
            actor,
            action: 'retention.policy',
            interactionId: '',
            detail: { state: outcome.state, effective: new Date(outcome.effectiveMs).toISOString(), rules },
          },
          root,
        )
        .then(() => undefined);
  }

  graceMs(tenantId: string): number {
    return graceMsOf(this.directory.retention.get(tenantId));
  }

  async show(principal: Principal): Promise<Policies> {
    authorize(principal, 'retention.manage');
    await this.policies.promote(principal.tenant.id);
    return this.policies.policies(principal.tenant.id);
  }

  /** A new policy from the admin API: active at once, or pending for the grace period when it removes more. */
  async set(principal: Principal, raw: unknown): Promise<Policies> {
    authorize(principal, 'retention.manage');
    const body = raw as { rules?: unknown } | null;
    if (typeof body !== 'object' || body === null || Array.isArray(body))
      throw errors.invalidField('(body)', 'must be a JSON object');
    const { rules, problems } = checkRules(body.rules, 'rules');
    if (problems.length > 0) throw errors.invalidRecord(problems);
    const tenantId = principal.tenant.id;
    const actor = describePrincipal(principal);
    return this.policies.propose(tenantId, rules, actor, this.graceMs(tenantId), {
      whenSet: this.auditPolicy(tenantId, actor, rules),
    });
  }

  async preview(principal: Principal, policy: 'active' | 'pending'): Promise<RetentionReport> {
    authorize(principal, 'retention.manage');
    return this.run(principal.tenant, { dryRun: true, policy });
  }

  /** Applies (or, dry, reports) one tenant's policy. */
  async run(tenant: Tenant, options: RunOptions = {}): Promise<RetentionReport> {
    const nowMs = options.nowMs ?? Date.now();
    const dryRun = options.dryRun === true;
    const which = dryRun ? (options.policy ?? 'active') : 'active';
    await this.policies.promote(tenant.id, nowMs);
    const stored = (await this.policies.policies(tenant.id))[which];
    const rules = stored?.rules ?? [];
    const report: RetentionReport = {
      tenantId: tenant.id,
      dryRun,
      policy: which,
      rules,
      at: new Date(nowMs).toISOString(),
      interactions: { removed: 0, held: 0, ids: [] },
      content: { removed: 0, held: 0, items: [] },
    };
    if (which === 'pending' && !stored) return report;
    const principal = retentionPrincipal(tenant);
    let considered = 0;
    const tick = () => options.onProgress?.(++considered);
    const cells = cutoffs(rules, nowMs);
    // Records first: an interaction that goes takes its content with it.
    for (const cell of cells.filter((c) => c.target === 'record')) {
      let after: { startMs: number; id: string } | undefined;
      for (;;) {
        const batch = await this.policies.expiredInteractions(tenant.id, cell.store, cell.mediaType, cell.cutoffMs, after, BATCH);
        for (const row of batch) {
          const outcome = await this.removeInteraction(principal, row.id, cell.store, dryRun);
          if (outcome === 'removed') {
            report.interactions.removed++;
            if (report.interactions.ids.length < REPORT_LIST_LIMIT) report.interactions.ids.push(row.id);
          } else if (outcome === 'held') report.interactions.held++;
          tick();
        }
        const last = batch.at(-1);
        if (!last || batch.length < BATCH) break;
        after = { startMs: last.start_ms, id: last.id };
      }
    }
    for (const cell of cells.filter((c) => c.target !== 'record')) {
      // Interactions the record rule removes (or a hold keeps) whole are not counted again for their content.
      const wholeBefore = cells.find((c) => c.target === 'record' && c.store === cell.store && c.mediaType === cell.mediaType);
      let after: { interactionId: string; contentKey: string } | undefined;
      for (;;) {
        const batch = await this.policies.expiredContent(
          tenant.id,
          cell.store,
          cell.mediaType,
          cell.target,
          { before: cell.cutoffMs, notBefore: wholeBefore?.cutoffMs },
          after,
          BATCH,
        );
        for (const row of batch) {
          const outcome = await this.removeContent(principal, row.interaction_id, row.content_key, cell.store, dryRun);
          if (outcome === 'removed') {
            report.content.removed++;
            if (report.content.items.length < REPORT_LIST_LIMIT)
              report.content.items.push({ interactionId: row.interaction_id, contentKey: row.content_key });
          } else if (outcome === 'held') report.content.held++;
          tick();
        }
        const last = batch.at(-1);
        if (!last || batch.length < BATCH) break;
        after = { interactionId: last.interaction_id, contentKey: last.content_key };
      }
    }
    return report;
  }

  /** Every tenant of the principals file: the file's policies proposed where changed, then each active policy applied. */
  async runAll(options: Omit<RunOptions, 'dryRun' | 'policy'> = {}): Promise<RetentionReport[]> {
    await this.syncConfig(options.nowMs);
    const reports: RetentionReport[] = [];
    for (const tenant of this.directory.tenants.values()) reports.push(await this.run(tenant, options));
    return reports;
  }

  private async removeInteraction(principal: Principal, id: string, source: 'main' | 'archive', dryRun: boolean) {
    if (dryRun) return (await this.vault.holdsCovering(principal.tenant.id, id, source)).length > 0 ? 'held' : 'removed';
    try {
      await this.vault.delete(principal, id, 'retention.delete', source);
      return 'removed';
    } catch (err) {
      return outcomeOfRefusal(err);
    }
  }

  private async removeContent(principal: Principal, id: string, contentKey: string, source: 'main' | 'archive', dryRun: boolean) {
    if (dryRun) return (await this.vault.holdsCovering(principal.tenant.id, id, source)).length > 0 ? 'held' : 'removed';
    try {
      await this.vault.deleteContent(principal, id, contentKey, { action: 'retention.delete', source });
      return 'removed';
    } catch (err) {
      return outcomeOfRefusal(err);
    }
  }
}

/** Held: kept and counted. Gone meanwhile (another deletion): nothing to do. Anything else fails the run. */
function outcomeOfRefusal(err: unknown): 'held' | 'gone' {
  if (isVaultError(err) && err.code === CODES.interactionHeld) return 'held';
  if (isVaultError(err) && err.kind === 'not_found') return 'gone';
  throw err;
}

/** Who retention deletes as, in the audit log: `user:<tenant>/ixvault-retention`. */
export function retentionPrincipal(tenant: Tenant): Principal {
  return { kind: 'user', tenant, id: 'ixvault-retention', userName: 'ixvault-retention', role: 'admin' };
}
