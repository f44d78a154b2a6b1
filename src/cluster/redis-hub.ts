/**
 * The notification hub of a cluster, on Redis. A node that has a session
 * listening on a private channel subscribes (Redis pub/sub) to that channel;
 * delivering is one Lua script that PUBLISHes and, when no node received the
 * message, holds it in a list, so "nobody listens" and "held" are one atomic
 * step. A node starting to listen subscribes first and takes the held list
 * second: a message delivered in between is either received or found held.
 * Held messages live in Redis, bounded like the in-memory hub (count per
 * channel, bytes per channel and in all, time measured by Redis's clock), and
 * outlive the node that created them.
 *
 * Keys (all under the prefix): `held:<channel>` a list of
 * `<expiresAtMs>:<bytes>:<json>`, `heldbytes:<channel>`, `heldbytes` (all
 * channels), `holding` (sorted set: channel → expiry of its newest message,
 * what the sweep walks), and the pub/sub channels `n:<channel>`. The scripts
 * name some keys themselves: one Redis (or a primary with replicas), not
 * Redis Cluster.
 */
import type { Redis } from 'ioredis';
import type { HoldLimits, HubMessageHandler, NotificationHub } from '../notify/hub.js';
import type { Delivery } from '../notify/notifier.js';

const LUA_HELPERS = `
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local function drop_head(list, chan, total)
  local entry = redis.call('LPOP', list)
  local bytes = tonumber(string.match(entry, '^%d+:(%d+):'))
  redis.call('DECRBY', chan, bytes)
  redis.call('DECRBY', total, bytes)
end
-- Drops expired messages at the head; true when nothing is left (the channel's keys are then gone).
local function trim(list, chan, total, now)
  while true do
    local head = redis.call('LINDEX', list, 0)
    if not head then break end
    if tonumber(string.match(head, '^(%d+):')) > now then break end
    drop_head(list, chan, total)
  end
  if redis.call('LLEN', list) == 0 then
    redis.call('DEL', list, chan)
    return true
  end
  return false
end
`;

/** KEYS: list, channel bytes, total bytes, index. ARGV: pub/sub channel, json, holdMs, bytes, force, max per channel, max total, max count, channel. */
const DELIVER = `${LUA_HELPERS}
if redis.call('PUBLISH', ARGV[1], ARGV[2]) > 0 then return 'published' end
local now = now_ms()
trim(KEYS[1], KEYS[2], KEYS[3], now)
local bytes = tonumber(ARGV[4])
if ARGV[5] ~= '1' then
  local mine = tonumber(redis.call('GET', KEYS[2]) or '0')
  local all = tonumber(redis.call('GET', KEYS[3]) or '0')
  if mine + bytes > tonumber(ARGV[6]) or all + bytes > tonumber(ARGV[7]) then return 'refused' end
end
local expires = now + tonumber(ARGV[3])
redis.call('RPUSH', KEYS[1], string.format('%d:%d:', expires, bytes) .. ARGV[2])
redis.call('INCRBY', KEYS[2], bytes)
redis.call('INCRBY', KEYS[3], bytes)
while redis.call('LLEN', KEYS[1]) > tonumber(ARGV[8]) do drop_head(KEYS[1], KEYS[2], KEYS[3]) end
redis.call('ZADD', KEYS[4], expires, ARGV[9])
return 'held'
`;

/** KEYS: list, channel bytes, total bytes, index. ARGV: channel. Takes every unexpired message, oldest first. */
const RELEASE = `${LUA_HELPERS}
local empty = trim(KEYS[1], KEYS[2], KEYS[3], now_ms())
redis.call('ZREM', KEYS[4], ARGV[1])
if empty then return {} end
local entries = redis.call('LRANGE', KEYS[1], 0, -1)
redis.call('DECRBY', KEYS[3], tonumber(redis.call('GET', KEYS[2]) or '0'))
redis.call('DEL', KEYS[1], KEYS[2])
local out = {}
for i, entry in ipairs(entries) do out[i] = string.match(entry, '^%d+:%d+:(.*)$') end
return out
`;

/** KEYS: list, channel bytes, total bytes. */
const HELD_BYTES = `${LUA_HELPERS}
trim(KEYS[1], KEYS[2], KEYS[3], now_ms())
return tonumber(redis.call('GET', KEYS[2]) or '0')
`;

/** KEYS: total bytes, index. ARGV: key prefix. Empties channels whose newest message has expired. */
const SWEEP = `${LUA_HELPERS}
local now = now_ms()
local due = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now, 'LIMIT', 0, 500)
for _, channel in ipairs(due) do
  if trim(ARGV[1] .. 'held:' .. channel, ARGV[1] .. 'heldbytes:' .. channel, KEYS[1], now) then
    redis.call('ZREM', KEYS[2], channel)
  end
end
return #due
`;

interface HubCommands {
  ixvDeliver(...args: (string | number)[]): Promise<Delivery>;
  ixvRelease(...args: string[]): Promise<string[]>;
  ixvHeldBytes(...args: string[]): Promise<number>;
  ixvSweep(...args: string[]): Promise<number>;
}

export class RedisHub implements NotificationHub {
  private readonly redis: Redis & HubCommands;
  private handler: HubMessageHandler = () => {};
  private readonly onRedisMessage = (pubsubChannel: string, message: string) => {
    if (!pubsubChannel.startsWith(this.pubsubPrefix)) return;
    this.handler(pubsubChannel.slice(this.pubsubPrefix.length), JSON.parse(message));
  };
  private readonly pubsubPrefix: string;
  private readonly listening = new Set<string>();
  /**
   * The subscriber connection is back after it was lost (Redis restarted, the network): ioredis subscribes
   * again, but what other nodes delivered meanwhile found nobody listening and was held in Redis, where only
   * `listen` takes it. Without this, those results waited there for sessions that were still here, until they
   * expired. Listened again the same way: subscribed first, taken second.
   */
  private readonly onReconnected = () => {
    if (this.listening.size > 0) void this.listenAgain();
  };

  /** `redis` runs commands; `subscriber` is a connection in subscriber mode, shared with other listeners. */
  constructor(
    redis: Redis,
    private readonly subscriber: Redis,
    private readonly prefix: string,
    private readonly limits: HoldLimits,
  ) {
    this.redis = redis as Redis & HubCommands;
    this.pubsubPrefix = `${prefix}n:`;
    if (!('ixvDeliver' in redis)) {
      redis.defineCommand('ixvDeliver', { numberOfKeys: 4, lua: DELIVER });
      redis.defineCommand('ixvRelease', { numberOfKeys: 4, lua: RELEASE });
      redis.defineCommand('ixvHeldBytes', { numberOfKeys: 3, lua: HELD_BYTES });
      redis.defineCommand('ixvSweep', { numberOfKeys: 2, lua: SWEEP });
    }
    subscriber.on('message', this.onRedisMessage);
    subscriber.on('ready', this.onReconnected);
  }

  async deliver(channel: string, data: Record<string, unknown>, force: boolean): Promise<Delivery> {
    const json = JSON.stringify(data);
    return this.redis.ixvDeliver(
      ...this.keys(channel),
      `${this.pubsubPrefix}${channel}`,
      json,
      this.limits.holdMs,
      Buffer.byteLength(json),
      force ? '1' : '0',
      this.limits.maxHeldBytesPerChannel,
      this.limits.maxHeldBytes,
      this.limits.maxHeld,
      channel,
    );
  }

  async heldBytes(channel: string): Promise<number> {
    const [list, bytes, total] = this.keys(channel);
    return Number(await this.redis.ixvHeldBytes(list, bytes, total));
  }

  async listen(channel: string): Promise<Record<string, unknown>[]> {
    this.listening.add(channel);
    // Subscribed first, taken second (see the file's comment).
    await this.subscriber.subscribe(`${this.pubsubPrefix}${channel}`);
    const held = await this.redis.ixvRelease(...this.keys(channel), channel);
    return held.map((json) => JSON.parse(json) as Record<string, unknown>);
  }

  async unlisten(channel: string): Promise<void> {
    this.listening.delete(channel);
    await this.subscriber.unsubscribe(`${this.pubsubPrefix}${channel}`);
  }

  onMessage(handler: HubMessageHandler): void {
    this.handler = handler;
  }

  async sweep(): Promise<void> {
    await this.redis.ixvSweep(`${this.prefix}heldbytes`, `${this.prefix}holding`, this.prefix);
  }

  /** Every channel listened to, subscribed again, then what was held for it meanwhile handed to the handler. */
  private async listenAgain(): Promise<void> {
    try {
      await this.subscriber.subscribe(...[...this.listening].map((c) => `${this.pubsubPrefix}${c}`));
      for (const channel of [...this.listening]) {
        const held = await this.redis.ixvRelease(...this.keys(channel), channel);
        for (const json of held) this.handler(channel, JSON.parse(json));
      }
    } catch {
      // Lost again: the next reconnection tries again, and until then what is delivered is held.
    }
  }

  /** Stops listening; what is held stays in Redis for the other nodes. */
  async close(): Promise<void> {
    this.subscriber.off('message', this.onRedisMessage);
    this.subscriber.off('ready', this.onReconnected);
    const channels = [...this.listening].map((c) => `${this.pubsubPrefix}${c}`);
    this.listening.clear();
    if (channels.length > 0 && this.subscriber.status === 'ready') await this.subscriber.unsubscribe(...channels);
  }

  private keys(channel: string): [string, string, string, string] {
    const p = this.prefix;
    return [`${p}held:${channel}`, `${p}heldbytes:${channel}`, `${p}heldbytes`, `${p}holding`];
  }
}
