/**
 * What a Bayeux message must look like before any extension or faye reads it
 * (session 6). faye hands each element of a request to the extensions as it
 * came, and both they and faye read `channel` as a string, `subscription` as
 * names, `ext` and `advice` as objects: a message of another shape threw
 * inside a promise, and one unauthenticated request ended the process. A
 * malformed message is replaced by one faye answers with the error, on a
 * channel of the server's namespace that nothing listens on.
 */
import type { BayeuxMessage } from './faye.js';

export const MALFORMED_CHANNEL = '/ixvault/malformed';

/** The message if it is well formed, else the message faye answers in its place (400, naming what is wrong). */
export function wellFormed(message: unknown): BayeuxMessage {
  const problem = malformation(message);
  if (problem === undefined) return message as BayeuxMessage;
  const id = isObject(message) && typeof message.id === 'string' ? { id: message.id } : {};
  return { channel: MALFORMED_CHANNEL, ...id, data: null, error: `400::${problem}` };
}

function malformation(message: unknown): string | undefined {
  if (!isObject(message)) return 'a Bayeux message must be a JSON object';
  if (typeof message.channel !== 'string' || message.channel === '') return 'channel must be a channel name';
  for (const field of ['clientId', 'connectionType', 'version', 'minimumVersion'])
    if (message[field] !== undefined && typeof message[field] !== 'string') return `${field} must be a string`;
  if (message.id !== undefined && typeof message.id !== 'string' && typeof message.id !== 'number') return 'id must be a string';
  if (message.subscription !== undefined && !isNames(message.subscription) && typeof message.subscription !== 'string')
    return 'subscription must be a channel name or a list of them';
  if (message.supportedConnectionTypes !== undefined && !isNames(message.supportedConnectionTypes))
    return 'supportedConnectionTypes must be a list of names';
  for (const field of ['ext', 'advice'])
    if (message[field] !== undefined && !isObject(message[field])) return `${field} must be an object`;
  const advice = message.advice as Record<string, unknown> | undefined;
  if (advice?.timeout !== undefined && (typeof advice.timeout !== 'number' || !(advice.timeout >= 0)))
    return 'advice.timeout must be a number of milliseconds';
  return undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isNames(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((v) => typeof v === 'string');
}
