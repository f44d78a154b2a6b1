import type { FastifyInstance } from 'fastify';
import { errors } from '../../domain/errors.js';
import type { Runtime } from '../../runtime.js';
import { documentErrors } from '../openapi.js';
import { authenticateHook } from '../shared/authenticate.js';
import { authorizeRoutes } from '../shared/authorize.js';
import { boundInput } from '../shared/params.js';
import { sessionCookieHook } from '../shared/session-cookie.js';
import { STATUS_ERRORS, sendStatus } from './status.js';

/**
 * What every Genesys-compatible scope sets up: Web Services return values
 * for every error, credentials (the session cookie included), rights and input bounds.
 */
export function genesysScope(app: FastifyInstance, runtime: Runtime): void {
  app.setErrorHandler(sendStatus);
  documentErrors(app, STATUS_ERRORS);
  app.setNotFoundHandler((request, reply) =>
    sendStatus(errors.notFound(`no route ${request.method} ${request.url}`), request, reply),
  );
  app.addHook('onRequest', authenticateHook(runtime.auth));
  app.addHook('onRequest', sessionCookieHook(runtime.auth));
  authorizeRoutes(app);
  boundInput(app);
}
