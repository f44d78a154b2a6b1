/**
 * The HTTP application as one Fastify instance. Boot order: shared plugins
 * (form bodies, OpenAPI), operations and OAuth routes, then one encapsulated
 * plugin per wire API, each with its own error format. The CometD endpoint is
 * mounted on the same HTTP server, beside Fastify (see src/notify).
 */
import formbody from '@fastify/formbody';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyInstance, type FastifyServerOptions, LogController } from 'fastify';
import { consolePlugin } from './api/console/index.js';
import { genesysApi, INTERACTIONS_CHANNEL } from './api/genesys/index.js';
import { nativeApi } from './api/native/index.js';
import { oauthRoutes } from './api/oauth.js';
import { opsRoutes } from './api/ops.js';
import { vonageApi } from './api/vonage/index.js';
import { DEFAULTS } from './config.js';
import { mountNotifications } from './notify/index.js';
import { LIVE_CHANNEL, mountLiveFeed } from './notify/live.js';
import type { Runtime } from './runtime.js';

export interface AppOptions {
  logger?: FastifyServerOptions['logger'];
  /** The server logs one access line per request itself (see src/logging.ts). */
  disableRequestLogging?: boolean;
  /** How long a Genesys result waits for a CometD session of its user. */
  resultTtlMs?: number;
}

/** Seconds a CometD long-poll is held, as CometD servers do by default. */
const COMETD_TIMEOUT_SECONDS = 30;

export async function buildApp(runtime: Runtime, options: AppOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    logger: options.logger ?? false,
    ...(options.disableRequestLogging ? { logController: new LogController({ disableRequestLogging: true }) } : {}),
    // JSON bodies (batches of 1000 with transcripts); content uploads stream and are limited separately.
    bodyLimit: 64 * 1024 * 1024,
    return503OnClosing: true,
    ajv: { customOptions: { coerceTypes: 'array', removeAdditional: false, allErrors: true } },
  });
  app.decorateRequest('principal', null as never);

  await app.register(formbody);
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'ixvault',
        version: '0.1.0',
        description:
          'Interaction history and content. Native API under /api/v1; the Vonage-compatible Interaction Content API under /interaction-content; the Genesys-compatible Interaction History API under /api/v2/ucs.',
      },
      components: {
        securitySchemes: {
          basic: { type: 'http', scheme: 'basic' },
          bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
        },
      },
      security: [{ basic: [] }, { bearer: [] }],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  // First: its CSRF guard is a root hook, which only the routes registered after it inherit.
  await app.register(consolePlugin, { auth: runtime.auth });
  await app.register(opsRoutes, { store: runtime.store });
  await app.register(oauthRoutes, { auth: runtime.auth });
  await app.register(nativeApi, { prefix: '/api/v1', runtime });
  await app.register(vonageApi, { prefix: '/interaction-content', runtime });
  const notifier = mountNotifications(app, {
    auth: runtime.auth,
    channels: [INTERACTIONS_CHANNEL, LIVE_CHANNEL],
    holdMs: options.resultTtlMs ?? DEFAULTS.resultTtlMs,
    timeoutSeconds: COMETD_TIMEOUT_SECONDS,
  });
  const stopLiveFeed = mountLiveFeed(runtime.vault, notifier, runtime.directory);
  app.addHook('onClose', async () => stopLiveFeed());
  await app.register(genesysApi, { prefix: '/api/v2/ucs', runtime, notifier });
  return app;
}
