/**
 * The one table of rights: every operation of every API (native, Vonage,
 * Genesys) names one of these operations, and a principal may perform it
 * when it is a user with one of the roles, or a client whose token carries
 * one of the scopes. Which rows it then sees is `visibilityOf`'s business
 * (an agent only its own interactions, everyone only its tenant).
 */
import { errors } from './errors.js';
import { type Principal, ROLES, type Role, type Scope } from './principal.js';

export interface Requirement {
  /** What the operation does, as the README's table says it. */
  summary: string;
  /** Any one of these roles suffices for a user. */
  roles: readonly Role[];
  /** Any one of these scopes suffices for a client; none: clients may not. */
  scopes: readonly Scope[];
}

export const OPERATIONS = {
  'interaction.read': {
    summary: 'read interaction records (messages and the list of content items included) and search them',
    roles: ROLES,
    scopes: ['interactions:read', 'interaction-content:read'],
  },
  'content.read': {
    summary: 'download content bytes (recordings, transcripts, …); every read of the Vonage Interaction Content API',
    roles: ROLES,
    scopes: ['interaction-content:read'],
  },
  'interaction.write': {
    summary: 'create, replace or patch records, append messages, upload content',
    roles: ['admin'],
    scopes: ['interactions:write'],
  },
  'content.delete': {
    summary: 'delete one content item',
    roles: ['admin'],
    scopes: ['interaction-content:delete'],
  },
  'interaction.delete': {
    summary: 'delete an interaction with all its content',
    roles: ['admin'],
    scopes: ['interaction-content:delete'],
  },
  'content.readSensitive': {
    summary: 'download content marked containsSensitiveData (recordings that may hold card data)',
    roles: ['admin'],
    scopes: ['interaction-content:read-sensitive'],
  },
  'hold.manage': {
    summary: 'place, list and release legal holds',
    roles: ['admin'],
    scopes: [],
  },
  'retention.manage': {
    summary: 'read and change retention policies, and see what they would remove',
    roles: ['admin'],
    scopes: [],
  },
  'redaction.report': {
    summary: 'read the counts of card numbers masked on ingest',
    roles: ['admin'],
    scopes: [],
  },
  'contact.read': {
    summary: "look up a tenant's contacts (customers) by id, email address or phone number",
    roles: ROLES,
    scopes: ['interactions:read', 'interaction-content:read'],
  },
  'contact.write': {
    summary: 'create and change contacts; identify a caller with creation (agents do so from their desktops)',
    roles: ROLES,
    scopes: ['interactions:write'],
  },
  'call.update': {
    summary:
      "what an agent's desktop records of a call it handles (Genesys SetCallNote, SetCallCompleted, SetCallContact, FindPhoneCall)",
    roles: ROLES,
    scopes: ['interactions:write'],
  },
  'audit.read': {
    summary: 'search, export and verify the audit log (reads, exports, erasures, deletions)',
    roles: ['admin'],
    scopes: [],
  },
  'erasure.run': {
    summary: 'erase a data subject (signed receipt) and read erasure receipts',
    roles: ['admin'],
    scopes: [],
  },
  'export.manage': {
    summary: 'create, list, read and cancel export jobs',
    roles: ['admin'],
    scopes: [],
  },
} as const satisfies Record<string, Requirement>;

export type Operation = keyof typeof OPERATIONS;

export function isOperation(value: unknown): value is Operation {
  return typeof value === 'string' && Object.hasOwn(OPERATIONS, value);
}

export function mayPerform(principal: Principal, operation: Operation): boolean {
  const requirement: Requirement = OPERATIONS[operation];
  if (principal.kind === 'user') return requirement.roles.includes(principal.role);
  return requirement.scopes.some((scope) => principal.scopes.has(scope));
}

/** Throws the 403 naming what the operation needs of this kind of principal. */
export function authorize(principal: Principal, operation: Operation): void {
  if (mayPerform(principal, operation)) return;
  throw errors.forbidden(whatItNeeds(principal, operation));
}

/** What the operation needs of this kind of principal, as a 403 says it. */
export function whatItNeeds(principal: Principal, operation: Operation): string {
  const requirement: Requirement = OPERATIONS[operation];
  if (principal.kind === 'user') return `${operation} needs the role ${requirement.roles.join(' or ')}`;
  if (requirement.scopes.length === 0)
    return `${operation} is not open to clients; it needs a user with the role ${requirement.roles.join(' or ')}`;
  return `the token lacks the scope ${requirement.scopes.join(' or ')} (${operation})`;
}
