/**
 * The hand-written TypeScript types of the routes, checked against the types
 * openapi-typescript generates from the routes' JSON schemas (the one source,
 * see docs/DECISIONS.md): `npm run typecheck` fails when a schema and the
 * type a handler reads drift apart. Compared field by field, optionality
 * aside (a parameter with a default is optional to a client and always set
 * for the handler).
 */
import type { SearchQuery as NativeSearchQuery } from '../../src/api/native/search-routes.js';
import type { DeleteFailure } from '../../src/api/vonage/delete-batch-route.js';
import type { SearchQuery as VonageSearchQuery } from '../../src/api/vonage/search-route.js';
import type { VonageContent, VonageItem } from '../../src/domain/vonage-item.js';
import type { ContentUpload } from '../../src/services/vault.js';
import type { components, operations } from './generated/ixvault.js';

/** Every field present, at every depth: optionality is not compared. */
type DeepRequired<T> = T extends readonly (infer U)[]
  ? DeepRequired<U>[]
  : T extends object
    ? { [K in keyof T]-?: DeepRequired<T[K]> }
    : T;
/** True when A and B have the same fields with the same types, at every depth. */
type Same<A, B> = [DeepRequired<A>] extends [DeepRequired<B>]
  ? [DeepRequired<B>] extends [DeepRequired<A>]
    ? true
    : false
  : false;
type Schemas = components['schemas'];
type Query<O extends keyof operations> = NonNullable<operations[O]['parameters']['query']>;

export const routeTypesMatchTheirSchemas: [
  Same<NativeSearchQuery, Query<'searchInteractions'>>,
  Same<Omit<ContentUpload, 'contentType'>, Query<'uploadContent'>>,
  Same<VonageSearchQuery, Query<'vonageSearchInteractions'>>,
  Same<VonageItem, Schemas['VonageInteraction']>,
  Same<VonageContent, Schemas['VonageContent']>,
  Same<DeleteFailure, NonNullable<Schemas['VonageDeleteResult']['failures']>[number]>,
] = [true, true, true, true, true, true];
