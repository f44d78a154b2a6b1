/**
 * Every error a route can raise, brought to one VaultError so that each
 * facade only has to print it in its own wire format. Whatever is not a
 * VaultError or one of Fastify's own request errors becomes the generic
 * internal error, or, when a dependency failed, the generic 503: no library's
 * message ever reaches a client.
 */
import type { FastifyError, FastifyRequest } from 'fastify';
import { isDependencyFailure } from '../../domain/dependency-failure.js';
import { errors, isVaultError, type VaultError } from '../../domain/errors.js';
import { loggedUrl } from '../../domain/logged-url.js';

interface ValidationItem {
  instancePath?: string;
  message?: string;
  params?: Record<string, unknown>;
}

export function toVaultError(err: unknown): VaultError {
  if (isVaultError(err)) return err;
  if (isDependencyFailure(err)) return errors.unavailable();
  const fe = err as Partial<FastifyError> & { validation?: ValidationItem[]; validationContext?: string };
  if (Array.isArray(fe.validation) && fe.validation.length > 0) {
    const allMissing = fe.validation.every((v) => v.params?.missingProperty !== undefined);
    return errors.invalidRequest(
      fe.validation.map((v) => {
        const missing = v.params?.missingProperty;
        const additional = v.params?.additionalProperty;
        const path = (v.instancePath ?? '').replace(/^\//, '').replaceAll('/', '.');
        const field =
          [path, missing ?? additional].filter((p) => p !== undefined && p !== '').join('.') || fe.validationContext || 'request';
        const message = missing
          ? 'is required'
          : additional
            ? 'is not a known parameter'
            : v.params?.allowedValues
              ? `must be one of ${(v.params.allowedValues as unknown[]).join(', ')}`
              : (v.message ?? 'is invalid');
        return { field: String(field), message };
      }),
      allMissing ? 'missing' : 'invalid',
    );
  }
  switch (fe.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return errors.invalidJson();
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return errors.bodyTooLarge();
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return errors.unsupportedMediaType();
  }
  const status = typeof fe.statusCode === 'number' ? fe.statusCode : 500;
  if (status === 404) return errors.notFound();
  if (status === 413) return errors.bodyTooLarge();
  if (status === 415) return errors.unsupportedMediaType();
  // Fastify's own request errors describe the request; anything else's message may describe our insides.
  if (status >= 400 && status < 500)
    return errors.badRequest(typeof fe.code === 'string' && fe.code.startsWith('FST_') && fe.message ? fe.message : undefined);
  return errors.internal();
}

/**
 * The error a facade answers for `err`, logged as what it is: a failure of the
 * server's own as an error with its stack (what an operator is paged on); a
 * client that left before its body ended as one info entry, since that is the
 * client's doing and its answer has nowhere to go.
 */
export function failureOf(err: unknown, request: FastifyRequest, what = 'request failed'): VaultError {
  if (clientLeft(err, request)) {
    request.log.info({ method: request.method, url: loggedUrl(request.url) }, 'client closed the request before its body ended');
    return errors.clientClosed();
  }
  const error = toVaultError(err);
  if (error.status >= 500) request.log.error({ err }, what);
  return error;
}

/**
 * Node's own error for a request whose connection closed before its body ended
 * (`aborted`, ECONNRESET), raised by that request's stream. A store's error
 * that merely passed through the body's pipeline is the request's `errored`
 * too, but never this one.
 */
function clientLeft(err: unknown, request: FastifyRequest): boolean {
  const e = err as NodeJS.ErrnoException | undefined;
  return e?.code === 'ECONNRESET' && e.message === 'aborted' && request.raw.errored === err;
}
