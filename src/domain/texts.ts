/**
 * The free text of an interaction, walked in ONE place (`mapInteractionTexts`):
 * what is redacted on ingest (card numbers) and what is indexed for search
 * (`interactionTexts`) are the same fields, so a field added to the walk is
 * covered by both.
 *
 * Transcripts stored as content are read in two JSON formats (docs/SEARCH.md):
 * - ixvault's own (the demo's, src/demo/media.ts):
 *   `{ "version": 1, "lines": [{ "speaker": "agent", "text": "…", "offsetMs": 2500 }] }`
 * - a segment list, bare or under `segments`, times in seconds from the start of the recording:
 *   `[{ "speaker": "customer", "start": 12.5, "end": 15.1, "text": "…" }]`
 * Any other body of a transcript item is stored but not indexed.
 */
import type { ContentType } from './interaction.js';

/** What carries free text: an interaction, or a part of one (appended messages). */
export interface TextBearing {
  subject?: string;
  comment?: string;
  messages?: { index?: number; text?: string }[];
  /** An email's bodies (its addresses are identifiers, not text). */
  email?: { text?: string; html?: string };
}

export interface TextField {
  /** Dotted path, e.g. `messages.2.text`. */
  field: string;
  text: string;
}

/**
 * A copy of `record` with every free text replaced by `map(text, field)`
 * (`position`: a message's, for `messages.N.text`); the input is not changed.
 * A message whose text `map` leaves as it is stays the same object: every
 * ingested record is walked twice (card numbers, index), nearly all messages
 * unchanged, and nothing changes a message once validated.
 */
export function mapInteractionTexts<T extends TextBearing>(
  record: T,
  map: (text: string, field: string, position?: number) => string,
): T {
  const copy = { ...record };
  if (copy.subject !== undefined) copy.subject = map(copy.subject, 'subject');
  if (copy.comment !== undefined) copy.comment = map(copy.comment, 'comment');
  if (copy.messages !== undefined)
    copy.messages = copy.messages.map((m, i) => {
      if (m.text === undefined) return m;
      const text = map(m.text, `messages.${i}.text`, i);
      return text === m.text ? m : { ...m, text };
    });
  if (copy.email !== undefined) {
    const email = { ...copy.email };
    if (email.text !== undefined) email.text = map(email.text, 'email.text');
    if (email.html !== undefined) email.html = map(email.html, 'email.html');
    copy.email = email;
  }
  return copy;
}

/** Every free text of a record, with its path. */
export function textFields(record: TextBearing): TextField[] {
  const found: TextField[] = [];
  mapInteractionTexts(record, (text, field) => {
    found.push({ field, text });
    return text;
  });
  return found;
}

/** Where a piece of text lives in the record; `seq` orders pieces of the same kind (message index, segment number). */
export type TextPlace = 'subject' | 'comment' | 'email' | 'message' | 'transcript' | 'attachment';

export interface TextPart {
  place: TextPlace;
  /** The content item's key, for transcripts and attachments; '' otherwise. */
  contentKey: string;
  /** The message index or the transcript segment's number; 0 otherwise. */
  seq: number;
  /** A transcript segment's start, in milliseconds from the start of the recording. */
  atMs?: number;
  speaker?: string;
  text: string;
}

/** The record's own texts for the index, in reading order (the walk above); empty texts are left out. */
export function interactionTexts(i: TextBearing): TextPart[] {
  const parts: TextPart[] = [];
  mapInteractionTexts(i, (text, field, position) => {
    if (text.trim() === '') return text;
    if (position !== undefined)
      parts.push({ place: 'message', contentKey: '', seq: i.messages?.[position]?.index ?? position + 1, text });
    else if (field === 'email.text') parts.push({ place: 'email', contentKey: '', seq: 0, text });
    else if (field === 'email.html') {
      const plain = textOfHtml(text);
      if (plain.trim() !== '') parts.push({ place: 'email', contentKey: '', seq: 1, text: plain });
    } else parts.push({ place: field as 'subject' | 'comment', contentKey: '', seq: 0, text });
    return text;
  });
  return parts;
}

/** A content item's searchable texts: its file name and, for a transcript in a known format, its segments. */
export function contentTexts(
  item: {
    contentKey: string;
    type: ContentType | string;
    contentType: string;
    fileName?: string;
    containsSensitiveData?: boolean;
  },
  body?: Uint8Array,
): TextPart[] {
  const parts: TextPart[] = [];
  if (item.fileName && item.fileName.trim() !== '')
    parts.push({ place: 'attachment', contentKey: item.contentKey, seq: 0, text: item.fileName });
  if (body && isTranscriptItem(item)) parts.push(...transcriptParts(item.contentKey, body));
  return parts;
}

/**
 * Transcript content ixvault reads for the index: a transcript or chat transcript stored as JSON,
 * unless it is marked containsSensitiveData. Such content may be downloaded only with
 * content.readSensitive; a copy of its words in the index would let any reader of the record
 * find them (snippets, or a yes/no to `q=word`), so it is stored and served, never indexed.
 */
export function isTranscriptItem(item: { type: string; contentType: string; containsSensitiveData?: boolean }): boolean {
  return (
    (item.type === 'transcript' || item.type === 'chatTranscript') &&
    /json/i.test(item.contentType) &&
    item.containsSensitiveData !== true
  );
}

/** The largest transcript body that is parsed for the index (bigger ones are stored, not indexed). */
export const MAX_TRANSCRIPT_BYTES = 16 * 1024 * 1024;

/** The segments of a transcript in one of the formats above; none for anything else. */
export function transcriptParts(contentKey: string, body: Uint8Array): TextPart[] {
  if (body.byteLength > MAX_TRANSCRIPT_BYTES) return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8'));
  } catch {
    return [];
  }
  const record = isObject(parsed) ? parsed : undefined;
  const segments = Array.isArray(parsed) ? parsed : Array.isArray(record?.segments) ? record.segments : undefined;
  const parts: TextPart[] = [];
  if (segments) {
    for (const [k, s] of segments.entries()) {
      if (!isObject(s) || typeof s.text !== 'string' || s.text.trim() === '') continue;
      const part: TextPart = { place: 'transcript', contentKey, seq: k, text: s.text };
      if (typeof s.start === 'number' && Number.isFinite(s.start) && s.start >= 0) part.atMs = Math.round(s.start * 1000);
      if (typeof s.speaker === 'string') part.speaker = s.speaker;
      parts.push(part);
    }
    return parts;
  }
  if (record && Array.isArray(record.lines)) {
    for (const [k, l] of record.lines.entries()) {
      if (!isObject(l) || typeof l.text !== 'string' || l.text.trim() === '') continue;
      const part: TextPart = { place: 'transcript', contentKey, seq: k, text: l.text };
      if (typeof l.offsetMs === 'number' && Number.isFinite(l.offsetMs) && l.offsetMs >= 0) part.atMs = Math.round(l.offsetMs);
      if (typeof l.speaker === 'string') part.speaker = l.speaker;
      parts.push(part);
    }
  }
  return parts;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ' };

/**
 * The words of an HTML body, for the index: scripts, styles and comments
 * dropped, every tag a space, character references decoded. Not a renderer:
 * nothing here is ever shown as HTML.
 */
export function textOfHtml(html: string): string {
  return html
    .replace(/<!--[\s\S]*?(-->|$)/g, ' ')
    .replace(/<(script|style)\b[\s\S]*?(<\/\1\s*>|$)/gi, ' ')
    .replace(/<[^>]*>?/g, ' ')
    .replace(/&(#x[0-9a-f]{1,6}|#[0-9]{1,7}|[a-z]+);/gi, (whole, ref: string) => {
      const lower = ref.toLowerCase();
      const code = lower.startsWith('#x')
        ? Number.parseInt(lower.slice(2), 16)
        : lower.startsWith('#')
          ? Number(lower.slice(1))
          : undefined;
      if (code === undefined) return ENTITIES[lower] ?? whole;
      return code > 0 && code <= 0x10ffff && !(code >= 0xd800 && code <= 0xdfff) ? String.fromCodePoint(code) : ' ';
    });
}
