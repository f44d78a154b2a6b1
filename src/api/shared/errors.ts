/**
 * Every error a route can raise, brought to one VaultError so that each
 * facade only has to print it in its own wire format. Whatever is not a
 * VaultError or one of Fastify's own request errors becomes the generic
 * internal error: no library's message ever reaches a client.
 */
import type { FastifyError } from 'fastify';
import { errors, isVaultError, type VaultError } from '../../domain/errors.js';

interface ValidationItem {
  instancePath?: string;
  message?: string;
  params?: Record<string, unknown>;
}

export function toVaultError(err: unknown): VaultError {
  if (isVaultError(err)) return err;
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
