/** Canonical records for tests: small, explicit, and easy to vary. */
import { randomUUID } from 'node:crypto';

let counter = 0;

export function chatRecord(overrides: Record<string, unknown> = {}) {
  counter++;
  return {
    mediaType: 'chat',
    typeId: 'Inbound',
    state: 'Stopped',
    startDate: '2025-03-10T09:00:00.000Z',
    endDate: '2025-03-10T09:05:00.000Z',
    subject: `Chat ${counter}`,
    contactId: 'contact-1',
    ownerInformation: { id: 'agent-1', userName: 'agent1', firstName: 'Ann', lastName: 'Agent' },
    handlingAgents: [{ id: 'agent-1' }],
    connectFrom: 'customer@example.org',
    connectTo: 'support-chat',
    customAttributes: { SearchId: '123456', CustomerId: 'a21d4c3' },
    userData: { queue: 'support' },
    messages: [
      {
        index: 1,
        from: { nickname: 'You', type: 'Customer', participantId: '00AF52939EBE5BC4' },
        visibility: 'All',
        timestamp: '2025-03-10T09:00:00.000Z',
        type: 'ParticipantJoined',
      },
      {
        index: 2,
        from: { nickname: 'Ann', type: 'Agent', participantId: '00AF52939EDF5BC6' },
        text: 'Hello!',
        visibility: 'All',
        timestamp: '2025-03-10T09:00:03.036Z',
        type: 'Text',
      },
    ],
    ...overrides,
  };
}

export function callRecord(overrides: Record<string, unknown> = {}) {
  counter++;
  return {
    guid: randomUUID(),
    mediaType: 'call',
    typeId: 'Inbound',
    state: 'Stopped',
    startDate: '2025-03-10T10:00:00.000Z',
    endDate: '2025-03-10T10:03:00.000Z',
    phoneNumber: '+14154204204',
    callDuration: 180,
    ownerInformation: { id: 'agent-2', userName: 'agent2' },
    handlingAgents: [{ id: 'agent-2' }],
    connectFrom: '14154204204',
    connectTo: '22222',
    customAttributes: {},
    ...overrides,
  };
}
