/** Types of cluster.mjs, for the cluster tests and benchmarks. */
import type { ChildProcess } from 'node:child_process';

export interface ClusterNode {
  name: string;
  port: number;
  url: string;
  address: string;
  child: ChildProcess | undefined;
  /** Resolves when the node's current run ends. */
  exited: Promise<unknown>;
  /** The node's last output. */
  output: string;
  /** Starts (or restarts, on the same port) and resolves once /ready answers 200. */
  start(): Promise<ClusterNode>;
  kill(signal?: NodeJS.Signals): Promise<unknown>;
  readonly pid: number | undefined;
}

export interface IxvaultCluster {
  /** nginx, in front of every node. */
  url: string;
  nodes: ClusterNode[];
  databaseUrl: string;
  redisUrl: string;
  dataDir: string;
  stop(): Promise<void>;
}

export interface ClusterOptions {
  nodes?: number;
  principals?: unknown;
  principalsFile?: string;
  databaseUrl?: string;
  redisUrl?: string;
  /**
   * `--blob-store` of every node (default: the filesystem store in the shared data directory); with
   * `s3://bucket/prefix`, the endpoint and keys go in `env` (AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID…).
   */
  blobStore?: string;
  dataDir?: string;
  secret?: string;
  extraArgs?: string[];
  env?: Record<string, string>;
  log?: (source: string, text: string) => void;
}

export function startIxvaultCluster(options?: ClusterOptions): Promise<IxvaultCluster>;
