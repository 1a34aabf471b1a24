import type { Queryable } from '../store/db.ts';

/** The SQL of the recovery after a takeover (recovery.ts, recovery-window.ts): kinkyu's own records only. */

export interface LockRow {
  id: string;
  lockedAt: Date;
  unlockedAt: Date | null;
}

export interface ApprovedUnlockRow {
  requestId: string;
  lockId: string;
  windowStartsAt: Date;
  windowEndsAt: Date;
  windowBasis: string;
  decidedAt: Date;
}

export interface EventRow {
  id: number;
  kind: string;
  at: Date;
  ip: string | null;
  country: string | null;
  device: string | null;
  data: Record<string, unknown>;
}

export interface WindowOverrideRow {
  startsAt: Date;
  reason: string;
  setBy: string;
  setByName: string | null;
  setAt: Date;
}

export interface KeepRow {
  /** `email`: the address given in the window stays (the unlock does not set it back); `itemId` names its change. */
  kind: 'withdrawal_address' | 'api_key' | 'email';
  itemId: string;
  reason: string;
  keptBy: string;
  keptByName: string | null;
}

export interface RemovalRow {
  /** `email`: the address was set back to the one before the window; `label` is the address replaced. */
  kind: 'withdrawal_address' | 'api_key' | 'session' | 'email';
  itemId: string;
  label: string;
  itemCreatedAt: Date | null;
  removedAt: Date;
  removedByType: 'staff' | 'user';
  atUnlock: boolean;
}

export interface SessionRow {
  id: string;
  createdAt: Date;
  ip: string | null;
  country: string | null;
  device: string | null;
  revokedAt: Date | null;
}

const date = (v: unknown) => new Date(v as string);
const dateOrNull = (v: unknown) => (v === null || v === undefined ? null : new Date(v as string));
const json = (v: unknown): Record<string, unknown> => (typeof v === 'string' ? (JSON.parse(v) as Record<string, unknown>) : ((v as Record<string, unknown>) ?? {}));

/** The oldest lock still open: the one the compromise window ends at (a second lock while locked changes nothing). */
export async function firstOpenLock(q: Queryable, accountId: string): Promise<LockRow | null> {
  const [row] = await q.query<{ id: string; locked_at: Date }>(
    `SELECT id, locked_at FROM account_locks WHERE account_id = $1 AND unlocked_at IS NULL ORDER BY locked_at ASC, id ASC LIMIT 1`,
    [accountId],
  );
  return row ? { id: row.id, lockedAt: date(row.locked_at), unlockedAt: null } : null;
}

export async function lockById(q: Queryable, lockId: string): Promise<LockRow | null> {
  const [row] = await q.query<{ id: string; locked_at: Date; unlocked_at: Date | null }>(`SELECT id, locked_at, unlocked_at FROM account_locks WHERE id = $1`, [lockId]);
  return row ? { id: row.id, lockedAt: date(row.locked_at), unlockedAt: dateOrNull(row.unlocked_at) } : null;
}

/** The newest approved unlock that recorded a window (older approvals, from before recovery existed, did not). */
export async function latestApprovedUnlock(q: Queryable, accountId: string): Promise<ApprovedUnlockRow | null> {
  const [row] = await q.query<{ id: string; lock_id: string; window_starts_at: Date; window_ends_at: Date; window_basis: string; decided_at: Date }>(
    `SELECT id, lock_id, window_starts_at, window_ends_at, window_basis, decided_at FROM unlock_requests
      WHERE account_id = $1 AND decision = 'approved' AND window_starts_at IS NOT NULL ORDER BY decided_at DESC LIMIT 1`,
    [accountId],
  );
  return row
    ? { requestId: row.id, lockId: row.lock_id, windowStartsAt: date(row.window_starts_at), windowEndsAt: date(row.window_ends_at), windowBasis: row.window_basis, decidedAt: date(row.decided_at) }
    : null;
}

export async function pendingUnlockRequest(q: Queryable, accountId: string): Promise<{ id: string; lockId: string; requestedBy: string } | null> {
  const [row] = await q.query<{ id: string; lock_id: string; requested_by: string }>(
    `SELECT id, lock_id, requested_by FROM unlock_requests WHERE account_id = $1 AND decision IS NULL ORDER BY requested_at DESC LIMIT 1`,
    [accountId],
  );
  return row ? { id: row.id, lockId: row.lock_id, requestedBy: row.requested_by } : null;
}

export async function recordUnlockWindow(tx: Queryable, requestId: string, w: { startsAt: Date; endsAt: Date; basis: string }): Promise<void> {
  await tx.query(`UPDATE unlock_requests SET window_starts_at = $2, window_ends_at = $3, window_basis = $4 WHERE id = $1`, [requestId, w.startsAt, w.endsAt, w.basis]);
}

// ---- the window's inputs

/**
 * The oldest event in [from, to] that may mark the start of a takeover: a sign-in from a device or country not
 * seen before (`newDevice`, as the sign-in recorded it), or any security change.
 */
export async function earliestSignalEvent(q: Queryable, accountId: string, from: Date, to: Date): Promise<EventRow | null> {
  const rows = await q.query(
    `SELECT id, kind, at, ip, country, device, data FROM account_events
      WHERE account_id = $1 AND at >= $2 AND at <= $3
        AND (kind IN ('password_changed','totp_enabled','totp_reset','passkey_added','passkey_removed','email_changed','withdrawal_address_added','emergency_contact_changed')
             OR (kind = 'sign_in' AND data->>'newDevice' = 'true'))
      ORDER BY at ASC, id ASC LIMIT 1`,
    [accountId, from, to],
  );
  return rows[0] ? toEvent(rows[0]) : null;
}

/** Detection's alerts about the account raised in [from, to], oldest first, with their evidence as stored. */
export async function alertsBetween(q: Queryable, accountId: string, from: Date, to: Date): Promise<Array<{ id: string; rules: string[]; createdAt: Date; evidence: Record<string, unknown> }>> {
  const rows = await q.query<{ id: string; rules: unknown; evidence: unknown; created_at: Date }>(
    `SELECT id, rules, evidence, created_at FROM security_alerts WHERE account_id = $1 AND created_at >= $2 AND created_at <= $3 ORDER BY created_at ASC LIMIT 200`,
    [accountId, from, to],
  );
  return rows.map((r) => ({ id: r.id, rules: (typeof r.rules === 'string' ? JSON.parse(r.rules) : r.rules) as string[], createdAt: date(r.created_at), evidence: json(r.evidence) }));
}

export async function eventsBetween(q: Queryable, accountId: string, kinds: readonly string[], from: Date, to: Date): Promise<EventRow[]> {
  const rows = await q.query(
    `SELECT id, kind, at, ip, country, device, data FROM account_events WHERE account_id = $1 AND kind = ANY($2::text[]) AND at >= $3 AND at <= $4 ORDER BY at ASC, id ASC LIMIT 500`,
    [accountId, [...kinds], from, to],
  );
  return rows.map(toEvent);
}

function toEvent(r: Record<string, unknown>): EventRow {
  return {
    id: Number(r.id), kind: r.kind as string, at: date(r.at), ip: (r.ip as string | null) ?? null,
    country: (r.country as string | null) ?? null, device: (r.device as string | null) ?? null, data: json(r.data),
  };
}

/** kinkyu's own web sessions of the account (the security center) created in [from, to]. */
export async function sessionsCreatedBetween(q: Queryable, accountId: string, from: Date, to: Date): Promise<SessionRow[]> {
  const rows = await q.query<{ token_hash: string; created_at: Date; ip: string | null; country: string | null; device: string | null; revoked_at: Date | null }>(
    `SELECT token_hash, created_at, ip, country, device, revoked_at FROM user_sessions
      WHERE account_id = $1 AND created_at >= $2 AND created_at <= $3 AND pending_2fa = false ORDER BY created_at ASC LIMIT 200`,
    [accountId, from, to],
  );
  return rows.map((r) => ({ id: r.token_hash, createdAt: date(r.created_at), ip: r.ip, country: r.country, device: r.device, revokedAt: dateOrNull(r.revoked_at) }));
}

export async function revokeSession(tx: Queryable, accountId: string, sessionId: string, at: Date): Promise<boolean> {
  const rows = await tx.query(`UPDATE user_sessions SET revoked_at = $3 WHERE account_id = $1 AND token_hash = $2 AND revoked_at IS NULL RETURNING 1`, [accountId, sessionId, at]);
  return rows.length > 0;
}

// ---- staff corrections and choices

export async function windowOverride(q: Queryable, lockId: string): Promise<WindowOverrideRow | null> {
  const [row] = await q.query<{ starts_at: Date; reason: string; set_by: string; name: string | null; set_at: Date }>(
    `SELECT w.starts_at, w.reason, w.set_by, s.name, w.set_at FROM recovery_windows w LEFT JOIN staff s ON s.id = w.set_by WHERE w.lock_id = $1`,
    [lockId],
  );
  return row ? { startsAt: date(row.starts_at), reason: row.reason, setBy: row.set_by, setByName: row.name, setAt: date(row.set_at) } : null;
}

export async function saveWindowOverride(tx: Queryable, w: { lockId: string; accountId: string; startsAt: Date; reason: string; setBy: string; setAt: Date }): Promise<void> {
  await tx.query(
    `INSERT INTO recovery_windows (lock_id, account_id, starts_at, reason, set_by, set_at) VALUES ($1,$2,$3,$4,$5,$6)
     ON CONFLICT (lock_id) DO UPDATE SET starts_at = EXCLUDED.starts_at, reason = EXCLUDED.reason, set_by = EXCLUDED.set_by, set_at = EXCLUDED.set_at`,
    [w.lockId, w.accountId, w.startsAt, w.reason, w.setBy, w.setAt],
  );
}

export async function keepsFor(q: Queryable, requestId: string): Promise<KeepRow[]> {
  const rows = await q.query<{ kind: KeepRow['kind']; item_id: string; reason: string; kept_by: string; name: string | null }>(
    `SELECT k.kind, k.item_id, k.reason, k.kept_by, s.name FROM recovery_keeps k LEFT JOIN staff s ON s.id = k.kept_by WHERE k.request_id = $1 ORDER BY k.kept_at, k.item_id`,
    [requestId],
  );
  return rows.map((r) => ({ kind: r.kind, itemId: r.item_id, reason: r.reason, keptBy: r.kept_by, keptByName: r.name }));
}

export async function insertKeep(tx: Queryable, k: { requestId: string; kind: KeepRow['kind']; itemId: string; reason: string; keptBy: string; at: Date }): Promise<void> {
  await tx.query(`INSERT INTO recovery_keeps (request_id, kind, item_id, reason, kept_by, kept_at) VALUES ($1,$2,$3,$4,$5,$6)`, [
    k.requestId, k.kind, k.itemId, k.reason, k.keptBy, k.at,
  ]);
}

export async function insertRemoval(
  tx: Queryable,
  r: { accountId: string; lockId: string; kind: RemovalRow['kind']; itemId: string; label: string; itemCreatedAt: Date | null; removedAt: Date; removedByType: 'staff' | 'user'; removedBy: string | null; requestId: string | null },
): Promise<void> {
  await tx.query(
    `INSERT INTO recovery_removals (account_id, lock_id, kind, item_id, label, item_created_at, removed_at, removed_by_type, removed_by, request_id)
     VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10)`,
    [r.accountId, r.lockId, r.kind, r.itemId, r.label, r.itemCreatedAt, r.removedAt, r.removedByType, r.removedBy, r.requestId],
  );
}

/** What recoveries removed from the account since `from` (a window's start), oldest first. */
export async function removalsSince(q: Queryable, accountId: string, from: Date): Promise<RemovalRow[]> {
  const rows = await q.query<{ kind: RemovalRow['kind']; item_id: string; label: string; item_created_at: Date | null; removed_at: Date; removed_by_type: 'staff' | 'user'; request_id: string | null }>(
    `SELECT kind, item_id, label, item_created_at, removed_at, removed_by_type, request_id FROM recovery_removals
      WHERE account_id = $1 AND removed_at >= $2 ORDER BY removed_at, id LIMIT 500`,
    [accountId, from],
  );
  return rows.map((r) => ({
    kind: r.kind, itemId: r.item_id, label: r.label, itemCreatedAt: dateOrNull(r.item_created_at), removedAt: date(r.removed_at),
    removedByType: r.removed_by_type, atUnlock: r.request_id !== null,
  }));
}

/** What the unlock of one request removed (recorded item by item, before the approval commits). */
export async function removalsForRequest(q: Queryable, requestId: string): Promise<RemovalRow[]> {
  const rows = await q.query<{ kind: RemovalRow['kind']; item_id: string; label: string; item_created_at: Date | null; removed_at: Date; removed_by_type: 'staff' | 'user' }>(
    `SELECT kind, item_id, label, item_created_at, removed_at, removed_by_type FROM recovery_removals WHERE request_id = $1 ORDER BY item_created_at, id`,
    [requestId],
  );
  return rows.map((r) => ({
    kind: r.kind, itemId: r.item_id, label: r.label, itemCreatedAt: dateOrNull(r.item_created_at), removedAt: date(r.removed_at), removedByType: r.removed_by_type, atUnlock: true,
  }));
}

// ---- for the unlock email

export async function staffRole(q: Queryable, staffId: string): Promise<string | null> {
  const [row] = await q.query<{ role: string }>(`SELECT role FROM staff WHERE id = $1`, [staffId]);
  return row?.role ?? null;
}

/** The user's language for security email, and whether kinkyu holds their credentials (the reset link needs them). */
export async function userMailSettings(q: Queryable, accountId: string): Promise<{ lang: 'ja' | 'en' } | null> {
  const [row] = await q.query<{ lang: string | null }>(`SELECT lang FROM user_credentials WHERE account_id = $1`, [accountId]);
  return row ? { lang: row.lang === 'en' ? 'en' : 'ja' } : null;
}

/** The account an unlock request is for, or null. */
export async function unlockRequestAccount(q: Queryable, requestId: string): Promise<string | null> {
  const [row] = await q.query<{ account_id: string }>(`SELECT account_id FROM unlock_requests WHERE id = $1`, [requestId]);
  return row?.account_id ?? null;
}
