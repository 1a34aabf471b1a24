import type { Db, Queryable } from '../store/db.ts';
import { retryDelayMs } from './lock-intents.ts';

/** A help-center request for lock links, accepted before the answer and carried out after it. */
export interface LockLinkRequest {
  id: string;
  identifier: string;
  lang: 'ja' | 'en';
  ip: string | null;
  attempts: number;
}

type Row = { id: string; identifier: string; lang: string; ip: string | null; attempts: number };
const mapRow = (r: Row): LockLinkRequest => ({ id: r.id, identifier: r.identifier, lang: r.lang === 'en' ? 'en' : 'ja', ip: r.ip, attempts: r.attempts });

export class LockLinkRequests {
  constructor(private readonly db: Db) {}

  async add(r: { id: string; identifier: string; lang: 'ja' | 'en'; ip: string | null }, now: Date): Promise<void> {
    await this.db.query(
      `INSERT INTO lock_link_requests (id, identifier, lang, ip, created_at, next_attempt_at) VALUES ($1,$2,$3,$4,$5,$5)`,
      [r.id, r.identifier, r.lang, r.ip, now],
      { name: 'kinkyu_lock_link_request' },
    );
  }

  /**
   * Claims due requests, oldest first, with `FOR UPDATE SKIP LOCKED`, each leased until `leaseUntil` (its next
   * attempt moves there): another process does not take it meanwhile, and one whose process died is taken
   * again after the lease. Carrying one out stays exactly once (`claim` in its transaction).
   */
  async claimDue(now: Date, limit: number, leaseUntil: Date): Promise<LockLinkRequest[]> {
    const rows = await this.db.query<Row & { created_at: Date }>(
      `UPDATE lock_link_requests SET next_attempt_at = $3
        WHERE id IN (SELECT id FROM lock_link_requests WHERE processed_at IS NULL AND next_attempt_at <= $1
                      ORDER BY created_at LIMIT $2 FOR UPDATE SKIP LOCKED)
       RETURNING id, identifier, lang, ip, attempts, created_at`,
      [now, limit, leaseUntil],
    );
    return rows.sort((a, b) => new Date(a.created_at).getTime() - new Date(b.created_at).getTime()).map(mapRow);
  }

  /** Inside the transaction that sends the links: true for the one process that gets to carry it out. */
  async claim(tx: Queryable, id: string): Promise<boolean> {
    const rows = await tx.query(`SELECT 1 FROM lock_link_requests WHERE id = $1 AND processed_at IS NULL FOR UPDATE SKIP LOCKED`, [id]);
    return rows.length > 0;
  }

  /** Done: the identifier (an email address or account ID) is not kept any longer than needed. */
  async markDone(tx: Queryable, id: string, linksSent: number, now: Date): Promise<void> {
    await tx.query(`UPDATE lock_link_requests SET processed_at = $2, links_sent = $3, identifier = '', last_error = NULL WHERE id = $1`, [id, now, linksSent]);
  }

  async postpone(id: string, attempts: number, error: string, now: Date): Promise<void> {
    await this.db.query(`UPDATE lock_link_requests SET attempts = $2, last_error = $3, next_attempt_at = $4 WHERE id = $1 AND processed_at IS NULL`, [
      id, attempts, error.slice(0, 500), new Date(now.getTime() + retryDelayMs(attempts)),
    ]);
  }
}
