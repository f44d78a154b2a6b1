/** Types of scripts/ceph-s3.mjs, for the TypeScript tests and benchmarks that start Ceph RGW. */
export interface CephS3 {
  endpoint: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** AWS_ENDPOINT_URL, AWS_REGION, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY. */
  env: Record<string, string>;
  dir: string;
  stop(): Promise<void>;
}
export const CEPH_PACKAGES: string;
export function missingCeph(): string[];
export function startCephS3(options?: {
  log?: (message: string) => void;
  memstoreBytes?: number;
  buckets?: string[];
  timeoutMs?: number;
}): Promise<CephS3>;
export function createBucket(s3: CephS3, bucket: string): Promise<void>;
/** Resolves undefined when the endpoint creates and removes a bucket within `timeoutMs`, else why not. */
export function probeS3(
  s3: Pick<CephS3, 'endpoint' | 'region' | 'accessKeyId' | 'secretAccessKey'>,
  timeoutMs?: number,
): Promise<string | undefined>;
/** A few lines on the state of the Ceph in `dir`: daemons alive or gone, health, the tails of the logs. */
export function diagnoseCeph(dir: string): string;
