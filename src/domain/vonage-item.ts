/**
 * The Vonage interaction item (seed 004), translated from the canonical record.
 * It lives in the domain, not in the facade, because the store keeps each
 * interaction's rendering ready (interactions.vonage_head, content_items.vonage_json,
 * written by the row mappers in src/store/rows.ts): a search page is then an
 * index range read plus concatenation (docs/DECISIONS.md, "Vonage pages from
 * renderings kept ready"). The facade still owns the routes and the schema.
 */
import { type ContentItem, type ContentType, type Direction, directionOf, type Interaction } from './interaction.js';
import { toIsoSeconds } from './time.js';

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

export function toVonageContent(item: ContentItem): VonageContent {
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

/**
 * An interaction's item as JSON up to and including its content list's opening
 * bracket; the page's statement appends the content items' JSON and `]}`
 * (SearchRepository.vonagePage). The property order is the schema's
 * (src/api/vonage/schemas.ts ITEM), so the bytes are those the serializer
 * would write for the same item.
 */
export function vonageItemHead(interaction: Interaction): string {
  const { content: _content, ...head } = toVonageItem(interaction, []);
  return `${JSON.stringify(head).slice(0, -1)},"content":[`;
}

/** One content item as JSON, in the schema's property order (CONTENT). */
export function vonageContentJson(item: ContentItem): string {
  return JSON.stringify(toVonageContent(item));
}
