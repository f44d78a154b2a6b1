/**
 * Coordination of a cluster on Redis (ioredis): two connections per node, one
 * for commands and one in subscriber mode (pub/sub for the notification hub
 * and cluster events). Every key starts with `ixvault:`; give each deployment
 * its own Redis database (`redis://host:6379/N`).
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import type { HoldLimits, NotificationHub } from '../notify/hub.js';
import { KeyLock } from '../services/key-lock.js';
import type { ClusterEvents, Coordination, KeyedLock, Lease, Leases, Sequences } from './coordination.js';
import { RedisHub } from './redis-hub.js';

const PREFIX = 'ixvault:';

/** Ends a lease only if it is still ours (it may have lapsed and been taken). */
const RELEASE_LEASE = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0";
const RENEW_LEASE = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end return 0";

/**
 * How long a command may wait for Redis's answer. ioredis waits forever by default, so a Redis that stopped
 * answering without closing its connections (stopped, or a partition that drops packets) held every request that
 * needed it, and /ready, forever. Every command ixvault sends is short (no blocking commands), so this is
 * generous: the request is a 503, and the connection goes on (Redis's late answers still reach their commands).
 */
const COMMAND_TIMEOUT_MS = 10_000;

/**
 * The rate limiter's connection: its count is asked before every request, and should Redis fail the request
 * passes uncounted (skipOnError). On the command connection a silent Redis made every request of every API wait
 * COMMAND_TIMEOUT_MS first; here a command waits at most this, and none waits for a reconnection (no offline queue).
 */
const LIMITER_TIMEOUT_MS = 1_000;

/** How long a blob lock lasts if its holder dies; renewed while held. */
const LOCK_TTL_MS = 30_000;

interface LeaseCommands {
  ixvReleaseLease(key: string, token: string): Promise<number>;
  ixvRenewLease(key: string, token: string, ttlMs: number): Promise<number>;
}

class RedisLeases implements Leases {
  constructor(private readonly redis: Redis & LeaseCommands) {}

  async tryAcquire(key: string, ttlMs: number): Promise<Lease | undefined> {
    const name = `${PREFIX}lease:${key}`;
    const token = randomUUID();
    if ((await this.redis.set(name, token, 'PX', ttlMs, 'NX')) !== 'OK') return undefined;
    // Renewed at a third of its life: a live holder keeps it, a dead one loses it within ttlMs.
    const renew = setInterval(
      () => {
        this.redis.ixvRenewLease(name, token, ttlMs).catch(() => {});
      },
      Math.max(10, Math.floor(ttlMs / 3)),
    );
    renew.unref();
    return {
      release: async () => {
        clearInterval(renew);
        // A release Redis does not take (down, silent) leaves the lease to lapse within ttlMs. The holder's work is
        // done by then (a committed deletion, an upload): failing its caller would answer committed work as failed.
        await this.redis.ixvReleaseLease(name, token).catch(() => {});
      },
    };
  }
}

/** A per-process queue in front of a Redis lease, so that one node's contenders wait in memory, not by polling. */
class RedisKeyedLock implements KeyedLock {
  private readonly local = new KeyLock();

  constructor(private readonly leases: Leases) {}

  run<T>(key: string, work: () => Promise<T>): Promise<T> {
    return this.local.run(key, async () => {
      const lease = await this.acquire(`lock:${key}`);
      try {
        return await work();
      } finally {
        await lease.release();
      }
    });
  }

  private async acquire(key: string): Promise<Lease> {
    let waitMs = 2;
    for (;;) {
      const lease = await this.leases.tryAcquire(key, LOCK_TTL_MS);
      if (lease) return lease;
      await new Promise((resolve) => setTimeout(resolve, waitMs));
      waitMs = Math.min(waitMs * 2, 100);
    }
  }
}

class RedisEvents implements ClusterEvents {
  private readonly handlers = new Map<string, Set<(payload: unknown) => void>>();

  constructor(
    private readonly redis: Redis,
    private readonly subscriber: Redis,
  ) {
    subscriber.on('message', (channel: string, message: string) => {
      if (!channel.startsWith(`${PREFIX}event:`)) return;
      const handlers = this.handlers.get(channel.slice(`${PREFIX}event:`.length));
      if (!handlers) return;
      const payload = JSON.parse(message) as unknown;
      for (const handler of handlers) handler(payload);
    });
  }

  publish(topic: string, payload: unknown): void {
    this.redis.publish(`${PREFIX}event:${topic}`, JSON.stringify(payload)).catch(() => {});
  }

  subscribe(topic: string, handler: (payload: unknown) => void): () => void {
    let set = this.handlers.get(topic);
    if (!set) {
      set = new Set();
      this.handlers.set(topic, set);
      void this.subscriber.subscribe(`${PREFIX}event:${topic}`).catch(() => {});
    }
    set.add(handler);
    return () => void set.delete(handler);
  }
}

export class RedisCoordination implements Coordination {
  readonly mode = 'redis';
  readonly sequences: Sequences;
  readonly leases: Leases;
  readonly locks: KeyedLock;
  readonly events: ClusterEvents;

  private constructor(
    private readonly redis: Redis,
    private readonly subscriber: Redis,
    readonly rateLimitRedis: Redis,
  ) {
    const commands = redis as Redis & LeaseCommands;
    redis.defineCommand('ixvReleaseLease', { numberOfKeys: 1, lua: RELEASE_LEASE });
    redis.defineCommand('ixvRenewLease', { numberOfKeys: 1, lua: RENEW_LEASE });
    this.sequences = { next: (key) => redis.incr(`${PREFIX}seq:${key}`) };
    this.leases = new RedisLeases(commands);
    this.locks = new RedisKeyedLock(this.leases);
    this.events = new RedisEvents(redis, subscriber);
  }

  /** Connects both connections, or fails with a message naming the URL (without its password). */
  static async connect(url: string): Promise<RedisCoordination> {
    const options = {
      lazyConnect: true,
      maxRetriesPerRequest: 3,
      enableOfflineQueue: true,
      commandTimeout: COMMAND_TIMEOUT_MS,
    } as const;
    const redis = new Redis(url, options);
    const subscriber = new Redis(url, options);
    const limiter = new Redis(url, {
      ...options,
      maxRetriesPerRequest: 0,
      enableOfflineQueue: false,
      commandTimeout: LIMITER_TIMEOUT_MS,
    });
    const connections = [redis, subscriber, limiter];
    // ioredis reports connection errors as events as well as rejections; the rejection is what matters.
    for (const connection of connections) connection.on('error', () => {});
    try {
      await Promise.all(connections.map((connection) => connection.connect()));
      await redis.ping();
    } catch (err) {
      for (const connection of connections) connection.disconnect();
      throw new Error(`cannot reach Redis at ${safeUrl(url)}: ${(err as Error).message}`);
    }
    return new RedisCoordination(redis, subscriber, limiter);
  }

  async check(): Promise<void> {
    await this.redis.ping();
  }

  hub(limits: HoldLimits): NotificationHub {
    return new RedisHub(this.redis, this.subscriber, PREFIX, limits);
  }

  /** Quits politely when connected; a connection that is retrying (Redis down) is just dropped. */
  async close(): Promise<void> {
    await Promise.allSettled(
      [this.subscriber, this.rateLimitRedis, this.redis].map(async (connection) => {
        if (connection.status === 'ready') await connection.quit();
        else connection.disconnect();
      }),
    );
  }
}

function safeUrl(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.password = parsed.password ? '***' : '';
    return parsed.toString();
  } catch {
    return 'the given URL';
  }
}
