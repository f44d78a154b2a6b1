/**
 * Web Services feature names gate media types: each history operation needs
 * the feature of the media it reads. Media without a feature of their own
 * (SMS, open media, work items) fall under the generic `api-multimedia`.
 */
import { errors } from '../../domain/errors.js';
import { MEDIA_TYPES, type MediaType } from '../../domain/interaction.js';
import type { Feature, Tenant } from '../../domain/principal.js';

const FEATURE_OF_MEDIA: Record<MediaType, Feature> = {
  call: 'api-ucs-voice',
  chat: 'api-multimedia-chat',
  email: 'api-multimedia-email',
  facebook: 'api-multimedia-facebook',
  facebooksession: 'api-multimedia-facebook',
  twitter: 'api-multimedia-twitter',
  smssession: 'api-multimedia',
  openmedia: 'api-multimedia',
  workitem: 'api-multimedia',
};

export function allowedMediaTypes(tenant: Tenant): MediaType[] {
  return MEDIA_TYPES.filter((media) => tenant.features.has(FEATURE_OF_MEDIA[media]));
}

export function assertMediaAllowed(tenant: Tenant, media: MediaType, field: string): void {
  const feature = FEATURE_OF_MEDIA[media];
  if (!tenant.features.has(feature)) throw errors.featureDisabled(field, feature);
}

export function assertFeature(tenant: Tenant, feature: Feature, field: string): void {
  if (!tenant.features.has(feature)) throw errors.featureDisabled(field, feature);
}
