/**
 * The OpenAPI description (`/openapi.json`, browsable at `/docs`), built by
 * @fastify/swagger from the routes' own JSON schemas, so that what is
 * documented is what is validated. What a route schema cannot say, this adds
 * to the description only (never to validation or serialization):
 * - the error answers of every operation, in its facade's own format, which
 *   each facade declares once with `documentErrors` (429 with Retry-After);
 * - from a route's config, what no schema of it can carry: `docResponses`
 *   (content bytes, 206, 304), `docErrors` (409, 413, 416…) and `docBody`
 *   (a streamed upload, which no parser reads).
 * Every operation must name a unique `operationId` (the lint and the typed
 * client in test/openapi check it). A schema with a `title` is published once,
 * under that name in `components.schemas`, and referenced: the description
 * stays small and generated clients get named types.
 */
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance, FastifySchema, RouteOptions } from 'fastify';
import { PROBLEM } from './native/problem.js';

/** How the errors of a facade look: one schema, in one media type. */
export interface ErrorFormat {
  mediaType: string;
  schema: Record<string, unknown>;
  description: string;
  /** The error statuses its routes answer, when not all the usual ones. */
  statuses?: readonly string[];
}

/** A documented answer: a description, maybe headers (their schemas) and a body per media type (`type: 'null'`: none). */
export interface ResponseDoc {
  type?: 'null';
  description: string;
  headers?: Record<string, Record<string, unknown>>;
  content?: Record<string, { schema: Record<string, unknown> }>;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The facade's error format, for the description (set by `documentErrors`). */
    errorFormat?: ErrorFormat;
    /** Answers the description lists beside the route's response schemas (by status). */
    docResponses?: Record<string, ResponseDoc>;
    /** Errors this route answers beside the usual ones (status → when). */
    docErrors?: Record<string, string>;
    /** A body no parser reads (streamed uploads): its media types and schema, for the description. */
    docBody?: { consumes: string[]; schema: Record<string, unknown> };
  }
}

/** The statuses every operation may answer with an error; 401 and 403 only where credentials are asked. */
const ERROR_STATUSES: Record<string, string> = {
  400: 'Bad request: the message names the field or parameter',
  401: 'No valid credentials',
  403: 'Not allowed for these credentials',
  404: 'Not found (or not visible to these credentials)',
  429: 'Too many requests: retry after `Retry-After` seconds',
  500: 'Internal error (details are only in the server log)',
  503: 'A dependency (database, content store, Redis) is unavailable: retry after `Retry-After` seconds',
};

const RETRY_AFTER = { 'Retry-After': { type: 'integer', minimum: 1, description: 'seconds to wait before retrying' } };

/** Declares the error format of every route registered in `app` (a facade's plugin) from here on. */
export function documentErrors(app: FastifyInstance, format: ErrorFormat): void {
  app.addHook('onRoute', (route) => {
    route.config = { ...route.config, errorFormat: format };
  });
}

export async function registerOpenApi(app: FastifyInstance): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'ixvault',
        version: '0.1.0',
        license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
        description:
          'Interaction history and content. Native API under /api/v1; the Vonage-compatible Interaction Content API under /interaction-content; the Genesys-compatible Interaction History API under /api/v2/ucs.',
      },
      servers: [{ url: '/', description: 'this server' }],
      components: {
        securitySchemes: {
          basic: { type: 'http', scheme: 'basic', description: 'users (user name and password)' },
          bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'API clients: POST /oauth2/token' },
          session: { type: 'apiKey', in: 'cookie', name: 'ixv_session', description: 'browsers: POST /api/v1/session' },
        },
      },
      security: [{ basic: [] }, { bearer: [] }, { session: [] }],
    },
    transform: ({ schema, url, route }) => ({ schema: describeRoute(schema, route), url: withoutTrailingSlash(url) }),
    transformObject: (documents) =>
      hoistTitledSchemas(
        ('openapiObject' in documents ? documents.openapiObject : documents.swaggerObject) as Record<string, unknown>,
      ),
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
}

/** The route's schema with its error answers and its documentation-only answers. */
function describeRoute(schema: FastifySchema | undefined, route: RouteOptions): FastifySchema {
  const own: FastifySchema = schema ?? {};
  // Routes outside the facades (ops, sessions) answer problem details, as the native API does.
  const format = route.config?.errorFormat ?? PROBLEM;
  const anonymous = Array.isArray(own.security) && own.security.length === 0;
  const response: Record<string, unknown> = { ...route.config?.docResponses, ...(own.response as Record<string, unknown>) };
  for (const [status, description] of Object.entries({ ...ERROR_STATUSES, ...route.config?.docErrors })) {
    if (anonymous && (status === '401' || status === '403')) continue;
    if (format.statuses && !format.statuses.includes(status)) continue;
    const documented = response[status];
    const schemaOf = (documented ?? format.schema) as Record<string, unknown>;
    // A response schema the route has (for serialization) keeps its shape; it gains the description and headers.
    response[status] =
      documented !== undefined && 'content' in (documented as object)
        ? documented
        : {
            description,
            ...(status === '429' || status === '503' ? { headers: RETRY_AFTER } : {}),
            content: { [format.mediaType]: { schema: schemaOf } },
          };
  }
  const body = route.config?.docBody;
  return body ? { ...own, response, body: body.schema, consumes: body.consumes } : { ...own, response };
}

/**
 * Moves every schema with a `title` under the paths to `components.schemas`
 * (by that title) and refers to it there. Two different schemas with the same
 * title are a programming error, reported when the description is built.
 */
function hoistTitledSchemas<T extends Record<string, unknown>>(document: T): T {
  const named = new Map<string, { json: string; schema: unknown }>();
  const hoist = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(hoist);
    if (typeof node !== 'object' || node === null) return node;
    const copy = Object.fromEntries(Object.entries(node).map(([key, value]) => [key, hoist(value)]));
    const title = copy.title;
    if (typeof title !== 'string' || !('type' in copy || 'oneOf' in copy || 'properties' in copy)) return copy;
    // Compared without examples: @fastify/swagger moves a body's examples out of its schema into the media type.
    const { examples, ...rest } = copy;
    const json = JSON.stringify(rest);
    const earlier = named.get(title);
    if (earlier && earlier.json !== json) throw new Error(`two different schemas are titled ${title}`);
    if (!earlier || examples !== undefined) named.set(title, { json, schema: copy });
    return { $ref: `#/components/schemas/${title}` };
  };
  const paths = hoist(document.paths);
  const components = (document.components ?? {}) as Record<string, unknown>;
  const schemas = Object.fromEntries(
    [...named].sort(([a], [b]) => a.localeCompare(b)).map(([name, { schema }]) => [name, schema]),
  );
  return { ...document, paths, components: { ...components, schemas: { ...(components.schemas as object), ...schemas } } };
}

/** `/api/v1/session/` (a plugin's root route) is also served without the slash; the description uses that form. */
function withoutTrailingSlash(url: string): string {
  return url.length > 1 && url.endsWith('/') ? url.slice(0, -1) : url;
}
