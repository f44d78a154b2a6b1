/** Liveness and readiness for orchestrators and load balancers. */
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import type { Coordination } from '../cluster/coordination.js';
import type { StoreConnection } from '../store/database.js';
import { pendingMigrations } from '../store/migrator.js';

export async function opsRoutes(
  app: FastifyInstance,
  { store, coordination }: { store: StoreConnection; coordination: Coordination },
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
        summary: 'Readiness: database reachable and migrated, and Redis reachable on a cluster node',
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
            description: 'Not ready: migrating, or the database (or, on a cluster node, Redis) unreachable',
            properties: {
              status: { type: 'string', enum: ['migrating', 'unavailable'] },
              pendingMigrations: { type: 'integer' },
              reason: { type: 'string' },
            },
          },
        },
      },
    },
    async (_request, reply) => {
      try {
        await sql`select 1`.execute(store.db);
        const pending = await pendingMigrations(store);
        if (pending > 0) return reply.code(503).send({ status: 'migrating', pendingMigrations: pending });
        await coordination.check().catch((err: Error) => {
          throw new Error(`Redis: ${err.message}`);
        });
        return { status: 'ready', database: store.dialect, ...(coordination.mode === 'redis' ? { shared: 'redis' } : {}) };
      } catch (err) {
        return reply.code(503).send({ status: 'unavailable', reason: (err as Error).message });
      }
    },
  );
}
