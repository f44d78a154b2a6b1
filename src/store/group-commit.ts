/**
 * Group commit with batched statements: requests that arrive while a durable
 * commit is under way wait for it, then are written together — by ONE call of
 * the owner's batch function, which writes them all with a few multi-row
 * statements in one transaction — so many requests pay for one set of
 * statements, one commit and one WAL sync (or WAL flush) instead of one each.
 * Nobody waits for company: a lone request on an idle store commits at once;
 * under load, the requests that arrived during one commit form the next group.
 * Every caller hears of its request only after the group's commit returned,
 * so an acknowledged write is as durable as with a transaction of its own.
 *
 * The batch function answers each request: a refusal of the domain (a
 * VaultError: not found, held…) is decided before anything is written and
 * goes to its caller alone, while the others commit. Any other failure fails
 * the transaction (the dialect runs a deadlocked transaction again); the
 * requests of a failed group are then run one by one, so one bad request
 * cannot fail the others. Two requests with the same `key` never share a
 * group: the later one waits for the next (a multi-row upsert may not touch
 * one row twice, and the later one must see the earlier one's row).
 *
 * Only where the dialect asks for it (StoreDialect.groupCommits: SQLite, one
 * writer at a time); on PostgreSQL each request is a batch of one in its own
 * durable transaction, run concurrently on the pool, and the server groups
 * the WAL flushes (grouping there serialized the round trips: measured in
 * docs/BENCHMARKS.md, "Small uploads, session 2").
 */
import type { Transaction } from 'kysely';
import type { StoreConnection } from './database.js';
import type { Database } from './schema.js';

export type Outcome<R> = { ok: true; value: R } | { ok: false; error: unknown };

/** Writes a group of requests in `trx`; returns one outcome per request, in order. */
export type WriteBatch<Q, R> = (trx: Transaction<Database>, batch: Q[]) => Promise<Outcome<R>[]>;

interface Pending<Q, R> {
  request: Q;
  resolve(value: R): void;
  reject(error: unknown): void;
}

/** Requests per transaction at most: a bound on how long one group holds the write lock (or its row locks). */
export const MAX_GROUP = 64;

export class GroupCommit<Q, R> {
  private queue: Pending<Q, R>[] = [];
  private committing = false;

  constructor(
    private readonly store: StoreConnection,
    private readonly write: WriteBatch<Q, R>,
    private readonly keyOf: (request: Q) => string,
  ) {}

  /** Writes `request` in the next durable group transaction; settles once that transaction has committed. */
  run(request: Q): Promise<R> {
    // A database with concurrent writers runs each request's batch in a transaction of its own (StoreDialect.groupCommits).
    if (!this.store.impl.groupCommits) return this.commitAlone(request);
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ request, resolve, reject });
      if (!this.committing) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.committing = true;
    try {
      while (this.queue.length > 0) {
        const group = this.nextGroup();
        try {
          const outcomes = await this.commit(group);
          for (const [i, pending] of group.entries()) settle(pending, outcomes[i]);
        } catch (error) {
          if (group.length === 1) group[0]?.reject(error);
          else for (const pending of group) await this.commit([pending]).then(([o]) => settle(pending, o), pending.reject);
        }
      }
    } finally {
      this.committing = false;
    }
  }

  /** The oldest requests, up to MAX_GROUP, no two with the same key; the rest stay queued in order. */
  private nextGroup(): Pending<Q, R>[] {
    const group: Pending<Q, R>[] = [];
    const rest: Pending<Q, R>[] = [];
    const keys = new Set<string>();
    for (const pending of this.queue) {
      const key = this.keyOf(pending.request);
      if (group.length >= MAX_GROUP || keys.has(key)) rest.push(pending);
      else {
        keys.add(key);
        group.push(pending);
      }
    }
    this.queue = rest;
    return group;
  }

  private async commitAlone(request: Q): Promise<R> {
    const [outcome] = await this.store.write((trx) => this.write(trx, [request]));
    if (!outcome) throw new Error('group commit: no outcome');
    if (!outcome.ok) throw outcome.error;
    return outcome.value;
  }

  private commit(group: Pending<Q, R>[]): Promise<Outcome<R>[]> {
    // The batch function runs again whole if the dialect retries the transaction.
    return this.store.write((trx) =>
      this.write(
        trx,
        group.map((p) => p.request),
      ),
    );
  }
}

function settle<R>(pending: Pending<unknown, R>, outcome: Outcome<R> | undefined): void {
  if (!outcome) pending.reject(new Error('group commit: no outcome'));
  else if (outcome.ok) pending.resolve(outcome.value);
  else pending.reject(outcome.error);
}
