/**
 * The "UCS integration with Voice API" operations: what an agent desktop
 * records of a call. FindPhoneCall (POST /ucs/interactions) finds or creates
 * the call's interaction; SetCallNote, SetCallCompleted and SetCallContact
 * (POST /ucs/interactions/{id}) change one. Each is answered at once and
 * reports on CometD: `createInteractionResponse` for FindPhoneCall,
 * `UcsOperationResponse` with `success` for the others.
 *
 * Rights and parameters are checked before the answer (403 and missing or
 * invalid parameters are HTTP errors, as for the history operations); what
 * only the store can tell (the call or contact does not exist, is not a
 * call) arrives as the notification's errorMessage.
 */
import type { FastifyRequest } from 'fastify';
import { contactIdOfPath } from '../../domain/contact.js';
import { errors } from '../../domain/errors.js';
import { isInteractionId, isUuid } from '../../domain/ids.js';
import type { InteractionWithDetails } from '../../domain/interaction.js';
import { authorize } from '../../domain/scopes.js';
import type { Vault } from '../../services/vault.js';
import { type AsyncResults, RESULT_KINDS } from './async-results.js';
import { assertFeature } from './features.js';

export const CALL_UPDATES = ['SetCallNote', 'SetCallCompleted', 'SetCallContact'] as const;
export type CallUpdate = (typeof CALL_UPDATES)[number];

export interface CallUpdateBody {
  operationName: CallUpdate;
  note?: string;
  callDuration?: number;
  userData?: Record<string, unknown>;
  contactPath?: string;
}

export interface FindPhoneCallBody {
  operationName: 'FindPhoneCall';
  callId?: string;
  status?: string;
  phoneNumber?: string;
  contactId?: string;
  type?: string;
  parentId?: string;
  threadId?: string;
  subject?: string;
  userData?: Record<string, unknown>;
}

function required<T>(value: T | undefined, name: string): T {
  if (value === undefined) throw errors.missingField(name);
  return value;
}

/** The merge patch each update makes of the current call. */
function patchFor(body: CallUpdateBody, contactId: string | undefined) {
  switch (body.operationName) {
    case 'SetCallNote': {
      const note = required(body.note, 'note');
      return () => ({ comment: note });
    }
    case 'SetCallCompleted':
      return (current: InteractionWithDetails) => ({
        state: 'Stopped',
        // Completed now, unless the record already says when it ended.
        ...(current.endMs === undefined ? { endDate: new Date(Math.max(Date.now(), current.startMs)).toISOString() } : {}),
        ...(body.callDuration !== undefined ? { callDuration: body.callDuration } : {}),
        ...(body.userData !== undefined ? { userData: body.userData } : {}),
      });
    case 'SetCallContact':
      return () => ({ contactId });
  }
}

/** SetCallNote, SetCallCompleted, SetCallContact on the call `id`; returns the referenceId. */
export function startCallUpdate(
  request: FastifyRequest,
  { vault, results }: { vault: Vault; results: AsyncResults },
  id: string,
  body: CallUpdateBody,
): Promise<number> {
  const { principal } = request;
  authorize(principal, 'call.update');
  assertFeature(principal.tenant, 'api-ucs-voice', 'operationName');
  let contactId: string | undefined;
  if (body.operationName === 'SetCallContact') {
    const path = required(body.contactPath, 'contactPath');
    contactId = contactIdOfPath(path);
    if (contactId === undefined) throw errors.invalidField('contactPath', `'${path}' does not end in a contact id`);
  }
  const patchOf = patchFor(body, contactId);
  return results.start(principal, RESULT_KINDS.ucsOperation, async () => {
    if (contactId !== undefined) await vault.contacts.assertExists(principal, contactId, 'contactPath');
    await vault.updateCall(principal, id, patchOf);
    return {};
  });
}

/** FindPhoneCall: finds the call `callId` or creates it for the caller; returns the referenceId. */
export function startFindPhoneCall(
  request: FastifyRequest,
  { vault, results }: { vault: Vault; results: AsyncResults },
  body: FindPhoneCallBody,
): Promise<number> {
  const { principal } = request;
  authorize(principal, 'call.update');
  assertFeature(principal.tenant, 'api-ucs-voice', 'operationName');
  const callId = required(body.callId, 'callId');
  const status = required(body.status, 'status');
  const phoneNumber = required(body.phoneNumber, 'phoneNumber');
  const type = required(body.type, 'type');
  const identity = isUuid(callId) ? { guid: callId } : isInteractionId(callId) ? { id: callId } : undefined;
  if (!identity) throw errors.invalidField('callId', 'must be 1 to 64 characters of [0-9A-Za-z_.-], or a UUID');
  const call: Record<string, unknown> = {
    ...identity,
    mediaType: 'call',
    typeId: type,
    state: status,
    startDate: new Date().toISOString(),
    phoneNumber,
    contactId: body.contactId,
    parentId: body.parentId,
    subject: body.subject,
    userData: body.userData,
  };
  if (principal.kind === 'user') {
    const { id, userName, firstName, lastName } = principal;
    call.ownerInformation = { id, userName, firstName, lastName };
  }
  return results.start(principal, RESULT_KINDS.createInteraction, async () => {
    const outcome = await vault.findOrCreateCall(principal, call, callId);
    // The reference page prints isCreated as a string.
    return { interactionId: outcome.id, isCreated: String(outcome.created) };
  });
}
