import type { Queryable } from '../store/db.ts';
import type { LockEffects } from '../exchange/adapter.ts';
import type { LockIntent } from './lock-intents.ts';

/** The lock records (`account_locks`): one per journalled lock, with the same id. */
export class AccountLocks {
  async insert(tx: Queryable, r: { intent: LockIntent; effects: LockEffects; lockedAt: Date; ticketId: string | null }): Promise<void> {
    const i = r.intent;
    await tx.query(
      `INSERT INTO account_locks (id, account_id, source, reason, actor_type, actor_id, ip, locked_at, sessions_revoked, api_keys_revoked, withdrawals_cancelled, ticket_id)
       VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12)`,
      [i.id, i.accountId, i.source, i.reason.slice(0, 2000), i.actorType, i.actorId, i.ip, r.lockedAt,
        r.effects.sessionsRevoked, r.effects.apiKeysRevoked, r.effects.withdrawalsCancelled, r.ticketId],
    );
  }
}
