/**
 * Every error a route can raise, brought to one VaultError so that each
 * facade only has to print it in its own wire format.
 */
import type { FastifyError } from 'fastify';
import { type ErrorKind, errors, isVaultError, VaultError } from '../../domain/errors.js';

interface ValidationItem {
  instancePath?: string;
  message?: string;
  params?: Record<string, unknown>;
}

export function toVaultError(err: unknown): VaultError {
  if (isVaultError(err)) return err;
  const fe = err as FastifyError & { validation?: ValidationItem[]; validationContext?: string };
  if (Array.isArray(fe.validation) && fe.validation.length > 0) {
    const problems = fe.validation.map((v) => {
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
    });
    const kind: ErrorKind = problems.every((p) => p.message === 'is required') ? 'missing' : 'invalid';
    const first = problems[0];
    return new VaultError(kind, 'IXV_INVALID_REQUEST', problems.map((p) => `${p.field}: ${p.message}`).join('; '), {
      problems,
      ...(first ? { field: first.field } : {}),
    });
  }
  const status = typeof fe.statusCode === 'number' ? fe.statusCode : 500;
  switch (fe.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new VaultError('invalid', 'IXV_INVALID_JSON', `body: ${fe.message}`, { field: 'body' });
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new VaultError('too_large', 'IXV_BODY_TOO_LARGE', 'body: request body is too large', { field: 'body' });
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new VaultError('invalid', 'IXV_UNSUPPORTED_MEDIA_TYPE', `Content-Type: ${fe.message}`, {
        field: 'Content-Type',
      });
  }
  if (status === 404) return new VaultError('not_found', 'IXV_NOT_FOUND', fe.message);
  if (status === 413) return new VaultError('too_large', 'IXV_BODY_TOO_LARGE', fe.message, { field: 'body' });
  if (status === 415) return new VaultError('invalid', 'IXV_UNSUPPORTED_MEDIA_TYPE', fe.message, { field: 'Content-Type' });
  if (status >= 400 && status < 500) return new VaultError('invalid', 'IXV_BAD_REQUEST', fe.message);
  return errors.internal();
}
