/**
 * The interaction history resource and its messages as Web Services prints
 * them (seeds 000 to 003): dates in the tenant's zone like
 * `2013-11-25 21:02:22.000+0200`, lower-case media types, `uri` and `path`
 * built from the request's host, custom attributes only when asked for.
 */
import type { FastifyRequest } from 'fastify';
import type { Interaction, InteractionWithDetails, Message } from '../../domain/interaction.js';
import { formatGenesysDate } from '../../domain/time.js';

export interface ResourceContext {
  /** `http://host:port` of the request, for `uri`. */
  origin: string;
  timeZone: string;
}

export type Resource = Record<string, unknown>;

export function resourceContext(request: FastifyRequest): ResourceContext {
  return { origin: `${request.protocol}://${request.host}`, timeZone: request.principal.tenant.timeZone };
}

/** `customAttributes`: the names to include; the map is left out when none were asked for. */
export function interactionResource(
  record: Interaction,
  context: ResourceContext,
  customAttributes: readonly string[] = [],
): Resource {
  const resource: Resource = {
    uri: `${context.origin}/api/v2/interactions/${record.id}`,
    id: record.id,
    path: `/interactions/${record.id}`,
    mediaType: record.mediaType,
    typeId: record.typeId,
    state: record.state,
    startDate: formatGenesysDate(record.startMs, context.timeZone),
  };
  if (record.endMs !== undefined) resource.endDate = formatGenesysDate(record.endMs, context.timeZone);
  setDefined(resource, 'subject', record.subject);
  setDefined(resource, 'comment', record.comment);
  setDefined(resource, 'contactId', record.contactId);
  setDefined(resource, 'parentId', record.parentId);
  setDefined(resource, 'phoneNumber', record.phoneNumber);
  setDefined(resource, 'callDuration', record.callDuration);
  if (record.owner) {
    const { userName, lastName, id, firstName } = record.owner;
    resource.ownerInformation = { userName, lastName, id, firstName };
  }
  if (customAttributes.length > 0) {
    const picked: Record<string, string> = {};
    for (const name of customAttributes) {
      const value = record.customAttributes[name];
      if (value !== undefined) picked[name] = value;
    }
    resource.customAttributes = picked;
  }
  return resource;
}

/**
 * The resource with its attached data, as GetInteractionContent returns it;
 * an email also with what Web Services' email resource carries.
 */
export function interactionContentResource(record: InteractionWithDetails, context: ResourceContext): Resource {
  const resource = interactionResource(record, context);
  if (Object.keys(record.userData).length > 0) resource.userData = record.userData;
  if (record.mediaType === 'email') Object.assign(resource, emailParts(record, context));
  return resource;
}

/**
 * The email resource's fields: sender and recipients, `body` (HTML, with
 * `mime` text/html: Web Services does not use text/plain there) and
 * `bodyAsPlainText`, and each attachment with `size` as a string, as the
 * reference prints them. An attachment's `uri` is absolute, like the
 * interaction's; `path` is the reference's relative form.
 */
function emailParts(record: InteractionWithDetails, context: ResourceContext): Resource {
  const email = record.email ?? {};
  const parts: Resource = {};
  setDefined(parts, 'from', email.from);
  setDefined(parts, 'to', email.to);
  setDefined(parts, 'cc', email.cc);
  if (email.html !== undefined) {
    parts.body = email.html;
    parts.mime = 'text/html';
  }
  setDefined(parts, 'bodyAsPlainText', email.text);
  parts.attachments = record.content
    .filter((item) => item.type === 'attachment')
    .map((item) => {
      const path = `/emails/${record.id}/attachments/${item.contentKey}`;
      return {
        id: item.contentKey,
        name: item.fileName ?? item.contentKey,
        size: String(item.contentLength),
        uri: `${context.origin}/api/v2${path}`,
        path,
        mime: item.contentType,
      };
    });
  return parts;
}

/**
 * `timestampSeconds` is a plain number holding epoch milliseconds: the
 * samples' values (1385406142000L for 21:02:22.000+0200) are milliseconds
 * despite the name, and clients parse them as such.
 */
export function messageResource(message: Message, timeZone: string): Resource {
  const resource: Resource = {
    index: message.index,
    from: { nickname: message.from.nickname, type: message.from.type, participantId: message.from.participantId },
  };
  setDefined(resource, 'text', message.text);
  resource.visibility = message.visibility;
  resource.timestamp = formatGenesysDate(message.timestampMs, timeZone);
  resource.type = message.type;
  resource.timestampSeconds = message.timestampMs;
  return resource;
}

function setDefined(target: Resource, key: string, value: unknown): void {
  if (value !== undefined) target[key] = value;
}
