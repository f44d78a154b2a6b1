/** The native API (`/api/v1`): ingestion, retrieval and search; RFC 7807 problem JSON on every error. */
import type { FastifyInstance } from 'fastify';
import { errors } from '../../domain/errors.js';
import type { Runtime } from '../../runtime.js';
import { authenticateHook } from '../shared/authenticate.js';
import { authorizeRoutes } from '../shared/authorize.js';
import { boundInput } from '../shared/params.js';
import { refuseUnknownFields } from '../shared/unknown-fields.js';
import { withArchiveHint } from './archive-hint.js';
import { auditRoutes } from './audit-routes.js';
import { contactRoutes } from './contact-routes.js';
import { contentRoutes } from './content-routes.js';
import { erasureRoutes } from './erasure-routes.js';
import { exportRoutes } from './export-routes.js';
import { governanceRoutes } from './governance-routes.js';
import { interactionRoutes } from './interaction-routes.js';
import { sendProblem } from './problem.js';
import { searchRoutes } from './search-routes.js';

export async function nativeApi(app: FastifyInstance, { runtime }: { runtime: Runtime }) {
  app.setErrorHandler(async (err, request, reply) =>
    sendProblem(await withArchiveHint(runtime.vault, err, request), request, reply),
  );
  app.setNotFoundHandler((request, reply) =>
    sendProblem(errors.notFound(`no route ${request.method} ${request.url}`), request, reply),
  );
  app.addHook('onRequest', authenticateHook(runtime.auth));
  authorizeRoutes(app);
  refuseUnknownFields(app);
  boundInput(app);
  // A merge patch is JSON: the same parser as JSON bodies, refusing __proto__ and constructor.prototype keys.
  app.addContentTypeParser('application/merge-patch+json', { parseAs: 'string' }, app.getDefaultJsonParser('error', 'error'));
  const vault = runtime.vault;
  await app.register(interactionRoutes, { vault });
  await app.register(searchRoutes, { vault, cursorKey: runtime.keys.cursor });
  await app.register(contentRoutes, { vault });
  await app.register(auditRoutes, { vault });
  await app.register(erasureRoutes, { erasures: runtime.erasures });
  await app.register(exportRoutes, { exports: runtime.exports });
  await app.register(governanceRoutes, { vault, retention: runtime.retention, cursorKey: runtime.keys.cursor });
  await app.register(contactRoutes, { vault });
}
