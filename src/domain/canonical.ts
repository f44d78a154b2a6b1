import type { InteractionWithDetails } from './interaction.js';

/**
 * The canonical record as JSON: what the native API prints and accepts back
 * (a PATCH merges into this shape). Undefined fields are left out by JSON.
 */
export function toCanonicalJson(record: InteractionWithDetails) {
  return {
    id: record.id,
    guid: record.guid,
    mediaType: record.mediaType,
    typeId: record.typeId,
    state: record.state,
    startDate: new Date(record.startMs).toISOString(),
    endDate: record.endMs !== undefined ? new Date(record.endMs).toISOString() : undefined,
    subject: record.subject,
    comment: record.comment,
    contactId: record.contactId,
    parentId: record.parentId,
    phoneNumber: record.phoneNumber,
    callDuration: record.callDuration,
    ownerInformation: record.owner,
    handlingAgents: record.handlingAgentIds.map((id) => ({ id })),
    connectFrom: record.connectFrom,
    connectTo: record.connectTo,
    customAttributes: record.customAttributes,
    userData: record.userData,
    email: record.email,
    messages: record.messages.map((m) => ({
      index: m.index,
      from: m.from,
      text: m.text,
      visibility: m.visibility,
      timestamp: new Date(m.timestampMs).toISOString(),
      type: m.type,
    })),
    content: record.content.map((c) => ({
      contentKey: c.contentKey,
      type: c.type,
      contentType: c.contentType,
      contentLength: c.contentLength,
      sha256: c.sha256,
      lastModified: new Date(c.lastModifiedMs).toISOString(),
      owningAgent: c.owningAgentId !== undefined ? { id: c.owningAgentId } : undefined,
      owningInteractionPlan: c.owningInteractionPlanId !== undefined ? { id: c.owningInteractionPlanId } : undefined,
      fileName: c.fileName,
      properties: c.properties,
    })),
  };
}
