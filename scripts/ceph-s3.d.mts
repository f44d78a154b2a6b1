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
