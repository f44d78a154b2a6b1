/** Every workload, in the order a full run executes them. */
import type { Workload } from '../lib/context.js';
import { vonageSearch } from './vonage-search.js';

export const WORKLOADS: Workload[] = [vonageSearch];
