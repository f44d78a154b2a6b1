/**
 * Full-text search, engine-independent: ixvault tokenizes text itself, the
 * same way for documents and queries, and gives both engines (SQLite FTS5,
 * PostgreSQL tsvector) only the resulting tokens separated by spaces. So
 * "what is a word" is identical on both backends (docs/SEARCH.md):
 * - a token is a run of letters, digits and combining marks; everything else
 *   separates (so `ORD-12345` is `ord 12345`, `+1 (415) 555-0100` is `1 415 555 0100`);
 * - folded: NFKD, combining marks removed, lower case, a few letters without a
 *   decomposition spelled out (ß→ss, æ→ae, ø→o, œ→oe, ł→l, đ→d, þ→th):
 *   `Müller` = `muller`, `Ñandú` = `nandu`;
 * - Chinese and Japanese characters, written without spaces, are one token
 *   each, so a phrase of them finds the word;
 * - tokens are cut at MAX_TOKEN_CHARS; a document keeps its first MAX_DOCUMENT_TOKENS.
 *
 * The query language (`q`): words (all must occur), "exact phrases", prefix*
 * (at least MIN_PREFIX characters), OR between alternatives, -exclusion, and
 * parentheses. A word that folds to several tokens is a phrase of them
 * (`415-555-0100`). The parsed query is a small AST the store translates into
 * each engine's syntax; user text never reaches an engine's parser except as
 * tokens made of letters and digits.
 */
import { createHash } from 'node:crypto';
import { errors } from './errors.js';
import type { TextPart } from './texts.js';

export const MAX_QUERY_CHARS = 1000;
export const MAX_QUERY_TERMS = 32;
export const MAX_QUERY_DEPTH = 4;
export const MIN_PREFIX = 2;
export const MAX_TOKEN_CHARS = 64;
export const MAX_DOCUMENT_TOKENS = 100_000;
/**
 * Put between the parts of a document so that no phrase runs from one part
 * into the next. A letter the folding never produces (`ꙮ` folds to `o`), so
 * no query can name it, and a letter on every locale (PostgreSQL's parser
 * keeps it as a word).
 */
export const PART_BREAK = 'ꙮꙮ';

const WORD = /[\p{L}\p{N}\p{M}]+/gu;
const HAS_CJK = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}]/u;
/** Within a run holding CJK: each CJK character alone, other letters together. */
const CJK_SPLIT =
  /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}]|[^\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}]+/gu;
const PIECE = /[\p{L}\p{N}]+/gu;
const MARKS = /\p{M}+/gu;
const SPELLED: Record<string, string> = { ß: 'ss', æ: 'ae', ø: 'o', œ: 'oe', ł: 'l', đ: 'd', þ: 'th', ꙮ: 'o', ı: 'i' };
const SPELLED_RE = new RegExp(`[${Object.keys(SPELLED).join('')}]`, 'gu');

export interface Token {
  token: string;
  /** UTF-16 offsets of the source text the token came from. */
  start: number;
  end: number;
}

const PLAIN = /^[A-Za-z0-9]+$/;
const NON_ASCII = /[^\p{ASCII}]/u;

/** Folds one run of letters into its tokens (usually one). */
function fold(run: string): string[] {
  // Most text is plain ASCII: nothing to decompose.
  if (PLAIN.test(run)) return [run.length > MAX_TOKEN_CHARS ? run.slice(0, MAX_TOKEN_CHARS).toLowerCase() : run.toLowerCase()];
  // Words repeat (Zipf): remember the folding of recent ones.
  const known = FOLDED.get(run);
  if (known) return known;
  if (FOLDED.size >= FOLDED_MAX) FOLDED.clear();
  const tokens = foldUnicode(run);
  FOLDED.set(run, tokens);
  return tokens;
}

const FOLDED = new Map<string, string[]>();
const FOLDED_MAX = 50_000;

function foldUnicode(run: string): string[] {
  const folded = run
    .normalize('NFKD')
    .replace(MARKS, '')
    .toLowerCase()
    .replace(SPELLED_RE, (c) => SPELLED[c] ?? c);
  return (folded.match(PIECE) ?? []).map((t) =>
    [...t].length > MAX_TOKEN_CHARS ? [...t].slice(0, MAX_TOKEN_CHARS).join('') : t,
  );
}

export function tokenize(text: string): Token[] {
  const out: Token[] = [];
  for (const m of text.matchAll(WORD)) {
    const start = m.index ?? 0;
    const run = m[0];
    if (!HAS_CJK.test(run)) {
      for (const token of fold(run)) out.push({ token, start, end: start + run.length });
      continue;
    }
    for (const piece of run.matchAll(CJK_SPLIT)) {
      const at = start + (piece.index ?? 0);
      for (const token of fold(piece[0])) out.push({ token, start: at, end: at + piece[0].length });
    }
  }
  return out;
}

const ASCII_WORD = /[a-z0-9]+/g;

/** The tokens of a text without their offsets: what `tokenize` gives, faster for plain ASCII text. */
export function tokensOf(text: string): string[] {
  if (NON_ASCII.test(text)) {
    const out: string[] = [];
    for (const run of text.match(WORD) ?? []) {
      // Most runs of a text with one accented word are plain: folded without the script test or an array each.
      if (PLAIN.test(run))
        out.push(run.length > MAX_TOKEN_CHARS ? run.slice(0, MAX_TOKEN_CHARS).toLowerCase() : run.toLowerCase());
      else if (!HAS_CJK.test(run)) for (const token of fold(run)) out.push(token);
      else for (const piece of run.match(CJK_SPLIT) ?? []) for (const token of fold(piece)) out.push(token);
    }
    return out;
  }
  const words = text.toLowerCase().match(ASCII_WORD) ?? [];
  return words.map((w) => (w.length > MAX_TOKEN_CHARS ? w.slice(0, MAX_TOKEN_CHARS) : w));
}

/**
 * The token that says "this agent handled the interaction" in its document
 * (documentOf's `agentTokens`), so that a word and an agent are one intersection
 * in the engine's index (docs/SEARCH.md). It starts with `ꙮ`, which the
 * folding turns into `o`: no query token can hold it, so nothing typed in `q`
 * (word, phrase, prefix) matches it. It is a hash of the tenant and the agent
 * (64 bits as 16 letters a–p): a collision, like any stale token, only makes
 * the engine return a document the search's SQL check of the agent then
 * rejects; the index never decides who sees what.
 */
export function agentToken(tenantId: string, agentId: string): string {
  const key = `${tenantId}\n${agentId}`;
  let token = AGENT_TOKENS.get(key);
  if (token === undefined) {
    const hex = createHash('sha256').update(key).digest('hex').slice(0, 16);
    token = `${AGENT_MARK}${hex.replace(/[0-9a-f]/g, (c) => String.fromCharCode(97 + Number.parseInt(c, 16)))}`;
    if (AGENT_TOKENS.size >= FOLDED_MAX) AGENT_TOKENS.clear();
    AGENT_TOKENS.set(key, token);
  }
  return token;
}

/** The first letter of every agent token: one the folding never leaves in a token (ꙮ → o). */
export const AGENT_MARK = 'ꙮ';
const AGENT_TOKENS = new Map<string, string>();

/**
 * The text an engine indexes for one interaction: its parts' tokens, parts
 * kept apart by PART_BREAK, then (only when there is text: a document without
 * a word never matches) the tokens of the agents that handled it (agentToken),
 * after a PART_BREAK and outside the MAX_DOCUMENT_TOKENS of text.
 */
export function documentOf(parts: Pick<TextPart, 'text'>[], agentTokens: readonly string[] = []): string {
  // A part's tokens joined at once (not pushed one by one): the documents of ingest are built on its path.
  const pieces: string[] = [];
  let words = 0;
  for (const part of parts) {
    const tokens = tokensOf(part.text);
    if (tokens.length === 0) continue;
    if (words > 0) {
      pieces.push(PART_BREAK);
      words++;
    }
    const take = Math.max(0, Math.min(MAX_DOCUMENT_TOKENS - words, tokens.length));
    if (take > 0) pieces.push(take === tokens.length ? tokens.join(' ') : tokens.slice(0, take).join(' '));
    words += take;
    if (take < tokens.length) break;
  }
  if (words > 0 && agentTokens.length > 0) pieces.push(PART_BREAK, ...agentTokens);
  return pieces.join(' ');
}

// ---------------------------------------------------------------- the query AST

/** One word or phrase: consecutive tokens, the last one a prefix when `prefix`. */
export interface TermNode {
  type: 'term';
  tokens: string[];
  prefix: boolean;
}
/** Every `include` matches and no `exclude` does (at least one include). */
export interface AndNode {
  type: 'and';
  include: TextQuery[];
  exclude: TextQuery[];
}
export interface OrNode {
  type: 'or';
  anyOf: TextQuery[];
}
export type TextQuery = TermNode | AndNode | OrNode;

type Lexeme =
  | { kind: 'word'; text: string; prefix: boolean }
  | { kind: 'phrase'; text: string; prefix: boolean }
  | { kind: 'or' }
  | { kind: 'minus' }
  | { kind: 'open' }
  | { kind: 'close' };

const bad = (reason: string) => errors.invalidField('q', reason);

function lex(q: string): Lexeme[] {
  const out: Lexeme[] = [];
  let i = 0;
  while (i < q.length) {
    const c = q[i] as string;
    if (/\s/u.test(c)) {
      i++;
    } else if (c === '"') {
      const close = q.indexOf('"', i + 1);
      if (close < 0) throw bad('has an unbalanced quote');
      const prefix = q[close + 1] === '*';
      out.push({ kind: 'phrase', text: q.slice(i + 1, close), prefix });
      i = close + 1 + (prefix ? 1 : 0);
    } else if (c === '(') {
      out.push({ kind: 'open' });
      i++;
    } else if (c === ')') {
      out.push({ kind: 'close' });
      i++;
    } else if (c === '-' && (out.length === 0 || /[\s(]/u.test(q[i - 1] ?? ' '))) {
      out.push({ kind: 'minus' });
      i++;
    } else {
      let j = i;
      while (j < q.length && !/[\s"()]/u.test(q[j] as string)) j++;
      const raw = q.slice(i, j);
      if (raw === 'OR') out.push({ kind: 'or' });
      else if (raw !== 'AND') {
        const prefix = raw.endsWith('*');
        out.push({ kind: 'word', text: prefix ? raw.replace(/\*+$/u, '') : raw, prefix });
      }
      i = j;
    }
  }
  return out;
}

/** Parses `q` into the AST; any query it cannot answer is a 400 naming `q`. */
export function parseTextQuery(q: string): TextQuery {
  if (q.length > MAX_QUERY_CHARS) throw bad(`must be at most ${MAX_QUERY_CHARS} characters`);
  const lexemes = lex(q);
  let pos = 0;
  let terms = 0;

  const term = (text: string, prefix: boolean): TermNode | undefined => {
    const tokens = tokenize(text).map((t) => t.token);
    if (tokens.length === 0) {
      if (prefix) throw bad('a prefix* needs letters or digits before the *');
      return undefined;
    }
    if (prefix && [...(tokens[tokens.length - 1] as string)].length < MIN_PREFIX)
      throw bad(`a prefix* needs at least ${MIN_PREFIX} letters or digits`);
    if (++terms > MAX_QUERY_TERMS) throw bad(`must have at most ${MAX_QUERY_TERMS} words and phrases`);
    return { type: 'term', tokens, prefix };
  };

  const orExpr = (depth: number): TextQuery | undefined => {
    if (depth > MAX_QUERY_DEPTH) throw bad(`must nest parentheses at most ${MAX_QUERY_DEPTH} deep`);
    const anyOf: TextQuery[] = [];
    for (;;) {
      const before = pos;
      const operand = andExpr(depth);
      if (operand) anyOf.push(operand);
      if (lexemes[pos]?.kind !== 'or') break;
      if (!operand && pos === before) throw bad('OR needs a word on each side');
      pos++;
      if (pos >= lexemes.length || lexemes[pos]?.kind === 'or' || lexemes[pos]?.kind === 'close')
        throw bad('OR needs a word on each side');
    }
    if (anyOf.length === 0) return undefined;
    return anyOf.length === 1 ? anyOf[0] : { type: 'or', anyOf };
  };

  const andExpr = (depth: number): TextQuery | undefined => {
    const include: TextQuery[] = [];
    const exclude: TextQuery[] = [];
    let sawSomething = false;
    for (;;) {
      const lexeme = lexemes[pos];
      if (!lexeme || lexeme.kind === 'or' || lexeme.kind === 'close') break;
      sawSomething = true;
      let negated = false;
      if (lexeme.kind === 'minus') {
        negated = true;
        pos++;
        const next = lexemes[pos];
        if (!next || next.kind === 'or' || next.kind === 'close' || next.kind === 'minus')
          throw bad('a - must be followed by the word or phrase to exclude');
      }
      const node = primary(depth);
      if (node) (negated ? exclude : include).push(node);
    }
    if (include.length === 0) {
      if (exclude.length > 0) throw bad('needs a word or phrase to find, not only words to exclude');
      if (sawSomething) return undefined;
      return undefined;
    }
    if (exclude.length === 0 && include.length === 1) return include[0];
    return { type: 'and', include, exclude };
  };

  const primary = (depth: number): TextQuery | undefined => {
    const lexeme = lexemes[pos++];
    if (!lexeme) throw bad('ends too early');
    switch (lexeme.kind) {
      case 'word':
      case 'phrase':
        return term(lexeme.text, lexeme.prefix);
      case 'open': {
        const inner = orExpr(depth + 1);
        if (lexemes[pos]?.kind !== 'close') throw bad('has an unbalanced parenthesis');
        pos++;
        return inner;
      }
      default:
        throw bad('has an operator where a word was expected');
    }
  };

  const query = orExpr(0);
  if (pos < lexemes.length) throw bad(lexemes[pos]?.kind === 'close' ? 'has an unbalanced parenthesis' : 'cannot be parsed');
  if (!query) throw bad('has no word or phrase to search for');
  return query;
}

/** Every term that must (or may) occur, that is, not under an exclusion: what a hit highlights. */
export function positiveTerms(query: TextQuery): TermNode[] {
  switch (query.type) {
    case 'term':
      return [query];
    case 'and':
      return query.include.flatMap(positiveTerms);
    case 'or':
      return query.anyOf.flatMap(positiveTerms);
  }
}

// ---------------------------------------------------------------- where a hit matched

export interface TextMatch {
  place: TextPart['place'];
  contentKey?: string;
  /** The message index (messages) or the segment number (transcripts). */
  seq?: number;
  /** A transcript segment's start within the recording, in milliseconds. */
  atMs?: number;
  speaker?: string;
  /** An excerpt of the part's text around the first match. */
  snippet: string;
  /** [start, end) UTF-16 offsets of the matched words within `snippet`. */
  highlights: [number, number][];
}

const SNIPPET_BEFORE = 60;
const SNIPPET_AFTER = 140;
export const MAX_MATCHES_PER_HIT = 5;

/** Spans of `text` where a term occurs. */
function occurrences(tokens: Token[], term: TermNode): [number, number][] {
  const out: [number, number][] = [];
  const n = term.tokens.length;
  for (let i = 0; i + n <= tokens.length; i++) {
    let ok = true;
    for (let k = 0; k < n && ok; k++) {
      const have = (tokens[i + k] as Token).token;
      const want = term.tokens[k] as string;
      ok = term.prefix && k === n - 1 ? have.startsWith(want) : have === want;
    }
    if (ok) out.push([(tokens[i] as Token).start, (tokens[i + n - 1] as Token).end]);
  }
  return out;
}

/**
 * The parts of a hit where a searched word or phrase occurs, in the parts'
 * order (at most MAX_MATCHES_PER_HIT), each with a snippet and the offsets to
 * highlight. Computed from the stored parts with the same tokenizer as the
 * index, so it agrees with the engine on both backends.
 */
export function locateMatches(query: TextQuery, parts: TextPart[]): { matches: TextMatch[]; total: number } {
  const terms = positiveTerms(query);
  const firsts = terms.map((t) => t.tokens[0] as string);
  const asciiTerms = firsts.every((f) => PLAIN.test(f));
  const matches: TextMatch[] = [];
  let total = 0;
  for (const part of parts) {
    // A plain-ASCII text that holds none of the terms' first words cannot match: skip tokenizing it.
    if (asciiTerms && !NON_ASCII.test(part.text)) {
      const lower = part.text.toLowerCase();
      if (!firsts.some((f) => lower.includes(f))) continue;
    }
    const tokens = tokenize(part.text);
    const spans = terms
      .flatMap((t) => occurrences(tokens, t))
      .sort((a, b) => a[0] - b[0] || b[1] - a[1])
      .filter((span, i, all) => i === 0 || span[0] >= (all[i - 1] as [number, number])[1]);
    if (spans.length === 0) continue;
    total++;
    if (matches.length >= MAX_MATCHES_PER_HIT) continue;
    const first = spans[0] as [number, number];
    let from = Math.max(0, first[0] - SNIPPET_BEFORE);
    let to = Math.min(part.text.length, first[1] + SNIPPET_AFTER);
    // Cut at spaces where possible, never inside a surrogate pair.
    if (from > 0) {
      const space = part.text.indexOf(' ', from);
      if (space >= 0 && space < first[0]) from = space + 1;
    }
    if (to < part.text.length) {
      const space = part.text.lastIndexOf(' ', to);
      if (space > first[1]) to = space;
    }
    if (from > 0 && isLowSurrogate(part.text.charCodeAt(from))) from--;
    if (to < part.text.length && isLowSurrogate(part.text.charCodeAt(to))) to++;
    const lead = from > 0 ? '…' : '';
    const snippet = `${lead}${part.text.slice(from, to)}${to < part.text.length ? '…' : ''}`;
    const highlights = spans
      .filter(([s, e]) => s >= from && e <= to)
      .map(([s, e]): [number, number] => [s - from + lead.length, e - from + lead.length]);
    const match: TextMatch = { place: part.place, snippet, highlights };
    if (part.contentKey !== '') match.contentKey = part.contentKey;
    if (part.place === 'message' || part.place === 'transcript') match.seq = part.seq;
    if (part.atMs !== undefined) match.atMs = part.atMs;
    if (part.speaker !== undefined) match.speaker = part.speaker;
    matches.push(match);
  }
  return { matches, total };
}

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}
