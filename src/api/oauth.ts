/**
 * `POST /oauth2/token`: the OAuth2 client credentials grant (RFC 6749 §4.4),
 * client authentication by HTTP Basic or form fields. Every error, including
 * a body that cannot be parsed, is an RFC 6749 §5.2 error from the catalogue
 * (`invalid_request`, `invalid_client`, `invalid_scope`,
 * `unsupported_grant_type`) whose description names the field and never
 * carries internal text. It answers on `/oauth2/token` and on Vonage's
 * identity-server path `/Auth/connect/token`, with `access_token`,
 * `token_type` ("Bearer") and `expires_in` as Vonage sends them, plus `scope`
 * (RFC 6749 §5.1): the requested scopes the client holds, all of them when
 * none were asked for.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Authenticator } from '../auth/authenticator.js';
import { CODES, errors, type VaultError } from '../domain/errors.js';
import { documentErrors, type ErrorFormat } from './openapi.js';
import { failureOf } from './shared/errors.js';

/** Longer than any client id, secret or scope list we issue; a bound on what we hash and split. */
const MAX_PARAMETER_LENGTH = 1024;
const PARAMETERS = ['grant_type', 'client_id', 'client_secret', 'scope'] as const;
type TokenForm = Partial<Record<(typeof PARAMETERS)[number], string>>;

export const TOKEN_PATHS = ['/oauth2/token', '/Auth/connect/token'] as const;

/** Each path is its own operation in the OpenAPI description. */
const OPERATION_IDS: Record<(typeof TOKEN_PATHS)[number], string> = {
  '/oauth2/token': 'issueToken',
  '/Auth/connect/token': 'issueTokenVonagePath',
};

/** RFC 6749 §5.2 errors, for the OpenAPI description. */
const OAUTH_ERRORS: ErrorFormat = {
  mediaType: 'application/json',
  description: 'An RFC 6749 §5.2 error',
  statuses: ['400', '401', '429', '500'],
  schema: {
    type: 'object',
    required: ['error'],
    properties: {
      error: {
        type: 'string',
        enum: [
          CODES.oauthInvalidRequest,
          CODES.oauthInvalidClient,
          CODES.oauthInvalidScope,
          CODES.oauthUnsupportedGrantType,
          CODES.oauthServerError,
          CODES.oauthTemporarilyUnavailable,
        ],
      },
      error_description: { type: 'string', description: 'names the parameter at fault' },
    },
  },
};

export async function oauthRoutes(app: FastifyInstance, { auth }: { auth: Authenticator }) {
  app.setErrorHandler(sendOAuthError);
  documentErrors(app, OAUTH_ERRORS);
  // Vonage's identity-server path too, so that a Vonage client only changes its base URLs.
  for (const url of TOKEN_PATHS) registerTokenRoute(app, auth, url);
}

/** One handler, registered on each of TOKEN_PATHS. */
function registerTokenRoute(app: FastifyInstance, auth: Authenticator, url: (typeof TOKEN_PATHS)[number]) {
  app.post(
    url,
    {
      schema: {
        operationId: OPERATION_IDS[url],
        summary: 'Issue a bearer token (client credentials grant)',
        // The client authenticates by HTTP Basic, or by client_id and client_secret in the form.
        security: [{ basic: [] }, {}],
        tags: ['auth'],
        consumes: ['application/x-www-form-urlencoded', 'application/json'],
        body: {
          type: 'object',
          properties: {
            grant_type: { type: 'string', enum: ['client_credentials'] },
            client_id: { type: 'string', maxLength: MAX_PARAMETER_LENGTH },
            client_secret: { type: 'string', maxLength: MAX_PARAMETER_LENGTH },
            scope: { type: 'string', maxLength: MAX_PARAMETER_LENGTH },
          },
        },
        response: {
          200: {
            type: 'object',
            properties: {
              access_token: { type: 'string' },
              token_type: { type: 'string' },
              expires_in: { type: 'integer' },
              scope: { type: 'string' },
            },
          },
        },
      },
      // The schema documents the form; tokenForm checks it, so that every refusal is an RFC 6749 error.
      validatorCompiler: () => () => true,
    },
    async (request, reply) => {
      reply.header('Cache-Control', 'no-store');
      const form = tokenForm(request.body);
      if (form.grant_type === undefined) throw errors.oauth.invalidRequest('grant_type', 'is required');
      if (form.grant_type !== 'client_credentials') throw errors.oauth.unsupportedGrantType();
      let clientId = form.client_id;
      let clientSecret = form.client_secret;
      const basic = basicCredentials(request.headers.authorization);
      if (basic) {
        if (clientSecret !== undefined)
          throw errors.oauth.invalidRequest('client_secret', 'use one client authentication method, Basic or the form');
        ({ clientId, clientSecret } = basic);
      }
      if (!clientId) throw errors.oauth.invalidRequest('client_id', 'is required (form or Basic)');
      if (!clientSecret) throw errors.oauth.invalidRequest('client_secret', 'is required (form or Basic)');
      return auth.issueToken(clientId, clientSecret, form.scope, request.ip);
    },
  );
}

/** The form's parameters, each at most once (§3.2) and a string of bounded length. */
function tokenForm(body: unknown): TokenForm {
  if (body === undefined || body === null) return {};
  if (typeof body !== 'object' || Array.isArray(body))
    throw errors.oauth.invalidRequest('body', 'must be form parameters (application/x-www-form-urlencoded)');
  const form: TokenForm = {};
  for (const name of PARAMETERS) {
    const value = (body as Record<string, unknown>)[name];
    if (value === undefined) continue;
    if (typeof value !== 'string') throw errors.oauth.invalidRequest(name, 'must be given once, as a string');
    if (value.length > MAX_PARAMETER_LENGTH)
      throw errors.oauth.invalidRequest(name, `must be at most ${MAX_PARAMETER_LENGTH} characters`);
    form[name] = value;
  }
  return form;
}

/**
 * Client credentials in a Basic header: id and secret form-urlencoded, then
 * joined by a colon (§2.3.1). Anything malformed is a failed client
 * authentication (401), never an exception.
 */
function basicCredentials(header: string | undefined): { clientId: string; clientSecret: string } | undefined {
  if (!header?.toLowerCase().startsWith('basic ')) return undefined;
  const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  const clientId = colon > 0 ? formDecode(decoded.slice(0, colon)) : undefined;
  const clientSecret = colon > 0 ? formDecode(decoded.slice(colon + 1)) : undefined;
  if (clientId === undefined || clientSecret === undefined) throw errors.oauth.invalidClient();
  return { clientId, clientSecret };
}

function formDecode(value: string): string | undefined {
  try {
    return decodeURIComponent(value);
  } catch {
    return undefined;
  }
}

/** RFC 6749 §5.2: `{error, error_description}`; 401 with a Basic challenge for invalid_client. */
function sendOAuthError(err: unknown, request: FastifyRequest, reply: FastifyReply) {
  const error = failureOf(err, request, 'token request failed');
  reply.header('Cache-Control', 'no-store');
  const code = oauthCode(error);
  if (code === CODES.oauthInvalidClient) reply.header('WWW-Authenticate', 'Basic realm="ixvault"');
  return reply.code(error.status).send({ error: code, error_description: error.publicMessage });
}

function oauthCode(error: VaultError): string {
  if (error.isOAuth) return error.code;
  if (error.kind === 'unauthenticated') return CODES.oauthInvalidClient;
  if (error.kind === 'internal') return CODES.oauthServerError;
  if (error.kind === 'too_many_requests' || error.kind === 'unavailable') return CODES.oauthTemporarilyUnavailable;
  return CODES.oauthInvalidRequest;
}
