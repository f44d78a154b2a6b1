/**
 * A read of an interaction that was moved to the archive answers 404 from the
 * main store; the problem's detail says that `?source=archive` finds it. Only
 * a caller who may see the archived record learns that it exists.
 */
import type { FastifyRequest } from 'fastify';
import { errors, isVaultError } from '../../domain/errors.js';
import type { Vault } from '../../services/vault.js';

const HINTED = new Set(['IXV_INTERACTION_NOT_FOUND', 'IXV_CONTENT_NOT_FOUND']);

export async function withArchiveHint(vault: Vault, err: unknown, request: FastifyRequest): Promise<unknown> {
  if (request.method !== 'GET' || !isVaultError(err) || !HINTED.has(err.code)) return err;
  const query = request.query as { source?: string } | undefined;
  const id = (request.params as { id?: string } | undefined)?.id;
  if (!id || (query?.source ?? 'main') !== 'main' || !request.principal) return err;
  const archived = await vault.get(request.principal, id, 'archive').then(
    () => true,
    () => false,
  );
  return archived ? errors.interactionArchived(id) : err;
}
