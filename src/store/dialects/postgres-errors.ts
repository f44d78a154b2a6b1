/**
 * What a failed PostgreSQL statement says about why it failed, read from pg's
 * error. Plain PostgreSQL sets the fields (`code`, `constraint`); Citus
 * re-raises the error of a shard and keeps only some:
 * - a statement routed to one shard (an INSERT of one row, …): the SQLSTATE,
 *   the message and the detail, not the constraint's name field (the name,
 *   with the shard's suffix, is in the message);
 * - a COPY, its own or the one an `INSERT … SELECT` is made of (the ingest's
 *   row writer uses both): the message and the detail under SQLSTATE XX000,
 *   raised by Citus's `ReportCopyError`.
 * Where the fields are missing, the message is read: PostgreSQL's English one
 * (`lc_messages` C or English on the Citus workers, as docs/SCALING.md says).
 */

const UNIQUE_VIOLATION = '23505';
const INTERNAL_ERROR = 'XX000';
const UNIQUE_MESSAGE = /^duplicate key value violates unique constraint "([^"]+)"$/;

interface PgError {
  code?: string;
  constraint?: string;
  message?: string;
  routine?: string;
}

/** The unique constraint (as the failing table names it: a Citus shard's with its suffix) a statement broke, if any. */
export function violatedUniqueConstraint(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const { code, constraint, message = '', routine } = err as PgError;
  const named = UNIQUE_MESSAGE.exec(message)?.[1];
  if (code === UNIQUE_VIOLATION) return constraint ?? named ?? '';
  if (code === INTERNAL_ERROR && routine === 'ReportCopyError') return named;
  return undefined;
}
