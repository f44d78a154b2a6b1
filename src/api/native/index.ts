/** The native API (`/api/v1`): ingestion, retrieval and search; RFC 7807 problem JSON on every error. */
import type { FastifyInstance } from 'fastify';
import type { Runtime } from '../../runtime.js';
import { authenticateHook } from '../shared/authenticate.js';
import { withArchiveHint } from './archive-hint.js';
import { contentRoutes } from './content-routes.js';
import { interactionRoutes } from './interaction-routes.js';
import { sendProblem } from './problem.js';
import { searchRoutes } from './search-routes.js';

export async function nativeApi(app: FastifyInstance, { runtime }: { runtime: Runtime }) {
  app.setErrorHandler(async (err, request, reply) =>
    sendProblem(await withArchiveHint(runtime.vault, err, request), request, reply),
  );
  app.setNotFoundHandler((request, reply) =>
    sendProblem(Object.assign(new Error(`no route ${request.method} ${request.url}`), { statusCode: 404 }), request, reply),
  );
  app.addHook('onRequest', authenticateHook(runtime.auth));
  app.addContentTypeParser('application/merge-patch+json', { parseAs: 'string' }, (_req, body, done) => {
    try {
      done(null, JSON.parse(body as string));
    } catch (err) {
      done(Object.assign(err as Error, { statusCode: 400, code: 'FST_ERR_CTP_INVALID_JSON_BODY' }), undefined);
    }
  });
  const vault = runtime.vault;
  await app.register(interactionRoutes, { vault });
  await app.register(searchRoutes, { vault, cursorKey: runtime.keys.cursor });
  await app.register(contentRoutes, { vault });
}
