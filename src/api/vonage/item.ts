/** The Vonage interaction item (seed 004), translated from the canonical record. */
import { type ContentItem, type ContentType, type Direction, directionOf, type Interaction } from '../../domain/interaction.js';
import { toIsoSeconds } from '../../domain/time.js';

export interface VonageContent {
  contentKey: string;
  type: ContentType;
  contentType: string;
  contentLength: number;
  owningAgent?: { id: string };
  owningInteractionPlan?: { id: string };
  lastModified: string;
  properties: { version?: { value: number }; duration?: { value: number } };
}

export interface VonageItem {
  guid: string;
  start: string;
  connectFrom: string | null;
  connectTo: string | null;
  direction: Direction | null;
  handlingAgents: { id: string }[];
  content: VonageContent[];
}

export function toVonageItem(interaction: Interaction, content: ContentItem[]): VonageItem {
  return {
    guid: interaction.guid,
    start: toIsoSeconds(interaction.startMs),
    connectFrom: interaction.connectFrom ?? null,
    connectTo: interaction.connectTo ?? null,
    direction: directionOf(interaction.typeId) ?? null,
    handlingAgents: interaction.handlingAgentIds.map((id) => ({ id })),
    content: content.map(toVonageContent),
  };
}

function toVonageContent(item: ContentItem): VonageContent {
  const properties: VonageContent['properties'] = {};
  if (item.properties.version !== undefined) properties.version = { value: item.properties.version };
  if (item.properties.duration !== undefined) properties.duration = { value: item.properties.duration };
  return {
    contentKey: item.contentKey,
    type: item.type,
    contentType: item.contentType,
    contentLength: item.contentLength,
    ...(item.owningAgentId !== undefined ? { owningAgent: { id: item.owningAgentId } } : {}),
    ...(item.owningInteractionPlanId !== undefined ? { owningInteractionPlan: { id: item.owningInteractionPlanId } } : {}),
    // Whole seconds, as Vonage prints it and as the download's Last-Modified header says.
    lastModified: toIsoSeconds(Math.floor(item.lastModifiedMs / 1000) * 1000),
    properties,
  };
}
