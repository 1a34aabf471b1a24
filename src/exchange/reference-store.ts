import { randomBytes } from 'node:crypto';
import type { Db, Queryable } from '../store/db.ts';
import { newId } from '../store/ids.ts';
import { KinkyuError } from '../domain/errors.ts';
import type { AccountSummary, ApiKeyRecord, ExchangeAccounts, LockEffects, SignInRecord, WithdrawalAddressRecord, WithdrawalRecord } from './adapter.ts';
import { sha256Hex } from '../domain/secrets.ts';

/** Lower-cased, trimmed: the key an address is looked up by. */
export function emailKeyOf(email: string): string {
  return email.trim().toLowerCase();
}


const iso = (d: unknown) => (d === null || d === undefined ? null : new Date(d as string).toISOString());

/**
 * The built-in exchange account store, in kinkyu's PostgreSQL: for standalone use, demos and tests. It plays
 * the exchange core: accounts, API keys, orders, withdrawals and their blocks. The lock runs in one
 * transaction, so it is all or nothing and done when `lock` returns.
 */
export class ReferenceAccountStore implements ExchangeAccounts {
  constructor(
    private readonly db: Db,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  async findAccount(query: { email?: string; accountId?: string }): Promise<AccountSummary | null> {
    const rows = query.accountId
      ? await this.db.query(`SELECT * FROM xch_accounts WHERE id = $1`, [query.accountId])
      : query.email
        ? await this.db.query(`SELECT * FROM xch_accounts WHERE email_key = $1`, [emailKeyOf(query.email)])
        : [];
    const row = rows[0];
    if (!row) return null;
    const since = new Date(this.clock().getTime() - 30 * 86_400_000);
    const previous = await this.db.query<{ email: string }>(
      `SELECT DISTINCT email FROM xch_email_history WHERE account_id = $1 AND replaced_at >= $2 AND disowned_at IS NULL`,
      [row.id, since],
    );
    return {
      id: row.id as string,
      email: row.email as string,
      previousEmails: previous.map((p) => p.email).filter((e) => emailKeyOf(e) !== row.email_key),
      locked: row.locked_at !== null,
      tradingBlocked: row.trading_blocked as boolean,
      withdrawalsBlocked: row.withdrawals_blocked as boolean,
      withdrawalHoldUntil: iso(row.withdrawal_hold_until),
    };
  }

  async lock(accountId: string, info: { lockId: string; reason: string }): Promise<LockEffects> {
    // One statement, so one round trip and atomic: the account row is locked first (FOR UPDATE), then blocked,
    // and everything is revoked again even when it was locked already (a session made since is not trusted).
    const [row] = await this.db.query<{ newly: boolean | null; sessions: number; keys: number; cancelled: number }>(
      `WITH before AS (
         SELECT id, locked_at FROM xch_accounts WHERE id = $1 FOR UPDATE
       ), blocked AS (
         UPDATE xch_accounts a SET locked_at = COALESCE(a.locked_at, $2), trading_blocked = true, withdrawals_blocked = true
           FROM before WHERE a.id = before.id RETURNING before.locked_at IS NULL AS newly
       ), sessions AS (
         UPDATE user_sessions SET revoked_at = $2 WHERE account_id = $1 AND revoked_at IS NULL AND EXISTS (SELECT 1 FROM before) RETURNING 1
       ), keys AS (
         UPDATE xch_api_keys SET revoked_at = $2 WHERE account_id = $1 AND revoked_at IS NULL AND EXISTS (SELECT 1 FROM before) RETURNING 1
       ), cancelled AS (
         UPDATE xch_withdrawals SET status = 'cancelled', cancelled_reason = $3 WHERE account_id = $1 AND status = 'pending' AND EXISTS (SELECT 1 FROM before) RETURNING 1
       )
       SELECT (SELECT newly FROM blocked) AS newly, (SELECT count(*) FROM sessions)::int AS sessions,
              (SELECT count(*) FROM keys)::int AS keys, (SELECT count(*) FROM cancelled)::int AS cancelled`,
      [accountId, this.clock(), `account locked (${info.lockId})`],
      { name: 'kinkyu_reference_lock' },
    );
    if (!row || row.newly === null) throw new KinkyuError('NOT_FOUND', { what: 'account' });
    return { newlyLocked: row.newly, sessionsRevoked: row.sessions, apiKeysRevoked: row.keys, withdrawalsCancelled: row.cancelled };
  }

  async unlock(accountId: string, _info: { lockId: string }): Promise<void> {
    await this.db.query(`UPDATE xch_accounts SET locked_at = NULL, trading_blocked = false, withdrawals_blocked = false WHERE id = $1`, [accountId]);
  }

  async revokeSessions(accountId: string): Promise<number> {
    return revokeSessionsIn(this.db, accountId, this.clock());
  }

  async revokeApiKeys(accountId: string): Promise<number> {
    return revokeKeysIn(this.db, accountId, this.clock());
  }

  async setRestrictions(accountId: string, r: { trading: boolean; withdrawals: boolean }): Promise<void> {
    await this.db.query(`UPDATE xch_accounts SET trading_blocked = $2, withdrawals_blocked = $3 WHERE id = $1`, [accountId, r.trading, r.withdrawals]);
  }

  async cancelPendingWithdrawals(accountId: string, reason: string): Promise<number> {
    return cancelWithdrawalsIn(this.db, accountId, reason);
  }

  async holdWithdrawals(accountId: string, until: Date): Promise<void> {
    await this.db.query(
      `UPDATE xch_accounts SET withdrawal_hold_until = GREATEST(COALESCE(withdrawal_hold_until, $2), $2) WHERE id = $1`,
      [accountId, until],
    );
  }

  async recentSignIns(accountId: string, limit: number): Promise<SignInRecord[]> {
    const rows = await this.db.query(
      `SELECT at, ip, country, device, kind FROM account_events WHERE account_id = $1 AND kind IN ('sign_in','sign_in_failed')
        ORDER BY at DESC, id DESC LIMIT $2`,
      [accountId, limit],
    );
    return rows.map((r) => ({
      at: iso(r.at)!,
      ip: (r.ip as string | null) ?? null,
      country: (r.country as string | null) ?? null,
      device: (r.device as string | null) ?? null,
      success: r.kind === 'sign_in',
    }));
  }

  async recentWithdrawals(accountId: string, limit: number): Promise<WithdrawalRecord[]> {
    const rows = await this.db.query(`SELECT * FROM xch_withdrawals WHERE account_id = $1 ORDER BY created_at DESC LIMIT $2`, [accountId, limit]);
    return rows.map((r) => ({
      id: r.id as string,
      asset: r.asset as string,
      amount: r.amount as string,
      address: r.address as string,
      status: r.status as WithdrawalRecord['status'],
      createdAt: iso(r.created_at)!,
    }));
  }

  async listWithdrawalAddresses(accountId: string): Promise<WithdrawalAddressRecord[]> {
    const rows = await this.db.query(
      `SELECT id, asset, address, created_at, usable_after FROM xch_withdrawal_addresses WHERE account_id = $1 ORDER BY created_at DESC, id DESC LIMIT 1000`,
      [accountId],
    );
    return rows.map((r) => ({ id: r.id as string, asset: r.asset as string, address: r.address as string, createdAt: iso(r.created_at)!, usableAfter: iso(r.usable_after)! }));
  }

  async hasWithdrawalAddress(accountId: string, a: { asset: string; address: string }): Promise<boolean> {
    const [known] = await this.db.query(`SELECT 1 FROM xch_withdrawal_addresses WHERE account_id = $1 AND asset = $2 AND address = $3`, [accountId, a.asset, a.address]);
    return known !== undefined;
  }

  async accountEmails(accountIds: string[]): Promise<Map<string, string>> {
    if (!accountIds.length) return new Map();
    const rows = await this.db.query<{ id: string; email: string }>(`SELECT id, email FROM xch_accounts WHERE id = ANY($1::text[])`, [accountIds]);
    return new Map(rows.map((r) => [r.id, r.email]));
  }

  async removeWithdrawalAddress(accountId: string, addressId: string): Promise<boolean> {
    const rows = await this.db.query(`DELETE FROM xch_withdrawal_addresses WHERE account_id = $1 AND id = $2 RETURNING 1`, [accountId, addressId]);
    return rows.length > 0;
  }

  async listApiKeys(accountId: string): Promise<ApiKeyRecord[]> {
    const rows = await this.db.query(
      `SELECT id, label, created_at, revoked_at FROM xch_api_keys WHERE account_id = $1 ORDER BY created_at DESC, id DESC LIMIT 1000`,
      [accountId],
    );
    return rows.map((r) => ({ id: r.id as string, label: r.label as string, createdAt: iso(r.created_at)!, revokedAt: iso(r.revoked_at) }));
  }

  async revokeApiKey(accountId: string, keyId: string): Promise<boolean> {
    const rows = await this.db.query(`UPDATE xch_api_keys SET revoked_at = $3 WHERE account_id = $1 AND id = $2 AND revoked_at IS NULL RETURNING 1`, [accountId, keyId, this.clock()]);
    return rows.length > 0;
  }

  async restoreEmail(accountId: string, restore: { email: string; reason: string }): Promise<{ changed: boolean }> {
    const email = restore.email.trim();
    const key = emailKeyOf(email);
    try {
      return await this.db.transaction(async (tx) => {
        const [account] = await tx.query<{ email: string; email_key: string }>(`SELECT email, email_key FROM xch_accounts WHERE id = $1 FOR UPDATE`, [accountId]);
        if (!account) throw new KinkyuError('NOT_FOUND', { what: 'account' });
        if (account.email_key === key) return { changed: false };
        const [other] = await tx.query(`SELECT 1 FROM xch_accounts WHERE email_key = $1 AND id <> $2`, [key, accountId]);
        if (other) throw new KinkyuError('CONFLICT', { rule: 'email_taken', email });
        const now = this.clock();
        // Every address the account had after `email` was last replaced came with the takeover: none of them is a
        // previous address any more (lock links must not go there). No history of `email`: only the current one.
        await tx.query(
          `UPDATE xch_email_history SET disowned_at = $3 WHERE account_id = $1 AND disowned_at IS NULL AND email_key <> $2
              AND replaced_at >= (SELECT max(replaced_at) FROM xch_email_history WHERE account_id = $1 AND email_key = $2)`,
          [accountId, key, now],
        );
        await tx.query(`INSERT INTO xch_email_history (account_id, email, email_key, replaced_at, disowned_at) VALUES ($1,$2,$3,$4,$4)`, [accountId, account.email, account.email_key, now]);
        await tx.query(`UPDATE xch_accounts SET email = $2, email_key = $3 WHERE id = $1`, [accountId, email, key]);
        return { changed: true };
      });
    } catch (err) {
      // Taken by another account between the check and the update (the address is unique).
      if ((err as { code?: string })?.code === '23505') throw new KinkyuError('CONFLICT', { rule: 'email_taken', email });
      throw err;
    }
  }

  // ---- The exchange core's own operations (what a user does on the exchange), for demos and tests. ----

  async createAccount(email: string): Promise<string> {
    const id = newId();
    await this.db.query(`INSERT INTO xch_accounts (id, email, email_key) VALUES ($1, $2, $3)`, [id, email.trim(), emailKeyOf(email)]);
    return id;
  }

  /** Returns the key once; only its hash is kept. */
  async createApiKey(accountId: string, label = ''): Promise<string> {
    const key = `xk_${randomBytes(24).toString('base64url')}`;
    await this.db.query(`INSERT INTO xch_api_keys (id, account_id, key_hash, label, created_at) VALUES ($1, $2, $3, $4, $5)`, [newId(), accountId, sha256Hex(key), label, this.clock()]);
    return key;
  }

  /** The account an API key belongs to, or null when the key is unknown or revoked. */
  async accountForApiKey(key: string): Promise<string | null> {
    const [row] = await this.db.query<{ account_id: string }>(`SELECT account_id FROM xch_api_keys WHERE key_hash = $1 AND revoked_at IS NULL`, [sha256Hex(key)]);
    return row?.account_id ?? null;
  }

  async placeOrder(accountId: string, order: { pair: string; side: 'buy' | 'sell'; amount: string }): Promise<string> {
    return this.db.transaction(async (tx) => {
      const [account] = await tx.query<{ trading_blocked: boolean }>(`SELECT trading_blocked FROM xch_accounts WHERE id = $1 FOR SHARE`, [accountId]);
      if (!account) throw new KinkyuError('NOT_FOUND', { what: 'account' });
      if (account.trading_blocked) throw new KinkyuError('FORBIDDEN', { rule: 'trading_blocked' });
      const id = newId();
      await tx.query(`INSERT INTO xch_orders (id, account_id, pair, side, amount) VALUES ($1,$2,$3,$4,$5)`, [id, accountId, order.pair, order.side, order.amount]);
      return id;
    });
  }

  /**
   * A withdrawal request: refused while blocked or held, or to an address still in its waiting period. With
   * `newAddressHoldMs`, an address never registered is registered now and refused until its hold has passed
   * (the exchange's own rule; tests that only need a pending withdrawal leave it out).
   */
  async requestWithdrawal(accountId: string, w: { asset: string; amount: string; address: string }, opts: { newAddressHoldMs?: number } = {}): Promise<string> {
    if (opts.newAddressHoldMs !== undefined) {
      // Registered (and its hold started) outside the refusal below, so that it counts from this first attempt.
      const [known] = await this.db.query(`SELECT 1 FROM xch_withdrawal_addresses WHERE account_id = $1 AND asset = $2 AND address = $3`, [accountId, w.asset, w.address]);
      if (!known) {
        const now = this.clock();
        const usableAfter = new Date(now.getTime() + opts.newAddressHoldMs);
        await this.db.query(`INSERT INTO xch_withdrawal_addresses (id, account_id, asset, address, created_at, usable_after) VALUES ($1,$2,$3,$4,$5,$6)`, [
          newId(), accountId, w.asset, w.address, now, usableAfter,
        ]);
        throw new KinkyuError('FORBIDDEN', { rule: 'address_hold', until: usableAfter.toISOString() });
      }
    }
    return this.db.transaction(async (tx) => {
      const [account] = await tx.query<{ withdrawals_blocked: boolean; withdrawal_hold_until: Date | null }>(
        `SELECT withdrawals_blocked, withdrawal_hold_until FROM xch_accounts WHERE id = $1 FOR SHARE`,
        [accountId],
      );
      if (!account) throw new KinkyuError('NOT_FOUND', { what: 'account' });
      const now = this.clock();
      if (account.withdrawals_blocked) throw new KinkyuError('FORBIDDEN', { rule: 'withdrawals_blocked' });
      if (account.withdrawal_hold_until && new Date(account.withdrawal_hold_until) > now) {
        throw new KinkyuError('FORBIDDEN', { rule: 'withdrawal_hold', until: new Date(account.withdrawal_hold_until).toISOString() });
      }
      const [address] = await tx.query<{ usable_after: Date }>(
        `SELECT usable_after FROM xch_withdrawal_addresses WHERE account_id = $1 AND asset = $2 AND address = $3`,
        [accountId, w.asset, w.address],
      );
      if (!address && opts.newAddressHoldMs !== undefined) throw new KinkyuError('FORBIDDEN', { rule: 'address_hold', until: '' });
      if (address && new Date(address.usable_after) > now) {
        throw new KinkyuError('FORBIDDEN', { rule: 'address_hold', until: new Date(address.usable_after).toISOString() });
      }
      const id = newId();
      await tx.query(`INSERT INTO xch_withdrawals (id, account_id, asset, amount, address, status, created_at) VALUES ($1,$2,$3,$4,$5,'pending',$6)`, [
        id, accountId, w.asset, w.amount, w.address, now,
      ]);
      return id;
    });
  }

  async addWithdrawalAddress(accountId: string, a: { asset: string; address: string; holdMs: number }): Promise<string> {
    const id = newId();
    const now = this.clock();
    await this.db.query(`INSERT INTO xch_withdrawal_addresses (id, account_id, asset, address, created_at, usable_after) VALUES ($1,$2,$3,$4,$5,$6)`, [
      id, accountId, a.asset, a.address, now, new Date(now.getTime() + a.holdMs),
    ]);
    return id;
  }

  async changeEmail(accountId: string, email: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      const [old] = await tx.query<{ email: string; email_key: string }>(`SELECT email, email_key FROM xch_accounts WHERE id = $1 FOR UPDATE`, [accountId]);
      if (!old) throw new KinkyuError('NOT_FOUND', { what: 'account' });
      await tx.query(`INSERT INTO xch_email_history (account_id, email, email_key, replaced_at) VALUES ($1,$2,$3,$4)`, [accountId, old.email, old.email_key, this.clock()]);
      await tx.query(`UPDATE xch_accounts SET email = $2, email_key = $3 WHERE id = $1`, [accountId, email.trim(), emailKeyOf(email)]);
    });
  }
}

async function revokeSessionsIn(q: Queryable, accountId: string, now: Date): Promise<number> {
  const rows = await q.query(`UPDATE user_sessions SET revoked_at = $2 WHERE account_id = $1 AND revoked_at IS NULL RETURNING 1`, [accountId, now]);
  return rows.length;
}

async function revokeKeysIn(q: Queryable, accountId: string, now: Date): Promise<number> {
  const rows = await q.query(`UPDATE xch_api_keys SET revoked_at = $2 WHERE account_id = $1 AND revoked_at IS NULL RETURNING 1`, [accountId, now]);
  return rows.length;
}

async function cancelWithdrawalsIn(q: Queryable, accountId: string, reason: string): Promise<number> {
  const rows = await q.query(
    `UPDATE xch_withdrawals SET status = 'cancelled', cancelled_reason = $2 WHERE account_id = $1 AND status = 'pending' RETURNING 1`,
    [accountId, reason],
  );
  return rows.length;
}
