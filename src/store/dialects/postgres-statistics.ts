/**
 * Planner statistics for tables that are still growing fast. PostgreSQL keeps
 * the plan of a named statement (StoreDialect.keepPrepared, readPrepared,
 * readPage) and of every statement in a trigger for the connection's life,
 * and plans it again only when the statistics of a table it reads change.
 * Autovacuum analyzes a table once 50 rows + 10 % of it changed, but looks
 * only every `autovacuum_naptime` (a minute by default), and later when its
 * few workers are busy elsewhere. So a store that starts empty ran its first
 * minute (or longer) of writes on plans made for empty tables: each small
 * upload read the whole content table twice, in its write's count and in the
 * Vonage item's trigger, a scan that grew with the table (PostgreSQL's CPU an
 * upload 2.6 ms against 0.57 ms once the tables were analyzed:
 * docs/BENCHMARKS.md, "Session 17").
 *
 * After writes, this looks at the store's tables, once a second at most while
 * writes go on and once more when their counts have all arrived, and analyzes
 * each table changed by at least as many rows as it held when it was last
 * analyzed (and by at least MIN_CHANGES): a table is analyzed as it doubles,
 * a few times in its life, and a large one is left to autovacuum. No writes,
 * no looks. `skip_locked`: a table another node is analyzing, or a migration
 * holds, is left for a later look.
 */

/** Changes a table needs before it is analyzed here (autovacuum's own floor is 50). */
const MIN_CHANGES = 500;
/** How long after a write the tables are looked at: one look for all the writes of that second. */
const LOOK_AFTER_MS = 1_000;
/**
 * How late a connection's changes may reach the counts: a busy connection reports them at most once a
 * second, an idle one up to 10 s after its last transaction (PostgreSQL's PGSTAT_IDLE_INTERVAL). The last
 * writes of a burst are counted by one more look that long after them.
 */
const COUNTS_LAG_MS = 11_000;

/** Runs one statement on a pooled connection. */
export type RunStatement = (text: string, values?: unknown[]) => Promise<{ rows: unknown[] }>;

export class GrowingTableStatistics {
  private timer: NodeJS.Timeout | undefined;
  private looking: Promise<void> | undefined;
  /** A write committed since the last look was scheduled. */
  private written = false;
  private lastWriteAt = 0;
  private lastLookAt = 0;
  private stopped = false;
  private warned = false;

  constructor(
    private readonly run: RunStatement,
    private readonly schemas: readonly string[],
  ) {}

  /** A transaction that wrote has committed: the tables are looked at within a second or so. */
  wrote(): void {
    this.written = true;
    this.lastWriteAt = Date.now();
    this.scheduleLook();
  }

  /** The next look: soon after new writes; once more when the last writes' counts may have arrived late. */
  private scheduleLook(): void {
    if (this.timer || this.looking || this.stopped) return;
    const lateCountsAt = this.lastWriteAt + COUNTS_LAG_MS;
    let after: number;
    if (this.written) after = LOOK_AFTER_MS;
    else if (this.lastLookAt < lateCountsAt) after = Math.max(0, lateCountsAt - Date.now());
    else return;
    this.written = false;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.lastLookAt = Date.now();
      this.looking = this.look().finally(() => {
        this.looking = undefined;
        this.scheduleLook();
      });
    }, after).unref();
  }

  /** No more looks; waits for one under way (its ANALYZE holds a pooled connection). */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.looking;
  }

  private async look(): Promise<void> {
    try {
      const { rows } = await this.run(
        `select format('%I.%I', s.schemaname, s.relname) as name
           from pg_stat_user_tables s join pg_class c on c.oid = s.relid
          where s.schemaname = any($1::text[]) and s.n_mod_since_analyze >= greatest($2::float4, c.reltuples)`,
        [this.schemas, MIN_CHANGES],
      );
      for (const { name } of rows as { name: string }[]) {
        if (this.stopped) return;
        await this.run(`analyze (skip_locked) ${name}`);
      }
    } catch (err) {
      // Only plans that could be better are at stake: autovacuum still analyzes the tables in its time.
      if (!this.warned) process.emitWarning(`analyzing the store's growing tables failed: ${(err as Error).message}`);
      this.warned = true;
    }
  }
}
