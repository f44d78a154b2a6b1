/**
 * The HTTP application as one Fastify instance. Boot order: the edge (limits
 * and timeouts, security headers, CORS, cross-site checks, rate limits),
 * OpenAPI, operations and OAuth routes, then one encapsulated plugin per wire
 * API, each with its own error format. The CometD endpoint is mounted on the
 * same HTTP server, beside Fastify (see src/notify), behind the same limits.
 */
import cors from '@fastify/cors';
import formbody from '@fastify/formbody';
import rateLimit from '@fastify/rate-limit';
import Fastify, { type FastifyInstance, type FastifyRequest, type FastifyServerOptions, LogController } from 'fastify';
import { answerBeforeRouting } from './api/before-routing.js';
import { consolePlugin } from './api/console/index.js';
import { genesysApi, INTERACTIONS_CHANNEL } from './api/genesys/index.js';
import { nativeApi } from './api/native/index.js';
import { sendProblem } from './api/native/problem.js';
import { oauthRoutes } from './api/oauth.js';
import { registerOpenApi } from './api/openapi.js';
import { opsRoutes } from './api/ops.js';
import { BodyDeadlines } from './api/shared/body-deadlines.js';
import { refuseEncodedBodies } from './api/shared/content-encoding.js';
import { toVaultError } from './api/shared/errors.js';
import { OriginPolicy } from './api/shared/origins.js';
import { securityHeaders } from './api/shared/security-headers.js';
import { vonageApi } from './api/vonage/index.js';
import { clientAddressOf, compileTrust } from './client-address.js';
import { DEFAULTS, EDGE_DEFAULTS, type EdgeLimits } from './config.js';
import { errors, isVaultError } from './domain/errors.js';
import { mountNotifications, recipientOf } from './notify/index.js';
import { LIVE_CHANNEL, mountLiveFeed } from './notify/live.js';
import { endSessionsOnSignOut } from './notify/sign-outs.js';
import type { Runtime } from './runtime.js';

export interface AppOptions {
  logger?: FastifyServerOptions['logger'];
  /** The server logs one access line per request itself (see src/logging.ts). */
  disableRequestLogging?: boolean;
  /** How long a Genesys result waits for a CometD session of its user. */
  resultTtlMs?: number;
  /** Bounds of the HTTP edge (EDGE_DEFAULTS for what is left out). */
  limits?: Partial<EdgeLimits>;
}

/** Seconds a CometD long-poll is held, as CometD servers do by default. */
const COMETD_TIMEOUT_SECONDS = 30;
/** The least time a websocket gets to prove a principal (the body grace when longer). */
const MIN_SOCKET_PROOF_MS = 5_000;

/** Routes under these prefixes answer with interaction data: nobody may store their answers. */
const PERSONAL_PREFIXES = ['/api/', '/interaction-content/'];

export async function buildApp(runtime: Runtime, options: AppOptions = {}): Promise<FastifyInstance> {
  const limits: EdgeLimits = { ...EDGE_DEFAULTS, ...options.limits };
  const app = Fastify({
    logger: options.logger ?? false,
    ...(options.disableRequestLogging ? { logController: new LogController({ disableRequestLogging: true }) } : {}),
    // JSON bodies (batches of 1000 with transcripts); content uploads stream and are limited separately.
    bodyLimit: limits.bodyLimitBytes,
    requestTimeout: limits.requestTimeoutMs,
    http: {
      // Node refuses a headers timeout above the request timeout.
      headersTimeout:
        limits.requestTimeoutMs > 0 ? Math.min(limits.headersTimeoutMs, limits.requestTimeoutMs) : limits.headersTimeoutMs,
      // How often Node checks those two timeouts (default 30 s): a small fraction of the shorter one.
      connectionsCheckingInterval: Math.max(50, Math.min(30_000, Math.floor(limits.headersTimeoutMs / 4))),
    },
    return503OnClosing: true,
    // request.ip (rate limits, login throttling), request.protocol (the session cookie's Secure, Genesys uris)
    // and request.host from the forwarding headers of the listed proxies only.
    ...(limits.trustedProxies.length > 0 ? { trustProxy: compileTrust(limits.trustedProxies) } : {}),
    // A path Fastify cannot decode is refused before routing and before every hook: in the API's format, with its headers.
    frameworkErrors: answerBeforeRouting,
    ajv: { customOptions: { coerceTypes: 'array', removeAdditional: false, allErrors: true } },
  });
  app.decorateRequest('principal', null as never);
  // Outside the facades (ops, OpenAPI, unknown paths) errors are problem details too, never a library's message.
  app.setErrorHandler(sendProblem);
  app.setNotFoundHandler((request, reply) =>
    sendProblem(errors.notFound(`no route ${request.method} ${request.url}`), request, reply),
  );
  const { origins, bodies } = await edge(app, runtime, limits);

  await registerOpenApi(app);

  // First: its CSRF guard is a root hook, which only the routes registered after it inherit.
  await app.register(consolePlugin, { auth: runtime.auth });
  await app.register(opsRoutes, { store: runtime.store, blobs: runtime.blobs, coordination: runtime.coordination });
  await app.register(oauthEndpoint, { runtime });
  await app.register(nativeApi, { prefix: '/api/v1', runtime });
  await app.register(vonageApi, { prefix: '/interaction-content', runtime });
  const resultHoldMs = options.resultTtlMs ?? DEFAULTS.resultTtlMs;
  const notifier = mountNotifications(app, {
    auth: runtime.auth,
    channels: [INTERACTIONS_CHANNEL, LIVE_CHANNEL],
    holdMs: resultHoldMs,
    timeoutSeconds: COMETD_TIMEOUT_SECONDS,
    heldBytesPerRecipient: limits.heldBytesPerPrincipal,
    heldBytes: limits.heldBytes,
    sessionsPerRecipient: limits.bayeuxSessionsPerPrincipal,
    // A websocket proves a principal within the grace a request's body gets, never less than a handshake
    // with a password check needs on a busy machine (a body grace of 0 would close every socket at once).
    socketProofMs: Math.max(limits.bodyTimeoutMs, MIN_SOCKET_PROOF_MS),
    clientAddress: clientAddressOf(limits.trustedProxies),
    hub: (holdLimits) => runtime.coordination.hub(holdLimits),
    gate: {
      bodyLimitBytes: limits.bayeuxBodyLimitBytes,
      watchBody: (request, response) => bodies.watch(request, response),
      jsonp: limits.jsonp,
      isAllowedOrigin: (origin, headers) => origins.isAllowed(origin, headers),
      isCorsOrigin: (origin) => origins.isConfigured(origin),
    },
  });
  const stopLiveFeed = mountLiveFeed(runtime.vault, notifier, () => runtime.auth.directory, runtime.coordination.events);
  const stopEndingSessions = endSessionsOnSignOut(runtime.auth, app.notifications, runtime.coordination.events);
  app.addHook('onClose', async () => {
    stopLiveFeed();
    stopEndingSessions();
  });
  await app.register(genesysApi, { runtime, notifier, limits, resultHoldMs });
  return app;
}

/**
 * What every Fastify route gets before its own plugin runs (issue 8, findings
 * 7, 8, 9 and 11). Hooks added here, on the root, run for every route, and an
 * error they raise is answered by the route's own facade in its format.
 */
async function edge(app: FastifyInstance, runtime: Runtime, limits: EdgeLimits) {
  const origins = new OriginPolicy(limits.corsOrigins);
  const bodies = new BodyDeadlines({ graceMs: limits.bodyTimeoutMs, minBytesPerSecond: limits.bodyMinBytesPerSecond });
  app.addHook('onClose', async () => bodies.close());
  // Fastify reads a body after the request hooks (authentication among them): the body's clock starts there.
  // Hooks whose work is synchronous take `done`: no promise and no extra turn of the event loop on every request.
  app.addHook('preParsing', (request, _reply, payload, done) => {
    bodies.startReading(request.raw);
    done(null, payload);
  });
  await runtime.auth.configurePasswordChecks({ workers: limits.passwordWorkers, queue: limits.passwordQueue });
  runtime.vault.limitSearchTime(limits.searchTimePerMinuteMs);
  app.addHook('onClose', () => runtime.auth.close());

  // Security headers on every answer (helmet's, computed once: src/api/shared/security-headers.ts).
  securityHeaders(app);
  await app.register(cors, {
    origin: (origin, callback) => callback(null, origin !== undefined && origins.isConfigured(origin)),
    credentials: true,
    methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
    allowedHeaders: ['Authorization', 'Content-Type', 'Accept', 'Range', 'If-None-Match', 'If-Modified-Since', 'If-Range'],
    exposedHeaders: ['ETag', 'Last-Modified', 'Content-Range', 'Content-Disposition', 'Retry-After', 'Location'],
    maxAge: 600,
  });

  // Only the OAuth token endpoint parses form bodies (its own scope); text/plain is what a cross-site form or a
  // preflight-free fetch can send, so JSON APIs accept application/json alone.
  app.removeContentTypeParser('text/plain');
  // No content coding is decoded: a compressed body would pass the card-number scan unread (content-encoding.ts).
  app.addHook('onRequest', refuseEncodedBodies);
  app.addHook('onRequest', (request, reply, done) => {
    bodies.watchFromFirstRead(request.raw, reply.raw);
    const verdict = origins.mayChangeState(request.method, request.headers);
    done(verdict.ok ? undefined : errors.originForbidden(verdict.origin));
  });

  // Per principal once authenticated (after the facades' onRequest hooks), per IP on routes without credentials.
  // Failed logins never get here: the authenticator throttles them per user name and per IP. An API client may
  // have a limit of its own in the principals file (Vonage's fair usage is per client); 0 is no limit.
  const perMinute = (request: FastifyRequest): number => {
    const principal = request.principal;
    if (!principal) return limits.ipRateLimitPerMinute;
    const own = principal.kind === 'client' ? runtime.auth.directory.clients.get(principal.id)?.rateLimitPerMinute : undefined;
    return own ?? limits.rateLimitPerMinute;
  };
  await app.register(rateLimit, {
    hook: 'preHandler',
    timeWindow: 60_000,
    allowList: (request) => perMinute(request) === 0,
    keyGenerator: (request) => (request.principal ? `principal:${recipientOf(request.principal)}` : `ip:${request.ip}`),
    max: (request) => perMinute(request),
    errorResponseBuilder: (_request, context) => errors.rateLimited(Math.max(1, Math.ceil(context.ttl / 1000))),
    // A cluster counts in Redis, so a principal's limit holds across nodes; should Redis fail, requests pass.
    ...(runtime.coordination.rateLimitRedis
      ? { redis: runtime.coordination.rateLimitRedis, nameSpace: 'ixvault:rate:', skipOnError: true }
      : {}),
  });

  app.addHook('onSend', (request, reply, payload, done) => {
    if (!reply.hasHeader('cache-control') && PERSONAL_PREFIXES.some((p) => request.url.startsWith(p)))
      reply.header('Cache-Control', 'no-store');
    done(null, payload);
  });
  // After a facade's error handler: a throttled caller, or one refused while a dependency is down, learns when to
  // come back, whatever the format (the error as raised: the handler's mapping is made again).
  app.addHook('onError', async (_request, reply, error) => {
    const retryAfter = toVaultError(error).extra.retryAfterSeconds;
    if (typeof retryAfter === 'number' && !reply.hasHeader('retry-after')) reply.header('Retry-After', String(retryAfter));
  });
  return { origins, bodies };
}

/**
 * `POST /oauth2/token` in a scope of its own: RFC 6749 sends its parameters
 * form-encoded, the only route that parses forms; an error raised before the
 * handler (body, rate limit) is answered in OAuth's error format.
 */
async function oauthEndpoint(app: FastifyInstance, { runtime }: { runtime: Runtime }) {
  await app.register(formbody);
  app.setErrorHandler((err: Error, _request, reply) => {
    const throttled = isVaultError(err) && err.kind === 'too_many_requests';
    const status = isVaultError(err) ? err.status : (err as { statusCode?: number }).statusCode;
    reply.header('Cache-Control', 'no-store');
    if (throttled) return reply.code(429).send({ error: 'temporarily_unavailable', error_description: err.message });
    if (status !== undefined && status < 500)
      return reply.code(status === 401 ? 401 : 400).send({ error: 'invalid_request', error_description: err.message });
    reply.log.error({ err }, 'token request failed');
    return reply.code(500).send({ error: 'server_error' });
  });
  await app.register(oauthRoutes, { auth: runtime.auth });
}
