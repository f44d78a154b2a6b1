/** What a hold preserves (domain/holds.ts): additions pass, any change or removal of what was said is named. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { changesToWhatWasSaid, type WhatWasSaid } from '../../src/domain/holds.js';
import type { Message } from '../../src/domain/interaction.js';

const message = (index: number) =>
  fc.record({
    index: fc.constant(index),
    from: fc.record({ type: fc.constantFrom('Customer', 'Agent'), nickname: fc.string({ maxLength: 5 }) }),
    text: fc.option(fc.string({ maxLength: 20 }), { nil: undefined }),
    visibility: fc.constant('All'),
    timestampMs: fc.integer({ min: 0, max: 2e12 }),
    type: fc.constantFrom('Text', 'ParticipantJoined'),
  }) as fc.Arbitrary<Message>;

const messages = fc
  .uniqueArray(fc.integer({ min: 1, max: 50 }), { maxLength: 8 })
  .chain((indexes) => (indexes.length === 0 ? fc.constant([] as Message[]) : fc.tuple(...indexes.map(message))));

const said: fc.Arbitrary<WhatWasSaid> = fc.record(
  {
    subject: fc.string({ maxLength: 10 }),
    comment: fc.string({ maxLength: 10 }),
    email: fc.record(
      { text: fc.string({ maxLength: 10 }), to: fc.array(fc.emailAddress(), { maxLength: 2 }) },
      { requiredKeys: [] },
    ),
    messages,
  },
  { requiredKeys: ['messages'] },
);

describe('changesToWhatWasSaid', () => {
  it('lets the same record, with texts set where there were none and messages added, through', () => {
    fc.assert(
      fc.property(said, fc.string({ minLength: 1, maxLength: 5 }), (stored, extra) => {
        const next: WhatWasSaid = {
          subject: stored.subject ?? extra,
          comment: stored.comment ?? extra,
          email: { html: extra, ...stored.email },
          messages: [
            ...(stored.messages ?? []),
            { index: 1000, from: { type: 'Agent' }, visibility: 'All', timestampMs: 1, type: 'Text' },
          ],
        };
        expect(changesToWhatWasSaid(stored, next)).toEqual([]);
        expect(changesToWhatWasSaid(stored, { messages: next.messages?.slice(-1) ?? [] }, true)).toEqual([]);
        expect(changesToWhatWasSaid(stored, { ...next, messages: undefined })).toEqual([]);
      }),
    );
  });

  it('names every changed or removed message, and every changed or removed text', () => {
    fc.assert(
      fc.property(said, fc.nat(), (stored, pick) => {
        const list = stored.messages ?? [];
        fc.pre(list.length > 0);
        const k = pick % list.length;
        const target = list[k] as Message;
        const changed = list.map((m, i) => (i === k ? { ...m, text: `${m.text ?? ''}!` } : m));
        expect(changesToWhatWasSaid(stored, { ...stored, messages: changed }).map((p) => p.field)).toEqual([`messages.${k}`]);
        const removed = list.filter((_, i) => i !== k);
        const problems = changesToWhatWasSaid(stored, { ...stored, messages: removed });
        expect(problems.map((p) => p.field)).toEqual(['messages']);
        expect(problems[0]?.message).toContain(String(target.index));
        // An append does not remove what it does not name, but changes what it names alike.
        expect(changesToWhatWasSaid(stored, { messages: removed }, true)).toEqual([]);
        expect(changesToWhatWasSaid(stored, { messages: [changed[k] as Message] }, true).map((p) => p.field)).toEqual([
          'messages.0',
        ]);
      }),
    );
    fc.assert(
      fc.property(said, (stored) => {
        const expected = [
          ...(stored.subject !== undefined ? ['subject'] : []),
          ...(stored.comment !== undefined ? ['comment'] : []),
          ...(stored.email?.text !== undefined ? ['email.text'] : []),
          ...(stored.email?.to !== undefined ? ['email.to'] : []),
        ];
        expect(changesToWhatWasSaid(stored, { messages: stored.messages ?? [] }).map((p) => p.field)).toEqual(expected);
      }),
    );
  });
});
