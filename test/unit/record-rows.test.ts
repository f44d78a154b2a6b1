/**
 * The column lists ingest writes by (record-rows.ts) against the row mappers
 * (rows.ts): a column the mapper makes but the list leaves out would be
 * dropped on every ingest without an error.
 */
import { describe, expect, it } from 'vitest';
import { validateInteraction } from '../../src/domain/validate.js';
import { recordRows } from '../../src/store/record-rows.js';
import { interactionToRow, messageToRow } from '../../src/store/rows.js';
import { chatRecord } from '../helpers/fixtures.js';

describe('recordRows', () => {
  it('writes every column the row mappers make, for interactions and messages', () => {
    const input = validateInteraction(chatRecord({ id: 'rr-1', guid: '7d9f8a52-54b8-4c36-9d0a-8c1f5d0e1a11' }));
    const rows = recordRows('t', [{ input, id: 'rr-1', guid: '7d9f8a52-54b8-4c36-9d0a-8c1f5d0e1a11', existed: false }], 1);
    const row = interactionToRow(
      't',
      { ...input, id: 'rr-1', guid: '7d9f8a52-54b8-4c36-9d0a-8c1f5d0e1a11' },
      {
        createdMs: 1,
        updatedMs: 1,
        contentCount: 0,
      },
    );
    expect(Object.keys(rows.interactions).sort()).toEqual(Object.keys(row).sort());
    const message = input.messages?.[0];
    if (!message) throw new Error('the fixture has messages');
    expect(Object.keys(rows.messages).sort()).toEqual(Object.keys(messageToRow('t', 'rr-1', message)).sort());
    expect(rows.messages.idx).toEqual(input.messages?.map((m) => m.index));
  });
});
