/** Interaction GUIDs in paths, checked with Vonage's own messages before anything is looked up. */
import { errors } from '../../domain/errors.js';
import { isUuid } from '../../domain/ids.js';

export const GUID_PARAM = {
  type: 'string',
  description: 'the interaction GUID',
  examples: ['2480fc2c-bbd7-427c-9439-02f76583aef5'],
} as const;

/** Returns the GUID as stored (lower-case), or throws the 400 Vonage answers. */
export function parseGuid(value: string): string {
  if (value.length !== 36) throw errors.invalidGuid('GUID must be 36 characters in length');
  if (!isUuid(value)) throw errors.invalidGuid(`GUID '${value}' is not a valid UUID string`);
  return value.toLowerCase();
}
