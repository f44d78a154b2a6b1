/** Types of redis-server.mjs, for the tests and benchmarks that start a throwaway Redis. */
export interface RedisProcess {
  url: string;
  port: number;
  pid: number | undefined;
  stop(): Promise<void>;
}
export function startRedis(options?: { log?: (message: string) => void }): Promise<RedisProcess | undefined>;
export function freePort(): Promise<number>;
export function waitForPort(port: number, options?: { deadlineMs?: number; exited?: () => boolean }): Promise<void>;
