/**
 * An unencoded `+` in a query string is a space (application/x-www-form-urlencoded),
 * so `connectFrom=+1415…` searches for " 1415…" and matches nothing. Addresses
 * never start with a space: when one does, the answer carries a Warning header
 * saying that `%2B` was probably meant. The search itself is left as asked.
 */
import type { FastifyReply } from 'fastify';

export function warnUnencodedPlus(reply: FastifyReply, params: Record<string, string | undefined>): void {
  const suspects = Object.entries(params)
    .filter(([, value]) => value?.startsWith(' '))
    .map(([name]) => name);
  if (suspects.length === 0) return;
  reply.header(
    'Warning',
    `199 ixvault "${suspects.join(', ')} starts with a space: a + in a query string means a space; send %2B for a literal +"`,
  );
}
