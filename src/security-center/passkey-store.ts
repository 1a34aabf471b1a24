import { randomBytes } from 'node:crypto';
import type { Queryable } from '../store/db.ts';
import { newId } from '../store/ids.ts';
import type { RegisteredCredential, StoredCredential } from '../webauthn/ceremony.ts';

/** A user's passkey as the security center lists and the ceremonies check it. */
export interface UserPasskey extends StoredCredential {
  id: string;
  accountId: string;
  name: string;
  createdAt: Date;
  lastUsedAt: Date | null;
  disabledAt: Date | null;
  disabled: boolean;
  /** The account's WebAuthn user handle (to compare with the one an authenticator returns). */
  userHandle: string | null;
}

interface Row {
  id: string;
  account_id: string;
  credential_id: string;
  public_key: string;
  counter: string | number;
  transports: string[] | string;
  name: string;
  created_at: Date;
  last_used_at: Date | null;
  disabled_at: Date | null;
  webauthn_user_id: string | null;
}

const COLUMNS = `p.id, p.account_id, p.credential_id, p.public_key, p.counter, p.transports, p.name, p.created_at, p.last_used_at, p.disabled_at, c.webauthn_user_id`;

const toPasskey = (r: Row): UserPasskey => ({
  id: r.id,
  accountId: r.account_id,
  credentialId: r.credential_id,
  publicKey: r.public_key,
  counter: Number(r.counter),
  transports: typeof r.transports === 'string' ? (JSON.parse(r.transports) as string[]) : r.transports,
  name: r.name,
  createdAt: new Date(r.created_at),
  lastUsedAt: r.last_used_at ? new Date(r.last_used_at) : null,
  disabledAt: r.disabled_at ? new Date(r.disabled_at) : null,
  disabled: r.disabled_at !== null,
  userHandle: r.webauthn_user_id,
});

/** The account's passkeys, oldest first (the order they were added in). */
export async function listPasskeys(q: Queryable, accountId: string): Promise<UserPasskey[]> {
  const rows = await q.query<Row>(
    `SELECT ${COLUMNS} FROM user_passkeys p LEFT JOIN user_credentials c ON c.account_id = p.account_id WHERE p.account_id = $1 ORDER BY p.created_at, p.id`,
    [accountId],
  );
  return rows.map(toPasskey);
}

/**
 * The passkey an authenticator answered with: by its credential id, for `accountId` only when given (a second
 * factor, a step-up), and — when the authenticator returned a user handle — only if it is this account's.
 */
export async function findPasskey(q: Queryable, credentialId: string, opts: { accountId: string | null; userHandle: string | null }): Promise<UserPasskey | null> {
  const [row] = await q.query<Row>(
    `SELECT ${COLUMNS} FROM user_passkeys p JOIN user_credentials c ON c.account_id = p.account_id
      WHERE p.credential_id = $1 AND ($2::text IS NULL OR p.account_id = $2)`,
    [credentialId, opts.accountId],
  );
  if (!row) return null;
  if (opts.userHandle !== null && row.webauthn_user_id !== opts.userHandle) return null;
  return toPasskey(row);
}

/** The account's WebAuthn user handle: 32 random bytes, made once and kept (never the account id or email). */
export async function userHandleOf(q: Queryable, accountId: string): Promise<string> {
  const [row] = await q.query<{ webauthn_user_id: string }>(
    `UPDATE user_credentials SET webauthn_user_id = coalesce(webauthn_user_id, $2) WHERE account_id = $1 RETURNING webauthn_user_id`,
    [accountId, randomBytes(32).toString('base64url')],
  );
  if (!row) throw new Error(`no credentials for account ${accountId}`);
  return row.webauthn_user_id;
}

export async function insertPasskey(q: Queryable, accountId: string, name: string, c: RegisteredCredential, at: Date): Promise<string> {
  const id = newId();
  await q.query(
    `INSERT INTO user_passkeys (id, account_id, credential_id, public_key, counter, transports, device_type, backed_up, name, created_at)
     VALUES ($1,$2,$3,$4,$5,$6::jsonb,$7,$8,$9,$10)`,
    [id, accountId, c.credentialId, c.publicKey, c.counter, JSON.stringify(c.transports), c.deviceType, c.backedUp, name, at],
  );
  return id;
}

/**
 * A use of the passkey with a verified signature: its counter moves to `counter` only if that is still above the
 * stored one (or both are 0: an authenticator without a counter), compare-and-set. False: the counter did not go
 * up (a copy of the authenticator answered in between), or the passkey was removed or turned off meanwhile.
 */
export async function recordPasskeyUse(q: Queryable, passkeyId: string, counter: number, at: Date): Promise<boolean> {
  const rows = await q.query(
    `UPDATE user_passkeys SET counter = $2, last_used_at = $3
      WHERE id = $1 AND disabled_at IS NULL AND (counter < $2 OR (counter = 0 AND $2 = 0)) RETURNING 1`,
    [passkeyId, counter, at],
  );
  return rows.length === 1;
}

/** A copied authenticator answered: the passkey is turned off (kept, so the user and staff see what happened). */
export async function disablePasskey(q: Queryable, passkeyId: string, reason: string, at: Date): Promise<void> {
  await q.query(`UPDATE user_passkeys SET disabled_at = coalesce(disabled_at, $2), disabled_reason = coalesce(disabled_reason, $3) WHERE id = $1`, [passkeyId, at, reason]);
}

/** Removes one of the account's passkeys; its name, or null when it was not the account's (or gone already). */
export async function deletePasskey(q: Queryable, accountId: string, passkeyId: string): Promise<string | null> {
  const [row] = await q.query<{ name: string }>(`DELETE FROM user_passkeys WHERE id = $1 AND account_id = $2 RETURNING name`, [passkeyId, accountId]);
  return row?.name ?? null;
}

/** The passkey's stored signature counter now, or null when it is gone. */
export async function passkeyCounter(q: Queryable, passkeyId: string): Promise<number | null> {
  const [row] = await q.query<{ counter: string }>(`SELECT counter FROM user_passkeys WHERE id = $1`, [passkeyId]);
  return row ? Number(row.counter) : null;
}
