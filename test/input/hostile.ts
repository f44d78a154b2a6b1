/**
 * Hostile requests generated from the OpenAPI description (`/openapi.json`):
 * for every operation, its path, query and header parameters, its body and
 * the session cookie get values chosen to break parsers and limits — huge
 * and non-finite numbers, numeric strings, malformed percent-escapes, deep
 * nesting, long lists and repeated parameters, wrong types, unicode (lone
 * surrogates included), empty values — mixed with valid ones so that
 * requests also reach the handlers, the domain rules and the store.
 * Shared by the bounded suite (hostile.test.ts) and `npm run fuzz`.
 */
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';

type Schema = {
  type?: string | string[];
  enum?: unknown[];
  examples?: unknown[];
  default?: unknown;
  format?: string;
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  oneOf?: Schema[];
  additionalProperties?: boolean | Schema;
  minimum?: number;
  maximum?: number;
};

interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  required?: boolean;
  schema?: Schema;
}

export interface Operation {
  method: string;
  path: string;
  parameters: Parameter[];
  body?: { contentTypes: string[]; schema: Schema };
}

export interface OpenApi {
  paths: Record<
    string,
    Record<string, { parameters?: Parameter[]; requestBody?: { content: Record<string, { schema: Schema }> } }>
  >;
}

/** What the generator may use as real, existing things: credentials, ids, keys. */
export interface Known {
  /** Authorization headers of strong principals (reach every handler) and weaker ones. */
  authorizations: string[];
  /** A valid session cookie value (`ixv_session=…`). */
  sessionCookie: string;
  ids: string[];
  guids: string[];
  contentKeys: string[];
}

/** A string that stands for raw JSON text where JSON.stringify cannot write it (1e309, deep nesting). */
const RAW = '@@RAW@@';

const NUMERIC = [
  '1e309',
  '-1e309',
  'Infinity',
  '-Infinity',
  'NaN',
  '1e308',
  '-0',
  '0',
  '-1',
  '1.5',
  '9007199254740993',
  '123456789012345678901234567890',
  '0x1F',
  '1e3',
  ' 1',
  '00001',
  '2147483648',
  '1_000',
];
const ESCAPES = ['%', '%%', '%zz', '%E0%A4%A', '%00', '%FF', '%C0%AF', '%ED%A0%80', '%2', '%u0041', '%25%', '%%32%30'];
const DATES = [
  '2025-03-10T09:00:00Z',
  '2025-03-10T09:00:00.000+02:00',
  '2025-13-45T99:99:99Z',
  '+275760-09-13T00:00:00Z',
  '275760-09-13T00:00:00.001Z',
  '9999-12-31T23:59:59.999+14:00',
  '0000-01-01T00:00:00Z',
  '2025-03-10',
  '2025-03-10 09:00:00.000+0200',
  '2025-02-29T00:00:00Z',
  '2025-03-10T09:00:00',
  '-001000-01-01T00:00:00Z',
];
const SPECIAL = [
  '',
  ' ',
  'null',
  'undefined',
  'true',
  '[]',
  '{}',
  '__proto__',
  'constructor',
  'hasOwnProperty',
  '../../etc/passwd',
  "' or 1=1 --",
  '"); drop table interactions; --',
  '<script>alert(1)</script>',
  '\u0000',
  '\u202e\u0301',
  '😀',
  'ＡＢＣ',
  'ß',
  'İ',
  'a=b',
  'a,b,c',
  ',,,,',
  'a'.repeat(300),
  'é'.repeat(5000),
];

/** A parameter value: `raw` values go into the URL as they are (malformed escapes), others percent-encoded. */
interface Value {
  text: string;
  raw?: boolean;
}

/** Percent-encodes like a client would, lone surrogates included (as U+FFFD, as Buffer does). */
function encode(text: string): string {
  try {
    return encodeURIComponent(text);
  } catch {
    return [...Buffer.from(text, 'utf8')].map((b) => `%${b.toString(16).padStart(2, '0').toUpperCase()}`).join('');
  }
}

const unicode = fc.string({ unit: 'binary', maxLength: 24 });

function validStrings(name: string, schema: Schema | undefined, known: Known): string[] {
  const out: string[] = [];
  for (const v of [...(schema?.enum ?? []), ...(schema?.examples ?? []), schema?.default])
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') out.push(String(v));
  const lower = name.toLowerCase();
  if (schema?.type === 'integer' || schema?.type === 'number')
    out.push('1', '10', String(schema.maximum ?? 1000), String(schema.minimum ?? 0));
  if (schema?.type === 'boolean') out.push('true', 'false');
  if (/^(from|start|since)|^fromdate$/.test(lower)) out.push('2025-03-09T00:00:00Z', '2025-03-09');
  else if (/^(to|end)|^todate$/.test(lower)) out.push('2025-03-12T00:00:00.000+02:00', '2025-03-12');
  else if (/date|timestamp/.test(lower) || schema?.format === 'date-time') out.push(...DATES.slice(0, 2));
  if (lower === 'guid') out.push(...known.guids, randomUUID());
  if (lower === 'id') out.push(...known.ids, ...known.guids);
  if (lower === 'contentkey') out.push(...known.contentKeys, 'callRecording', 'transcript');
  if (lower.includes('mediatype')) out.push('chat', 'call,chat', 'CALL');
  if (lower.includes('customattribute')) out.push('SearchId=123456', 'SearchId', 'a=b=c');
  if (lower.includes('agent') || lower === 'userid' || lower.includes('owner')) out.push('agent-1', 'agent-2');
  if (out.length === 0) out.push('x', 'contact-1');
  return out;
}

/** `gentle`: mostly valid values, so that requests get past validation into handlers, rules and queries. */
function hostileValue(name: string, schema: Schema | undefined, known: Known, gentle = false): fc.Arbitrary<Value> {
  const text = (a: fc.Arbitrary<string>) => a.map((t): Value => ({ text: t }));
  return fc.oneof(
    { weight: gentle ? 60 : 4, arbitrary: text(fc.constantFrom(...validStrings(name, schema, known))) },
    { weight: 2, arbitrary: text(fc.constantFrom(...NUMERIC)) },
    { weight: 2, arbitrary: fc.constantFrom(...ESCAPES).map((t): Value => ({ text: t, raw: true })) },
    { weight: 1, arbitrary: text(fc.constantFrom(...DATES)) },
    { weight: 2, arbitrary: text(fc.constantFrom(...SPECIAL)) },
    { weight: 2, arbitrary: text(unicode) },
    { weight: 1, arbitrary: text(fc.double().map(String)) },
    { weight: 1, arbitrary: text(fc.bigInt().map(String)) },
  );
}

/** How many times a query parameter is sent: mostly once, sometimes a few, sometimes a flood. */
const repetitions = fc.oneof(
  { weight: 12, arbitrary: fc.constant(1) },
  { weight: 3, arbitrary: fc.integer({ min: 2, max: 5 }) },
  { weight: 1, arbitrary: fc.integer({ min: 100, max: 2000 }) },
);

function queryString(params: Parameter[], known: Known, gentle = false): fc.Arbitrary<string> {
  const one = (name: string, schema: Schema | undefined) =>
    fc.tuple(hostileValue(name, schema, known, gentle), gentle ? fc.constant(1) : repetitions).map(([value, times]) => {
      const pair = `${encode(name)}=${value.raw ? value.text : encode(value.text)}`;
      return Array.from({ length: times }, () => pair).join('&');
    });
  const sometimes = <T>(arbitrary: fc.Arbitrary<T>, absent: number) =>
    fc.oneof({ weight: absent, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary });
  // Gentle requests leave out what cannot be valid without a previous answer (cursors).
  const sent = gentle ? params.filter((p) => !/cursor|continuationtoken/i.test(p.name)) : params;
  const parts = sent.map((p) =>
    gentle && p.required ? one(p.name, p.schema) : sometimes(one(p.name, p.schema), gentle ? 3 : 1),
  );
  const unknown = sometimes(
    fc
      .tuple(
        fc.constantFrom('__proto__', 'constructor', 'a[b]', 'toString', '', '%zz', 'LIMIT', 'Limit'),
        hostileValue('x', undefined, known),
      )
      .map(([name, value]) => `${name.startsWith('%') ? name : encode(name)}=${value.raw ? value.text : encode(value.text)}`),
    gentle ? 1000 : 3,
  );
  return fc.tuple(fc.tuple(...parts), unknown).map(([list, extra]) => [...list, extra].filter((p) => p !== undefined).join('&'));
}

interface JsonContext {
  known: Known;
  gentle: boolean;
  /** Whether long lists may still be made here (never inside one: their sizes would multiply). */
  long: boolean;
}

/** JSON values for a schema: mostly well-typed, with hostile leaves anywhere. */
function jsonValue(schema: Schema | undefined, ctx: JsonContext, name: string, depth: number): fc.Arbitrary<unknown> {
  const hostileLeaf: fc.Arbitrary<unknown> = fc.oneof(
    fc.constantFrom<unknown>(
      null,
      true,
      0,
      -1,
      1.5,
      Number.MAX_SAFE_INTEGER + 2,
      `${RAW}1e309`,
      `${RAW}-1e309`,
      `${RAW}1e-400`,
      `${RAW}123456789012345678901234567890`,
      `${RAW}-0`,
      `${RAW}DEEP:40`,
      `${RAW}DEEP:5000`,
      `${RAW}DEEPARRAY:5000`,
      {},
      [],
      { __proto__: { polluted: true } },
      JSON.parse('{"__proto__":{"polluted":true}}'),
      { constructor: { prototype: { polluted: true } } },
    ),
    fc.constantFrom(...SPECIAL, ...NUMERIC, ...DATES, ...ESCAPES),
    unicode,
    fc.double(),
    fc.array(fc.constantFrom('chat', 'x', 1, null), { minLength: 1500, maxLength: 1600 }),
  );
  const typed = typedJson(schema, ctx, name, depth);
  return fc.oneof({ weight: ctx.gentle ? 80 : 5, arbitrary: typed }, { weight: 1, arbitrary: hostileLeaf });
}

function typedJson(schema: Schema | undefined, ctx: JsonContext, name: string, depth: number): fc.Arbitrary<unknown> {
  const s = schema ?? {};
  if (s.oneOf && s.oneOf.length > 0) return fc.oneof(...s.oneOf.map((o) => typedJson(o, ctx, name, depth)));
  const type = Array.isArray(s.type) ? s.type[0] : s.type;
  if (s.enum && s.enum.length > 0) return fc.constantFrom(...s.enum);
  if (depth > 4) return fc.constantFrom<unknown>('x', 1, null);
  if (type === 'object' || s.properties) {
    const props = Object.entries(s.properties ?? {});
    if (props.length === 0)
      return fc.dictionary(
        fc.constantFrom('a', 'queue', '__proto__', 'x'.repeat(200), ''),
        jsonValue(undefined, ctx, name, depth + 1),
        {
          maxKeys: 4,
        },
      );
    const model: Record<string, fc.Arbitrary<unknown>> = {};
    for (const [key, child] of props) model[key] = jsonValue(child, ctx, key, depth + 1);
    const required = (s.required ?? []).filter((k) => k in model);
    return fc.record(model, { requiredKeys: required });
  }
  if (type === 'array') {
    const short = fc.array(jsonValue(s.items, ctx, name, depth + 1), { maxLength: 4 });
    if (!ctx.long || ctx.gentle) return short;
    // A long list repeats one item that holds no long list itself.
    const repeated = fc
      .tuple(jsonValue(s.items, { ...ctx, long: false }, name, depth + 1), fc.integer({ min: 1000, max: 1100 }))
      .map(([item, n]) => Array.from({ length: n }, () => item));
    return fc.oneof({ weight: 6, arbitrary: short }, { weight: 1, arbitrary: repeated });
  }
  if (type === 'integer' || type === 'number') return fc.oneof(fc.integer({ min: -2, max: 2000 }), fc.constant(1));
  if (type === 'boolean') return fc.boolean();
  return fc.constantFrom(...validStrings(name, s, ctx.known));
}

/** JSON text with the raw stand-ins written out. */
export function toJsonText(value: unknown): string {
  return JSON.stringify(value).replace(new RegExp(`"${RAW}([^"]*)"`, 'g'), (_m, raw: string) => {
    const deep = /^DEEP(ARRAY)?:(\d+)$/.exec(raw);
    if (!deep) return raw;
    const levels = Number(deep[2]);
    return deep[1] ? `${'['.repeat(levels)}${']'.repeat(levels)}` : `${'{"a":'.repeat(levels)}{}${'}'.repeat(levels)}`;
  });
}

const MALFORMED_BODIES = [
  '',
  '{',
  '{"a":',
  '[1,2',
  'null',
  '"str"',
  '123',
  '\uFEFF{}',
  '{"a":1,"a":2}',
  '{"__proto__":{"polluted":true}}',
  '{"constructor":{"prototype":{"polluted":true}}}',
  `[${'null,'.repeat(20000)}null]`,
  '\u0000',
  '{"a":"\\ud800"}',
  '{"a":"\\u00"}',
];

const CONTENT_TYPES = [
  'application/json',
  'application/json; charset=utf-8',
  'application/json; charset=utf-16',
  'application/merge-patch+json',
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'audio/wav',
  'text/html',
  'image/svg+xml',
  '',
  '*/*',
  'application/',
  'a/b; x="%zz"',
];

const RANGES = [
  'bytes=0-',
  'bytes=-0',
  'bytes=0-0',
  'bytes=1-0',
  'bytes=99999999999999999999-',
  'bytes=0-1,2-3',
  'bytes=NaN-',
  'items=0-1',
  'bytes=-1e309',
  'bytes=--1',
];

function headerSafe(text: string): string {
  // What an HTTP client can put in a header: no controls but tab; other characters travel as Latin-1 bytes.
  return Buffer.from(text, 'latin1')
    .toString('latin1')
    .replace(/[^\t\x20-\x7e\x80-\xff]/g, '?');
}

function authorization(known: Known): fc.Arbitrary<string | undefined> {
  const basic = (pair: string) => `Basic ${Buffer.from(pair).toString('base64')}`;
  return fc.oneof(
    { weight: 10, arbitrary: fc.constantFrom(...known.authorizations) },
    {
      weight: 3,
      arbitrary: fc.oneof(
        fc.constant(undefined),
        fc.constantFrom(
          '',
          'Basic',
          'Basic ',
          'Bearer',
          'Bearer ',
          'Basic %%%',
          'Digest x',
          'Bearer a.b.c',
          'Basic ====',
          'basic YTpi',
        ),
        fc
          .tuple(fc.constantFrom(...SPECIAL, ...ESCAPES), fc.constantFrom(...SPECIAL, ...ESCAPES))
          .map(([u, p]) => basic(`${u}:${p}`)),
        unicode.map((u) => basic(u)),
        fc.constantFrom(...NUMERIC, ...ESCAPES).map((t) => `Bearer ${t}`),
      ),
    },
  );
}

function cookie(known: Known): fc.Arbitrary<string | undefined> {
  return fc.oneof(
    { weight: 6, arbitrary: fc.constant(undefined) },
    { weight: 1, arbitrary: fc.constant(known.sessionCookie) },
    {
      weight: 3,
      arbitrary: fc
        .constantFrom(...ESCAPES, ...SPECIAL.slice(0, 20), ...NUMERIC)
        .map((v) => headerSafe(`ixv_session=${v}; other=${v}`)),
    },
  );
}

/** One operation's requests: half of them gentle (mostly valid), half hostile throughout. */
export function requestsFor(op: Operation, known: Known): fc.Arbitrary<InjectOptions> {
  return fc.oneof(requestsOf(op, known, true), requestsOf(op, known, false));
}

function requestsOf(op: Operation, known: Known, gentle: boolean): fc.Arbitrary<InjectOptions> {
  const pathParams = op.parameters.filter((p) => p.in === 'path');
  const queryParams = op.parameters.filter((p) => p.in === 'query');
  const path = fc.tuple(...pathParams.map((p) => hostileValue(p.name, p.schema, known, gentle))).map((values) => {
    let url = op.path;
    pathParams.forEach((p, i) => {
      const v = values[i] as Value;
      url = url.replace(`{${p.name}}`, v.raw ? v.text : encode(v.text));
    });
    return url;
  });
  const isContentUpload = op.method === 'PUT';
  const body: fc.Arbitrary<{ payload?: string | Buffer; contentType?: string }> = isContentUpload
    ? fc.record({
        payload: fc.uint8Array({ maxLength: 2048 }).map((b) => Buffer.from(b)),
        contentType: gentle ? fc.constantFrom('audio/wav', 'application/json') : fc.constantFrom(...CONTENT_TYPES),
      })
    : op.body
      ? fc.oneof(
          {
            weight: gentle ? 1000 : 8,
            arbitrary: fc.record({
              payload: jsonValue(op.body.schema, { known, gentle, long: true }, 'body', 0).map(toJsonText),
              contentType: fc.constantFrom(...op.body.contentTypes),
            }),
          },
          {
            weight: 2,
            arbitrary: fc.record({
              payload: fc.constantFrom(...MALFORMED_BODIES),
              contentType: fc.constantFrom(...CONTENT_TYPES),
            }),
          },
          {
            weight: 1,
            arbitrary: fc.record({
              payload: queryString(
                Object.entries(op.body.schema.properties ?? {}).map(([name, schema]) => ({ name, in: 'query' as const, schema })),
                known,
              ),
              contentType: fc.constant('application/x-www-form-urlencoded'),
            }),
          },
        )
      : fc.constant({});
  const headers = fc.record({
    authorization: gentle ? fc.constantFrom(...known.authorizations) : authorization(known),
    cookie: gentle ? fc.constant(undefined) : cookie(known),
    accept: fc.oneof(
      { weight: 8, arbitrary: fc.constant('application/vnd.newvoicemedia.v3+json') },
      {
        weight: 1,
        arbitrary: fc.constantFrom(
          'application/vnd.newvoicemedia.v2+json;q=0.5, */*',
          '*/*',
          '',
          'application/vnd.newvoicemedia.v9+json',
          '%zz',
        ),
      },
    ),
    range: fc.option(fc.constantFrom(...RANGES), { nil: undefined, freq: 3 }),
    ifNoneMatch: fc.option(fc.constantFrom('*', '"x"', 'W/"x"', '""', '%zz', ...SPECIAL.slice(0, 8)), {
      nil: undefined,
      freq: 4,
    }),
    ifModifiedSince: fc.option(fc.constantFrom(...DATES, 'Thu, 01 Jan 1970 00:00:00 GMT', 'garbage'), {
      nil: undefined,
      freq: 4,
    }),
  });
  return fc.tuple(path, queryString(queryParams, known, gentle), body, headers).map(([url, query, b, h]) => {
    const all: Record<string, string | undefined> = {
      authorization: h.authorization,
      cookie: h.cookie,
      accept: h.accept,
      range: h.range,
      'if-none-match': h.ifNoneMatch,
      'if-modified-since': h.ifModifiedSince,
      'content-type': b.contentType,
    };
    const sent: Record<string, string> = {};
    for (const [name, value] of Object.entries(all)) if (value !== undefined) sent[name] = headerSafe(value);
    const options: InjectOptions = { method: op.method as 'GET', url: query ? `${url}?${query}` : url, headers: sent };
    if (b.payload !== undefined) options.payload = b.payload;
    return options;
  });
}

export function operationsOf(spec: OpenApi): Operation[] {
  const ops: Operation[] = [];
  for (const [path, methods] of Object.entries(spec.paths))
    for (const [method, op] of Object.entries(methods)) {
      const content = op.requestBody?.content ?? {};
      const types = Object.keys(content);
      const first = types[0] ? content[types[0]]?.schema : undefined;
      const operation: Operation = { method: method.toUpperCase(), path, parameters: op.parameters ?? [] };
      if (first) operation.body = { contentTypes: types, schema: first };
      ops.push(operation);
    }
  return ops;
}

/**
 * The native write routes document `{type: object}` only (the domain validates
 * the record); give them the canonical record's schema from the batch route,
 * so that generated bodies look like records.
 */
export function withRecordSchemas(ops: Operation[]): Operation[] {
  const batch = ops.find((o) => o.path.endsWith(':batch'));
  const record = batch?.body?.schema.oneOf?.[1]?.items;
  if (!record) return ops;
  return ops.map((o) =>
    o.body && !o.body.schema.properties && !o.body.schema.oneOf && o.path.startsWith('/api/v1/')
      ? { ...o, body: { ...o.body, schema: record } }
      : o,
  );
}

export function hostileRequests(ops: Operation[], known: Known): fc.Arbitrary<InjectOptions> {
  return fc.oneof(...ops.map((op) => requestsFor(op, known)));
}

/** What a run found: counts by status, and the requests answered ≥ 500 or leaking internals. */
export class Tally {
  readonly byStatus = new Map<number, number>();
  readonly failures: { request: InjectOptions; status: number; body: string }[] = [];
  total = 0;
  failed = 0;

  record(request: InjectOptions, res: LightMyRequestResponse): void {
    this.total++;
    this.byStatus.set(res.statusCode, (this.byStatus.get(res.statusCode) ?? 0) + 1);
    const leaks =
      /is not a function|Cannot read propert|SqliteError|syntax error at|Maximum call stack|URI malformed|at [\w.]+ \(/.test(
        res.body,
      );
    if (res.statusCode >= 500 || leaks) {
      this.failed++;
      // Keep the first few whole, to reproduce them; count the rest.
      if (this.failures.length < 20) this.failures.push({ request, status: res.statusCode, body: res.body.slice(0, 300) });
    }
  }

  summary(): string {
    const statuses = [...this.byStatus.entries()].sort(([a], [b]) => a - b).map(([s, n]) => `${s}: ${n}`);
    return `${this.total} requests; ${statuses.join(', ')}; ≥500 or leaking: ${this.failed}`;
  }
}

/** Sends `count` requests in seeded chunks (so a large run never holds them all), a few at a time. */
export async function runHostile(
  inject: (options: InjectOptions) => Promise<LightMyRequestResponse>,
  arbitrary: fc.Arbitrary<InjectOptions>,
  options: { count: number; seed: number; concurrency?: number; onProgress?: (done: number) => void },
): Promise<Tally> {
  const tally = new Tally();
  const chunk = 50;
  for (let start = 0; start < options.count; start += chunk) {
    const requests = fc.sample(arbitrary, { seed: options.seed + start, numRuns: Math.min(chunk, options.count - start) });
    const queue = [...requests];
    const workers = Array.from({ length: options.concurrency ?? 4 }, async () => {
      for (let request = queue.shift(); request; request = queue.shift()) tally.record(request, await inject(request));
    });
    await Promise.all(workers);
    options.onProgress?.(tally.total);
  }
  return tally;
}
