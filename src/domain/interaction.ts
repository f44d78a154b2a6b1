/**
 * The canonical interaction record: the union of what the Genesys interaction
 * history resource and the Vonage interaction item carry. Facades translate
 * to and from this shape; nothing here knows about HTTP or SQL.
 */

export const MEDIA_TYPES = [
  'call',
  'chat',
  'email',
  'facebook',
  'facebooksession',
  'smssession',
  'openmedia',
  'twitter',
  'workitem',
] as const;
export type MediaType = (typeof MEDIA_TYPES)[number];

/** Media types whose history carries a message transcript. */
export const MESSAGE_MEDIA_TYPES: ReadonlySet<MediaType> = new Set(['chat', 'facebooksession', 'smssession']);

export const TYPE_IDS = ['Inbound', 'Outbound', 'Internal', 'Consult', 'Unknown'] as const;
export type TypeId = (typeof TYPE_IDS)[number];

export const STATES = ['New', 'InProcess', 'Stopped', 'Pending'] as const;
export type InteractionState = (typeof STATES)[number];

export const CONTENT_TYPES = [
  'callRecording',
  'screenRecording',
  'voicemail',
  'transcript',
  'chatTranscript',
  'categorizationResult',
  'sentimentSummary',
  'attachment',
  'ivrAudioRecording',
  'videoRecording',
  'conversationSummary',
  'interactionLog',
] as const;
export type ContentType = (typeof CONTENT_TYPES)[number];

export type Direction = 'inbound' | 'outbound';

export interface OwnerInformation {
  id: string;
  userName?: string;
  firstName?: string;
  lastName?: string;
}

export interface MessageParticipant {
  nickname?: string;
  type: string;
  participantId?: string;
}

export interface Message {
  index: number;
  from: MessageParticipant;
  text?: string;
  visibility: string;
  /** UTC instant, milliseconds since the epoch. */
  timestampMs: number;
  type: string;
}

export interface ContentProperties {
  version?: number;
  /** Milliseconds. */
  duration?: number;
}

export interface ContentItem {
  contentKey: string;
  type: ContentType;
  contentType: string;
  contentLength: number;
  sha256: string;
  lastModifiedMs: number;
  owningAgentId?: string;
  owningInteractionPlanId?: string;
  /** The name an attachment was sent with (`report.pdf`); the key stays the item's id. */
  fileName?: string;
  properties: ContentProperties;
  /** Card numbers masked in the bytes on upload (textual content). */
  cardRedactions?: number;
  /** containsSensitiveData: its download needs the right content.readSensitive. */
  containsSensitiveData?: boolean;
}

/** What an email interaction carries besides the common fields; attachments are its content items of type `attachment`. */
export interface EmailParts {
  from?: string;
  to?: string[];
  cc?: string[];
  /** The plain-text body. */
  text?: string;
  /** The HTML body. */
  html?: string;
}

/** An interaction as the domain holds it: instants are epoch milliseconds (UTC). */
export interface Interaction {
  id: string;
  guid: string;
  mediaType: MediaType;
  typeId: TypeId;
  state: InteractionState;
  startMs: number;
  endMs?: number;
  subject?: string;
  comment?: string;
  contactId?: string;
  parentId?: string;
  phoneNumber?: string;
  callDuration?: number;
  owner?: OwnerInformation;
  /** Every agent who handled it; the owner is always one of them. */
  handlingAgentIds: string[];
  connectFrom?: string;
  connectTo?: string;
  customAttributes: Record<string, string>;
  userData: Record<string, unknown>;
  /** Email interactions only. */
  email?: EmailParts;
}

export interface InteractionWithDetails extends Interaction {
  messages: Message[];
  content: ContentItem[];
  createdMs: number;
  updatedMs: number;
  /** Card numbers masked in this record's texts over all its writes. */
  cardRedactions?: number;
}

/**
 * Vonage's direction, derived from the Genesys type: Vonage calls an
 * interaction an agent started "outbound", which covers internal and consult
 * calls too. Unknown stays without a direction.
 */
export function directionOf(typeId: TypeId): Direction | undefined {
  switch (typeId) {
    case 'Inbound':
      return 'inbound';
    case 'Outbound':
    case 'Internal':
    case 'Consult':
      return 'outbound';
    default:
      return undefined;
  }
}

/** Handling agents as every API prints them: the owner first, then the others in a stable order. */
export function orderAgents(ownerId: string | null | undefined, agentIds: readonly string[]): string[] {
  const sorted = [...agentIds].sort();
  if (ownerId && sorted.includes(ownerId)) return [ownerId, ...sorted.filter((a) => a !== ownerId)];
  return sorted;
}
