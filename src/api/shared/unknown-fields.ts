/**
 * Fields a client sent that its route's body schema does not list. A native
 * body is read by the domain, which takes the fields it knows and would drop
 * any other silently (`customAttribute` for `customAttributes`): a 400 naming
 * each such field tells the client instead. The route's schema, the same one
 * the OpenAPI description publishes, is the only list of known fields: an
 * object schema with `additionalProperties: false` is closed, one with a
 * schema for `additionalProperties` applies it to every other field, and one
 * with neither is open (free-form such as `userData`). The wire facades do not
 * use this: Vonage and Genesys ignore what they do not know.
 */
import type { FastifyInstance } from 'fastify';
import { errors } from '../../domain/errors.js';

type Schema = { readonly [keyword: string]: unknown };

/** More would only make the answer longer: the client has enough to fix its request. */
const MAX_REPORTED = 100;

function isSchema(value: unknown): value is Schema {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function jsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value === 'number' ? (Number.isInteger(value) ? 'integer' : 'number') : typeof value;
}

/** Whether a `oneOf`/`anyOf` branch is the one meant for a value: by its declared type. */
function admitsType(schema: Schema, value: unknown): boolean {
  const types = Array.isArray(schema.type) ? schema.type : [schema.type];
  const type = jsonType(value);
  return types.includes(type) || (type === 'integer' && types.includes('number'));
}

/** Where a walk is: the path is spelled out only for a field that is reported (most bodies have none). */
interface At {
  key: string;
  parent: At | undefined;
}

function pathOf(at: At | undefined): string {
  const keys: string[] = [];
  for (let node = at; node; node = node.parent) keys.push(node.key);
  return keys.reverse().join('.');
}

/** The dotted paths of every field in `value` that `schema` does not list, in document order. */
export function unknownFields(value: unknown, schema: unknown): string[] {
  const found: string[] = [];
  const walk = (at: unknown, under: unknown, path: At | undefined): void => {
    if (!isSchema(under) || found.length >= MAX_REPORTED) return;
    const branches = under.oneOf ?? under.anyOf;
    if (Array.isArray(branches)) {
      const branch = branches.find((b) => isSchema(b) && admitsType(b, at));
      walk(at, branch, path);
      return;
    }
    if (Array.isArray(at)) {
      for (let index = 0; index < at.length; index++) walk(at[index], under.items, { key: String(index), parent: path });
      return;
    }
    if (!isSchema(at)) return;
    const properties = isSchema(under.properties) ? under.properties : {};
    for (const key in at) {
      if (!Object.hasOwn(at, key)) continue;
      const child = at[key];
      if (Object.hasOwn(properties, key)) walk(child, properties[key], { key, parent: path });
      else if (under.additionalProperties === false) {
        if (found.length < MAX_REPORTED) found.push(pathOf({ key, parent: path }));
      } else walk(child, under.additionalProperties, { key, parent: path });
    }
  };
  walk(value, schema, undefined);
  return found;
}

/**
 * Adds to a facade's plugin the refusal of unknown body fields: before
 * validation (which, for bodies the domain validates, does nothing), so it
 * holds for every route with a body schema, present and future.
 */
export function refuseUnknownFields(app: FastifyInstance): void {
  app.addHook('preValidation', async (request) => {
    const schema = request.routeOptions.schema?.body;
    if (schema === undefined || request.body === undefined) return;
    const fields = unknownFields(request.body, schema);
    if (fields.length > 0) throw errors.unknownFields(fields);
  });
}
