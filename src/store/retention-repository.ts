/**
 * Retention policies as the tenant's admins and config file set them, and
 * the candidates a policy selects. A policy row is `active`, `pending` (a
 * change that removes more, waiting for its effective time) or `config` (the
 * rules last read from the principals file, so a changed file is proposed once).
 */
import type { Transaction } from 'kysely';
import type { RetentionRule } from '../domain/retention.js';
import { removesMore } from '../domain/retention.js';
import type { Source } from '../domain/search.js';
import type { StoreConnection } from './database.js';
import type { Database } from './schema.js';

export interface StoredPolicy {
  rules: RetentionRule[];
  setBy: string;
  setMs: number;
  effectiveMs: number;
}

export interface Policies {
  active?: StoredPolicy;
  pending?: StoredPolicy;
}

type State = 'active' | 'pending' | 'config';

export class RetentionRepository {
  constructor(private readonly store: StoreConnection) {}

  async policies(tenantId: string): Promise<Policies & { config?: StoredPolicy }> {
    const rows = await this.store
      .in('main')
      .selectFrom('retention_policies')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .execute();
    const out: Policies & { config?: StoredPolicy } = {};
    for (const r of rows)
      out[r.state as State] = {
        rules: JSON.parse(r.rules) as RetentionRule[],
        setBy: r.set_by,
        setMs: r.set_ms,
        effectiveMs: r.effective_ms,
      };
    return out;
  }

  /**
   * A new policy: active at once when it removes nothing the active one
   * keeps, otherwise pending until now + grace (replacing any pending one).
   * `fromConfig`: the rules of the principals file, proposed only when they
   * differ from what the file said last time.
   */
  async propose(
    tenantId: string,
    rules: RetentionRule[],
    setBy: string,
    graceMs: number,
    options: {
      fromConfig?: boolean;
      nowMs?: number;
      /** In the same transaction, once the policy is stored (its audit entry): active at once, or pending until `effectiveMs`. */
      whenSet?: (root: Transaction<Database>, outcome: { state: 'active' | 'pending'; effectiveMs: number }) => Promise<void>;
    } = {},
  ): Promise<Policies> {
    const nowMs = options.nowMs ?? Date.now();
    await this.store.write(async (root) => {
      const db = this.store.on(root, 'main');
      const rows = await db
        .selectFrom('retention_policies')
        .selectAll()
        .where('tenant_id', '=', tenantId)
        .$if(this.store.impl.lockRows, (q) => q.forUpdate())
        .execute();
      const byState = new Map(rows.map((r) => [r.state, r]));
      if (options.fromConfig) {
        const seen = byState.get('config');
        if (seen && seen.rules === JSON.stringify(rules)) return;
        await this.put(root, tenantId, 'config', rules, setBy, nowMs, nowMs);
      }
      const active = byState.get('active');
      const current = active ? (JSON.parse(active.rules) as RetentionRule[]) : [];
      if (removesMore(current, rules)) {
        await this.put(root, tenantId, 'pending', rules, setBy, nowMs, nowMs + graceMs);
        await options.whenSet?.(root, { state: 'pending', effectiveMs: nowMs + graceMs });
      } else {
        await this.put(root, tenantId, 'active', rules, setBy, nowMs, nowMs);
        await db.deleteFrom('retention_policies').where('tenant_id', '=', tenantId).where('state', '=', 'pending').execute();
        await options.whenSet?.(root, { state: 'active', effectiveMs: nowMs });
      }
    });
    return this.policies(tenantId);
  }

  /** A pending policy whose time has come becomes the active one. */
  async promote(tenantId: string, nowMs = Date.now()): Promise<void> {
    await this.store.write(async (root) => {
      const db = this.store.on(root, 'main');
      const pending = await db
        .selectFrom('retention_policies')
        .selectAll()
        .where('tenant_id', '=', tenantId)
        .where('state', '=', 'pending')
        .where('effective_ms', '<=', nowMs)
        .$if(this.store.impl.lockRows, (q) => q.forUpdate())
        .executeTakeFirst();
      if (!pending) return;
      await this.put(
        root,
        tenantId,
        'active',
        JSON.parse(pending.rules) as RetentionRule[],
        pending.set_by,
        pending.set_ms,
        pending.effective_ms,
      );
      await db.deleteFrom('retention_policies').where('tenant_id', '=', tenantId).where('state', '=', 'pending').execute();
    });
  }

  private async put(
    root: Transaction<Database>,
    tenantId: string,
    state: State,
    rules: RetentionRule[],
    setBy: string,
    setMs: number,
    effectiveMs: number,
  ) {
    const values = { rules: JSON.stringify(rules), set_by: setBy, set_ms: setMs, effective_ms: effectiveMs };
    await this.store
      .on(root, 'main')
      .insertInto('retention_policies')
      .values({ tenant_id: tenantId, state, ...values })
      .onConflict((oc) => oc.columns(['tenant_id', 'state']).doUpdateSet(values))
      .execute();
  }

  /** Interactions of one media type that started before the cutoff, after a keyset position, oldest first. */
  async expiredInteractions(
    tenantId: string,
    source: Source,
    mediaType: string,
    cutoffMs: number,
    after: { startMs: number; id: string } | undefined,
    limit: number,
  ): Promise<{ id: string; start_ms: number }[]> {
    return this.store
      .in(source)
      .selectFrom('interactions')
      .select(['id', 'start_ms'])
      .where('tenant_id', '=', tenantId)
      .where('start_ms', '<', cutoffMs)
      .where('media_type', '=', mediaType)
      .$if(after !== undefined, (q) =>
        q.where((eb) =>
          eb.or([
            eb('start_ms', '>', after?.startMs ?? 0),
            eb.and([eb('start_ms', '=', after?.startMs ?? 0), eb('id', '>', after?.id ?? '')]),
          ]),
        ),
      )
      .orderBy('start_ms')
      .orderBy('id')
      .limit(limit)
      .execute();
  }

  /** Content items of one type on interactions of one media type that started in [notBefore, before), after a keyset position. */
  async expiredContent(
    tenantId: string,
    source: Source,
    mediaType: string,
    contentType: string,
    started: { before: number; notBefore?: number | undefined },
    after: { interactionId: string; contentKey: string } | undefined,
    limit: number,
  ): Promise<{ interaction_id: string; content_key: string }[]> {
    return this.store
      .in(source)
      .selectFrom('content_items as c')
      .innerJoin('interactions as i', (j) => j.onRef('i.tenant_id', '=', 'c.tenant_id').onRef('i.id', '=', 'c.interaction_id'))
      .select(['c.interaction_id', 'c.content_key'])
      .where('c.tenant_id', '=', tenantId)
      .where('c.type', '=', contentType)
      .where('i.media_type', '=', mediaType)
      .where('i.start_ms', '<', started.before)
      .$if(started.notBefore !== undefined, (q) => q.where('i.start_ms', '>=', started.notBefore ?? 0))
      .$if(after !== undefined, (q) =>
        q.where((eb) =>
          eb.or([
            eb('c.interaction_id', '>', after?.interactionId ?? ''),
            eb.and([eb('c.interaction_id', '=', after?.interactionId ?? ''), eb('c.content_key', '>', after?.contentKey ?? '')]),
          ]),
        ),
      )
      .orderBy('c.interaction_id')
      .orderBy('c.content_key')
      .limit(limit)
      .execute();
  }
}
