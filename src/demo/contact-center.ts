/**
 * A generated contact center: agents, contacts and a stream of interactions
 * over every media type, with chat transcripts, custom attributes and content
 * (recordings, voicemails, transcripts). Deterministic for a seed. Used by
 * `ixvault demo` and by the benchmarks, so both see the same kind of data.
 */
import { MESSAGE_MEDIA_TYPES, type MediaType } from '../domain/interaction.js';
import { jsonTranscript, wavRecording, wavSize } from './media.js';
import { Random } from './random.js';

export interface ContactCenterOptions {
  seed: number;
  agents: number;
  contacts: number;
  interactions: number;
  /** Inclusive time span of interaction starts. */
  fromMs: number;
  toMs: number;
  /** Share of interactions with content items. */
  contentRatio: number;
  /** Average messages per chat-like session. */
  messagesPerChat: number;
}

export interface Agent {
  id: string;
  userName: string;
  firstName: string;
  lastName: string;
}

export interface GeneratedContent {
  contentKey: string;
  type: string;
  contentType: string;
  durationMs?: number;
  owningAgent?: string;
  owningInteractionPlan?: string;
  /** Bytes are made on demand: benchmarks that only need metadata never pay for them. */
  bytes(): Buffer;
  size: number;
}

export interface GeneratedInteraction {
  /** The canonical record, as a client would POST it. */
  record: Record<string, unknown> & { id: string; guid: string; mediaType: MediaType; startDate: string };
  content: GeneratedContent[];
}

const FIRST = [
  'Ann',
  'Bob',
  'Chen',
  'Dana',
  'Eero',
  'Fatima',
  'Goran',
  'Hana',
  'Ivan',
  'Julia',
  'Kofi',
  'Lea',
  'Mika',
  'Nora',
  'Omar',
  'Pia',
];
const LAST = [
  'Smith',
  'Virtanen',
  'Garcia',
  'Nguyen',
  'Kowalski',
  'Okafor',
  'Larsen',
  'Rossi',
  'Tanaka',
  'Müller',
  'Silva',
  'Khan',
];
const SUBJECTS = [
  'Billing question',
  'Order status',
  'Password reset',
  'Cancel subscription',
  'Delivery delayed',
  'Upgrade plan',
  'Technical support',
  'Complaint',
  'Refund request',
  'New customer',
];
const QUEUES = ['billing', 'orders', 'tech', 'retention', 'sales', 'general', 'vip', 'returns'];
const SEGMENTS = ['gold', 'silver', 'bronze'];
const LANGUAGES = ['en', 'fi', 'de', 'fr', 'es'];
const PLANS = ['816f1144-ac27-4bba-a280-cc66', 'a0c1e2d3-ivr-main-menu', 'b7d2-after-hours'];
const CUSTOMER_LINES = [
  'Hi, I need some help.',
  'My order has not arrived.',
  'I was charged twice.',
  'Can you check my account?',
  'Thanks, that works.',
  'How long will it take?',
  'I would like a refund.',
];
const AGENT_LINES = [
  'Hello! How can I help you today?',
  'Let me check that for you.',
  'I can see the order here.',
  'I have issued the refund.',
  'Is there anything else?',
  'Thank you for contacting us.',
];

const MEDIA_WEIGHTS: [MediaType, number][] = [
  ['call', 45],
  ['chat', 20],
  ['email', 14],
  ['smssession', 5],
  ['facebooksession', 3],
  ['facebook', 2],
  ['twitter', 2],
  ['openmedia', 3],
  ['workitem', 6],
];

export function agentsOf(options: Pick<ContactCenterOptions, 'seed' | 'agents'>): Agent[] {
  const random = new Random(options.seed ^ 0x5eed);
  return Array.from({ length: options.agents }, (_, i) => ({
    id: random.hex(32),
    userName: `agent${String(i + 1).padStart(3, '0')}`,
    firstName: random.pick(FIRST),
    lastName: random.pick(LAST),
  }));
}

/** Interactions in start order. */
export function* generateInteractions(options: ContactCenterOptions): Generator<GeneratedInteraction> {
  const random = new Random(options.seed);
  const agents = agentsOf(options);
  const span = options.toMs - options.fromMs;
  const step = span / Math.max(1, options.interactions);
  for (let i = 0; i < options.interactions; i++) {
    const startMs = Math.floor(options.fromMs + (i + random.next()) * step);
    yield makeInteraction(random, agents, options, i, startMs);
  }
}

/** Contact number `n`: its id and the addresses its interactions come from. */
function contactOf(n: number) {
  return {
    id: `C${String(n).padStart(8, '0')}`,
    phone: `+1415${String(1000000 + (n % 9000000)).padStart(7, '0')}`,
    email: `customer${n}@example.org`,
  };
}

/** The contacts the interactions name (C00000001…), with the phone number and email address they use. */
export function* generateContacts(options: Pick<ContactCenterOptions, 'contacts'>) {
  for (let n = 1; n <= options.contacts; n++) {
    const { id, phone, email } = contactOf(n);
    yield {
      id,
      firstName: FIRST[n % FIRST.length] as string,
      lastName: LAST[Math.floor(n / FIRST.length) % LAST.length] as string,
      emailAddresses: [email],
      phoneNumbers: [phone],
    };
  }
}

/** 16 characters like UCS ids, from the seed and the sequence number: a re-run with the same seed updates. */
function genesysId(seed: number, i: number): string {
  return `${(seed % 1296).toString(36).padStart(2, '0')}${i.toString(36).padStart(14, '0')}`.toUpperCase();
}

function makeInteraction(
  random: Random,
  agents: Agent[],
  options: ContactCenterOptions,
  i: number,
  startMs: number,
): GeneratedInteraction {
  const mediaType = random.weighted(MEDIA_WEIGHTS);
  const inbound = random.chance(mediaType === 'call' ? 0.7 : 0.85);
  const owner = random.pick(agents);
  const handlers = [owner];
  if (random.chance(0.12)) handlers.push(random.pick(agents));
  const contactNo = random.int(1, options.contacts);
  const { id: contactId, phone, email } = contactOf(contactNo);
  const durationS = mediaType === 'call' ? random.int(20, 1200) : random.int(60, 3600);
  const endMs = startMs + durationS * 1000;
  const address =
    mediaType === 'call' || mediaType === 'smssession' ? phone : mediaType === 'email' ? email : `handle-${contactNo}`;
  const ours =
    mediaType === 'call'
      ? `+1800555${String(random.int(1000, 1099))}`
      : mediaType === 'email'
        ? 'support@acme.example'
        : 'acme-support';
  const record: GeneratedInteraction['record'] = {
    id: genesysId(options.seed, i),
    guid: random.uuid(),
    mediaType,
    typeId: random.chance(0.03) ? 'Consult' : inbound ? 'Inbound' : 'Outbound',
    state: 'Stopped',
    startDate: new Date(startMs).toISOString(),
    endDate: new Date(endMs).toISOString(),
    subject: random.pick(SUBJECTS),
    contactId,
    ownerInformation: { id: owner.id, userName: owner.userName, firstName: owner.firstName, lastName: owner.lastName },
    handlingAgents: handlers.map((a) => ({ id: a.id })),
    connectFrom: inbound ? address : ours,
    connectTo: inbound ? ours : address,
    customAttributes: {
      SearchId: String(100000 + (i % 900000)),
      CustomerId: contactId,
      Queue: random.pick(QUEUES),
      Segment: random.pick(SEGMENTS),
      Language: random.pick(LANGUAGES),
    },
    userData: { queue: random.pick(QUEUES), priority: random.int(1, 5) },
  };
  if (mediaType === 'call') {
    record.phoneNumber = phone;
    record.callDuration = durationS;
  }
  if (mediaType === 'email') {
    // From the fields drawn above only: the random stream, and so every other field, stays as it was.
    const text = `${record.subject}\n\nHello,\n\nthank you for contacting us. Reference ${record.id}.`;
    record.email = {
      from: inbound ? email : ours,
      to: [inbound ? ours : email],
      text,
      html: `<p>${text.replaceAll('\n\n', '</p><p>')}</p>`,
    };
  }
  if (MESSAGE_MEDIA_TYPES.has(mediaType))
    record.messages = chatMessages(random, options.messagesPerChat, startMs, owner, contactNo);
  const content = random.chance(options.contentRatio) ? contentFor(random, mediaType, inbound, owner, durationS, record) : [];
  return { record, content };
}

function chatMessages(random: Random, average: number, startMs: number, agent: Agent, contactNo: number) {
  const count = Math.max(4, Math.round(average * (0.5 + random.next())));
  const customer = { nickname: `customer${contactNo}`, type: 'Customer', participantId: random.hex(16).toUpperCase() };
  const agentFrom = { nickname: agent.firstName, type: 'Agent', participantId: random.hex(16).toUpperCase() };
  const messages: Record<string, unknown>[] = [];
  let t = startMs;
  const push = (from: typeof customer, type: string, text?: string) => {
    t += random.int(500, 30000);
    messages.push({
      index: messages.length + 1,
      from,
      visibility: 'All',
      timestamp: new Date(t).toISOString(),
      type,
      ...(text ? { text } : {}),
    });
  };
  push(customer, 'ParticipantJoined');
  push(agentFrom, 'ParticipantJoined');
  for (let k = 0; k < count - 4; k++) {
    const fromCustomer = k % 2 === 0;
    push(fromCustomer ? customer : agentFrom, 'Text', random.pick(fromCustomer ? CUSTOMER_LINES : AGENT_LINES));
  }
  push(agentFrom, 'ParticipantLeft');
  push(customer, 'ParticipantLeft');
  return messages;
}

function contentFor(
  random: Random,
  mediaType: MediaType,
  inbound: boolean,
  owner: Agent,
  durationS: number,
  record: GeneratedInteraction['record'],
): GeneratedContent[] {
  const items: GeneratedContent[] = [];
  const seed = random.int(1, 2 ** 31);
  // Lengths come from the content's own seed, so the main stream (and every later record) is unchanged.
  const lengths = new Random(seed ^ 0x5a5a5a5a);
  /** Whole seconds of speech-like audio, so the stated duration is exactly the file's. */
  const wav = (seconds: number, salt: number) => ({
    contentType: 'audio/wav',
    durationMs: seconds * 1000,
    size: wavSize(seconds),
    bytes: () => wavRecording(seed + salt, seconds),
  });
  if (mediaType === 'call') {
    // A demo recording lasts from a few seconds to two minutes, mostly short, to keep the demo small;
    // the recorded call lasts exactly as long as its recording.
    const recorded = Math.min(durationS, 5 + Math.floor(115 * lengths.next() ** 4));
    record.callDuration = recorded;
    record.endDate = new Date(Date.parse(record.startDate) + recorded * 1000).toISOString();
    items.push({ contentKey: 'callRecording', type: 'callRecording', ...wav(recorded, 0) });
    if (random.chance(0.5)) {
      // Draw from the random stream now: whether bytes are ever made must not change what follows.
      const lines = [
        { speaker: 'agent', text: random.pick(AGENT_LINES), offsetMs: 0 },
        { speaker: 'customer', text: random.pick(CUSTOMER_LINES), offsetMs: 2500 },
      ];
      const transcript = () => jsonTranscript(lines, { interaction: record.guid });
      const size = transcript().length;
      items.push({ contentKey: 'transcript', type: 'transcript', contentType: 'application/json', size, bytes: transcript });
    }
    if (inbound && random.chance(0.15))
      items.push({
        contentKey: random.uuid(),
        type: 'voicemail',
        owningAgent: owner.id,
        ...wav(lengths.int(5, 40), 1),
      });
    if (inbound && random.chance(0.1))
      items.push({
        contentKey: random.uuid(),
        type: 'ivrAudioRecording',
        owningInteractionPlan: random.pick(PLANS),
        ...wav(lengths.int(3, 12), 2),
      });
  } else if (MESSAGE_MEDIA_TYPES.has(mediaType)) {
    const messages = (record.messages as { from: { type: string }; text?: string }[]) ?? [];
    const transcript = () =>
      jsonTranscript(
        messages
          .filter((m) => m.text)
          .map((m, k) => ({ speaker: m.from.type.toLowerCase(), text: m.text ?? '', offsetMs: k * 1000 })),
        { interaction: record.guid },
      );
    const size = transcript().length;
    items.push({
      contentKey: random.uuid(),
      type: 'chatTranscript',
      contentType: 'application/json',
      durationMs: durationS * 1000,
      size,
      bytes: transcript,
    });
  } else {
    const body = () => Buffer.from(`Attachment for ${record.subject}\n`);
    items.push({ contentKey: random.uuid(), type: 'attachment', contentType: 'text/plain', size: body().length, bytes: body });
  }
  return items;
}
