import { randomBytes } from 'node:crypto';
import type { Queryable } from '../store/db.ts';
import { newId } from '../store/ids.ts';
import type { RegisteredCredential, StoredCredential } from '../webauthn/ceremony.ts';

/**
 * Staff passkeys: staff_factors rows of kind 'passkey' (migration 041). Every lookup is by the member as well as
 * the credential id, and only in staff_factors: a user's passkey (user_passkeys) is never found here, nor a
 * member's passkey by the security center.
 */
export interface StaffPasskey extends StoredCredential {
  id: string;
  staffId: string;
  name: string;
  createdAt: Date;
  lastUsedAt: Date | null;
  disabled: boolean;
}

interface Row {
  id: string;
  staff_id: string;
  credential_id: string;
  public_key: string;
  sign_counter: string | number;
  transports: string[] | string | null;
  name: string;
  created_at: Date;
  last_used_at: Date | null;
  disabled_at: Date | null;
}

const COLUMNS = 'f.id, f.staff_id, f.credential_id, f.public_key, f.sign_counter, f.transports, f.name, f.created_at, f.last_used_at, f.disabled_at';

const toPasskey = (r: Row): StaffPasskey => ({
  id: r.id,
  staffId: r.staff_id,
  credentialId: r.credential_id,
  publicKey: r.public_key,
  counter: Number(r.sign_counter),
  transports: typeof r.transports === 'string' ? (JSON.parse(r.transports) as string[]) : (r.transports ?? []),
  name: r.name,
  createdAt: new Date(r.created_at),
  lastUsedAt: r.last_used_at ? new Date(r.last_used_at) : null,
  disabled: r.disabled_at !== null,
});

/** The member's passkeys, oldest first; `usable`: only those not turned off. */
export async function listStaffPasskeys(q: Queryable, staffId: string, opts: { usable?: boolean } = {}): Promise<StaffPasskey[]> {
  const rows = await q.query<Row>(
    `SELECT ${COLUMNS} FROM staff_factors f WHERE f.staff_id = $1 AND f.kind = 'passkey' ${opts.usable ? 'AND f.disabled_at IS NULL' : ''} ORDER BY f.created_at, f.id`,
    [staffId],
  );
  return rows.map(toPasskey);
}

/** Whether the member has the authenticator app among their factors. */
export async function hasTotp(q: Queryable, staffId: string): Promise<boolean> {
  return (await q.query(`SELECT 1 FROM staff_factors WHERE staff_id = $1 AND kind = 'totp'`, [staffId])).length > 0;
}

/**
 * The member's passkey an authenticator answered with; null when the credential is not theirs (another member's,
 * a user's, a removed one) or the user handle it returned is not the member's.
 */
export async function findStaffPasskey(q: Queryable, staffId: string, credentialId: string, userHandle: string | null): Promise<StaffPasskey | null> {
  const [row] = await q.query<Row & { webauthn_user_id: string | null }>(
    `SELECT ${COLUMNS}, s.webauthn_user_id FROM staff_factors f JOIN staff s ON s.id = f.staff_id
      WHERE f.credential_id = $1 AND f.staff_id = $2 AND f.kind = 'passkey'`,
    [credentialId, staffId],
  );
  if (!row) return null;
  if (userHandle !== null && row.webauthn_user_id !== userHandle) return null;
  return toPasskey(row);
}

/** The member's WebAuthn user handle: 32 random bytes, made once and kept (never the staff id or email). */
export async function staffUserHandle(q: Queryable, staffId: string): Promise<string> {
  const [row] = await q.query<{ webauthn_user_id: string }>(
    `UPDATE staff SET webauthn_user_id = coalesce(webauthn_user_id, $2) WHERE id = $1 RETURNING webauthn_user_id`,
    [staffId, randomBytes(32).toString('base64url')],
  );
  if (!row) throw new Error(`no staff member ${staffId}`);
  return row.webauthn_user_id;
}

/** Adds a passkey factor; throws the unique violation (23505) when this credential is registered already. */
export async function insertStaffPasskey(q: Queryable, staffId: string, name: string, c: RegisteredCredential, at: Date): Promise<string> {
  const id = newId();
  await q.query(
    `INSERT INTO staff_factors (id, staff_id, kind, created_at, name, credential_id, public_key, sign_counter, transports, device_type, backed_up)
     VALUES ($1, $2, 'passkey', $3, $4, $5, $6, $7, $8::jsonb, $9, $10)`,
    [id, staffId, at, name, c.credentialId, c.publicKey, c.counter, JSON.stringify(c.transports), c.deviceType, c.backedUp],
  );
  return id;
}

/**
 * A use with a verified signature: the counter moves to `counter` only if that is still above the stored one (or
 * both are 0: an authenticator without a counter), compare-and-set. False: it did not go up (a copy answered in
 * between), or the passkey was removed or turned off meanwhile.
 */
export async function recordStaffPasskeyUse(q: Queryable, factorId: string, counter: number, at: Date): Promise<boolean> {
  const rows = await q.query(
    `UPDATE staff_factors SET sign_counter = $2, last_used_at = $3
      WHERE id = $1 AND kind = 'passkey' AND disabled_at IS NULL AND (sign_counter < $2 OR (sign_counter = 0 AND $2 = 0)) RETURNING 1`,
    [factorId, counter, at],
  );
  return rows.length === 1;
}

export async function storedCounter(q: Queryable, factorId: string): Promise<number | null> {
  const [row] = await q.query<{ sign_counter: string }>(`SELECT sign_counter FROM staff_factors WHERE id = $1`, [factorId]);
  return row ? Number(row.sign_counter) : null;
}

/** A copied authenticator answered: the passkey is turned off (kept, so the member and the audit show it). */
export async function disableStaffPasskey(q: Queryable, factorId: string, reason: string, at: Date): Promise<void> {
  await q.query(
    `UPDATE staff_factors SET disabled_at = coalesce(disabled_at, $2), disabled_reason = coalesce(disabled_reason, $3) WHERE id = $1 AND kind = 'passkey'`,
    [factorId, at, reason],
  );
}

/**
 * Removes one of the member's passkeys: its name; null when it is not theirs (or gone); 'last' when it is the
 * last factor still usable (the member would be left with recovery codes only). A turned-off one can always go.
 */
export async function deleteStaffPasskey(q: Queryable, staffId: string, factorId: string): Promise<string | 'last' | null> {
  await q.query('SELECT id FROM staff WHERE id = $1 FOR UPDATE', [staffId]);
  const [row] = await q.query<{ name: string; disabled: boolean; others: number }>(
    `SELECT f.name, f.disabled_at IS NOT NULL AS disabled,
            (SELECT count(*)::int FROM staff_factors o WHERE o.staff_id = f.staff_id AND o.id <> f.id AND o.disabled_at IS NULL) AS others
       FROM staff_factors f WHERE f.id = $1 AND f.staff_id = $2 AND f.kind = 'passkey'`,
    [factorId, staffId],
  );
  if (!row) return null;
  if (!row.disabled && row.others === 0) return 'last';
  await q.query(`DELETE FROM staff_factors WHERE id = $1 AND staff_id = $2 AND kind = 'passkey'`, [factorId, staffId]);
  return row.name;
}
