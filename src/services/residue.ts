/**
 * Scrubbing: removing what deleted records left in the store's files after
 * the rows themselves are gone (docs/GOVERNANCE.md, "What a deletion leaves on
 * disk"). Rows, index entries and content kept in the database are zeroed as
 * they are deleted (SQLite's secure_delete); two things need work afterwards:
 * the full-text index, which keeps a removed document's words until its
 * segments are merged, and SQLite's WAL file, whose older frames hold pages as
 * they were. A scrub merges the index step by step (each step a short write
 * transaction, so the service stays online; on the batch writer's thread,
 * since a step may take ~0.6 s at 1M), then empties the WAL.
 *
 * An erasure asks for one when it is done and does not wait for it: at 1M
 * interactions the merge rewrites the whole index (~30 s). Requests while a
 * scrub runs are served by one more scrub after it, since the running one may
 * have passed what they deleted.
 */
import type { Source } from '../domain/search.js';
import type { StoreConnection } from '../store/database.js';

export interface ScrubReport {
  /** Merge steps that found work. */
  steps: number;
  /** Whether the WAL was emptied (false: a reader in another process held it; the next scrub tries again). */
  logTruncated: boolean;
}

const SOURCES: Source[] = ['main', 'archive'];

export class ResidueScrubber {
  private running: Promise<ScrubReport> | undefined;
  private again = false;
  private stopped = false;
  private readonly listeners: ((startedMs: number, endedMs: number) => Promise<void>)[] = [];

  constructor(
    private readonly store: StoreConnection,
    private readonly log: (message: string) => void,
  ) {}

  /** Whether this store has residue to scrub: SQLite; PostgreSQL's is the server's (docs/GOVERNANCE.md). */
  get applies(): boolean {
    return this.store.dialect === 'sqlite';
  }

  /** Hears every scrub that ended complete: whatever was deleted before `startedMs` is gone from the files. */
  onScrubbed(listener: (startedMs: number, endedMs: number) => Promise<void>): void {
    this.listeners.push(listener);
  }

  /** Scrubs now, to the end; `onStep` hears each step that found work. */
  async run(onStep: () => void = () => {}): Promise<ScrubReport> {
    const startedMs = Date.now();
    let steps = 0;
    for (const source of SOURCES) {
      while (!this.stopped && (await this.store.impl.scrubStep(this.store.db, source))) {
        steps++;
        onStep();
      }
    }
    if (this.stopped) return { steps, logTruncated: false };
    const report = { steps, logTruncated: await this.store.impl.truncateLog(this.store.db) };
    if (report.logTruncated && this.applies) for (const listener of this.listeners) await listener(startedMs, Date.now());
    return report;
  }

  /** Asks for a scrub in the background (coalesced with the one running or queued); failures are logged. */
  request(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.run()
      .then((report) => {
        if (!report.logTruncated && !this.stopped)
          this.log('scrub: the WAL was not emptied (a reader in another process); the next scrub tries again');
        return report;
      })
      .catch((err: Error) => {
        this.log(`scrub failed: ${err.message}`);
        return { steps: 0, logTruncated: false };
      })
      .finally(() => {
        this.running = undefined;
        if (this.again) {
          this.again = false;
          this.request();
        }
      });
  }

  /** Resolves once no scrub runs or waits (tests, and `close`). */
  async settled(): Promise<void> {
    while (this.running) await this.running;
  }

  /** Ends the scrubbing between two steps; what is left goes with the next scrub (or `ixvault scrub`). */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.settled();
  }
}
