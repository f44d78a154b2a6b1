/**
 * Web Services answers a history request at once with a referenceId and
 * publishes the result later on `/v2/ucs/interactions`. This runs the work
 * after the HTTP answer and hands the outcome, success or failure, to the
 * notifier for the requesting principal only.
 *
 * Both the work and its results are bounded (issue 8, finding 7): searches
 * computing at once per principal and in all, and bytes of results waiting
 * for a principal that has no CometD session. Past a cap a new request is
 * refused (429, Retry-After) before any work starts.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyBaseLogger } from 'fastify';
import type { Sequences } from '../../cluster/coordination.js';
import { isDependencyFailure } from '../../domain/dependency-failure.js';
import { errors, isVaultError } from '../../domain/errors.js';
import type { Principal } from '../../domain/principal.js';
import { type Notifier, type Recipient, recipientOf } from '../../notify/index.js';

export const INTERACTIONS_CHANNEL = '/v2/ucs/interactions';

/**
 * How an operation's notification is framed, as its reference page prints it:
 * the `messageType` (IdentifyUCSContact's page shows none), and for
 * `UcsOperationResponse` a `success` flag on both outcomes.
 */
export interface ResultKind {
  messageType?: string;
  withSuccess?: boolean;
}

export const RESULT_KINDS = {
  history: { messageType: 'GetInteractionsHistoryMessage' },
  content: { messageType: 'GetInteractionContentMessage' },
  /** SetCallNote, SetCallCompleted, SetCallContact. */
  ucsOperation: { messageType: 'UcsOperationResponse', withSuccess: true },
  /** FindPhoneCall. */
  createInteraction: { messageType: 'createInteractionResponse' },
  /** IdentifyUCSContact: `{referenceId, contactId}` and nothing else. */
  identifyContact: {},
} as const satisfies Record<string, ResultKind>;

/** The notification's leading fields for an outcome. */
function frame(referenceId: number, kind: ResultKind, succeeded: boolean): Record<string, unknown> {
  const head: Record<string, unknown> = { referenceId };
  if (kind.messageType !== undefined) head.messageType = kind.messageType;
  if (kind.withSuccess) head.success = succeeded;
  return head;
}

export interface AsyncLimits {
  pendingSearchesPerPrincipal: number;
  pendingSearches: number;
  heldBytesPerPrincipal: number;
}

/** The pause after a delivery the hub failed (Redis down), doubling up to the last. */
const RETRY_PAUSES_MS = [50, 100, 200, 500, 1000, 2000];

const UNBOUNDED: AsyncLimits = {
  pendingSearchesPerPrincipal: Number.POSITIVE_INFINITY,
  pendingSearches: Number.POSITIVE_INFINITY,
  heldBytesPerPrincipal: Number.POSITIVE_INFINITY,
};

export class AsyncResults {
  private readonly inFlight = new Set<Promise<void>>();
  /** Requests admitted and not yet answered on CometD, per principal (this node's work). */
  private readonly pending = new Map<Recipient, number>();
  private admitted = 0;
  /** Aborted on shutdown: deliveries waiting to try again give up. */
  private readonly stopping = new AbortController();

  /**
   * `references`: referenceIds increase per principal, across its sessions,
   * and in a cluster across nodes and restarts (Redis). `retryForMs`: how long
   * a result whose delivery failed on a dependency (Redis) is tried again, as
   * long as it would have been held for a session.
   */
  constructor(
    private readonly notifier: Notifier,
    private readonly references: Sequences,
    private readonly log: FastifyBaseLogger,
    private readonly limits: AsyncLimits = UNBOUNDED,
    private readonly retryForMs = 0,
  ) {}

  /** Starts `work` after the current request has been answered; resolves with the referenceId. */
  async start(principal: Principal, kind: ResultKind, work: () => Promise<Record<string, unknown>>): Promise<number> {
    const recipient = recipientOf(principal);
    // Counted at once, before anything is awaited, so that concurrent requests cannot all pass the caps.
    this.admit(recipient);
    this.pending.set(recipient, (this.pending.get(recipient) ?? 0) + 1);
    this.admitted++;
    let referenceId: number;
    try {
      await this.admitHeld(recipient);
      referenceId = await this.references.next(`reference/${recipient}`);
    } catch (err) {
      this.finished(recipient);
      throw err;
    }
    const job = new Promise<void>((resolve) => setImmediate(resolve))
      .then(work)
      .then(
        (result) => ({ ...frame(referenceId, kind, true), ...result }),
        (err: unknown) => ({ ...frame(referenceId, kind, false), errorMessage: this.describe(err, referenceId) }),
      )
      .then((message) => this.deliverUntilDone(recipient, referenceId, kind, message))
      .catch((err: unknown) => this.log.error({ err, referenceId }, 'Genesys result could not be delivered'))
      .finally(() => {
        this.inFlight.delete(job);
        this.finished(recipient);
      });
    this.inFlight.add(job);
    return referenceId;
  }

  /** Waits for the work already started (shutdown: before the store closes); deliveries stop trying again. */
  async drain(): Promise<void> {
    this.stopping.abort();
    await Promise.allSettled([...this.inFlight]);
  }

  private admit(recipient: Recipient): void {
    const mine = this.pending.get(recipient) ?? 0;
    if (mine >= this.limits.pendingSearchesPerPrincipal)
      throw errors.busy(`${mine} of your requests are still being answered`, 1);
    if (this.admitted >= this.limits.pendingSearches) throw errors.busy('the server is answering too many requests', 1);
  }

  private async admitHeld(recipient: Recipient): Promise<void> {
    if (!Number.isFinite(this.limits.heldBytesPerPrincipal)) return;
    const held = await this.notifier.heldBytes(recipient, INTERACTIONS_CHANNEL);
    if (held >= this.limits.heldBytesPerPrincipal)
      throw errors.busy(
        `${held} bytes of results are waiting for a CometD session of yours; subscribe to ${INTERACTIONS_CHANNEL} to receive them`,
        5,
      );
  }

  private finished(recipient: Recipient): void {
    this.admitted--;
    const left = (this.pending.get(recipient) ?? 1) - 1;
    if (left > 0) this.pending.set(recipient, left);
    else this.pending.delete(recipient);
  }

  /**
   * The client was answered with the referenceId, so losing its result to a hub that failed for a moment (Redis
   * restarting, a node's link to it) leaves the client waiting in vain: tried again while the result would have
   * been held. A delivery whose answer was lost after Redis ran it may come twice (same referenceId); one the hub
   * fails for longer than the hold time is still lost, and logged.
   */
  private async deliverUntilDone(
    recipient: Recipient,
    referenceId: number,
    kind: ResultKind,
    message: Record<string, unknown>,
  ): Promise<void> {
    const giveUpAt = Date.now() + this.retryForMs;
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.deliver(recipient, referenceId, kind, message);
      } catch (err) {
        const pauseMs = RETRY_PAUSES_MS[Math.min(attempt, RETRY_PAUSES_MS.length - 1)] ?? 0;
        if (!isDependencyFailure(err) || this.stopping.signal.aborted || Date.now() + pauseMs > giveUpAt) throw err;
        this.log.warn({ err, referenceId, attempt }, 'Genesys result not delivered yet, trying again');
        try {
          await sleep(pauseMs, undefined, { signal: this.stopping.signal });
        } catch {
          throw err;
        }
      }
    }
  }

  /** A result nobody can hold any more is replaced by a notice naming it, so the client does not wait for it forever. */
  private async deliver(
    recipient: Recipient,
    referenceId: number,
    kind: ResultKind,
    message: Record<string, unknown>,
  ): Promise<void> {
    if ((await this.notifier.deliver(recipient, INTERACTIONS_CHANNEL, message)) !== 'refused') return;
    await this.notifier.deliver(
      recipient,
      INTERACTIONS_CHANNEL,
      { ...frame(referenceId, kind, false), errorMessage: 'Result dropped: too many results are waiting for a CometD session' },
      true,
    );
  }

  private describe(err: unknown, referenceId: number): string {
    if (isVaultError(err) && err.kind !== 'internal') return err.message;
    this.log.error({ err, referenceId }, 'Genesys request failed after its answer');
    return 'Request failed';
  }
}
