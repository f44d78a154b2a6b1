/**
 * The Genesys Web Services-compatible Interaction History API (`/api/v2/ucs`):
 * Web Services return values on every answer, results on the CometD channel
 * `/v2/ucs/interactions` of the notifier.
 */
import type { FastifyInstance } from 'fastify';
import type { EdgeLimits } from '../../config.js';
import { errors } from '../../domain/errors.js';
import type { Notifier } from '../../notify/index.js';
import type { Runtime } from '../../runtime.js';
import { authenticateHook } from '../shared/authenticate.js';
import { authorizeRoutes } from '../shared/authorize.js';
import { boundInput } from '../shared/params.js';
import { sessionCookieHook } from '../shared/session-cookie.js';
import { AsyncResults } from './async-results.js';
import { contentRoutes } from './content-routes.js';
import { historyRoutes } from './history-routes.js';
import { sendStatus } from './status.js';

export { INTERACTIONS_CHANNEL } from './async-results.js';

export async function genesysApi(
  app: FastifyInstance,
  { runtime, notifier, limits }: { runtime: Runtime; notifier: Notifier; limits?: EdgeLimits },
) {
  genesysScope(app, runtime);
  const results = new AsyncResults(notifier, runtime.coordination.sequences, app.log, limits);
  // Results still being computed need the store, which closes right after the app.
  app.addHook('onClose', () => results.drain());
  const vault = runtime.vault;
  await app.register(historyRoutes, { vault, results });
  await app.register(contentRoutes, { vault, results });
}

/**
 * What every Genesys-compatible scope sets up (the UCS facade and the
 * interaction resource at `/api/v2/interactions`): Web Services return values
 * for every error, credentials (the session cookie included), rights and input bounds.
 */
export function genesysScope(app: FastifyInstance, runtime: Runtime): void {
  app.setErrorHandler(sendStatus);
  app.setNotFoundHandler((request, reply) =>
    sendStatus(errors.notFound(`no route ${request.method} ${request.url}`), request, reply),
  );
  app.addHook('onRequest', authenticateHook(runtime.auth));
  app.addHook('onRequest', sessionCookieHook(runtime.auth));
  authorizeRoutes(app);
  boundInput(app);
}
