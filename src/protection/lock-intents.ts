import type { Db, Queryable } from '../store/db.ts';
import type { LockEffects } from '../exchange/adapter.ts';
import { sha256Hex } from '../domain/secrets.ts';
import type { LockSource } from './lock-source.ts';

/** A lock as journalled: committed before the exchange is asked, finished (recorded) exactly once. */
export interface LockIntent {
  id: string;
  accountId: string;
  source: LockSource;
  reason: string;
  actorType: 'staff' | 'user' | 'system';
  actorId: string | null;
  ip: string | null;
  lang: 'ja' | 'en';
  ticketNumber: number;
  createdAt: Date;
  effectiveAt: Date | null;
  recordedAt: Date | null;
  effects: (LockEffects & { localSessionsRevoked?: number }) | null;
  attempts: number;
}

/** An intent not yet recorded, as the staff page shows it. */
export interface OpenLockIntent extends LockIntent {
  /** Why the last attempt failed (the exchange's answer, a timeout); null before any failure. */
  lastError: string | null;
  nextAttemptAt: Date;
}

export interface NewLockIntent {
  id: string;
  accountId: string;
  source: LockSource;
  reason: string;
  actorType: LockIntent['actorType'];
  actorId: string | null;
  ip: string | null;
  lang: 'ja' | 'en';
}

type Row = {
  id: string; account_id: string; source: LockSource; reason: string; actor_type: LockIntent['actorType']; actor_id: string | null;
  ip: string | null; lang: 'ja' | 'en'; ticket_number: string | number; created_at: Date; effective_at: Date | null; recorded_at: Date | null;
  effects: LockIntent['effects']; attempts: number;
};

const COLUMNS = `id, account_id, source, reason, actor_type, actor_id, ip, lang, ticket_number, created_at, effective_at, recorded_at, effects, attempts`;

function mapRow(r: Row): LockIntent {
  return {
    id: r.id, accountId: r.account_id, source: r.source, reason: r.reason, actorType: r.actor_type, actorId: r.actor_id, ip: r.ip,
    lang: r.lang === 'en' ? 'en' : 'ja', ticketNumber: Number(r.ticket_number), createdAt: new Date(r.created_at),
    effectiveAt: r.effective_at ? new Date(r.effective_at) : null, recordedAt: r.recorded_at ? new Date(r.recorded_at) : null, effects: r.effects, attempts: r.attempts,
  };
}

/** Retry spacing for an intent the exchange did not confirm: 2 s, 4 s, … up to 5 minutes. */
export const retryDelayMs = (attempts: number) => Math.min(300_000, 2000 * 2 ** Math.min(attempts, 8));

/** The journal's SQL. Every method is one statement, so each step is atomic on its own. */
export class LockIntents {
  constructor(private readonly db: Db) {}

  /** Journals a lock that needs no link (the security center, staff, detection). */
  async open(intent: NewLockIntent, now: Date): Promise<LockIntent> {
    const [row] = await this.db.query<Row>(
      `INSERT INTO lock_intents (id, account_id, source, reason, actor_type, actor_id, ip, lang, created_at, next_attempt_at)
       VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$9) RETURNING ${COLUMNS}`,
      [intent.id, intent.accountId, intent.source, intent.reason.slice(0, 2000), intent.actorType, intent.actorId, intent.ip, intent.lang, now],
      { name: 'kinkyu_lock_intent_open' },
    );
    return mapRow(row!);
  }

  /**
   * Spends a lock link and journals its lock in one statement: either both happen or neither. Null when the
   * link is unknown, used or expired.
   */
  async openFromLink(token: string, intent: Omit<NewLockIntent, 'accountId' | 'reason'>, now: Date): Promise<LockIntent | null> {
    const [row] = await this.db.query<Row>(
      `WITH spent AS (
         UPDATE lock_tokens SET used_at = $2 WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2 RETURNING account_id, reason
       )
       INSERT INTO lock_intents (id, account_id, source, reason, actor_type, actor_id, ip, lang, created_at, next_attempt_at)
       SELECT $3, spent.account_id, $4, 'lock link (' || spent.reason || ')', $5, $6, $7, $8, $2, $2 FROM spent
       RETURNING ${COLUMNS}`,
      [sha256Hex(token), now, intent.id, intent.source, intent.actorType, intent.actorId, intent.ip, intent.lang],
      { name: 'kinkyu_lock_intent_from_link' },
    );
    return row ? mapRow(row) : null;
  }

  /**
   * The exchange has locked: the intent is effective, and kinkyu's own sessions for the account (the security
   * center) end in the same statement. Returns how many of those were revoked.
   */
  async markEffective(id: string, accountId: string, effects: LockEffects, now: Date): Promise<number> {
    const [row] = await this.db.query<{ revoked: number }>(
      `WITH revoked AS (
         UPDATE user_sessions SET revoked_at = $2 WHERE account_id = $4 AND revoked_at IS NULL RETURNING 1
       ), intent AS (
         UPDATE lock_intents SET effective_at = $2, effects = $3::jsonb || jsonb_build_object('localSessionsRevoked', (SELECT count(*) FROM revoked))
          WHERE id = $1 AND effective_at IS NULL RETURNING 1
       )
       SELECT (SELECT count(*) FROM revoked)::int AS revoked, (SELECT count(*) FROM intent)::int AS marked`,
      [id, now, JSON.stringify(effects), accountId],
      { name: 'kinkyu_lock_intent_effective' },
    );
    return row?.revoked ?? 0;
  }

  /** The exchange did not confirm: try again later. */
  async postpone(id: string, attempts: number, error: string, now: Date): Promise<void> {
    await this.db.query(`UPDATE lock_intents SET attempts = $2, last_error = $3, next_attempt_at = $4 WHERE id = $1 AND recorded_at IS NULL`, [
      id, attempts, error.slice(0, 500), new Date(now.getTime() + retryDelayMs(attempts)),
    ]);
  }

  /** Nothing to lock (the exchange does not know the account): closed without a record. */
  async abandon(id: string, why: string, now: Date): Promise<void> {
    await this.db.query(`UPDATE lock_intents SET recorded_at = $2, last_error = $3 WHERE id = $1 AND recorded_at IS NULL AND effective_at IS NULL`, [id, now, why]);
  }

  /**
   * Claims intents not yet recorded whose next attempt is due (oldest first) for the reconciler, with
   * `FOR UPDATE SKIP LOCKED`: each is leased until `leaseUntil` (its next attempt moves there), so a reconciler
   * of another process does not take it meanwhile, and one that died is retried after the lease. The record
   * itself stays exactly once whoever carries it out (`claimForRecord`).
   */
  async claimDue(now: Date, olderThan: Date, limit: number, leaseUntil: Date): Promise<LockIntent[]> {
    const rows = await this.db.query<Row>(
      `UPDATE lock_intents SET next_attempt_at = $4
        WHERE id IN (SELECT id FROM lock_intents WHERE recorded_at IS NULL AND next_attempt_at <= $1 AND created_at <= $2
                      ORDER BY created_at LIMIT $3 FOR UPDATE SKIP LOCKED)
       RETURNING ${COLUMNS}`,
      [now, olderThan, limit, leaseUntil],
    );
    return rows.map(mapRow).sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
  }

  async get(id: string, q: Queryable = this.db): Promise<LockIntent | null> {
    const [row] = await q.query<Row>(`SELECT ${COLUMNS} FROM lock_intents WHERE id = $1`, [id]);
    return row ? mapRow(row) : null;
  }

  /**
   * Inside the recording transaction: the intent, row-locked, if nobody has recorded it yet and no other
   * process is recording it right now (SKIP LOCKED: that one will finish it, or its crash rolls back).
   */
  async claimForRecord(tx: Queryable, id: string): Promise<LockIntent | null> {
    const [row] = await tx.query<Row>(`SELECT ${COLUMNS} FROM lock_intents WHERE id = $1 AND recorded_at IS NULL FOR UPDATE SKIP LOCKED`, [id]);
    return row ? mapRow(row) : null;
  }

  async markRecorded(tx: Queryable, id: string, now: Date): Promise<void> {
    await tx.query(`UPDATE lock_intents SET recorded_at = $2, last_error = NULL WHERE id = $1`, [id, now]);
  }

  /**
   * Locks journalled but not yet recorded for an account, with how the retries are going: the staff page shows
   * them as in progress (the exchange core may be down).
   */
  async openFor(accountId: string): Promise<OpenLockIntent[]> {
    const rows = await this.db.query<Row & { last_error: string | null; next_attempt_at: Date }>(
      `SELECT ${COLUMNS}, last_error, next_attempt_at FROM lock_intents WHERE account_id = $1 AND recorded_at IS NULL ORDER BY created_at LIMIT 20`,
      [accountId],
    );
    return rows.map((r) => ({ ...mapRow(r), lastError: r.last_error, nextAttemptAt: new Date(r.next_attempt_at) }));
  }
}
