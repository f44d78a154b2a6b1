/** What every workload is given: the options, the backend, the loaded dataset and a lazily started server on it. */
import type { Backend, StoreLocation } from './backend.js';
import type { HttpClient } from './http.js';
import type { DatasetCounts } from './load.js';
import type { ResultRow } from './results.js';
import type { ServerProcess } from './server-process.js';

export interface BenchOptions {
  size: number;
  backend: 'sqlite' | 'postgres';
  only?: string[];
  seed: number;
  workDir: string;
  outDir: string;
  /** Interactions per ingest variant. */
  ingestCount: number;
  /** The ingest cases to run (workloads/ingest.ts INGEST_CASES); undefined: all. */
  ingestCases?: string[];
  /** Small uploads in the uploads workload (one on every fifth of five times as many interactions). */
  uploadCount: number;
  /** Interactions of the outside workload's store (issue 15's shape: 200 000). */
  outsideCount: number;
  /** Concurrent CometD session counts for the notifications workload. */
  sessions: number[];
  /** Seconds each session count is held under load. */
  sessionSeconds: number;
  /** Think time between a session's requests. */
  thinkMs: number;
  /** Load chat transcripts into the search dataset (they do not change the searches, only the database size). */
  datasetMessages: boolean;
  /** Keep the loaded store and reuse it on the next run with the same size, seed and backend (SQLite only). */
  reuse: boolean;
  /** fulltext: ask each query by LIKE '%…%' too (a whole-store scan: minutes a query at 10M). */
  likeBaseline: boolean;
  /** Run the server with --cpu-prof into this directory. */
  cpuProf?: string;
  /** Only draw the chart from existing results into this file. */
  chart?: string;
  /** Measured iterations per latency case. */
  iterations: number;
  /** How the page workloads read answers (bench/lib/http.ts). */
  client: HttpClient;
}

export interface Context {
  options: BenchOptions;
  backend: Backend;
  /** The loaded search dataset. */
  dataset: StoreLocation;
  counts: DatasetCounts;
  principalsFile: string;
  /** The server on the dataset store, started on first use and stopped at the end of the run. */
  server(): Promise<ServerProcess>;
  log(message: string): void;
}

export interface Workload {
  name: string;
  description: string;
  /** false: the workload makes its own data and needs no search dataset loaded (default true). */
  needsDataset?: boolean;
  run(ctx: Context): Promise<ResultRow[]>;
}
