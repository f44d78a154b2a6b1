/**
 * Serving stored content over HTTP for every facade: validators (ETag,
 * Last-Modified), conditional GET, and single byte ranges (RFC 9110).
 *
 * The bytes and their Content-Type come from whoever uploaded them, and are
 * served from the origin that holds the session cookie: so every content
 * answer forbids sniffing, runs in a sandbox without any resource (no script
 * can run even if a browser renders it), and is a download unless its type
 * is a media type browsers only display.
 *
 * With a blob store that serves downloads by redirect (S3 with
 * `--s3-download-redirect`), the answer is a 302 to a presigned URL valid for
 * a minute, whose answer carries the same Content-Type, Content-Disposition
 * and Cache-Control (signed in). S3 cannot add nosniff or the sandbox, which
 * is why the S3 endpoint must be another origin than ixvault's (no session
 * cookie lives there). Conditional requests and 416 are answered here first.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ByteRange } from '../../blobs/blob-store.js';
import { errors } from '../../domain/errors.js';
import type { OpenedContent } from '../../services/vault.js';

/** The request headers a download understands (route schemas, so the OpenAPI description lists them). */
export const DOWNLOAD_HEADERS = {
  range: { type: 'string', maxLength: 256, description: 'one byte range (`bytes=0-1023`, `bytes=1024-`, `bytes=-512`)' },
  'if-range': { type: 'string', maxLength: 256, description: 'an ETag or Last-Modified: the range only if unchanged' },
  'if-none-match': { type: 'string', maxLength: 1024, description: 'ETags: 304 when one matches' },
  'if-modified-since': { type: 'string', maxLength: 64, description: 'HTTP date: 304 when not modified since' },
} as const;

const BYTES = {
  '*/*': { schema: { type: 'string', format: 'binary', description: 'the stored bytes, in their own media type' } },
};
const VALIDATORS = {
  ETag: { type: 'string', description: 'the SHA-256 of the bytes, quoted' },
  'Last-Modified': { type: 'string', description: 'HTTP date' },
};

/** The answers of a download beside errors (OpenAPI description only: the bytes are not serialized). */
export const DOWNLOAD_RESPONSES = {
  200: {
    description: 'The content, with the Content-Type it was uploaded with',
    headers: { ...VALIDATORS, 'Content-Length': { type: 'integer' }, 'Accept-Ranges': { type: 'string', enum: ['bytes'] } },
    content: BYTES,
  },
  206: {
    description: 'The requested byte range',
    headers: { ...VALIDATORS, 'Content-Range': { type: 'string', examples: ['bytes 0-1023/48000'] } },
    content: BYTES,
  },
  302: {
    type: 'null' as const,
    description:
      'Only on a server run with --s3-download-redirect: the read was authorised and audited, and the bytes are at Location, a presigned S3 URL valid for 60 s (send Range there again)',
    headers: { Location: { type: 'string', format: 'uri' } },
  },
  304: { type: 'null' as const, description: 'Not modified (If-None-Match or If-Modified-Since)', headers: VALIDATORS },
};

/** The error a download adds to the usual ones. */
export const DOWNLOAD_ERRORS = { 416: 'The range cannot be satisfied (Content-Range: bytes */size)' };

export type RangeRequest = { kind: 'full' } | { kind: 'partial'; range: ByteRange } | { kind: 'unsatisfiable' };

/** Parses a Range header against a size; anything but one well-formed byte range is served whole. */
export function parseRange(header: string | undefined, size: number): RangeRequest {
  if (!header) return { kind: 'full' };
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m) return { kind: 'full' };
  const [, first = '', last = ''] = m;
  if (first === '' && last === '') return { kind: 'full' };
  if (first === '') {
    const suffix = Number(last);
    if (suffix === 0 || size === 0) return { kind: 'unsatisfiable' };
    return { kind: 'partial', range: { start: Math.max(0, size - suffix), end: size - 1 } };
  }
  const start = Number(first);
  const end = last === '' ? size - 1 : Math.min(Number(last), size - 1);
  if (last !== '' && Number(last) < start) return { kind: 'full' };
  if (start >= size) return { kind: 'unsatisfiable' };
  return { kind: 'partial', range: { start, end } };
}

/** Shown inline (the console's players and viewers); everything else is an attachment. */
const INLINE_TYPES = /^(audio\/[\w.+-]+|video\/[\w.+-]+|image\/(png|jpeg|gif|webp)|text\/plain|application\/json)$/;

/** The sandbox for uploaded bytes: no script, no plugin, no subresource, no form, no navigation. */
export const CONTENT_SECURITY_POLICY = "sandbox; default-src 'none'";

/** Whether content of this type may be shown inline. Parameters (`; charset=…`) do not count. */
export function isInlineType(contentType: string): boolean {
  const essence = (contentType.split(';')[0] ?? '').trim().toLowerCase();
  return INLINE_TYPES.test(essence);
}

export async function sendContent(request: FastifyRequest, reply: FastifyReply, content: OpenedContent) {
  const { item } = content;
  const etag = `"${item.sha256}"`;
  const lastModified = new Date(Math.floor(item.lastModifiedMs / 1000) * 1000);
  reply.header('ETag', etag);
  reply.header('Last-Modified', lastModified.toUTCString());
  reply.header('Accept-Ranges', 'bytes');
  // Personal data: never stored by a browser or a shared cache; ETag still spares re-downloads.
  const cacheControl = 'private, no-store';
  const disposition = isInlineType(item.contentType) ? 'inline' : 'attachment';
  reply.header('Cache-Control', cacheControl);
  reply.header('X-Content-Type-Options', 'nosniff');
  reply.header('Content-Security-Policy', CONTENT_SECURITY_POLICY);
  reply.header('Content-Disposition', disposition);

  if (notModified(request, etag, lastModified)) return reply.code(304).send();

  let range = parseRange(request.headers.range, item.contentLength);
  const ifRange = request.headers['if-range'];
  if (range.kind !== 'full' && ifRange !== undefined && ifRange !== etag && ifRange !== lastModified.toUTCString())
    range = { kind: 'full' };
  if (range.kind === 'unsatisfiable') {
    reply.header('Content-Range', `bytes */${item.contentLength}`);
    throw errors.rangeNotSatisfiable(item.contentLength);
  }
  // A store that serves downloads by redirect (S3, opt-in): the client fetches
  // from the store's own origin, which answers with these headers and honours
  // the Range the client sends again; the read is audited before the redirect.
  // (Not for HEAD: a presigned URL is for a GET, and a HEAD is answered here as before.)
  const location =
    request.method === 'HEAD'
      ? undefined
      : await content.locate(
          { contentType: item.contentType, contentDisposition: disposition, cacheControl },
          range.kind === 'partial' ? range.range : undefined,
        );
  if (location !== undefined) return reply.code(302).header('Location', location).send();
  reply.header('Content-Type', item.contentType);
  if (range.kind === 'partial') {
    const { start, end } = range.range;
    reply.code(206);
    reply.header('Content-Range', `bytes ${start}-${end}/${item.contentLength}`);
    reply.header('Content-Length', end - start + 1);
    return reply.send(await content.read(range.range));
  }
  reply.header('Content-Length', item.contentLength);
  if (item.contentLength === 0) return reply.send('');
  return reply.send(await content.read());
}

function notModified(request: FastifyRequest, etag: string, lastModified: Date): boolean {
  const ifNoneMatch = request.headers['if-none-match'];
  if (ifNoneMatch !== undefined) {
    return ifNoneMatch
      .split(',')
      .map((t) => t.trim().replace(/^W\//, ''))
      .some((t) => t === etag || t === '*');
  }
  const ifModifiedSince = request.headers['if-modified-since'];
  if (ifModifiedSince !== undefined) {
    const since = Date.parse(ifModifiedSince);
    return !Number.isNaN(since) && lastModified.getTime() <= since;
  }
  return false;
}
