/**
 * Sets up the search dataset: generates the contact center and stores it
 * through the bare bulk path (secondary indexes dropped during the load and
 * rebuilt once at the end, 5000 interactions per transaction). This is setup,
 * not a measurement; the ingest workload measures ixvault's own write path.
 */
import { Progress } from '../../src/cli/progress.js';
import type { BulkWriter } from './bulk.js';
import { generate, type RowSet, toRows } from './dataset.js';

const LOAD_BATCH = 5000;

export interface DatasetCounts {
  interactions: number;
  agents: number;
  attributes: number;
  messages: number;
  contentItems: number;
}

export async function loadDataset(writer: BulkWriter, seed: number, size: number, withMessages: boolean): Promise<DatasetCounts> {
  const counts: DatasetCounts = { interactions: 0, agents: 0, attributes: 0, messages: 0, contentItems: 0 };
  const nowMs = Date.now();
  await writer.dropIndexes();
  const progress = new Progress('generating and loading', size);
  let batch: RowSet[] = [];
  for (const generated of generate(seed, size)) {
    const rows = toRows(generated, nowMs, withMessages);
    counts.interactions++;
    counts.agents += rows.agents.length;
    counts.attributes += rows.attributes.length;
    counts.messages += rows.messages.length;
    counts.contentItems += rows.content.length;
    batch.push(rows);
    if (batch.length >= LOAD_BATCH) {
      await writer.write(batch);
      progress.tick(batch.length);
      batch = [];
    }
  }
  if (batch.length > 0) await writer.write(batch);
  progress.tick(batch.length);
  progress.finish();
  const indexing = new Progress('rebuilding indexes');
  await writer.rebuildIndexes();
  indexing.finish();
  return counts;
}
