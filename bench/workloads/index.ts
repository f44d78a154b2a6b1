/** Every workload, in the order a full run executes them. */
import type { Workload } from '../lib/context.js';
import { content } from './content.js';
import { fulltext } from './fulltext.js';
import { fulltextIngest } from './fulltext-ingest.js';
import { genesysHistory } from './genesys-history.js';
import { ingest } from './ingest.js';
import { outside } from './outside.js';
import { requestCost } from './request-cost.js';
import { sessions } from './sessions.js';
import { uploads } from './uploads.js';
import { vonageSearch } from './vonage-search.js';

export const WORKLOADS: Workload[] = [
  ingest,
  vonageSearch,
  requestCost,
  genesysHistory,
  content,
  uploads,
  sessions,
  fulltext,
  fulltextIngest,
  outside,
];
