/**
 * One catalogue of coded errors for the whole service. Every code any facade
 * answers is a constant here and is matched by constant, never by message.
 * Facades map the `kind` to their own wire format (Genesys statusCode, Vonage
 * {message}, RFC 7807, OAuth 2.0); nobody throws ad-hoc strings.
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
  | 'internal'
  | 'unavailable'; // a dependency (database, blob store, Redis) failed; `extra.retryAfterSeconds` says when to try again

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
  unavailable: 503,
};

export const CODES = {
  missingField: 'IXV_MISSING_FIELD',
  invalidField: 'IXV_INVALID_FIELD',
  invalidRecord: 'IXV_INVALID_RECORD',
  invalidBatch: 'IXV_INVALID_BATCH',
  /** A request that failed its route's JSON schema. */
  invalidRequest: 'IXV_INVALID_REQUEST',
  invalidJson: 'IXV_INVALID_JSON',
  invalidGuid: 'IXV_INVALID_GUID',
  invalidApiVersion: 'IXV_INVALID_API_VERSION',
  unsupportedMediaType: 'IXV_UNSUPPORTED_MEDIA_TYPE',
  /** Any other request the HTTP layer refused before a route ran. */
  badRequest: 'IXV_BAD_REQUEST',
  bodyTooLarge: 'IXV_BODY_TOO_LARGE',
  contentTooLarge: 'IXV_CONTENT_TOO_LARGE',
  notFound: 'IXV_NOT_FOUND',
  interactionNotFound: 'IXV_INTERACTION_NOT_FOUND',
  /** Not in the main store but in the archive (the 404 hints at source=archive). */
  interactionArchived: 'IXV_INTERACTION_ARCHIVED',
  contentNotFound: 'IXV_CONTENT_NOT_FOUND',
  identityConflict: 'IXV_IDENTITY_CONFLICT',
  unauthenticated: 'IXV_UNAUTHENTICATED',
  forbidden: 'IXV_FORBIDDEN',
  featureDisabled: 'IXV_FEATURE_DISABLED',
  rangeNotSatisfiable: 'IXV_RANGE_NOT_SATISFIABLE',
  internal: 'IXV_INTERNAL',
  /** A dependency failed (isDependencyFailure): the same request succeeds once it is back. */
  unavailable: 'IXV_UNAVAILABLE',
  bodyTimeout: 'IXV_BODY_TIMEOUT',
  /** The client closed its connection before its request body ended: nobody receives the answer. */
  clientClosed: 'IXV_CLIENT_CLOSED',
  /** A cross-site state change. */
  originForbidden: 'IXV_ORIGIN_FORBIDDEN',
  rateLimited: 'IXV_RATE_LIMITED',
  loginThrottled: 'IXV_LOGIN_THROTTLED',
  /** A bounded queue or cap is full (password checks, pending searches, held results). */
  busy: 'IXV_BUSY',
  // Governance, part 1 (holds branch): legal holds.
  /** A legal hold covers the interaction: no path may delete it or its content. */
  interactionHeld: 'IXV_INTERACTION_HELD',
  holdNotFound: 'IXV_HOLD_NOT_FOUND',
  /** The hold was released already. */
  holdReleased: 'IXV_HOLD_RELEASED',
  // Full-text search (issue 13).
  /** A text search that did not finish within its time budget. */
  searchBudget: 'IXV_SEARCH_BUDGET',
  /** The principal's text searches used their allowance of time for now (TimeAllowance). */
  searchTimeSpent: 'IXV_SEARCH_TIME_SPENT',
  // openapi branch (issue 9): fields a native body may not carry.
  /** A field the route's body schema does not list (it would otherwise be silently dropped). */
  unknownField: 'IXV_UNKNOWN_FIELD',
  // The token endpoint's errors (RFC 6749 §5.2): the code is the wire `error` value itself.
  oauthInvalidRequest: 'invalid_request',
  oauthInvalidClient: 'invalid_client',
  oauthInvalidScope: 'invalid_scope',
  oauthUnsupportedGrantType: 'unsupported_grant_type',
  /** What the token endpoint answers for an unexpected failure (RFC 6749 §4.1.2.1's name for it). */
  oauthServerError: 'server_error',
  /** Throttled at the token endpoint (RFC 6749 §4.1.2.1). */
  oauthTemporarilyUnavailable: 'temporarily_unavailable',
  // Contacts and the Genesys UCS voice operations (issue 9).
  contactNotFound: 'IXV_CONTACT_NOT_FOUND',
  contactConflict: 'IXV_CONTACT_CONFLICT',
  /** An operation on calls named an interaction of another media type. */
  notACall: 'IXV_NOT_A_CALL',
} as const;
export type ErrorCode = (typeof CODES)[keyof typeof CODES];

const OAUTH_CODES: ReadonlySet<ErrorCode> = new Set([
  CODES.oauthInvalidRequest,
  CODES.oauthInvalidClient,
  CODES.oauthInvalidScope,
  CODES.oauthUnsupportedGrantType,
]);

/** Web Services return values (`statusCode`) of the Genesys facade. */
export const GENESYS_STATUS = {
  ok: 0,
  missingParameter: 1,
  invalidParameter: 2,
  forbidden: 3,
  internal: 4,
  noPermission: 5,
  notFound: 6,
  /** Documented from Web Services 8.5.2 on ("user is not authenticated"). */
  unauthenticated: 20,
} as const;

/** When a client may try again after a dependency failed: a restart or failover takes seconds. */
export const UNAVAILABLE_RETRY_AFTER_SECONDS = 5;

/** The one text shown for an unexpected failure, whatever it was inside. */
export const INTERNAL_MESSAGE = 'internal error';

export interface FieldProblem {
  /** Dotted path of the offending field, e.g. `messages.2.timestamp`. */
  field: string;
  message: string;
}

export class VaultError extends Error {
  readonly kind: ErrorKind;
  readonly code: ErrorCode;
  readonly field: string | undefined;
  readonly problems: FieldProblem[];
  readonly extra: Record<string, unknown>;

  constructor(
    kind: ErrorKind,
    code: ErrorCode,
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

  /** What a client may read: the message, except for internal failures, whose text stays in the log. */
  get publicMessage(): string {
    return this.kind === 'internal' ? INTERNAL_MESSAGE : this.message;
  }

  /** An error of the OAuth 2.0 token endpoint (its code is the RFC 6749 `error` value). */
  get isOAuth(): boolean {
    return OAUTH_CODES.has(this.code);
  }
}

export const errors = {
  missingField: (field: string) => new VaultError('missing', CODES.missingField, `${field} is required`, { field }),
  invalidField: (field: string, reason: string) =>
    new VaultError('invalid', CODES.invalidField, `${field}: ${reason}`, { field }),
  invalidRecord: (problems: FieldProblem[]) =>
    new VaultError('invalid', CODES.invalidRecord, problems.map((p) => `${p.field}: ${p.message}`).join('; '), {
      problems,
      ...(problems.length === 1 && problems[0] ? { field: problems[0].field } : {}),
    }),
  invalidBatch: (records: { index: number; problems: FieldProblem[] }[]) =>
    new VaultError('invalid', CODES.invalidBatch, `${records.length} record(s) of the batch are invalid; none was stored`, {
      extra: { invalidRecords: records },
    }),
  /** Problems found by a route's schema (or the input bounds), each naming its field. */
  invalidRequest: (problems: FieldProblem[], kind: 'missing' | 'invalid' = 'invalid') => {
    const first = problems[0];
    return new VaultError(kind, CODES.invalidRequest, problems.map((p) => `${p.field}: ${p.message}`).join('; '), {
      problems,
      ...(first ? { field: first.field } : {}),
    });
  },
  invalidJson: () => new VaultError('invalid', CODES.invalidJson, 'body: is not valid JSON', { field: 'body' }),
  invalidGuid: (message: string) => new VaultError('invalid', CODES.invalidGuid, message, { field: 'guid' }),
  invalidApiVersion: (message: string) => new VaultError('invalid', CODES.invalidApiVersion, message, { field: 'Accept' }),
  unsupportedMediaType: () =>
    new VaultError('invalid', CODES.unsupportedMediaType, 'Content-Type: this media type is not accepted here', {
      field: 'Content-Type',
    }),
  /** A body in a content coding: ixvault decodes none (its card-number scan reads the bytes as sent). */
  unsupportedContentEncoding: (coding: string) =>
    new VaultError(
      'invalid',
      CODES.unsupportedMediaType,
      `Content-Encoding: '${coding.slice(0, 64)}' is not accepted; send the body uncompressed (identity)`,
      { field: 'Content-Encoding' },
    ),
  badRequest: (message = 'the request is malformed') => new VaultError('invalid', CODES.badRequest, message),
  bodyTooLarge: () => new VaultError('too_large', CODES.bodyTooLarge, 'body: request body is too large', { field: 'body' }),
  notFound: (message = 'no such resource') => new VaultError('not_found', CODES.notFound, message),
  interactionNotFound: (id: string) =>
    new VaultError('not_found', CODES.interactionNotFound, `interaction ${id} not found`, { field: 'id' }),
  /** Not in the main store, but in the archive: the caller may read it with source=archive. */
  interactionArchived: (id: string) =>
    new VaultError(
      'not_found',
      CODES.interactionArchived,
      `interaction ${id} is not in the main store but in the archive: add ?source=archive to read it`,
      { field: 'id', extra: { source: 'archive' } },
    ),
  contentNotFound: (id: string, contentKey: string) =>
    new VaultError('not_found', CODES.contentNotFound, `content ${contentKey} of interaction ${id} not found`, {
      field: 'contentKey',
    }),
  identityConflict: (message: string) => new VaultError('conflict', CODES.identityConflict, message, { field: 'guid' }),
  unauthenticated: (message = 'authentication required') => new VaultError('unauthenticated', CODES.unauthenticated, message),
  forbidden: (message: string) => new VaultError('forbidden', CODES.forbidden, message),
  /** A Genesys feature of the tenant is off: the operation is forbidden, whoever asks. */
  featureDisabled: (field: string, feature: string) =>
    new VaultError('forbidden', CODES.featureDisabled, `${field}: the feature ${feature} is not enabled for this tenant`, {
      field,
    }),
  contentTooLarge: (limit: number) =>
    new VaultError('too_large', CODES.contentTooLarge, `content exceeds the limit of ${limit} bytes`, {
      field: 'body',
    }),
  rangeNotSatisfiable: (size: number) =>
    new VaultError('range_not_satisfiable', CODES.rangeNotSatisfiable, 'requested range not satisfiable', {
      field: 'Range',
      extra: { size },
    }),
  bodyTimeout: (ms: number) =>
    new VaultError('timeout', CODES.bodyTimeout, `body: the request body did not arrive within ${ms} ms`, { field: 'body' }),
  clientClosed: () =>
    new VaultError('invalid', CODES.clientClosed, 'body: the client closed the connection before the body ended', {
      field: 'body',
    }),
  /** Cross-site state change: a browser sent it from a page of another origin. */
  originForbidden: (origin: string) =>
    new VaultError('forbidden', CODES.originForbidden, `Origin: ${origin} may not change state here`, { field: 'Origin' }),
  rateLimited: (retryAfterSeconds: number) =>
    new VaultError('too_many_requests', CODES.rateLimited, `too many requests; retry after ${retryAfterSeconds} s`, {
      extra: { retryAfterSeconds },
    }),
  loginThrottled: (retryAfterSeconds: number) =>
    new VaultError('too_many_requests', CODES.loginThrottled, `too many failed logins; retry after ${retryAfterSeconds} s`, {
      extra: { retryAfterSeconds },
    }),
  /** A bounded queue or cap is full (password checks, pending searches, held results). */
  busy: (what: string, retryAfterSeconds: number) =>
    new VaultError('too_many_requests', CODES.busy, `${what}; retry after ${retryAfterSeconds} s`, {
      extra: { retryAfterSeconds },
    }),
  // Governance, part 1 (holds branch).
  interactionHeld: (id: string, holdIds: string[]) =>
    new VaultError(
      'conflict',
      CODES.interactionHeld,
      `interaction ${id} is under legal hold (${holdIds.join(', ')}); it cannot be deleted`,
      {
        field: 'id',
        extra: { holds: holdIds },
      },
    ),
  /** A write would change or remove what was said in an interaction a hold covers (domain/holds.ts). */
  heldChange: (id: string, holdIds: string[], problems: FieldProblem[]) =>
    new VaultError(
      'conflict',
      CODES.interactionHeld,
      `interaction ${id} is under legal hold (${holdIds.join(', ')}): ${problems.map((p) => `${p.field} ${p.message}`).join('; ')}`,
      { problems, ...(problems[0] ? { field: problems[0].field } : {}), extra: { interactionId: id, holds: holdIds } },
    ),
  /** The same for a batch: none of it was stored. */
  heldChanges: (records: { index: number; id: string; holds: string[]; problems: FieldProblem[] }[]) =>
    new VaultError(
      'conflict',
      CODES.interactionHeld,
      `${records.length} record(s) of the batch would change interactions under legal hold; none was stored`,
      {
        extra: {
          invalidRecords: records.map(({ index, problems }) => ({ index, problems })),
          heldInteractions: records.map(({ id, holds }) => ({ interactionId: id, holds })),
        },
      },
    ),
  holdNotFound: (id: string) => new VaultError('not_found', CODES.holdNotFound, `legal hold ${id} not found`, { field: 'id' }),
  holdReleased: (id: string) =>
    new VaultError('conflict', CODES.holdReleased, `legal hold ${id} was released already`, { field: 'id' }),
  internal: (message = INTERNAL_MESSAGE) => new VaultError('internal', CODES.internal, message),
  /** What failed stays in the log: a driver's message names hosts, ports and users. */
  unavailable: () =>
    new VaultError(
      'unavailable',
      CODES.unavailable,
      `the service is temporarily unavailable; retry after ${UNAVAILABLE_RETRY_AFTER_SECONDS} s`,
      { extra: { retryAfterSeconds: UNAVAILABLE_RETRY_AFTER_SECONDS } },
    ),
  /** A text search ran out of its time budget: a 400 naming q, so the caller narrows it. */
  searchBudget: (ms: number) =>
    new VaultError(
      'invalid',
      CODES.searchBudget,
      `q: the search did not finish within its ${ms} ms budget; narrow it (rarer words, a phrase, a time window or another filter)`,
      { field: 'q' },
    ),
  searchTimeSpent: (perMinuteMs: number, retryAfterSeconds: number) =>
    new VaultError(
      'too_many_requests',
      CODES.searchTimeSpent,
      `q: your text searches used their ${perMinuteMs} ms of search time a minute; retry after ${retryAfterSeconds} s (searches without q are not limited by this)`,
      { field: 'q', extra: { retryAfterSeconds } },
    ),
  // Contacts and the Genesys UCS voice operations (issue 9).
  contactNotFound: (id: string, field = 'id') =>
    new VaultError('not_found', CODES.contactNotFound, `contact ${id} not found`, { field }),
  contactConflict: (id: string) =>
    new VaultError('conflict', CODES.contactConflict, `contact ${id} already exists`, { field: 'id' }),
  notACall: (id: string, mediaType: string) =>
    new VaultError('invalid', CODES.notACall, `interaction ${id} is a ${mediaType} interaction, not a call`, { field: 'id' }),
  // openapi branch (issue 9).
  /** Fields of a native body that its schema does not list, every one named. */
  unknownFields: (fields: string[]) =>
    new VaultError('invalid', CODES.unknownField, fields.map((field) => `${field}: is not a known field`).join('; '), {
      problems: fields.map((field) => ({ field, message: 'is not a known field' })),
      ...(fields[0] !== undefined ? { field: fields[0] } : {}),
    }),
  /** RFC 6749 §5.2 errors of `POST /oauth2/token`; descriptions name the field and never carry internal text. */
  oauth: {
    invalidRequest: (field: string, description: string) =>
      new VaultError('invalid', CODES.oauthInvalidRequest, `${field}: ${description}`, { field }),
    /** Client authentication failed: 401, with a Basic challenge (§5.2). */
    invalidClient: () => new VaultError('unauthenticated', CODES.oauthInvalidClient, 'client authentication failed'),
    invalidScope: (scopes: string[]) =>
      new VaultError('invalid', CODES.oauthInvalidScope, `scope: not granted to this client: ${scopes.join(' ')}`, {
        field: 'scope',
      }),
    unsupportedGrantType: () =>
      new VaultError('invalid', CODES.oauthUnsupportedGrantType, 'grant_type: only client_credentials is supported', {
        field: 'grant_type',
      }),
  },
};

export function isVaultError(err: unknown): err is VaultError {
  return err instanceof VaultError;
}
