/** When users signed out (src/auth/authenticator.ts, SessionRevocations), kept where every node reads it. */
import { sql } from 'kysely';
import type { SessionRevocations } from '../auth/authenticator.js';
import type { StoreConnection } from './database.js';

export class SessionRevocationRepository implements SessionRevocations {
  constructor(private readonly store: StoreConnection) {}

  async signedOutAt(tenantId: string, userId: string): Promise<number> {
    const row = await this.store
      .in('main')
      .selectFrom('session_revocations')
      .select('signed_out_ms')
      .where('tenant_id', '=', tenantId)
      .where('user_id', '=', userId)
      .executeTakeFirst();
    return row === undefined ? 0 : Number(row.signed_out_ms);
  }

  async signOut(tenantId: string, userId: string, atMs: number): Promise<void> {
    await this.store
      .in('main')
      .insertInto('session_revocations')
      .values({ tenant_id: tenantId, user_id: userId, signed_out_ms: atMs })
      // Two nodes signing the same user out at once: the later time wins.
      .onConflict((oc) =>
        oc.columns(['tenant_id', 'user_id']).doUpdateSet({
          signed_out_ms: sql<number>`case when excluded.signed_out_ms > session_revocations.signed_out_ms
              then excluded.signed_out_ms else session_revocations.signed_out_ms end`,
        }),
      )
      .execute();
  }
}
