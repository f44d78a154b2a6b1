/**
 * Sign-in for browsers (`/api/v1/session`): a user name and password are
 * exchanged for the same signed session cookie that a Basic-authenticated call
 * sets, and the console learns who is signed in and what they may do.
 */
import type { FastifyInstance } from 'fastify';
import type { Authenticator } from '../../auth/authenticator.js';
import { errors } from '../../domain/errors.js';
import type { Principal } from '../../domain/principal.js';
import { mayPerform } from '../../domain/scopes.js';
import { sendProblem } from '../native/problem.js';
import { setSessionCookie } from '../shared/session-cookie.js';
import { refuseUnknownFields } from '../shared/unknown-fields.js';
import { CSRF_HEADER } from './csrf.js';

const SESSION = {
  type: 'object',
  properties: {
    userName: { type: 'string' },
    firstName: { type: 'string' },
    lastName: { type: 'string' },
    role: { type: 'string', enum: ['agent', 'supervisor', 'admin'] },
    tenant: { type: 'string' },
    canDelete: { type: 'boolean', description: 'may delete interactions and content items' },
    canReadAudit: { type: 'boolean', description: 'may read the audit log' },
    canReadSensitive: { type: 'boolean', description: 'may download content marked containsSensitiveData' },
  },
} as const;

export async function sessionRoutes(app: FastifyInstance, { auth }: { auth: Authenticator }) {
  app.setErrorHandler(sendProblem);
  refuseUnknownFields(app);

  app.post<{ Body: { userName: string; password: string } }>(
    '/',
    {
      schema: {
        operationId: 'signIn',
        summary: 'Sign in: sets the session cookie',
        security: [],
        // Checked before validation by the CSRF guard (./csrf.ts); declared here so that clients know to send it.
        headers: {
          type: 'object',
          required: [CSRF_HEADER],
          properties: { [CSRF_HEADER]: { type: 'string', maxLength: 64, examples: ['fetch'] } },
        },
        description: 'Send `X-Requested-With` from the same origin. Only users sign in; clients use OAuth.',
        tags: ['native'],
        body: {
          type: 'object',
          required: ['userName', 'password'],
          additionalProperties: false,
          properties: {
            userName: { type: 'string', minLength: 1, maxLength: 256 },
            password: { type: 'string', maxLength: 1024 },
          },
          examples: [{ userName: 'agent1', password: 'correct horse battery staple' }],
        },
        response: { 200: SESSION },
      },
    },
    async (request, reply) => {
      const { userName, password } = request.body;
      if (userName.includes(':')) throw errors.unauthenticated('invalid user name or password');
      const principal = await auth.fromAuthorization(
        `Basic ${Buffer.from(`${userName}:${password}`).toString('base64')}`,
        request.ip,
      );
      const token = await auth.sessionFor(principal);
      if (token === undefined) throw errors.unauthenticated('only users sign in');
      setSessionCookie(request, reply, token);
      return describe(principal);
    },
  );

  app.get(
    '/',
    { schema: { operationId: 'getSession', summary: 'Who is signed in', tags: ['native'], response: { 200: SESSION } } },
    async (request) =>
      describe(await auth.authenticate({ authorization: request.headers.authorization, cookie: request.headers.cookie })),
  );

  app.delete(
    '/',
    {
      schema: {
        operationId: 'signOut',
        summary: 'Sign out: clears the session cookie and ends every session of the user',
        description:
          'Every session cookie of the user signed until now is refused from now on, on every node (within a second on the others): a copied cookie stops working too. Calls with a password or a bearer token go on.',
        tags: ['native'],
        response: { 204: { type: 'null', description: 'Signed out' } },
      },
    },
    async (request, reply) => {
      // Whoever the credentials prove is signed out everywhere; without valid ones there is nothing to end.
      const principal = await auth
        .authenticate({ authorization: request.headers.authorization, cookie: request.headers.cookie })
        .catch(() => undefined);
      if (principal) await auth.signOut(principal);
      setSessionCookie(request, reply, undefined);
      return reply.code(204).send();
    },
  );
}

function describe(principal: Principal) {
  if (principal.kind !== 'user') throw errors.forbidden('only users have a console session');
  return {
    userName: principal.userName,
    firstName: principal.firstName,
    lastName: principal.lastName,
    role: principal.role,
    tenant: principal.tenant.id,
    canDelete: mayPerform(principal, 'interaction.delete') && mayPerform(principal, 'content.delete'),
    canReadAudit: mayPerform(principal, 'audit.read'),
    canReadSensitive: mayPerform(principal, 'content.readSensitive'),
  };
}
