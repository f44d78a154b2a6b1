/**
 * Who is asking, and what they may see. Every store query takes a Visibility
 * derived from here, so tenant and agent scoping cannot be forgotten by a
 * facade; what they may do is the table in scopes.ts.
 */
export const ROLES = ['agent', 'supervisor', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export const SCOPES = [
  'interactions:read',
  'interactions:write',
  'interaction-content:read',
  'interaction-content:delete',
  /** Downloading content marked containsSensitiveData. */
  'interaction-content:read-sensitive',
] as const;
export type Scope = (typeof SCOPES)[number];

/** Genesys Web Services feature names a tenant may have switched on. */
export const FEATURES = [
  'api-multimedia',
  'api-multimedia-chat',
  'api-multimedia-email',
  'api-multimedia-facebook',
  'api-multimedia-twitter',
  'api-ucs-voice',
] as const;
export type Feature = (typeof FEATURES)[number];

export interface Tenant {
  id: string;
  features: ReadonlySet<string>;
  /** IANA zone for dates the Genesys facade prints; UTC when unset. */
  timeZone: string;
  /** Card numbers in ingested text are masked (issue 14); on unless the tenant's config says false. */
  cardRedaction?: boolean;
}

export function redactsCardNumbers(tenant: Tenant): boolean {
  return tenant.cardRedaction !== false;
}

export type Principal =
  | {
      kind: 'user';
      tenant: Tenant;
      id: string;
      userName: string;
      firstName?: string;
      lastName?: string;
      role: Role;
    }
  | {
      kind: 'client';
      tenant: Tenant;
      id: string;
      scopes: ReadonlySet<string>;
    };

/** What rows a principal may see: always one tenant, and for an agent only its own interactions. */
export interface Visibility {
  tenantId: string;
  /** Set for agents: only interactions this agent owns or handled. */
  agentId?: string;
}

export function visibilityOf(principal: Principal): Visibility {
  if (principal.kind === 'user' && principal.role === 'agent') {
    return { tenantId: principal.tenant.id, agentId: principal.id };
  }
  return { tenantId: principal.tenant.id };
}

export function describePrincipal(principal: Principal): string {
  return `${principal.kind}:${principal.tenant.id}/${principal.id}`;
}
