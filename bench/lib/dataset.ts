/**
 * The benchmark's contact center: ixvault's own seeded generator
 * (src/demo/contact-center.ts) over one year, turned into table rows by
 * ixvault's own validator and row mappers, so the bulk loader stores exactly
 * what the API would have stored. Content bytes are never made here: content
 * items get their metadata and a placeholder hash (only the content workload
 * downloads bytes, and it uploads its own recording).
 */
import { createHash } from 'node:crypto';
import { type ContactCenterOptions, type GeneratedInteraction, generateInteractions } from '../../src/demo/contact-center.js';
import type { ContentItem, ContentType, Interaction } from '../../src/domain/interaction.js';
import { checkInteraction, type InteractionInput } from '../../src/domain/validate.js';
import { contentToRow, interactionToRow, messageToRow } from '../../src/store/rows.js';
import type {
  ContentItemsTable,
  CustomAttributesTable,
  InteractionAgentsTable,
  InteractionsTable,
  MessagesTable,
} from '../../src/store/schema.js';

export const TENANT = 'bench';
export const YEAR_START_MS = Date.UTC(2024, 0, 1);
export const YEAR_END_MS = Date.UTC(2025, 0, 1) - 1;
/** The 7-day window the search workloads query: a week in June, as busy as any (the generator is uniform in time). */
export const WEEK_START_MS = Date.UTC(2024, 5, 3);
export const WEEK_END_MS = WEEK_START_MS + 7 * 86_400_000 - 1;

export function datasetOptions(seed: number, interactions: number): ContactCenterOptions {
  return {
    seed,
    agents: 500,
    contacts: 200_000,
    interactions,
    fromMs: YEAR_START_MS,
    toMs: YEAR_END_MS,
    contentRatio: 0.3,
    messagesPerChat: 20,
  };
}

/** The rows of one interaction, table by table. */
export interface RowSet {
  interaction: InteractionsTable;
  agents: InteractionAgentsTable[];
  attributes: CustomAttributesTable[];
  messages: MessagesTable[];
  content: ContentItemsTable[];
  /**
   * The interaction's full-text document (documentOf its texts), when the
   * writer is to store the index rows too (the ingest baseline: ixvault writes
   * them in the same transaction). Absent: no index rows (the search dataset
   * is indexed by ixvault reindex where a workload needs it).
   */
  textDoc?: string;
}

function validated(generated: GeneratedInteraction): InteractionInput & { id: string; guid: string } {
  const { value, problems } = checkInteraction(generated.record);
  if (!value?.id || !value.guid) throw new Error(`generator made an invalid record: ${JSON.stringify(problems)}`);
  return value as InteractionInput & { id: string; guid: string };
}

export function toRows(generated: GeneratedInteraction, nowMs: number, withMessages = true): RowSet {
  const input = validated(generated);
  const record: Interaction = input;
  const content = generated.content.map((c) => contentToRow(TENANT, record.id, placeholderItem(record, c)));
  return {
    interaction: interactionToRow(TENANT, record, { createdMs: nowMs, updatedMs: nowMs, contentCount: content.length }),
    agents: record.handlingAgentIds.map((agentId) => ({
      tenant_id: TENANT,
      interaction_id: record.id,
      agent_id: agentId,
      start_ms: record.startMs,
    })),
    attributes: Object.entries(record.customAttributes).map(([name, value]) => ({
      tenant_id: TENANT,
      interaction_id: record.id,
      name,
      value,
      start_ms: record.startMs,
    })),
    messages: withMessages ? (input.messages ?? []).map((m) => messageToRow(TENANT, record.id, m)) : [],
    content,
  };
}

function placeholderItem(record: Interaction, c: GeneratedInteraction['content'][number]): ContentItem {
  const item: ContentItem = {
    contentKey: c.contentKey,
    type: c.type as ContentType,
    contentType: c.contentType,
    contentLength: c.size,
    sha256: createHash('sha256').update(`${record.guid}/${c.contentKey}`).digest('hex'),
    lastModifiedMs: (record.endMs ?? record.startMs) + 60_000,
    properties: {},
  };
  if (c.durationMs !== undefined) item.properties.duration = c.durationMs;
  if (c.owningAgent !== undefined) item.owningAgentId = c.owningAgent;
  if (c.owningInteractionPlan !== undefined) item.owningInteractionPlanId = c.owningInteractionPlan;
  return item;
}

export function* generate(seed: number, interactions: number): Generator<GeneratedInteraction> {
  yield* generateInteractions(datasetOptions(seed, interactions));
}
