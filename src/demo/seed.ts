/**
 * Loads a generated contact center into a running store through the same
 * service calls the APIs use (validation, transactions, blob store).
 */
import { Readable } from 'node:stream';
import type { Principal, Tenant } from '../domain/principal.js';
import type { Vault } from '../services/vault.js';
import { type ContactCenterOptions, generateContacts, generateInteractions } from './contact-center.js';

const BATCH = 500;

/** The identity CLI commands act as: an administrator of the tenant. */
export function systemPrincipal(tenant: Tenant): Principal {
  return { kind: 'user', tenant, id: 'ixvault-system', userName: 'ixvault-system', role: 'admin' };
}

export async function seedContactCenter(
  vault: Vault,
  tenant: Tenant,
  options: ContactCenterOptions,
  onProgress: (done: number) => void = () => {},
): Promise<{ interactions: number; contentItems: number }> {
  const principal = systemPrincipal(tenant);
  // The contacts first, so that every contactId names one; a re-run keeps those it made before.
  for (const contact of generateContacts(options))
    if (!(await vault.contacts.repository.exists(tenant.id, contact.id))) await vault.contacts.create(principal, contact);
  let batch: ReturnType<typeof generateInteractions> extends Generator<infer T> ? T[] : never = [];
  let interactions = 0;
  let contentItems = 0;
  const flush = async () => {
    await vault.upsertBatch(
      principal,
      batch.map((g) => g.record),
    );
    for (const g of batch) {
      for (const c of g.content) {
        await vault.putContent(principal, g.record.id, c.contentKey, Readable.from([c.bytes()]), {
          type: c.type,
          contentType: c.contentType,
          duration: c.durationMs !== undefined ? String(c.durationMs) : undefined,
          owningAgent: c.owningAgent,
          owningInteractionPlan: c.owningInteractionPlan,
        });
        contentItems++;
      }
    }
    interactions += batch.length;
    onProgress(batch.length);
    batch = [];
  };
  for (const generated of generateInteractions(options)) {
    batch.push(generated);
    if (batch.length >= BATCH) await flush();
  }
  if (batch.length > 0) await flush();
  return { interactions, contentItems };
}
