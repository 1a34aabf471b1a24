import type { Db, Queryable } from '../store/db.ts';
import { newId } from '../store/ids.ts';
import { appendAudit } from '../audit/audit-log.ts';
import type { Actor } from '../domain/actor.ts';
import { KinkyuError } from '../domain/errors.ts';
import { sha256Hex } from '../domain/secrets.ts';
import { generateTotpSecret, matchTotpStep } from '../security-center/totp.ts';
import { generateRecoveryCodes, normaliseRecoveryCode } from '../domain/recovery-codes.ts';

/**
 * Staff second factors (issue 16). Every staff member enrols one before anything else: an authenticator app
 * (TOTP, RFC 6238 through src/security-center/totp.ts) or a passkey (src/staff/passkey-*.ts). A factor row has a
 * kind, and everything here that is not about TOTP itself (having a factor, listing, resetting) reads every kind.
 * Recovery codes are the way in when the phone is lost: ten, shown once, hashed, each used once.
 */
export const FACTOR_KINDS = ['totp', 'passkey'] as const;
export type FactorKind = (typeof FACTOR_KINDS)[number];

/** How a session passed its factor (kept on the session and in the audit log). */
export type FactorMethod = 'totp' | 'passkey' | 'recovery_code' | 'oidc';

export interface StaffFactor {
  id: string;
  kind: FactorKind;
  createdAt: Date;
  lastUsedAt: Date | null;
  /** A passkey's name (null for the authenticator app). */
  name: string | null;
  /** When a passkey was turned off (its signature counter went backwards). */
  disabledAt: Date | null;
}


export async function listFactors(q: Queryable, staffId: string): Promise<StaffFactor[]> {
  const rows = await q.query<{ id: string; kind: FactorKind; created_at: Date; last_used_at: Date | null; name: string | null; disabled_at: Date | null }>(
    'SELECT id, kind, created_at, last_used_at, name, disabled_at FROM staff_factors WHERE staff_id = $1 ORDER BY created_at, id',
    [staffId],
  );
  const date = (d: Date | null) => (d ? new Date(d) : null);
  return rows.map((r) => ({ id: r.id, kind: r.kind, createdAt: new Date(r.created_at), lastUsedAt: date(r.last_used_at), name: r.name, disabledAt: date(r.disabled_at) }));
}

export async function hasFactor(q: Queryable, staffId: string): Promise<boolean> {
  return (await q.query('SELECT 1 FROM staff_factors WHERE staff_id = $1 LIMIT 1', [staffId])).length > 0;
}

export async function unusedRecoveryCodes(q: Queryable, staffId: string): Promise<number> {
  const [row] = await q.query<{ n: number }>('SELECT count(*)::int AS n FROM staff_recovery_codes WHERE staff_id = $1 AND used_at IS NULL', [staffId]);
  return row?.n ?? 0;
}

/** Ten codes "xxxx-xxxx-xxxx" (~60 bits each) replacing any earlier ones; only their hashes are stored. */
export async function newRecoveryCodes(q: Queryable, staffId: string, now: Date): Promise<string[]> {
  const codes = generateRecoveryCodes();
  await q.query('DELETE FROM staff_recovery_codes WHERE staff_id = $1', [staffId]);
  for (const code of codes) {
    await q.query('INSERT INTO staff_recovery_codes (staff_id, code_hash, created_at) VALUES ($1, $2, $3)', [staffId, sha256Hex(code), now]);
  }
  return codes;
}


/**
 * Adds an authenticator app. `lastStep` is the step of the code that confirmed it (that code is then spent);
 * null only when a secret is provisioned without a code (test fixtures).
 */
export async function addTotpFactor(q: Queryable, staffId: string, secret: string, now: Date, lastStep: number | null): Promise<string> {
  const id = newId();
  const rows = await q.query(
    `INSERT INTO staff_factors (id, staff_id, kind, created_at, totp_secret, totp_last_step) VALUES ($1, $2, 'totp', $3, $4, $5)
     ON CONFLICT (staff_id) WHERE kind = 'totp' DO NOTHING RETURNING 1`,
    [id, staffId, now, secret, lastStep],
  );
  if (!rows.length) throw new KinkyuError('CONFLICT', { rule: 'factor_exists' });
  return id;
}

/** The secret being enrolled on this session: the one shown before, or a new one. */
export async function pendingTotpSecret(db: Db, sessionHash: string): Promise<string> {
  const [row] = await db.query<{ pending_totp_secret: string | null }>('SELECT pending_totp_secret FROM staff_sessions WHERE token_hash = $1', [sessionHash]);
  if (row?.pending_totp_secret) return row.pending_totp_secret;
  const secret = generateTotpSecret();
  // Two tabs at once: the first secret written wins, and both show it.
  const [kept] = await db.query<{ pending_totp_secret: string }>(
    `UPDATE staff_sessions SET pending_totp_secret = COALESCE(pending_totp_secret, $2) WHERE token_hash = $1 RETURNING pending_totp_secret`,
    [sessionHash, secret],
  );
  return kept?.pending_totp_secret ?? secret;
}

/**
 * Confirms the enrolment with a code from the new secret: adds the factor, spends that code's step, makes the
 * recovery codes (returned once) and audits it, in one transaction. null: the code does not match.
 */
export async function confirmTotpEnrolment(
  db: Db,
  actor: Actor & { id: string },
  sessionHash: string,
  code: unknown,
  now: Date,
): Promise<{ recoveryCodes: string[] } | null> {
  const [row] = await db.query<{ pending_totp_secret: string | null }>('SELECT pending_totp_secret FROM staff_sessions WHERE token_hash = $1', [sessionHash]);
  const secret = row?.pending_totp_secret;
  if (!secret) return null;
  const step = matchTotpStep(secret, code, now);
  if (step === null) return null;
  return db.transaction(async (tx) => {
    await addTotpFactor(tx, actor.id, secret, now, step);
    const recoveryCodes = await newRecoveryCodes(tx, actor.id, now);
    await tx.query('UPDATE staff_sessions SET pending_totp_secret = NULL WHERE staff_id = $1', [actor.id]);
    await appendAudit(tx, { actorType: 'staff', actorId: actor.id, ip: actor.ip ?? null, action: 'staff.factor_enrol', targetType: 'staff', targetId: actor.id, data: { kind: 'totp' } }, now);
    return { recoveryCodes };
  });
}

export type FactorCheck = { ok: true; method: 'totp' | 'recovery_code' } | { ok: false; rule: 'code' | 'code_used' | 'recovery' };

/**
 * Checks a code from the authenticator app (a time step at most once: a code seen over a shoulder or phished is
 * useless once used) or, when `recovery` is given, a recovery code (each once). Spends what it accepts.
 */
export async function checkFactor(q: Queryable, staffId: string, input: { code?: unknown; recovery?: unknown }, now: Date): Promise<FactorCheck> {
  if (typeof input.recovery === 'string' && input.recovery.trim()) {
    const code = normaliseRecoveryCode(input.recovery);
    if (!code) return { ok: false, rule: 'recovery' };
    const used = await q.query(
      'UPDATE staff_recovery_codes SET used_at = $3 WHERE staff_id = $1 AND code_hash = $2 AND used_at IS NULL RETURNING 1',
      [staffId, sha256Hex(code), now],
    );
    return used.length ? { ok: true, method: 'recovery_code' } : { ok: false, rule: 'recovery' };
  }
  const [factor] = await q.query<{ id: string; totp_secret: string }>(`SELECT id, totp_secret FROM staff_factors WHERE staff_id = $1 AND kind = 'totp'`, [staffId]);
  if (!factor) return { ok: false, rule: 'code' };
  const step = matchTotpStep(factor.totp_secret, input.code, now);
  if (step === null) return { ok: false, rule: 'code' };
  const spent = await q.query(
    `UPDATE staff_factors SET totp_last_step = $2, last_used_at = $3 WHERE id = $1 AND (totp_last_step IS NULL OR totp_last_step < $2) RETURNING 1`,
    [factor.id, step, now],
  );
  return spent.length ? { ok: true, method: 'totp' } : { ok: false, rule: 'code_used' };
}

/** New recovery codes for oneself (the old ones stop working), audited; returned once. */
export async function regenerateRecoveryCodes(db: Db, actor: Actor & { id: string }, now: Date): Promise<string[]> {
  return db.transaction(async (tx) => {
    const codes = await newRecoveryCodes(tx, actor.id, now);
    await appendAudit(tx, { actorType: 'staff', actorId: actor.id, ip: actor.ip ?? null, action: 'staff.recovery_codes', targetType: 'staff', targetId: actor.id }, now);
    return codes;
  });
}

// ---------------------------------------------------------------------------------------------------------
// Four eyes: one admin asks for another member's factors to be reset, a different admin approves.

/** How long a reset request waits for its approval. */
export const RESET_REQUEST_HOURS = 24;
const ID = /^[a-z0-9]{1,64}$/;

export interface FactorResetRequest {
  id: string;
  staffId: string;
  staffName: string;
  staffEmail: string;
  requestedBy: string;
  requestedByName: string;
  requestedAt: Date;
  expiresAt: Date;
  reason: string;
}

/** Requests still waiting (not approved, cancelled or expired), oldest first. */
export async function openFactorResets(q: Queryable, now: Date): Promise<FactorResetRequest[]> {
  const rows = await q.query<{
    id: string; staff_id: string; staff_name: string; staff_email: string; requested_by: string; requested_by_name: string;
    requested_at: Date; expires_at: Date; reason: string;
  }>(
    `SELECT r.id, r.staff_id, t.name AS staff_name, t.email AS staff_email, r.requested_by, q.name AS requested_by_name,
            r.requested_at, r.expires_at, r.reason
     FROM staff_factor_resets r JOIN staff t ON t.id = r.staff_id JOIN staff q ON q.id = r.requested_by
     WHERE r.approved_at IS NULL AND r.cancelled_at IS NULL AND r.expires_at > $1
     ORDER BY r.requested_at, r.id`,
    [now],
  );
  return rows.map((r) => ({
    id: r.id, staffId: r.staff_id, staffName: r.staff_name, staffEmail: r.staff_email, requestedBy: r.requested_by,
    requestedByName: r.requested_by_name, requestedAt: new Date(r.requested_at), expiresAt: new Date(r.expires_at), reason: r.reason,
  }));
}

const staffAudit = (actor: Actor) => ({ actorType: actor.type, actorId: actor.id, ip: actor.ip ?? null, targetType: 'staff' });

/** Asks for a member's factors to be reset. Not one's own; one open request per member. */
export async function requestFactorReset(db: Db, actor: Actor & { id: string }, staffId: unknown, reasonInput: unknown, now: Date): Promise<{ requestId: string }> {
  if (typeof staffId !== 'string' || !ID.test(staffId)) throw new KinkyuError('NOT_FOUND', { what: 'staff', rule: 'staff' });
  const reason = typeof reasonInput === 'string' ? reasonInput.trim() : '';
  if (!reason) throw new KinkyuError('VALIDATION', { field: 'reason', rule: 'required' });
  if (reason.length > 500) throw new KinkyuError('VALIDATION', { field: 'reason', rule: 'max', max: '500' });
  if (staffId === actor.id) throw new KinkyuError('FORBIDDEN', { rule: 'factor_reset_own' });
  const id = newId();
  await db.transaction(async (tx) => {
    const [target] = await tx.query<{ id: string }>('SELECT id FROM staff WHERE id = $1 FOR UPDATE', [staffId]);
    if (!target) throw new KinkyuError('NOT_FOUND', { what: 'staff', rule: 'staff' });
    // An expired request no longer blocks a new one.
    await tx.query('UPDATE staff_factor_resets SET cancelled_at = $2 WHERE staff_id = $1 AND approved_at IS NULL AND cancelled_at IS NULL AND expires_at <= $2', [staffId, now]);
    const [open] = await tx.query('SELECT 1 FROM staff_factor_resets WHERE staff_id = $1 AND approved_at IS NULL AND cancelled_at IS NULL', [staffId]);
    if (open) throw new KinkyuError('CONFLICT', { rule: 'factor_reset_open' });
    await tx.query(
      `INSERT INTO staff_factor_resets (id, staff_id, requested_by, requested_at, expires_at, reason) VALUES ($1, $2, $3, $4, $5, $6)`,
      [id, staffId, actor.id, now, new Date(now.getTime() + RESET_REQUEST_HOURS * 3_600_000), reason],
    );
    await appendAudit(tx, { ...staffAudit(actor), action: 'staff.factor_reset_request', targetId: staffId, data: { requestId: id, reason } }, now);
  });
  return { requestId: id };
}

interface ResetRow { id: string; staff_id: string; requested_by: string; expires_at: Date; approved_at: Date | null; cancelled_at: Date | null }

async function lockReset(tx: Queryable, requestId: unknown): Promise<ResetRow> {
  if (typeof requestId !== 'string' || !ID.test(requestId)) throw new KinkyuError('NOT_FOUND', { what: 'factor_reset', rule: 'factor_reset' });
  const [row] = await tx.query<ResetRow>('SELECT id, staff_id, requested_by, expires_at, approved_at, cancelled_at FROM staff_factor_resets WHERE id = $1 FOR UPDATE', [requestId]);
  if (!row) throw new KinkyuError('NOT_FOUND', { what: 'factor_reset', rule: 'factor_reset' });
  if (row.approved_at || row.cancelled_at) throw new KinkyuError('CONFLICT', { rule: 'factor_reset_closed' });
  return row;
}

/**
 * Approves a reset asked for by another admin: the member's factors, recovery codes and sessions are removed in
 * one transaction, so their next sign-in (password) leads to a new enrolment. The requester cannot approve.
 */
export async function approveFactorReset(db: Db, actor: Actor & { id: string }, requestId: unknown, now: Date): Promise<{ staffId: string; factorsRemoved: number; sessionsRevoked: number }> {
  return db.transaction(async (tx) => {
    const row = await lockReset(tx, requestId);
    if (row.requested_by === actor.id) throw new KinkyuError('FORBIDDEN', { rule: 'four_eyes_self' });
    if (row.staff_id === actor.id) throw new KinkyuError('FORBIDDEN', { rule: 'factor_reset_own' });
    if (new Date(row.expires_at).getTime() <= now.getTime()) throw new KinkyuError('CONFLICT', { rule: 'factor_reset_expired' });
    await tx.query('SELECT id FROM staff WHERE id = $1 FOR UPDATE', [row.staff_id]);
    const factorsRemoved = (await tx.query('DELETE FROM staff_factors WHERE staff_id = $1 RETURNING 1', [row.staff_id])).length;
    await tx.query('DELETE FROM staff_recovery_codes WHERE staff_id = $1', [row.staff_id]);
    const sessionsRevoked = (await tx.query('DELETE FROM staff_sessions WHERE staff_id = $1 RETURNING 1', [row.staff_id])).length;
    await tx.query('UPDATE staff_factor_resets SET approved_by = $2, approved_at = $3 WHERE id = $1', [row.id, actor.id, now]);
    await appendAudit(tx, {
      ...staffAudit(actor), action: 'staff.factor_reset_approve', targetId: row.staff_id,
      data: { requestId: row.id, requestedBy: row.requested_by, factorsRemoved, sessionsRevoked },
    }, now);
    return { staffId: row.staff_id, factorsRemoved, sessionsRevoked };
  });
}

/** Withdraws a waiting request (any admin, the requester included), audited. */
export async function cancelFactorReset(db: Db, actor: Actor & { id: string }, requestId: unknown, now: Date): Promise<{ staffId: string }> {
  return db.transaction(async (tx) => {
    const row = await lockReset(tx, requestId);
    await tx.query('UPDATE staff_factor_resets SET cancelled_by = $2, cancelled_at = $3 WHERE id = $1', [row.id, actor.id, now]);
    await appendAudit(tx, { ...staffAudit(actor), action: 'staff.factor_reset_cancel', targetId: row.staff_id, data: { requestId: row.id } }, now);
    return { staffId: row.staff_id };
  });
}

/** Per member: which factors they have (the team page), and their OpenID Connect subject. */
export async function factorOverview(q: Queryable): Promise<Map<string, { kinds: FactorKind[]; oidcSubject: string | null }>> {
  const rows = await q.query<{ id: string; kinds: FactorKind[] | null; oidc_subject: string | null }>(
    `SELECT s.id, s.oidc_subject, (SELECT array_agg(DISTINCT f.kind ORDER BY f.kind) FROM staff_factors f WHERE f.staff_id = s.id) AS kinds FROM staff s`,
  );
  return new Map(rows.map((r) => [r.id, { kinds: r.kinds ?? [], oidcSubject: r.oidc_subject }]));
}
