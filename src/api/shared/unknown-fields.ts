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

/** Whether a value holds no field its schema does not list (see knownOnly). */
type Check = (value: unknown) => boolean;

const acceptAll: Check = () => true;
const checks = new WeakMap<Schema, Check>();

/**
 * The check of `schema`, made once per schema object (a route's body schema
 * is the same object on every request): the same rules as the walk in
 * unknownFields, answered yes or no without allocating, so the common case,
 * a body with no unknown field, costs one pass and no garbage. Child schemas'
 * checks are looked up when first needed, so a schema that refers to itself
 * is no problem.
 */
function knownOnly(schema: unknown): Check {
  if (!isSchema(schema)) return acceptAll;
  let check = checks.get(schema);
  if (check === undefined) {
    check = compileCheck(schema);
    checks.set(schema, check);
  }
  return check;
}

function compileCheck(schema: Schema): Check {
  const branches = schema.oneOf ?? schema.anyOf;
  if (Array.isArray(branches)) {
    const candidates = branches.filter(isSchema);
    return (value) => {
      const branch = candidates.find((b) => admitsType(b, value));
      return branch === undefined || knownOnly(branch)(value);
    };
  }
  const properties = isSchema(schema.properties) ? schema.properties : {};
  const fields = new Map<string, { schema: unknown; check?: Check }>();
  for (const key of Object.keys(properties)) fields.set(key, { schema: properties[key] });
  const closed = schema.additionalProperties === false;
  let itemCheck: Check | undefined;
  let otherCheck: Check | undefined;
  return (value) => {
    if (Array.isArray(value)) {
      itemCheck ??= knownOnly(schema.items);
      for (let index = 0; index < value.length; index++) if (!itemCheck(value[index])) return false;
      return true;
    }
    if (!isSchema(value)) return true;
    for (const key in value) {
      if (!Object.hasOwn(value, key)) continue;
      const field = fields.get(key);
      if (field !== undefined) {
        field.check ??= knownOnly(field.schema);
        if (!field.check(value[key])) return false;
      } else if (closed) return false;
      else {
        otherCheck ??= knownOnly(schema.additionalProperties);
        if (!otherCheck(value[key])) return false;
      }
    }
    return true;
  };
}

/** The dotted paths of every field in `value` that `schema` does not list, in document order. */
export function unknownFields(value: unknown, schema: unknown): string[] {
  // Every native body passes here: most have no unknown field, which the compiled check answers; the walk names them.
  if (knownOnly(schema)(value)) return [];
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
