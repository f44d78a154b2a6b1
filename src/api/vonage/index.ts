/**
 * The Vonage Contact Center Interaction Content API (`/interaction-content`):
 * search, one interaction, content download and deletions, answering as
 * Vonage does (`{message}` errors, versioned Accept header, bearer tokens).
 * It only translates; rights and storage are the Vault's.
 *
 * Order of checks on every request: credentials (401), Accept version (400),
 * the route's scope (403), parameters (400), then the lookup (404).
 */
import type { FastifyInstance } from 'fastify';
import { errors } from '../../domain/errors.js';
import type { Runtime } from '../../runtime.js';
import { documentErrors } from '../openapi.js';
import { authenticateHook } from '../shared/authenticate.js';
import { authorizeRoutes } from '../shared/authorize.js';
import { boundInput } from '../shared/params.js';
import { checkApiVersion } from './api-version.js';
import { contentRoutes } from './content-routes.js';
import { deleteBatchRoute } from './delete-batch-route.js';
import { sendVonageError, VONAGE_ERRORS } from './errors.js';
import { interactionRoutes } from './interaction-routes.js';
import { searchRoute } from './search-route.js';

export async function vonageApi(app: FastifyInstance, { runtime }: { runtime: Runtime }) {
  app.setErrorHandler(sendVonageError);
  documentErrors(app, VONAGE_ERRORS);
  app.setNotFoundHandler((request, reply) =>
    sendVonageError(errors.notFound(`no route ${request.method} ${request.url}`), request, reply),
  );
  app.addHook('onRequest', authenticateHook(runtime.auth));
  app.addHook('onRequest', checkApiVersion);
  authorizeRoutes(app);
  boundInput(app);
  const vault = runtime.vault;
  await app.register(searchRoute, { vault, cursorKey: runtime.keys.cursor });
  await app.register(interactionRoutes, { vault });
  await app.register(contentRoutes, { vault });
  await app.register(deleteBatchRoute, { vault, leases: runtime.coordination.leases });
}
