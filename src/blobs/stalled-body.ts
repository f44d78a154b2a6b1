/**
 * A body an object store stopped sending in the middle, while its reader still
 * wanted bytes (the store stopped, or a partition dropped its packets without
 * closing the connection): the S3 SDK's timeouts end with the answer's head,
 * so such a download held its client and its sockets until the client gave up.
 * Time the reader holds the body back (a slow client, backpressure) or does not
 * read it in flowing mode does not count: only a reader left waiting does.
 */
import { type Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';

export class StalledBodyError extends Error {
  /** A connection's timeout, as isDependencyFailure reads it. */
  readonly code = 'ETIMEDOUT';

  constructor(stallMs: number) {
    super(`the object store sent nothing for ${stallMs} ms in the middle of a body`);
    this.name = 'StalledBodyError';
  }
}

/** `body`, ended with a StalledBodyError once it has sent nothing for `stallMs` while its reader waited. */
export function endWhenStalled(body: Readable, stallMs: number): Readable {
  let quietSince = Date.now();
  const guarded = new Transform({
    transform(chunk, _encoding, done) {
      quietSince = Date.now();
      done(null, chunk);
    },
  });
  const watch = setInterval(
    () => {
      const readerWaits = guarded.readableFlowing === true && guarded.readableLength === 0;
      if (!readerWaits) quietSince = Date.now();
      else if (Date.now() - quietSince >= stallMs) guarded.destroy(new StalledBodyError(stallMs));
    },
    Math.max(Math.floor(stallMs / 6), 10),
  );
  watch.unref();
  // The pipeline ends the body (and its socket) when the guard is destroyed, and the guard when the body fails.
  pipeline(body, guarded)
    .catch(() => {})
    .finally(() => clearInterval(watch));
  return guarded;
}
