/**
 * Rights are checked on every route from the one scope table
 * (src/domain/scopes.ts): each route names its operation in its config, and a
 * facade route that names none refuses to boot, so no route can forget.
 * The check runs as an onRequest hook, after authentication and before
 * parameters are validated: a caller without the right learns nothing from
 * parameter errors.
 */
import type { FastifyInstance } from 'fastify';
import { authorize, isOperation, OPERATIONS, type Operation, type Requirement } from '../../domain/scopes.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The operation of the scope table this route performs. */
    operation?: Operation;
  }
}

/** Adds the hooks to a facade's plugin, after its authentication hook and before its routes. */
export function authorizeRoutes(app: FastifyInstance): void {
  app.addHook('onRoute', (route) => {
    const operation = (route.config as { operation?: unknown } | undefined)?.operation;
    if (!isOperation(operation)) throw new Error(`${route.method} ${route.url} names no operation of the scope table`);
    const schema = route.schema as { description?: string } | undefined;
    const note = rightsNote(operation);
    if (schema && !schema.description?.includes(note))
      schema.description = schema.description ? `${schema.description}\n\n${note}` : note;
  });
  app.addHook('onRequest', (request, _reply, done) => {
    const operation = request.routeOptions.config.operation;
    // Requests that matched no route have none: they end in the facade's 404.
    if (operation !== undefined) authorize(request.principal, operation);
    done();
  });
}

/** The OpenAPI description's line on rights, from the same table. */
function rightsNote(operation: Operation): string {
  const requirement: Requirement = OPERATIONS[operation];
  const scopes = requirement.scopes.length > 0 ? requirement.scopes.map((s) => `\`${s}\``).join(' or ') : 'none';
  return `Rights (\`${operation}\`): role ${requirement.roles.join(', ')}; scope ${scopes}.`;
}
