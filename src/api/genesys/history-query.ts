/**
 * The parameters of RetrieveInteractionHistory, RetrieveAgentHistory and
 * RetrieveContactHistory (and of the GET resource) translated into the one
 * domain search, with the tenant's features applied.
 */
import { errors } from '../../domain/errors.js';
import { MEDIA_TYPES } from '../../domain/interaction.js';
import type { Principal } from '../../domain/principal.js';
import type { InteractionSearch, SortOrder, Source } from '../../domain/search.js';
import { parseMediaType } from '../../domain/validate.js';
import { dateRange } from './dates.js';
import { allowedMediaTypes, assertMediaAllowed } from './features.js';

export const DEFAULT_MAX_SIZE = 100;

export interface HistoryParams {
  fromDate?: string;
  toDate?: string;
  mediaType?: string;
  userId?: string;
  sort?: SortOrder;
  maxSize?: number;
  source?: Source;
  customAttributes?: string[];
  searchCustomAttributes?: Record<string, string>;
}

export interface HistoryScope {
  /** RetrieveContactHistory: the contact of the path. */
  contactId?: string;
  /** RetrieveAgentHistory: without userId, the calling user's own history. */
  agentHistory?: boolean;
}

export interface HistoryQuery {
  search: InteractionSearch;
  /** Custom attribute names to print on each interaction. */
  customAttributes: string[];
}

export function historyQuery(principal: Principal, params: HistoryParams, scope: HistoryScope, nowMs: number): HistoryQuery {
  const { fromMs, toMs } = dateRange(params, principal.tenant.timeZone, nowMs);
  const search: InteractionSearch = {
    source: params.source ?? 'main',
    order: params.sort ?? 'desc',
    limit: params.maxSize ?? DEFAULT_MAX_SIZE,
    fromMs,
    toMs,
  };
  if (params.mediaType !== undefined) {
    const media = parseMediaType(params.mediaType);
    if (!media) throw errors.invalidField('mediaType', `'${params.mediaType}' is not one of ${MEDIA_TYPES.join(', ')}`);
    assertMediaAllowed(principal.tenant, media, 'mediaType');
    search.mediaTypes = [media];
  } else {
    // Without mediaType: every media type the tenant's features allow, and only those.
    const allowed = allowedMediaTypes(principal.tenant);
    if (allowed.length === 0) throw errors.featureDisabled('mediaType', 'api-ucs-voice or api-multimedia-*');
    // With every feature on there is nothing to filter, and the plan stays a plain walk of the index.
    if (allowed.length < MEDIA_TYPES.length) search.mediaTypes = allowed;
  }
  const agentId = params.userId ?? (scope.agentHistory ? ownAgentId(principal) : undefined);
  if (agentId !== undefined) search.handlingAgentId = agentId;
  if (scope.contactId !== undefined) search.contactId = scope.contactId;
  if (params.searchCustomAttributes !== undefined && Object.keys(params.searchCustomAttributes).length > 0)
    search.customAttributes = params.searchCustomAttributes;
  return { search, customAttributes: params.customAttributes ?? [] };
}

function ownAgentId(principal: Principal): string {
  if (principal.kind !== 'user') throw errors.missingField('userId');
  return principal.id;
}
