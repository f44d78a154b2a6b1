/**
 * What the server's log keeps of a request's URL. The log is kept by the
 * operator's log pipeline, out of reach of an erasure, and read by people who
 * may not read the records; a search's parameters are what a caller asked
 * about: a customer's number (`connectFrom`), a name or words (`q`), an
 * e-mail address, an account number in a custom attribute. So every query
 * parameter keeps its name but only the parameters that never carry personal
 * data keep their value: how many, when, which page, which kinds, and the
 * identifiers of records, which the paths carry anyway. Every other value —
 * and any parameter this list does not know, whatever a later version or a
 * client adds — is logged as `*`. Card numbers are masked wherever they are
 * left (redactUrl): in the path, and in a parameter's name.
 */
import { redactUrl } from './card-redaction.js';

/** Parameters whose values are logged: counts, times, pages, kinds, flags, record identifiers. */
const VALUES_LOGGED = new Set([
  'limit',
  'maxSize',
  'cursor',
  'continuationToken',
  'sort',
  'from',
  'to',
  'fromDate',
  'toDate',
  'start',
  'end',
  'since',
  'before',
  'source',
  'mediaType',
  'mediaTypes',
  'direction',
  'type',
  'action',
  'policy',
  'version',
  'duration',
  'hasContent',
  'containsSensitiveData',
  'includeReleased',
  'interactionId',
  'contactId',
  'handlingAgentId',
  'agentId',
  'ownerId',
  'owningAgent',
  'owningInteractionPlan',
]);

/** A value withheld from the log. */
const WITHHELD = '*';

/** A request URL as the log keeps it (see the file's comment). */
export function loggedUrl(url: string): string {
  const mark = url.indexOf('?');
  if (mark < 0) return redactUrl(url);
  const kept = url
    .slice(mark + 1)
    .split('&')
    .map((parameter) => {
      const equals = parameter.indexOf('=');
      if (equals < 0) return parameter;
      const name = parameter.slice(0, equals);
      return VALUES_LOGGED.has(decodedName(name)) ? parameter : `${name}=${WITHHELD}`;
    });
  return redactUrl(`${url.slice(0, mark)}?${kept.join('&')}`);
}

function decodedName(name: string): string {
  if (!name.includes('%') && !name.includes('+')) return name;
  try {
    return decodeURIComponent(name.replaceAll('+', ' '));
  } catch {
    // A malformed escape names no parameter of ours: its value is withheld.
    return '';
  }
}
