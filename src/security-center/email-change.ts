import { randomBytes } from 'node:crypto';
import type { Db, Queryable } from '../store/db.ts';
import { sha256Hex } from '../domain/secrets.ts';

/** A confirmation link for a new email address works this long, once. */
export const EMAIL_CHANGE_MINUTES = 60;

export interface PendingEmailChange {
  accountId: string;
  oldEmail: string;
  newEmail: string;
}

export interface OpenEmailChange extends PendingEmailChange {
  createdAt: Date;
}

const TOKEN_SHAPE = /^[\w-]{40,64}$/;

/**
 * Email changes wait for the new address: a single-use token, kept as a hash. A new request (whatever its
 * outcome) ends any earlier one still open for the account.
 */
export class EmailChanges {
  constructor(
    private readonly db: Db,
    private readonly clock: () => Date,
  ) {}

  /** Stores the pending change; returns the token for the link (only its hash is kept). */
  async request(change: PendingEmailChange, minutes = EMAIL_CHANGE_MINUTES): Promise<string> {
    const token = randomBytes(32).toString('base64url');
    const now = this.clock();
    await this.db.transaction(async (tx) => {
      await this.cancelOpen(change.accountId, tx);
      await tx.query(
        `INSERT INTO email_change_tokens (token_hash, account_id, old_email, new_email, created_at, expires_at) VALUES ($1,$2,$3,$4,$5,$6)`,
        [sha256Hex(token), change.accountId, change.oldEmail, change.newEmail, now, new Date(now.getTime() + minutes * 60_000)],
      );
    });
    return token;
  }

  /**
   * Ends every link still open for the account. Also on a request for an address already in use: a link left
   * open there would let the requester tell a taken address from a free one.
   */
  async cancelOpen(accountId: string, q: Queryable = this.db): Promise<void> {
    await q.query(`UPDATE email_change_tokens SET used_at = $2 WHERE account_id = $1 AND used_at IS NULL`, [accountId, this.clock()]);
  }

  /** The open change a link stands for, or null (unknown, used, replaced or expired). */
  async find(token: string): Promise<OpenEmailChange | null> {
    if (!TOKEN_SHAPE.test(token)) return null;
    const [row] = await this.db.query<{ account_id: string; old_email: string; new_email: string; created_at: Date }>(
      `SELECT account_id, old_email, new_email, created_at FROM email_change_tokens WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2`,
      [sha256Hex(token), this.clock()],
    );
    return row ? { accountId: row.account_id, oldEmail: row.old_email, newEmail: row.new_email, createdAt: new Date(row.created_at) } : null;
  }

  /** Uses the link up: true for the one caller that got it while it was still open. */
  async claim(token: string): Promise<boolean> {
    if (!TOKEN_SHAPE.test(token)) return false;
    const now = this.clock();
    const rows = await this.db.query(
      `UPDATE email_change_tokens SET used_at = $2 WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2 RETURNING 1`,
      [sha256Hex(token), now],
    );
    return rows.length > 0;
  }
}
