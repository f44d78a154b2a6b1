/** The one search every facade translates into; the store answers it with keyset paging. */
import type { TextQuery } from './fulltext.js';
import type { Direction, MediaType } from './interaction.js';

export type Source = 'main' | 'archive';
export type SortOrder = 'asc' | 'desc';

/** Where a page ended: the sort key of its last row. */
export interface PagePosition {
  startMs: number;
  id: string;
}

export interface InteractionSearch {
  source: Source;
  /** Inclusive bounds on the start instant. */
  fromMs?: number;
  toMs?: number;
  mediaTypes?: MediaType[];
  ownerId?: string;
  handlingAgentId?: string;
  contactId?: string;
  connectFromPrefix?: string;
  connectToPrefix?: string;
  direction?: Direction;
  /** All must match, by equality. */
  customAttributes?: Record<string, string>;
  /** Only interactions with at least one content item (the Vonage search). */
  withContentOnly?: boolean;
  /** Full-text: only interactions whose text matches (src/domain/fulltext.ts). */
  text?: TextQuery;
  /** With `text`: the `limit` most relevant hits, best first, instead of time order (one page, no cursor). */
  byRelevance?: boolean;
  order: SortOrder;
  limit: number;
  after?: PagePosition;
}

export const MAX_PAGE_SIZE = 1000;
