/**
 * Web Services answers a history request at once with a referenceId and
 * publishes the result later on `/v2/ucs/interactions`. This runs the work
 * after the HTTP answer and hands the outcome, success or failure, to the
 * notifier for the requesting principal only.
 */
import type { FastifyBaseLogger } from 'fastify';
import { isVaultError } from '../../domain/errors.js';
import type { Principal } from '../../domain/principal.js';
import { type Notifier, type Recipient, recipientOf } from '../../notify/index.js';

export const INTERACTIONS_CHANNEL = '/v2/ucs/interactions';

export type MessageType = 'GetInteractionsHistoryMessage' | 'GetInteractionContentMessage';

export class AsyncResults {
  /** referenceIds increase per principal, across its sessions, for the life of the process. */
  private readonly lastReference = new Map<Recipient, number>();
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly notifier: Notifier,
    private readonly log: FastifyBaseLogger,
  ) {}

  /** Starts `work` after the current request has been answered; returns the referenceId. */
  start(principal: Principal, messageType: MessageType, work: () => Promise<Record<string, unknown>>): number {
    const recipient = recipientOf(principal);
    const referenceId = (this.lastReference.get(recipient) ?? 0) + 1;
    this.lastReference.set(recipient, referenceId);
    const job = new Promise<void>((resolve) => setImmediate(resolve))
      .then(work)
      .then(
        (result) => ({ referenceId, messageType, ...result }),
        (err: unknown) => ({ referenceId, messageType, errorMessage: this.describe(err, referenceId) }),
      )
      .then((message) => this.notifier.deliver(recipient, INTERACTIONS_CHANNEL, message))
      .finally(() => this.inFlight.delete(job));
    this.inFlight.add(job);
    return referenceId;
  }

  /** Waits for the work already started (shutdown: before the store closes). */
  async drain(): Promise<void> {
    await Promise.allSettled([...this.inFlight]);
  }

  private describe(err: unknown, referenceId: number): string {
    if (isVaultError(err) && err.kind !== 'internal') return err.message;
    this.log.error({ err, referenceId }, 'Genesys request failed after its answer');
    return 'Request failed';
  }
}
