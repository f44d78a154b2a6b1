/**
 * `POST /interactions/delete-batch` (Vonage "Delete up to 1000 interactions"):
 * deletes each listed interaction with all its content, one interaction at a
 * time, each in its own transaction and audited by the Vault's single delete.
 * A stop midway therefore leaves every GUID either fully deleted or
 * untouched, and the client's retry (Vonage's samples retry 429 and 5xx)
 * finishes the job: a GUID that no longer exists is not a failure, so a
 * retried batch answers `{"failures": []}`.
 *
 * Vonage documents that concurrent deletions get 429: one batch per client
 * at a time, across every node of a cluster (a lease in Redis that lapses
 * BATCH_LEASE_MS after its node dies; in one process, in memory).
 */
import type { FastifyInstance } from 'fastify';
import type { Leases } from '../../cluster/coordination.js';
import { errors, isVaultError } from '../../domain/errors.js';
import type { Principal } from '../../domain/principal.js';
import type { Vault } from '../../services/vault.js';
import { MESSAGE_SCHEMA } from './errors.js';
import { parseGuid } from './guid.js';
import { vonageSchema } from './schemas.js';

export const MAX_DELETE_BATCH = 1000;
/** How long a client is told to wait when its previous batch is still running. */
const BUSY_RETRY_AFTER_SECONDS = 1;
/** How long a batch's lease outlives a node killed while running it; renewed while the batch runs. */
const BATCH_LEASE_MS = 15_000;

export interface DeleteFailure {
  guid: string;
  message: string;
  statusCode: number;
}

const BODY = {
  type: 'object',
  required: ['guids'],
  properties: {
    guids: {
      type: 'array',
      maxItems: MAX_DELETE_BATCH,
      items: { type: 'string', examples: ['1870c11f-a216-4967-9f84-e5f39aff17f1'] },
      description: `the GUIDs of the interactions to delete, at most ${MAX_DELETE_BATCH}`,
    },
  },
} as const;

const RESULT = {
  title: 'VonageDeleteResult',
  type: 'object',
  required: ['failures'],
  properties: {
    failures: {
      type: 'array',
      description: 'the GUIDs that were not deleted; a GUID that does not exist is not a failure',
      items: {
        type: 'object',
        required: ['guid', 'message', 'statusCode'],
        properties: { guid: { type: 'string' }, message: { type: 'string' }, statusCode: { type: 'integer' } },
      },
    },
  },
} as const;

/** Every GUID well-formed (else the whole request is a 400 naming the first bad one), duplicates dropped. */
function parseGuids(raw: readonly string[]): string[] {
  const guids = new Set<string>();
  raw.forEach((value, index) => {
    try {
      guids.add(parseGuid(value));
    } catch (err) {
      if (isVaultError(err)) throw errors.invalidField(`guids.${index}`, err.message);
      throw err;
    }
  });
  return [...guids];
}

function clientKey(principal: Principal): string {
  return `${principal.tenant.id}/${principal.kind}/${principal.id}`;
}

export async function deleteBatchRoute(app: FastifyInstance, { vault, leases }: { vault: Vault; leases: Leases }) {
  app.post<{ Body: { guids: string[] } }>(
    '/interactions/delete-batch',
    {
      schema: vonageSchema('vonageDeleteInteractions', 'Delete up to 1000 interactions with all their content', {
        description:
          'Each interaction is deleted with its content in one transaction and audited. Answers 200 with the failures; ' +
          'a GUID that does not exist is not a failure, so a retried batch is harmless. A second batch by the same ' +
          'client while one runs answers 429 with Retry-After.',
        body: BODY,
        response: { 200: RESULT, 429: MESSAGE_SCHEMA },
      }),
      config: { operation: 'interaction.delete' },
    },
    async (request, reply) => {
      const guids = parseGuids(request.body.guids);
      const { principal } = request;
      const lease = await leases.tryAcquire(`delete-batch/${clientKey(principal)}`, BATCH_LEASE_MS);
      if (!lease) {
        reply.header('Retry-After', String(BUSY_RETRY_AFTER_SECONDS));
        throw errors.busy('a deletion batch of this client is still running', BUSY_RETRY_AFTER_SECONDS);
      }
      try {
        const failures: DeleteFailure[] = [];
        for (const guid of guids) {
          try {
            await vault.delete(principal, guid);
          } catch (err) {
            if (isVaultError(err) && err.kind === 'not_found') continue;
            if (isVaultError(err) && err.kind !== 'internal') {
              failures.push({ guid, message: err.message, statusCode: err.status });
              continue;
            }
            request.log.error({ err, guid }, 'batch deletion of one interaction failed');
            failures.push({ guid, message: 'internal error', statusCode: 500 });
          }
        }
        return { failures };
      } finally {
        await lease.release();
      }
    },
  );
}
