/**
 * A PostgreSQL server that stops answering without closing anything: stopped
 * (SIGSTOP), wedged on its disk, or behind a partition that drops packets. Its
 * connections stay open, so a statement in flight waited forever, and so did
 * its request; the pool's every connection ended up waiting, and with them
 * every request, /ready included. TCP keepalives do not help (the server's
 * kernel answers them for a stopped process) and no fixed statement deadline
 * is right (a statement may run long and be fine).
 *
 * So a statement is given up only when the server is shown not to answer:
 * while some statement has been in flight longer than STALL_AFTER_MS, a probe
 * (a new connection and `select 1`) asks the server; a probe that gets no
 * answer within PROBE_MS ends the connections whose statements were already
 * in flight when it began. Their statements fail (a dependency failure: the
 * request is a 503), the pool drops them, and the next statements open new
 * connections, which the same probe's verdict does not touch.
 */
import type pg from 'pg';

/** A statement in flight this long makes the watch ask the server whether it answers. */
const STALL_AFTER_MS = 5_000;
/** How long the server has to answer a probe: a connection and `select 1`, generous for a busy machine. */
export const PROBE_MS = 15_000;
/** How often the watch looks at the statements in flight (one timer for the pool, which keeps no process alive). */
const LOOK_EVERY_MS = 1_000;

/** SQLSTATE class 53 (too many connections, out of memory): the server answered, busy. */
const ANSWERED_BUSY = /^53/;

export class StallWatch {
  /** Connections with a statement in flight, and since when. */
  private readonly busy = new Map<pg.Client, number>();
  private timer: NodeJS.Timeout | undefined;
  private probing = false;
  /** When a probe was last answered: a long statement on a server that answers is asked about every STALL_AFTER_MS. */
  private answeredAt = 0;

  /** `probe` connects anew and runs `select 1`; it rejects or never settles when the server does not answer. */
  constructor(private readonly probe: () => Promise<void>) {}

  /** Watches a new connection of the pool: its statements' time in flight, from the first queued to the drain. */
  watch(client: pg.Client): void {
    this.timer ??= setInterval(() => this.look(), LOOK_EVERY_MS).unref();
    // pg's own query, looked up at every call (not bound once), as any other caller of the client would find it.
    const inherited = Object.getPrototypeOf(client) as { query: (...args: unknown[]) => unknown };
    (client as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
      if (!this.busy.has(client)) this.busy.set(client, Date.now());
      return inherited.query.apply(client, args);
    };
    // pg emits `drain` when its queue of statements is empty; `end` when the connection is gone.
    const idle = () => void this.busy.delete(client);
    client.on('drain', idle);
    client.on('end', idle);
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private look(): void {
    const now = Date.now();
    if (this.probing || now - this.answeredAt < STALL_AFTER_MS) return;
    const stalled = [...this.busy].filter(([, since]) => now - since >= STALL_AFTER_MS);
    if (stalled.length === 0) return;
    this.probing = true;
    void this.answers().then((answered) => {
      this.probing = false;
      if (answered) {
        this.answeredAt = Date.now();
        return;
      }
      for (const [client, since] of stalled) {
        // Only the statements the probe was about: one that ended meanwhile, and the client's next, are not.
        if (this.busy.get(client) !== since) continue;
        this.busy.delete(client);
        const error = Object.assign(new Error(`PostgreSQL did not answer within ${PROBE_MS} ms`), { code: 'ETIMEDOUT' });
        // The statement in flight fails with this error; the client is no longer queryable and the pool drops it.
        client.connection?.stream?.destroy(error);
      }
    });
  }

  /** Whether the server answers a probe within PROBE_MS (an error it answers with counts only when it is busy). */
  private async answers(): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const silence = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), PROBE_MS);
    });
    const asked = this.probe().then(
      () => true,
      (err: { code?: unknown }) => typeof err?.code === 'string' && ANSWERED_BUSY.test(err.code),
    );
    try {
      return await Promise.race([asked, silence]);
    } finally {
      clearTimeout(timer);
    }
  }
}
