/**
 * What the ixvault nodes of a cluster share, behind one small interface:
 * counters, leases and locks, the notification hub, cluster-wide events and
 * the rate-limit counters. One process (embedded SQLite, or PostgreSQL with
 * `--single-node`) keeps all of it in memory (`local.ts`); a cluster keeps it
 * in Redis (`redis.ts`). See docs/DECISIONS.md ("Cluster").
 */
import type { Redis } from 'ioredis';
import type { HoldLimits, NotificationHub } from '../notify/hub.js';

/** Counters that only ever increase (Genesys referenceIds per principal). */
export interface Sequences {
  next(key: string): Promise<number>;
}

/** An exclusive hold on a key; kept alive until released, and lapsing by itself if its holder dies. */
export interface Lease {
  release(): Promise<void>;
}

export interface Leases {
  /** The lease, or undefined when someone (this node or another) holds it. */
  tryAcquire(key: string, ttlMs: number): Promise<Lease | undefined>;
}

/** Serializes work per key: in one process, or across every node. */
export interface KeyedLock {
  run<T>(key: string, work: () => Promise<T>): Promise<T>;
}

/** Events every node hears, its own included. */
export interface ClusterEvents {
  publish(topic: string, payload: unknown): void;
  subscribe(topic: string, handler: (payload: unknown) => void): () => void;
}

export interface Coordination {
  /** `local`: this process only; `redis`: shared with every node on the same Redis. */
  readonly mode: 'local' | 'redis';
  readonly sequences: Sequences;
  readonly leases: Leases;
  readonly locks: KeyedLock;
  readonly events: ClusterEvents;
  /** For @fastify/rate-limit's `redis` store; undefined: counters in this process. */
  readonly rateLimitRedis: Redis | undefined;
  /** Rejects when the shared state cannot be reached (readiness). */
  check(): Promise<void>;
  /** The notification hub of the Bayeux server. */
  hub(limits: HoldLimits): NotificationHub;
  close(): Promise<void>;
}
