/** Liveness and readiness for orchestrators and load balancers. */
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import type { BlobStore } from '../blobs/blob-store.js';
import type { Coordination } from '../cluster/coordination.js';
import type { StoreConnection } from '../store/database.js';
import { pendingMigrations } from '../store/migrator.js';

export async function opsRoutes(
  app: FastifyInstance,
  { store, blobs, coordination }: { store: StoreConnection; blobs: BlobStore; coordination: Coordination },
) {
  app.get(
    '/health',
    {
      schema: {
        operationId: 'getHealth',
        summary: 'Liveness',
        tags: ['ops'],
        security: [],
        response: { 200: { type: 'object', properties: { status: { type: 'string', enum: ['ok'] } } } },
      },
    },
    async () => ({ status: 'ok' }),
  );

  app.get(
    '/ready',
    {
      schema: {
        operationId: 'getReadiness',
        summary: 'Readiness: database reachable and migrated, content store reachable, and Redis reachable on a cluster node',
        tags: ['ops'],
        security: [],
        response: {
          200: {
            type: 'object',
            properties: {
              status: { type: 'string', enum: ['ready'] },
              database: { type: 'string' },
              shared: { type: 'string', enum: ['redis'], description: 'present on a cluster node: what nodes share is in Redis' },
            },
          },
          503: {
            type: 'object',
            description: 'Not ready: migrating, or the database, the content store (or, on a cluster node, Redis) unreachable',
            properties: {
              status: { type: 'string', enum: ['migrating', 'unavailable'] },
              pendingMigrations: { type: 'integer' },
              reason: {
                type: 'string',
                description:
                  'what is unreachable (`database unreachable`, `content store unreachable`, `Redis unreachable`); the server log says why',
              },
            },
          },
        },
      },
    },
    async (request, reply) => {
      // Anyone may ask: the answer names what is down, the log says why (a driver's message names hosts,
      // addresses and user names).
      const unavailable = (what: string, err: unknown) => {
        request.log.warn({ err }, `readiness: ${what} unreachable`);
        return reply.code(503).send({ status: 'unavailable', reason: `${what} unreachable` });
      };
      let pending: number;
      try {
        await sql`select 1`.execute(store.db);
        pending = await pendingMigrations(store);
      } catch (err) {
        return unavailable('database', err);
      }
      if (pending > 0) return reply.code(503).send({ status: 'migrating', pendingMigrations: pending });
      // Content lives apart from the database (a bucket, a volume): a node that cannot reach it fails every upload
      // and every download of content past the inline size.
      try {
        await blobs.check();
      } catch (err) {
        return unavailable('content store', err);
      }
      try {
        await coordination.check();
      } catch (err) {
        return unavailable('Redis', err);
      }
      return { status: 'ready', database: store.dialect, ...(coordination.mode === 'redis' ? { shared: 'redis' } : {}) };
    },
  );
}
