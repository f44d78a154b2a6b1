/**
 * One contact center for the Genesys operation tests, in tenant acme
 * (Europe/Helsinki; features without facebook and twitter). Dates are relative
 * to now where the default range matters, fixed where day boundaries in the
 * tenant's zone are tested.
 */
import { callRecord, chatRecord } from '../helpers/fixtures.js';
import type { TestServer } from '../helpers/server.js';
import { daysAgo, ingest } from './helpers.js';

const message = (index: number, at: string, type: string, text?: string) => ({
  index,
  from: { nickname: index === 1 ? 'You' : 'Ann', type: index === 1 ? 'Customer' : 'Agent', participantId: `p${index}` },
  ...(text ? { text } : {}),
  visibility: 'All',
  timestamp: at,
  type,
});

/** The ids, by record name. */
export const ID = {
  chat: 'HIST0000000CHAT1',
  email: 'HIST000000EMAIL1',
  call: 'HIST0000000CALL1',
  facebook: 'HIST00000FBSESS1',
  sms: 'HIST00000SMSSES1',
  workitem: 'HIST00000WORKIT1',
  dayBefore: 'DAY0000000BEFORE',
  dayStart: 'DAY00000000START',
  dayEnd: 'DAY0000000000END',
  dayAfter: 'DAY00000000AFTER',
  archived: 'HIST00000ARCHIVE',
  oldChat: 'HIST00000OLDCHAT',
} as const;

/** A chat that starts and ends at one instant. */
const instantChat = (id: string, at: string, contactId: string) => chatRecord({ id, startDate: at, endDate: at, contactId });

const RECORDS = {
  chat: chatRecord({
    id: ID.chat,
    startDate: daysAgo(2),
    endDate: daysAgo(2 - 0.01),
    contactId: 'contact-a',
    customAttributes: { SearchId: '1', CustomerId: 'x' },
    userData: { queue: 'support' },
    // Stored out of order on purpose: GetInteractionContent gives them in index order.
    messages: [
      message(3, '2025-03-10T09:00:05.000Z', 'Text', 'How can I help?'),
      message(1, '2025-03-10T09:00:00.000Z', 'ParticipantJoined'),
      message(2, '2025-03-10T09:00:03.036Z', 'Text', 'Hello!'),
    ],
  }),
  email: chatRecord({
    id: ID.email,
    mediaType: 'email',
    typeId: 'Outbound',
    startDate: daysAgo(3),
    endDate: daysAgo(3 - 0.01),
    contactId: 'contact-a',
    ownerInformation: { id: 'agent-2', userName: 'agent2', firstName: 'Bob', lastName: 'Agent' },
    handlingAgents: [{ id: 'agent-2' }, { id: 'agent-1' }],
    customAttributes: { SearchId: '1' },
    messages: [],
  }),
  call: callRecord({
    id: ID.call,
    startDate: daysAgo(1),
    endDate: daysAgo(1 - 0.01),
    contactId: 'contact-b',
    customAttributes: { SearchId: '2', CustomerId: 'x' },
  }),
  oldChat: chatRecord({ id: ID.oldChat, startDate: daysAgo(45), endDate: daysAgo(45 - 0.01), contactId: 'contact-a' }),
  facebook: chatRecord({
    id: ID.facebook,
    mediaType: 'facebooksession',
    startDate: daysAgo(1.5),
    endDate: daysAgo(1.5 - 0.01),
  }),
  sms: chatRecord({
    id: ID.sms,
    mediaType: 'smssession',
    startDate: daysAgo(4),
    endDate: daysAgo(4 - 0.01),
    contactId: 'contact-c',
    messages: [message(1, '2025-03-10T09:00:00.000Z', 'Text', 'STOP')],
  }),
  workitem: callRecord({
    id: ID.workitem,
    mediaType: 'workitem',
    startDate: daysAgo(5),
    endDate: daysAgo(5 - 0.01),
    phoneNumber: undefined,
    callDuration: undefined,
  }),
  // 2025-03-10 in Helsinki (UTC+2) runs from 2025-03-09T22:00Z to 2025-03-10T21:59:59.999Z.
  dayBefore: instantChat(ID.dayBefore, '2025-03-09T21:30:00.000Z', 'days'),
  dayStart: instantChat(ID.dayStart, '2025-03-09T22:30:00.000Z', 'days'),
  dayEnd: instantChat(ID.dayEnd, '2025-03-10T21:59:59.999Z', 'days'),
  dayAfter: instantChat(ID.dayAfter, '2025-03-10T22:00:00.000Z', 'days'),
  archived: instantChat(ID.archived, '2019-06-01T10:00:00.000Z', 'contact-a'),
};

export type RecordName = keyof typeof ID;

/** Ingests every record and moves the 2019 one to the archive store. */
export async function loadContactCenter(server: TestServer): Promise<void> {
  await ingest(server, Object.values(RECORDS));
  await server.runtime.vault.archive.moveBatch('acme', Date.parse('2020-01-01T00:00:00Z'), 100);
}

export const idsOf = (...names: RecordName[]) => names.map((n) => ID[n]);
