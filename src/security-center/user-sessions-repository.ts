/** The SQL of the security center's sessions (`user_sessions`). */
import type { Db, Queryable } from '../store/db.ts';

export interface SessionRow {
  account_id: string; csrf_token: string; pending_2fa: boolean; last_seen_at: Date; locked: boolean;
  must_reset_password: boolean; must_reenrol_2fa: boolean; totp_enabled_at: Date | null; lang: string; passkeys: number;
}

/** A live session (not revoked, not expired), with what the pages need of its account's credentials. */
export async function findLiveSession(db: Db, tokenHash: string, now: Date): Promise<SessionRow | null> {
  const [row] = await db.query<SessionRow>(
    // Locked here: by an open lock record (the exchange's own flag comes through the adapter).
    `SELECT s.account_id, s.csrf_token, s.pending_2fa, s.last_seen_at,
            EXISTS (SELECT 1 FROM account_locks l WHERE l.account_id = s.account_id AND l.unlocked_at IS NULL) AS locked,
            c.must_reset_password, c.must_reenrol_2fa, c.totp_enabled_at, c.lang,
            (SELECT count(*)::int FROM user_passkeys p WHERE p.account_id = s.account_id AND p.disabled_at IS NULL) AS passkeys
       FROM user_sessions s JOIN user_credentials c ON c.account_id = s.account_id
      WHERE s.token_hash = $1 AND s.revoked_at IS NULL AND s.expires_at > $2`,
    [tokenHash, now],
  );
  return row ?? null;
}

export async function touchSession(db: Db, tokenHash: string, now: Date): Promise<void> {
  await db.query(`UPDATE user_sessions SET last_seen_at = $2 WHERE token_hash = $1`, [tokenHash, now]);
}

export async function insertSession(db: Db, s: {
  tokenHash: string; accountId: string; csrfToken: string; now: Date; expires: Date; ip: string; country: string | null; device: string; pending2fa: boolean; steppedUp: boolean;
}): Promise<void> {
  await db.query(
    `INSERT INTO user_sessions (token_hash, account_id, csrf_token, created_at, last_seen_at, expires_at, ip, country, device, pending_2fa, stepped_up_at)
     VALUES ($1,$2,$3,$4,$4,$5,$6,$7,$8,$9,$10)`,
    [s.tokenHash, s.accountId, s.csrfToken, s.now, s.expires, s.ip, s.country, s.device, s.pending2fa, s.steppedUp ? s.now : null],
  );
}

/** The hash of the one-time code emailed at sign-in (detection's step-up without an authenticator), if any. */
export async function signInCodeHash(db: Db, tokenHash: string): Promise<string | null> {
  const [row] = await db.query<{ step_up_code_hash: string | null }>(`SELECT step_up_code_hash FROM user_sessions WHERE token_hash = $1`, [tokenHash]);
  return row?.step_up_code_hash ?? null;
}

export async function setSignInCodeHash(db: Db, tokenHash: string, codeHash: string): Promise<void> {
  await db.query(`UPDATE user_sessions SET step_up_code_hash = $2 WHERE token_hash = $1`, [tokenHash, codeHash]);
}

export async function revokeSession(q: Queryable, tokenHash: string, now: Date): Promise<void> {
  await q.query(`UPDATE user_sessions SET revoked_at = $2 WHERE token_hash = $1`, [tokenHash, now]);
}

/** Revokes one of the account's own sessions; how many were (0 or 1). */
export async function revokeAccountSession(q: Queryable, accountId: string, tokenHash: string, now: Date): Promise<number> {
  const rows = await q.query(`UPDATE user_sessions SET revoked_at = $3 WHERE account_id = $1 AND token_hash = $2 AND revoked_at IS NULL RETURNING 1`, [accountId, tokenHash, now]);
  return rows.length;
}

/** Revokes every other session of the account; how many. */
export async function revokeOtherSessions(q: Queryable, accountId: string, keepTokenHash: string, now: Date): Promise<number> {
  const rows = await q.query(`UPDATE user_sessions SET revoked_at = $3 WHERE account_id = $1 AND token_hash <> $2 AND revoked_at IS NULL RETURNING 1`, [accountId, keepTokenHash, now]);
  return rows.length;
}

export async function revokeAllSessions(q: Queryable, accountId: string, now: Date): Promise<void> {
  await q.query(`UPDATE user_sessions SET revoked_at = $2 WHERE account_id = $1 AND revoked_at IS NULL`, [accountId, now]);
}

export interface ActiveSession { token_hash: string; device: string | null; ip: string | null; country: string | null; last_seen_at: Date; created_at: Date }

/** The account's signed-in sessions, most recently seen first. */
export function activeSessions(db: Db, accountId: string, now: Date): Promise<ActiveSession[]> {
  return db.query<ActiveSession>(
    `SELECT token_hash, device, ip, country, last_seen_at, created_at FROM user_sessions
      WHERE account_id = $1 AND revoked_at IS NULL AND pending_2fa = false AND expires_at > $2 ORDER BY last_seen_at DESC`,
    [accountId, now],
  );
}
