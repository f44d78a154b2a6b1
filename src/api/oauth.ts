/**
 * `POST /oauth2/token`: the OAuth2 client credentials grant (RFC 6749 §4.4),
 * client authentication by HTTP Basic or form fields. Errors follow §5.2.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { type Authenticator, InvalidClient, InvalidScope } from '../auth/authenticator.js';

interface TokenForm {
  grant_type?: string;
  client_id?: string;
  client_secret?: string;
  scope?: string;
}

export async function oauthRoutes(app: FastifyInstance, { auth }: { auth: Authenticator }) {
  app.post<{ Body: TokenForm }>(
    '/oauth2/token',
    {
      schema: {
        summary: 'Issue a bearer token (client credentials grant)',
        tags: ['auth'],
        consumes: ['application/x-www-form-urlencoded', 'application/json'],
        body: {
          type: 'object',
          properties: {
            grant_type: { type: 'string', enum: ['client_credentials'] },
            client_id: { type: 'string' },
            client_secret: { type: 'string' },
            scope: { type: 'string' },
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
      validatorCompiler: () => () => true,
    },
    async (request, reply) => {
      reply.header('Cache-Control', 'no-store');
      const form = (request.body ?? {}) as TokenForm;
      if (form.grant_type === undefined) return oauthError(reply, 400, 'invalid_request', 'grant_type is required');
      if (form.grant_type !== 'client_credentials')
        return oauthError(reply, 400, 'unsupported_grant_type', 'only client_credentials is supported');
      let clientId = form.client_id;
      let clientSecret = form.client_secret;
      const header = request.headers.authorization;
      if (header?.toLowerCase().startsWith('basic ')) {
        const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
        const colon = decoded.indexOf(':');
        if (colon > 0) {
          clientId = decodeURIComponent(decoded.slice(0, colon));
          clientSecret = decodeURIComponent(decoded.slice(colon + 1));
        }
      }
      if (!clientId || !clientSecret)
        return oauthError(reply, 400, 'invalid_request', 'client_id and client_secret are required (form or Basic)');
      try {
        return await auth.issueToken(clientId, clientSecret, form.scope, request.ip);
      } catch (err) {
        if (err instanceof InvalidClient) {
          reply.header('WWW-Authenticate', 'Basic realm="ixvault"');
          return oauthError(reply, 401, 'invalid_client', err.message);
        }
        if (err instanceof InvalidScope) return oauthError(reply, 400, 'invalid_scope', err.message);
        throw err;
      }
    },
  );
}

function oauthError(reply: FastifyReply, status: number, error: string, description: string) {
  return reply.code(status).send({ error, error_description: description });
}
