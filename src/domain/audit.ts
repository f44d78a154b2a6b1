/**
 * The audit log's rules: what an entry is, and the hash chain that makes it
 * tamper-evident. Each tenant has one chain; entry n carries the hash of entry
 * n-1 and its own hash over every stored field, so changing, removing or
 * reordering any entry breaks the chain at that entry (`ixvault audit verify`).
 * Only a change to the newest entries followed by re-hashing everything after
 * them goes unseen — which is why verify prints the head to be kept elsewhere.
 */
import { createHash } from 'node:crypto';

/** The actions ixvault audits (documentation of the search filter; a new kind of entry adds its name here). */
export const AUDIT_ACTIONS = [
  'content.read',
  'content.delete',
  'interaction.delete',
  'export.item',
  'erasure.delete',
  'erasure',
  'audit.export',
  'retention.delete',
  'hold.create',
  'hold.release',
  // Governance decisions: an export job started or cancelled, a retention policy set (active or pending).
  'export.create',
  'export.cancel',
  'retention.policy',
  // A deletion a legal hold refused: the refused action with this suffix (`interaction.delete.refused`…).
  'interaction.delete.refused',
  'content.delete.refused',
  'content.replace.refused',
] as const;

/** The previous hash of a chain's first entry. */
export const GENESIS_HASH = '0'.repeat(64);

/**
 * Range reads of one item by one principal within this window make one entry:
 * a player streaming a recording asks for many ranges.
 */
export const READ_COALESCE_MS = 60_000;

export interface AuditEntry {
  atMs: number;
  actor: string;
  action: string;
  interactionId: string;
  contentKey?: string;
  detail: Record<string, unknown>;
}

/** An entry as stored: its place in the tenant's chain and the hashes. */
export interface ChainedAuditEntry extends AuditEntry {
  chainNo: number;
  prevHash: string;
  hash: string;
}

/** The fields an entry's hash covers, as stored (`detail` as its stored JSON text). */
export interface HashedFields {
  tenantId: string;
  chainNo: number;
  atMs: number;
  actor: string;
  action: string;
  interactionId: string;
  contentKey: string | null;
  detail: string;
  prevHash: string;
}

/** SHA-256 over an unambiguous encoding (a JSON array) of every field, the previous hash included. */
export function entryHash(f: HashedFields): string {
  const encoded = JSON.stringify([
    f.tenantId,
    f.chainNo,
    f.atMs,
    f.actor,
    f.action,
    f.interactionId,
    f.contentKey,
    f.detail,
    f.prevHash,
  ]);
  return createHash('sha256').update(encoded).digest('hex');
}

/** Where a chain stops being what it claims, or undefined when this entry is sound. */
export function chainBreak(expected: { chainNo: number; prevHash: string }, stored: HashedFields & { hash: string | null }) {
  if (stored.chainNo !== expected.chainNo)
    return `entry ${stored.chainNo} follows entry ${expected.chainNo - 1}: entries ${expected.chainNo}…${stored.chainNo - 1} are missing`;
  if (stored.prevHash !== expected.prevHash) return `entry ${stored.chainNo} does not carry the hash of the entry before it`;
  if (stored.hash !== entryHash(stored))
    return `entry ${stored.chainNo} was changed after it was written (its hash does not match)`;
  return undefined;
}
