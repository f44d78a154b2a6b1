/**
 * A unique violation as PostgreSQL and Citus report it (src/store/dialects/postgres-errors.ts),
 * in the shapes pg gives them — fields as observed from PostgreSQL 15 and Citus 13.2 (session 14):
 * Citus keeps the SQLSTATE but not the constraint's field for a statement routed to one shard, and
 * neither for a COPY (its own, or the one INSERT … SELECT uses). Any other failure is not one.
 */
import { describe, expect, it } from 'vitest';
import { violatedUniqueConstraint } from '../../src/store/dialects/postgres-errors.js';

const message = (name: string) => `duplicate key value violates unique constraint "${name}"`;

describe('violatedUniqueConstraint', () => {
  it('reads plain PostgreSQL: SQLSTATE 23505 and the constraint field', () => {
    expect(
      violatedUniqueConstraint({ code: '23505', constraint: 'audit_log_chain_uq', message: message('audit_log_chain_uq') }),
    ).toBe('audit_log_chain_uq');
  });

  it("reads Citus's single-shard statement: 23505 with the shard's constraint only in the message", () => {
    const err = { code: '23505', message: message('audit_log_chain_uq_102019'), routine: 'ReportResultError' };
    expect(violatedUniqueConstraint(err)).toBe('audit_log_chain_uq_102019');
  });

  it("reads Citus's COPY (and INSERT … SELECT): XX000 from ReportCopyError with the message", () => {
    const err = { code: 'XX000', message: message('messages_pk_102030'), routine: 'ReportCopyError' };
    expect(violatedUniqueConstraint(err)).toBe('messages_pk_102030');
  });

  it('is not fooled by other failures', () => {
    const notNull = 'null value in column "text" of relation "messages_102030" violates not-null constraint';
    expect(violatedUniqueConstraint({ code: 'XX000', message: notNull, routine: 'ReportCopyError' })).toBeUndefined();
    // The same words from anything but Citus's COPY report: not a unique violation without its SQLSTATE.
    expect(violatedUniqueConstraint({ code: 'XX000', message: message('x'), routine: 'elog' })).toBeUndefined();
    expect(
      violatedUniqueConstraint({ code: '23503', message: 'insert or update violates foreign key constraint "f"' }),
    ).toBeUndefined();
    expect(violatedUniqueConstraint(new Error(message('x')))).toBeUndefined();
    expect(violatedUniqueConstraint(undefined)).toBeUndefined();
  });
});
