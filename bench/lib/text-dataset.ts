/**
 * The full-text benchmark's seeded dataset: interactions whose words follow
 * a Zipf law over a 30 000-word vocabulary (some accented), so a query can
 * pick common, medium and rare words whose frequencies are known:
 * - chats (55 %): 16 messages of 4–16 words;
 * - calls (30 %): a transcript of 14 segments of 6–20 words (content, added after ingest);
 * - emails (15 %): a 40–120-word body (in `comment` until the email field lands);
 * - every subject holds an order id (`ORD-123456`); 0.5 % of chats hold the
 *   phrase "I want to cancel my contract".
 * About 13 texts (messages or segments) per interaction on average.
 */

import { Random } from '../../src/demo/random.js';
import type { TextPart } from '../../src/domain/texts.js';
import type { InteractionInput } from '../../src/domain/validate.js';

export const TEXT_TENANT = 'bench';
const VOCABULARY = 30_000;
const ZIPF_S = 1.07;
const SYLLABLES = [
  'ka',
  'lo',
  'mi',
  'ne',
  'ru',
  'sa',
  'ti',
  'vo',
  'ze',
  'da',
  'fe',
  'gu',
  'ho',
  'ji',
  'pe',
  'qu',
  'wa',
  'xi',
  'yo',
  'bre',
  'str',
  'ch',
  'ou',
  'an',
];
const ACCENTED: Record<string, string> = { a: 'á', e: 'é', o: 'ö', u: 'ü', i: 'í' };
const YEAR_MS = 366 * 86_400_000;
export const TEXT_YEAR_START = Date.UTC(2024, 0, 1);
export const AGENTS = 200;

export class Vocabulary {
  readonly words: string[] = [];
  private readonly cumulative: Float64Array;

  constructor(seed: number) {
    const random = new Random(seed ^ 0x5eed);
    const seen = new Set<string>();
    while (this.words.length < VOCABULARY) {
      const n = random.int(1, 4);
      let word = '';
      for (let k = 0; k < n; k++) word += random.pick(SYLLABLES);
      // One word in ten carries an accent (as customers type them, or not).
      if (random.chance(0.1)) word = word.replace(/[aeoui]/, (c) => ACCENTED[c] ?? c);
      if (word.length < 3 || seen.has(word) || /^(cancel|contract|my|want|ord)$/.test(word)) continue;
      seen.add(word);
      this.words.push(word);
    }
    this.cumulative = new Float64Array(VOCABULARY);
    let total = 0;
    for (let r = 0; r < VOCABULARY; r++) {
      total += 1 / (r + 1) ** ZIPF_S;
      this.cumulative[r] = total;
    }
    for (let r = 0; r < VOCABULARY; r++) this.cumulative[r] = (this.cumulative[r] as number) / total;
  }

  /** A word drawn by its Zipf frequency. */
  draw(random: Random): string {
    const x = random.next();
    let lo = 0;
    let hi = VOCABULARY - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((this.cumulative[mid] as number) < x) lo = mid + 1;
      else hi = mid;
    }
    return this.words[lo] as string;
  }

  /** The words of frequency ranks [from, from + n): a band of similar frequency. */
  band(from: number, n = 10): string[] {
    return this.words.slice(from, from + n);
  }

  sentence(random: Random, min: number, max: number): string {
    const n = random.int(min, max);
    const words: string[] = [];
    for (let k = 0; k < n; k++) words.push(this.draw(random));
    const text = words.join(' ');
    return `${text.charAt(0).toUpperCase()}${text.slice(1)}.`;
  }
}

export interface TextRecord {
  input: InteractionInput;
  /** A call's transcript segments (stored as content after the ingest). */
  transcript?: TextPart[];
}

/** The i-th interaction of the dataset (deterministic for seed and i). */
export function textRecord(vocabulary: Vocabulary, seed: number, i: number): TextRecord {
  const random = new Random((seed * 2_654_435_761 + i) >>> 0);
  const startMs = TEXT_YEAR_START + Math.floor(random.next() * YEAR_MS);
  const agent = `agent-${random.int(1, AGENTS)}`;
  const kind = random.weighted([
    ['chat', 55],
    ['call', 30],
    ['email', 15],
  ] as const);
  const input: InteractionInput = {
    id: `FT${String(i).padStart(12, '0')}`,
    mediaType: kind,
    typeId: 'Inbound',
    state: 'Stopped',
    startMs,
    endMs: startMs + 300_000,
    subject: `Order ORD-${String(random.int(0, 999_999)).padStart(6, '0')} ${vocabulary.sentence(random, 2, 5)}`,
    owner: { id: agent },
    handlingAgentIds: [agent],
    customAttributes: {},
    userData: {},
  };
  if (kind === 'email') input.comment = vocabulary.sentence(random, 40, 120);
  if (kind === 'chat') {
    const phrase = random.chance(0.005);
    input.messages = Array.from({ length: 16 }, (_, k) => ({
      index: k + 1,
      from: { type: k % 2 === 0 ? 'Customer' : 'Agent' },
      text: phrase && k === 2 ? 'I want to cancel my contract, please.' : vocabulary.sentence(random, 4, 16),
      visibility: 'All',
      timestampMs: startMs + k * 15_000,
      type: 'Text',
    }));
  }
  const record: TextRecord = { input };
  if (kind === 'call')
    record.transcript = Array.from({ length: 14 }, (_, k) => ({
      place: 'transcript' as const,
      contentKey: 'transcript',
      seq: k,
      atMs: k * 9_000,
      speaker: k % 2 === 0 ? 'agent' : 'customer',
      text: vocabulary.sentence(random, 6, 20),
    }));
  return record;
}
