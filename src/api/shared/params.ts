/** Query and path parameter parsing every facade needs, with errors that name the parameter. */
import type { FastifyInstance } from 'fastify';
import { errors } from '../../domain/errors.js';
import { parseInstant } from '../../domain/time.js';
import { unboundedValue } from '../../domain/validate.js';

/** An ISO 8601 instant with an explicit offset, as epoch milliseconds. */
export function instantParam(field: string, value: string): number {
  const ms = parseInstant(value);
  if (ms === undefined) throw errors.invalidField(field, `'${value}' is not an ISO 8601 date-time with a time zone offset`);
  return ms;
}

/**
 * Adds to a facade's plugin the check of what its schemas cannot bound: after
 * validation (and type coercion), no parameter or body value is a non-finite
 * number or nests deeper than the limit. Runs before every handler, so no
 * handler, domain rule or query ever sees such a value.
 */
export function boundInput(app: FastifyInstance): void {
  app.addHook('preHandler', (request, _reply, done) => {
    const problem = unboundedValue(request.params, '') ?? unboundedValue(request.query, '') ?? unboundedValue(request.body, '');
    done(problem ? errors.invalidRequest([problem]) : undefined);
  });
}
