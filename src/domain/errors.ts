/**
 * One catalogue of coded errors for the whole domain. Facades map the `kind`
 * to their own wire format (Genesys statusCode, Vonage {message}, RFC 7807);
 * nobody throws ad-hoc strings.
 */

export type ErrorKind =
  | 'missing' // a required field or parameter is absent
  | 'invalid' // present but malformed or out of range
  | 'unauthenticated' // no or bad credentials
  | 'forbidden' // authenticated, but the right or feature is missing
  | 'not_found'
  | 'conflict'
  | 'too_large'
  | 'range_not_satisfiable'
  | 'timeout' // the request (its body) did not arrive in time
  | 'too_many_requests' // throttled; `extra.retryAfterSeconds` says when to try again
  | 'internal';

export const STATUS_OF_KIND: Record<ErrorKind, number> = {
  missing: 400,
  invalid: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  too_large: 413,
  range_not_satisfiable: 416,
  timeout: 408,
  too_many_requests: 429,
  internal: 500,
};

export interface FieldProblem {
  /** Dotted path of the offending field, e.g. `messages.2.timestamp`. */
  field: string;
  message: string;
}

export class VaultError extends Error {
  readonly kind: ErrorKind;
  readonly code: string;
  readonly field: string | undefined;
  readonly problems: FieldProblem[];
  readonly extra: Record<string, unknown>;

  constructor(
    kind: ErrorKind,
    code: string,
    message: string,
    options: { field?: string; problems?: FieldProblem[]; extra?: Record<string, unknown> } = {},
  ) {
    super(message);
    this.name = 'VaultError';
    this.kind = kind;
    this.code = code;
    this.field = options.field;
    this.problems = options.problems ?? (options.field ? [{ field: options.field, message }] : []);
    this.extra = options.extra ?? {};
  }

  get status(): number {
    return STATUS_OF_KIND[this.kind];
  }
}

export const errors = {
  missingField: (field: string) => new VaultError('missing', 'IXV_MISSING_FIELD', `${field} is required`, { field }),
  invalidField: (field: string, reason: string) =>
    new VaultError('invalid', 'IXV_INVALID_FIELD', `${field}: ${reason}`, { field }),
  invalidRecord: (problems: FieldProblem[]) =>
    new VaultError('invalid', 'IXV_INVALID_RECORD', problems.map((p) => `${p.field}: ${p.message}`).join('; '), {
      problems,
      ...(problems.length === 1 && problems[0] ? { field: problems[0].field } : {}),
    }),
  invalidBatch: (records: { index: number; problems: FieldProblem[] }[]) =>
    new VaultError('invalid', 'IXV_INVALID_BATCH', `${records.length} record(s) of the batch are invalid; none was stored`, {
      extra: { invalidRecords: records },
    }),
  interactionNotFound: (id: string) =>
    new VaultError('not_found', 'IXV_INTERACTION_NOT_FOUND', `interaction ${id} not found`, { field: 'id' }),
  contentNotFound: (id: string, contentKey: string) =>
    new VaultError('not_found', 'IXV_CONTENT_NOT_FOUND', `content ${contentKey} of interaction ${id} not found`, {
      field: 'contentKey',
    }),
  identityConflict: (message: string) => new VaultError('conflict', 'IXV_IDENTITY_CONFLICT', message, { field: 'guid' }),
  unauthenticated: (message = 'authentication required') => new VaultError('unauthenticated', 'IXV_UNAUTHENTICATED', message),
  forbidden: (message: string) => new VaultError('forbidden', 'IXV_FORBIDDEN', message),
  /** A Genesys feature of the tenant is off: the operation is forbidden, whoever asks. */
  featureDisabled: (field: string, feature: string) =>
    new VaultError('forbidden', 'IXV_FEATURE_DISABLED', `${field}: the feature ${feature} is not enabled for this tenant`, {
      field,
    }),
  contentTooLarge: (limit: number) =>
    new VaultError('too_large', 'IXV_CONTENT_TOO_LARGE', `content exceeds the limit of ${limit} bytes`, {
      field: 'body',
    }),
  rangeNotSatisfiable: (size: number) =>
    new VaultError('range_not_satisfiable', 'IXV_RANGE_NOT_SATISFIABLE', 'requested range not satisfiable', {
      field: 'Range',
      extra: { size },
    }),
  bodyTimeout: (ms: number) =>
    new VaultError('timeout', 'IXV_BODY_TIMEOUT', `body: the request body did not arrive within ${ms} ms`, { field: 'body' }),
  /** Cross-site state change: a browser sent it from a page of another origin. */
  originForbidden: (origin: string) =>
    new VaultError('forbidden', 'IXV_ORIGIN_FORBIDDEN', `Origin: ${origin} may not change state here`, { field: 'Origin' }),
  rateLimited: (retryAfterSeconds: number) =>
    new VaultError('too_many_requests', 'IXV_RATE_LIMITED', `too many requests; retry after ${retryAfterSeconds} s`, {
      extra: { retryAfterSeconds },
    }),
  loginThrottled: (retryAfterSeconds: number) =>
    new VaultError('too_many_requests', 'IXV_LOGIN_THROTTLED', `too many failed logins; retry after ${retryAfterSeconds} s`, {
      extra: { retryAfterSeconds },
    }),
  /** A bounded queue or cap is full (password checks, pending searches, held results). */
  busy: (what: string, retryAfterSeconds: number) =>
    new VaultError('too_many_requests', 'IXV_BUSY', `${what}; retry after ${retryAfterSeconds} s`, {
      extra: { retryAfterSeconds },
    }),
  internal: (message = 'internal error') => new VaultError('internal', 'IXV_INTERNAL', message),
};

export function isVaultError(err: unknown): err is VaultError {
  return err instanceof VaultError;
}
