/** The SQL of the security center's credentials (`user_credentials`) and what it reads beside them. */
import type { Db, Queryable } from '../store/db.ts';

export async function credentialLang(db: Db, accountId: string): Promise<string | null> {
  const [row] = await db.query<{ lang: string }>(`SELECT lang FROM user_credentials WHERE account_id = $1`, [accountId]);
  return row?.lang ?? null;
}

export async function hasCredentials(db: Db, accountId: string): Promise<boolean> {
  const [row] = await db.query(`SELECT 1 FROM user_credentials WHERE account_id = $1`, [accountId]);
  return row !== undefined;
}

export async function setCredentialLang(db: Db, accountId: string, lang: string): Promise<void> {
  await db.query(`UPDATE user_credentials SET lang = $2 WHERE account_id = $1`, [accountId, lang]);
}

export interface SignInCredential { account_id: string; password_hash: string; totp_enabled_at: Date | null; locked_at: Date | null; has_passkey: boolean }

/** What the password step needs; locked when the exchange says so (`exchangeLocked`) or a lock record is open. */
export async function signInCredential(db: Db, accountId: string, exchangeLocked: boolean): Promise<SignInCredential | null> {
  const [row] = await db.query<SignInCredential>(
    `SELECT c.account_id, c.password_hash, c.totp_enabled_at,
            EXISTS (SELECT 1 FROM user_passkeys p WHERE p.account_id = c.account_id AND p.disabled_at IS NULL) AS has_passkey,
            CASE WHEN $2::boolean OR EXISTS (SELECT 1 FROM account_locks l WHERE l.account_id = c.account_id AND l.unlocked_at IS NULL) THEN now() END AS locked_at
       FROM user_credentials c WHERE c.account_id = $1`,
    [accountId, exchangeLocked],
  );
  return row ?? null;
}

export async function passwordHashOf(db: Db, accountId: string): Promise<string | null> {
  const [row] = await db.query<{ password_hash: string }>(`SELECT password_hash FROM user_credentials WHERE account_id = $1`, [accountId]);
  return row?.password_hash ?? null;
}

export async function totpOf(db: Db, accountId: string): Promise<{ enabled: boolean; secret: string | null; pending: string | null }> {
  const [row] = await db.query<{ totp_enabled_at: Date | null; totp_secret: string | null; totp_pending_secret: string | null }>(
    `SELECT totp_enabled_at, totp_secret, totp_pending_secret FROM user_credentials WHERE account_id = $1`,
    [accountId],
  );
  return { enabled: !!row?.totp_enabled_at, secret: row?.totp_secret ?? null, pending: row?.totp_pending_secret ?? null };
}

export async function setPendingTotpSecret(db: Db, accountId: string, secret: string): Promise<void> {
  await db.query(`UPDATE user_credentials SET totp_pending_secret = $2 WHERE account_id = $1`, [accountId, secret]);
}

/** The pending secret becomes the account's authenticator (and any re-enrolment after an unlock is done). */
export async function enableTotp(q: Queryable, accountId: string, secret: string, step: number, now: Date): Promise<void> {
  await q.query(
    `UPDATE user_credentials SET totp_secret = $2, totp_enabled_at = $3, totp_last_step = $4, totp_pending_secret = NULL, must_reenrol_2fa = false WHERE account_id = $1`,
    [accountId, secret, now, step],
  );
}

/** A new password; `must_reenrol_2fa` as it stands (set only by a staff unlock). */
export async function setPasswordHash(q: Queryable, accountId: string, hash: string, now: Date): Promise<{ mustReenrol2fa: boolean }> {
  const [row] = await q.query<{ must_reenrol_2fa: boolean }>(
    `UPDATE user_credentials SET password_hash = $2, password_changed_at = $3, must_reset_password = false WHERE account_id = $1 RETURNING must_reenrol_2fa`,
    [accountId, hash, now],
  );
  return { mustReenrol2fa: row?.must_reenrol_2fa === true };
}

export interface PreparednessRow {
  password_changed_at: Date; totp_enabled_at: Date | null; emergency_contact: string | null; emergency_contact_verified_at: Date | null;
  recovery_codes_saved_at: Date | null; allowlist_enabled: boolean; declarations: Record<string, boolean> | string; passkeys: number;
}

export async function preparednessRow(db: Db, accountId: string): Promise<PreparednessRow | null> {
  const [row] = await db.query<PreparednessRow>(
    `SELECT *, (SELECT count(*)::int FROM user_passkeys p WHERE p.account_id = c.account_id AND p.disabled_at IS NULL) AS passkeys
       FROM user_credentials c WHERE account_id = $1`,
    [accountId],
  );
  return row ?? null;
}

export async function declare(q: Queryable, accountId: string, item: string): Promise<void> {
  await q.query(`UPDATE user_credentials SET declarations = declarations || $2::jsonb WHERE account_id = $1`, [accountId, JSON.stringify({ [item]: true })]);
}

export async function enableAllowlist(q: Queryable, accountId: string): Promise<void> {
  await q.query(`UPDATE user_credentials SET allowlist_enabled = true WHERE account_id = $1`, [accountId]);
}

export async function allowlistEnabled(db: Db, accountId: string): Promise<boolean> {
  const [row] = await db.query<{ allowlist_enabled: boolean }>(`SELECT allowlist_enabled FROM user_credentials WHERE account_id = $1`, [accountId]);
  return row?.allowlist_enabled === true;
}

export async function setEmergencyContact(q: Queryable, accountId: string, contact: string, codeHash: string, expires: Date): Promise<void> {
  await q.query(
    `UPDATE user_credentials SET emergency_contact = $2, emergency_contact_verified_at = NULL, emergency_contact_code_hash = $3, emergency_contact_code_expires_at = $4 WHERE account_id = $1`,
    [accountId, contact, codeHash, expires],
  );
}

/** Marks the contact verified when the code's hash matches and has not expired; whether it did. */
export async function verifyEmergencyContact(q: Queryable, accountId: string, codeHash: string, now: Date): Promise<boolean> {
  const rows = await q.query(
    `UPDATE user_credentials SET emergency_contact_verified_at = $3, emergency_contact_code_hash = NULL
      WHERE account_id = $1 AND emergency_contact_code_hash = $2 AND emergency_contact_code_expires_at > $3 RETURNING emergency_contact`,
    [accountId, codeHash, now],
  );
  return rows.length > 0;
}

/** Something since `since` that says the account was in the wrong hands: a lock (even lifted), or a new password. */
export async function compromisedSince(db: Db, accountId: string, since: Date): Promise<boolean> {
  const [locked] = await db.query(`SELECT 1 FROM account_locks WHERE account_id = $1 AND (unlocked_at IS NULL OR locked_at >= $2) LIMIT 1`, [accountId, since]);
  if (locked) return true;
  const [newPassword] = await db.query(`SELECT 1 FROM user_credentials WHERE account_id = $1 AND password_changed_at > $2`, [accountId, since]);
  return newPassword !== undefined;
}

/** For a passkey sign-in: a forced reset pending, and whether a lock record is open. */
export async function recoveryState(db: Db, accountId: string): Promise<{ mustReset: boolean; openLock: boolean } | null> {
  const [row] = await db.query<{ must_reset_password: boolean; must_reenrol_2fa: boolean; open_lock: boolean }>(
    `SELECT must_reset_password, must_reenrol_2fa,
            EXISTS (SELECT 1 FROM account_locks l WHERE l.account_id = c.account_id AND l.unlocked_at IS NULL) AS open_lock
       FROM user_credentials c WHERE c.account_id = $1`,
    [accountId],
  );
  return row ? { mustReset: row.must_reset_password || row.must_reenrol_2fa, openLock: row.open_lock } : null;
}

/** In a recovery after a staff unlock (a forced new password or 2FA pending). */
export async function inRecovery(db: Db, accountId: string): Promise<boolean> {
  const [row] = await db.query(`SELECT 1 FROM user_credentials WHERE account_id = $1 AND (must_reset_password OR must_reenrol_2fa)`, [accountId]);
  return row !== undefined;
}

/** Whether the account signed in before from this device and country. */
export async function signedInBeforeFrom(db: Db, accountId: string, device: string, country: string | null): Promise<boolean> {
  const [row] = await db.query(
    `SELECT 1 FROM account_events WHERE account_id = $1 AND kind = 'sign_in' AND device IS NOT DISTINCT FROM $2 AND country IS NOT DISTINCT FROM $3 LIMIT 1`,
    [accountId, device, country],
  );
  return row !== undefined;
}

export interface SignInHistoryRow { kind: string; at: Date; ip: string | null; country: string | null; device: string | null }

export function signInHistory(db: Db, accountId: string): Promise<SignInHistoryRow[]> {
  return db.query<SignInHistoryRow>(
    `SELECT kind, at, ip, country, device FROM account_events WHERE account_id = $1 AND kind IN ('sign_in','sign_in_failed') ORDER BY at DESC, id DESC LIMIT 20`,
    [accountId],
  );
}

/** The account of a live one-time link (`password_reset_tokens` or `email_change_tokens`). */
export async function linkAccount(db: Db, table: 'password_reset_tokens' | 'email_change_tokens', tokenHash: string, now: Date): Promise<string | null> {
  const [row] = await db.query<{ account_id: string }>(`SELECT account_id FROM ${table} WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2`, [tokenHash, now]);
  return row?.account_id ?? null;
}

/** Uses a password reset link up; false when it was used or expired meanwhile. */
export async function claimResetToken(q: Queryable, tokenHash: string, now: Date): Promise<boolean> {
  const [row] = await q.query(`UPDATE password_reset_tokens SET used_at = $2 WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2 RETURNING 1`, [tokenHash, now]);
  return row !== undefined;
}
