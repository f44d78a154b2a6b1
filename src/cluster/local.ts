/** Coordination of a single process: everything in memory. */

import type { HoldLimits, NotificationHub } from '../notify/hub.js';
import { LocalHub } from '../notify/local-hub.js';
import { KeyLock } from '../services/key-lock.js';
import type { ClusterEvents, Coordination, Lease, Leases, Sequences } from './coordination.js';

class LocalSequences implements Sequences {
  private readonly last = new Map<string, number>();

  async next(key: string): Promise<number> {
    const value = (this.last.get(key) ?? 0) + 1;
    this.last.set(key, value);
    return value;
  }
}

class LocalLeases implements Leases {
  private readonly held = new Set<string>();

  async tryAcquire(key: string): Promise<Lease | undefined> {
    if (this.held.has(key)) return undefined;
    this.held.add(key);
    return { release: async () => void this.held.delete(key) };
  }
}

class LocalEvents implements ClusterEvents {
  private readonly handlers = new Map<string, Set<(payload: unknown) => void>>();

  publish(topic: string, payload: unknown): void {
    for (const handler of this.handlers.get(topic) ?? []) handler(payload);
  }

  subscribe(topic: string, handler: (payload: unknown) => void): () => void {
    const set = this.handlers.get(topic) ?? new Set();
    set.add(handler);
    this.handlers.set(topic, set);
    return () => void set.delete(handler);
  }
}

export class LocalCoordination implements Coordination {
  readonly mode = 'local';
  readonly sequences = new LocalSequences();
  readonly leases = new LocalLeases();
  readonly locks = new KeyLock();
  readonly events = new LocalEvents();
  readonly rateLimitRedis = undefined;

  async check(): Promise<void> {}

  hub(limits: HoldLimits): NotificationHub {
    return new LocalHub(limits);
  }

  async close(): Promise<void> {}
}
