/** Query and path parameter parsing every facade needs, with errors that name the parameter. */
import { errors } from '../../domain/errors.js';
import { parseInstant } from '../../domain/time.js';

/** An ISO 8601 instant with an explicit offset, as epoch milliseconds. */
export function instantParam(field: string, value: string): number {
  const ms = parseInstant(value);
  if (ms === undefined) throw errors.invalidField(field, `'${value}' is not an ISO 8601 date-time with a time zone offset`);
  return ms;
}
