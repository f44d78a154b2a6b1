/**
 * Group commit: writes that arrive while a durable commit is under way wait
 * for it, then share the next transaction, so many writes pay for one commit
 * (one WAL sync) instead of one each. Nobody waits for company: a lone write
 * on an idle store commits at once; under load, the writes that arrived
 * during one commit form the next group. Every caller hears of its write only
 * after the group's commit returned, so an acknowledged write is as durable
 * as with a transaction of its own. Only where the dialect asks for it
 * (StoreDialect.groupCommits: SQLite); on PostgreSQL each write is its own
 * durable transaction, and the server groups the WAL flushes.
 *
 * Each write runs in a savepoint of its own: one the domain refuses (a
 * VaultError: not found, held…) is undone alone and its caller gets the
 * refusal, while the others commit. Any other failure fails the transaction,
 * as it would fail a lone write (the dialect runs a deadlocked transaction
 * again); the writes of a failed group are then run one by one, so one bad
 * write cannot fail the others.
 */
import { sql, type Transaction } from 'kysely';
import { isVaultError } from '../domain/errors.js';
import type { StoreConnection } from './database.js';
import type { Database } from './schema.js';

type Work<T> = (trx: Transaction<Database>) => Promise<T>;

interface Pending {
  work: Work<unknown>;
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

/** Writes per transaction at most: a bound on how long one group holds the write lock. */
const MAX_GROUP = 64;

export class GroupCommit {
  private readonly queue: Pending[] = [];
  private committing = false;

  constructor(private readonly store: StoreConnection) {}

  /** Runs `work` in the next durable group transaction; settles once that transaction has committed. */
  run<T>(work: Work<T>): Promise<T> {
    // A database with concurrent writers groups the WAL flushes of concurrent commits itself (StoreDialect.groupCommits).
    if (!this.store.impl.groupCommits) return this.store.writeDurable(work);
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ work, resolve: resolve as (value: unknown) => void, reject });
      if (!this.committing) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.committing = true;
    try {
      while (this.queue.length > 0) {
        const group = this.queue.splice(0, MAX_GROUP);
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

  private commit(group: Pending[]): Promise<Outcome[]> {
    return this.store.writeDurable(async (trx) => {
      // Made afresh on each attempt: a transaction run again runs every write again.
      const outcomes: Outcome[] = [];
      for (const [i, pending] of group.entries()) {
        const savepoint = sql.id(`group_write_${i}`);
        await sql`savepoint ${savepoint}`.execute(trx);
        try {
          outcomes.push({ ok: true, value: await pending.work(trx) });
          await sql`release savepoint ${savepoint}`.execute(trx);
        } catch (error) {
          if (!isVaultError(error)) throw error;
          await sql`rollback to savepoint ${savepoint}`.execute(trx);
          await sql`release savepoint ${savepoint}`.execute(trx);
          outcomes.push({ ok: false, error });
        }
      }
      return outcomes;
    });
  }
}

function settle(pending: Pending, outcome: Outcome | undefined): void {
  if (!outcome) pending.reject(new Error('group commit: no outcome'));
  else if (outcome.ok) pending.resolve(outcome.value);
  else pending.reject(outcome.error);
}
