import { randomBytes } from 'node:crypto';
import { hash as argon2Hash, verify as argon2Verify } from '@node-rs/argon2';
import type { Db, Queryable } from '../store/db.ts';
import { newId } from '../store/ids.ts';
import { appendAudit } from '../audit/audit-log.ts';
import type { Actor } from '../domain/actor.ts';
import { KinkyuError } from '../domain/errors.ts';
import { requireText } from '../domain/text.ts';
import { isRole, type Role } from './permissions.ts';
import { sha256Hex } from '../domain/secrets.ts';

export interface StaffPrincipal {
  id: string;
  email: string;
  name: string;
  role: Role;
  csrfToken: string;
  sessionHash: string;
  /** When this session last passed a second factor; null: the password only (the factor step or enrolment is next). */
  factorAt: Date | null;
  /** How it passed it: 'totp', 'recovery_code', 'oidc'. */
  authMethod: string | null;
  /** Whether the member has enrolled a factor at all (without one, only the enrolment is open). */
  hasFactor: boolean;
}

/** A session that has passed the password but not the factor lives this long. */
export const PENDING_SESSION_MINUTES = 15;

/** argon2id with OWASP's second recommended setting (19 MiB, 2 passes): strong, and fast enough for sign-in. */
const ARGON2 = { algorithm: 2, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;
const MIN_PASSWORD = 12;

// Verified against when the email is unknown, so an unknown address costs as much time as a wrong password.
let dummyHash: Promise<string> | null = null;
const getDummyHash = () => (dummyHash ??= argon2Hash(randomBytes(16).toString('hex'), ARGON2));


/**
 * The key an address is rate-limited under: the same normalisation sign-in applies, so padding, case or
 * Unicode variants of one address share one budget. Never throws.
 */
export function emailKey(value: unknown): string {
  return typeof value === 'string' ? value.normalize('NFC').replace(/[\u0000-\u001F\u007F\s]/g, '').toLowerCase().slice(0, 254) : '';
}

function normalizeEmail(value: unknown): string {
  const email = requireText(value, 'email', 254).toLowerCase();
  if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email)) throw new KinkyuError('VALIDATION', { field: 'email', rule: 'email' });
  return email;
}

export async function createStaff(
  db: Db,
  actor: Actor,
  input: { email: unknown; name: unknown; role: unknown; password: unknown },
): Promise<{ id: string }> {
  const email = normalizeEmail(input.email);
  const name = requireText(input.name, 'name', 100);
  if (!isRole(input.role)) throw new KinkyuError('VALIDATION', { field: 'role', rule: 'role' });
  const role = input.role;
  if (typeof input.password !== 'string' || input.password.length < MIN_PASSWORD || input.password.length > 1024) {
    throw new KinkyuError('VALIDATION', { field: 'password', rule: 'password' });
  }
  const passwordHash = await argon2Hash(input.password, ARGON2);
  const id = newId();
  await db
    .transaction(async (tx) => {
      const existing = await tx.query('SELECT 1 FROM staff WHERE lower(email) = $1', [email]);
      if (existing.length) throw new KinkyuError('CONFLICT', { field: 'email', rule: 'duplicate_email' });
      await tx.query('INSERT INTO staff (id, email, name, role, password_hash) VALUES ($1,$2,$3,$4,$5)', [id, email, name, role, passwordHash]);
      await appendAudit(tx, { actorType: actor.type, actorId: actor.id, ip: actor.ip ?? null, action: 'staff.create', targetType: 'staff', targetId: id, data: { email, name, role } });
    })
    .catch((err: unknown) => {
      // Two creations of the same address at once: the unique index decides, the loser hears "conflict".
      if ((err as { code?: string })?.code === '23505') throw new KinkyuError('CONFLICT', { field: 'email', rule: 'duplicate_email' });
      throw err;
    });
  return { id };
}

export async function countStaff(q: Queryable): Promise<number> {
  const [row] = await q.query<{ n: number }>('SELECT count(*)::int AS n FROM staff');
  return row?.n ?? 0;
}

/** Checks a password; the same work and the same answer whether or not the address exists. */
export async function authenticate(db: Db, emailInput: unknown, password: unknown): Promise<{ id: string } | null> {
  let email: string;
  try {
    email = normalizeEmail(emailInput);
  } catch {
    await argon2Verify(await getDummyHash(), 'x').catch(() => false);
    return null;
  }
  const pw = typeof password === 'string' ? password.slice(0, 1024) : '';
  const [row] = await db.query<{ id: string; password_hash: string; disabled_at: Date | null }>(
    'SELECT id, password_hash, disabled_at FROM staff WHERE lower(email) = $1',
    [email],
  );
  const ok = await argon2Verify(row?.password_hash ?? (await getDummyHash()), pw).catch(() => false);
  if (!row || !ok || row.disabled_at) return null;
  return { id: row.id };
}

export async function createSession(
  db: Db,
  staffId: string,
  meta: { ip: string; userAgent: string; hours: number; factor?: { at: Date; method: string } },
): Promise<{ token: string; csrfToken: string }> {
  return db.transaction((tx) => insertSession(tx, staffId, meta));
}

/**
 * A new session. With `factor` it is complete (and audited as a sign-in); without, it has passed the password
 * only and lives PENDING_SESSION_MINUTES, opening nothing but the factor step, the enrolment and sign-out.
 */
async function insertSession(
  tx: Queryable,
  staffId: string,
  meta: { ip: string; userAgent: string; hours: number; factor?: { at: Date; method: string } },
): Promise<{ token: string; csrfToken: string }> {
  const token = randomBytes(32).toString('base64url');
  const csrfToken = randomBytes(24).toString('base64url');
  const minutes = meta.factor ? meta.hours * 60 : Math.min(PENDING_SESSION_MINUTES, meta.hours * 60);
  await tx.query(
    `INSERT INTO staff_sessions (token_hash, staff_id, csrf_token, expires_at, ip, user_agent, factor_at, auth_method)
     VALUES ($1,$2,$3, now() + make_interval(mins => $4), $5, $6, $7, $8)`,
    [sha256Hex(token), staffId, csrfToken, minutes, meta.ip, meta.userAgent.slice(0, 300), meta.factor?.at ?? null, meta.factor?.method ?? null],
  );
  await tx.query('DELETE FROM staff_sessions WHERE expires_at < now()');
  if (meta.factor) {
    await appendAudit(tx, {
      actorType: 'staff', actorId: staffId, ip: meta.ip, action: 'staff.sign_in', targetType: 'staff', targetId: staffId, data: { method: meta.factor.method },
    }, meta.factor.at);
  }
  return { token, csrfToken };
}

/**
 * The factor is passed on a password-only session: it is replaced by a new complete session (new token, new CSRF
 * token: nothing learnt about the first one opens the second), audited as the sign-in.
 */
export async function completeSignIn(
  db: Db,
  pending: StaffPrincipal,
  meta: { ip: string; userAgent: string; hours: number; factor: { at: Date; method: string } },
): Promise<{ token: string; csrfToken: string }> {
  return db.transaction(async (tx) => {
    const gone = await tx.query('DELETE FROM staff_sessions WHERE token_hash = $1 RETURNING 1', [pending.sessionHash]);
    if (!gone.length) throw new KinkyuError('UNAUTHENTICATED');
    return insertSession(tx, pending.id, meta);
  });
}

/** A factor was entered again on this session (a sensitive action): its freshness starts now. */
export async function markFactorFresh(q: Queryable, principal: StaffPrincipal, at: Date): Promise<void> {
  await q.query('UPDATE staff_sessions SET factor_at = $2 WHERE token_hash = $1', [principal.sessionHash, at]);
  principal.factorAt = at;
}

export async function findSession(db: Db, token: string): Promise<StaffPrincipal | null> {
  if (token.length < 20 || token.length > 100) return null;
  const hash = sha256Hex(token);
  const [row] = await db.query<{
    id: string; email: string; name: string; role: Role; csrf_token: string; stale: boolean;
    factor_at: Date | null; auth_method: string | null; has_factor: boolean;
  }>(
    `SELECT s.id, s.email, s.name, s.role, ss.csrf_token, ss.last_seen_at < now() - interval '1 minute' AS stale,
            ss.factor_at, ss.auth_method, EXISTS (SELECT 1 FROM staff_factors f WHERE f.staff_id = s.id) AS has_factor
     FROM staff_sessions ss JOIN staff s ON s.id = ss.staff_id
     WHERE ss.token_hash = $1 AND ss.expires_at > now() AND s.disabled_at IS NULL`,
    [hash],
  );
  if (!row) return null;
  if (row.stale) await db.query('UPDATE staff_sessions SET last_seen_at = now() WHERE token_hash = $1', [hash]);
  return {
    id: row.id, email: row.email, name: row.name, role: row.role, csrfToken: row.csrf_token, sessionHash: hash,
    factorAt: row.factor_at ? new Date(row.factor_at) : null, authMethod: row.auth_method, hasFactor: row.has_factor,
  };
}

export async function endSession(db: Db, principal: StaffPrincipal, ip: string): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.query('DELETE FROM staff_sessions WHERE token_hash = $1', [principal.sessionHash]);
    await appendAudit(tx, { actorType: 'staff', actorId: principal.id, ip, action: 'staff.sign_out', targetType: 'staff', targetId: principal.id });
  });
}

export function generatePassword(): string {
  return randomBytes(18).toString('base64url');
}

// ---------------------------------------------------------------------------------------------------------
// Staff management (admins): list, role, disable/enable, password reset.

export interface StaffMember {
  id: string;
  email: string;
  name: string;
  role: Role;
  createdAt: Date;
  disabledAt: Date | null;
  /** The last successful sign-in, from the audit log (sessions are deleted on sign-out). */
  lastSignInAt: Date | null;
  /** The last request made with one of their sessions still on record. */
  lastSeenAt: Date | null;
}

/** Every staff member, active ones first. */
export async function listStaff(q: Queryable): Promise<StaffMember[]> {
  const rows = await q.query<{
    id: string; email: string; name: string; role: Role; created_at: Date; disabled_at: Date | null;
    last_sign_in: Date | null; last_seen: Date | null;
  }>(
    `SELECT s.id, s.email, s.name, s.role, s.created_at, s.disabled_at, a.last_sign_in, ss.last_seen
     FROM staff s
     LEFT JOIN (SELECT staff_id, max(last_seen_at) AS last_seen FROM staff_sessions GROUP BY staff_id) ss ON ss.staff_id = s.id
     LEFT JOIN (SELECT actor_id, max(at) AS last_sign_in FROM audit_log
                WHERE action = 'staff.sign_in' AND actor_type = 'staff' GROUP BY actor_id) a ON a.actor_id = s.id
     ORDER BY s.disabled_at IS NOT NULL, s.created_at, s.id`,
  );
  const date = (d: Date | string | null) => (d === null ? null : new Date(d));
  return rows.map((r) => ({
    id: r.id, email: r.email, name: r.name, role: r.role,
    createdAt: new Date(r.created_at), disabledAt: date(r.disabled_at), lastSignInAt: date(r.last_sign_in), lastSeenAt: date(r.last_seen),
  }));
}

/** Any constant: staff changes that could leave no active admin run one at a time under this lock. */
const STAFF_LOCK = 7_301_946;
const STAFF_ID = /^[a-z0-9]{1,64}$/;

interface TargetRow { id: string; email: string; role: Role; disabled_at: Date | null }

/** Takes the staff lock and loads the member being changed; an unknown or malformed id is "not found". */
async function lockTarget(tx: Queryable, id: unknown): Promise<TargetRow> {
  if (typeof id !== 'string' || !STAFF_ID.test(id)) throw new KinkyuError('NOT_FOUND', { what: 'staff', rule: 'staff' });
  await tx.query('SELECT pg_advisory_xact_lock($1)', [STAFF_LOCK]);
  const [row] = await tx.query<TargetRow>('SELECT id, email, role, disabled_at FROM staff WHERE id = $1 FOR UPDATE', [id]);
  if (!row) throw new KinkyuError('NOT_FOUND', { what: 'staff', rule: 'staff' });
  return row;
}

/** There must always be one active admin: refuse a change that would take away the last one. */
async function assertAnotherActiveAdmin(tx: Queryable, target: TargetRow): Promise<void> {
  if (target.role !== 'admin' || target.disabled_at) return;
  const [row] = await tx.query<{ n: number }>(
    "SELECT count(*)::int AS n FROM staff WHERE role = 'admin' AND disabled_at IS NULL AND id <> $1",
    [target.id],
  );
  if (!row || row.n < 1) throw new KinkyuError('CONFLICT', { rule: 'last_admin' });
}

async function revokeSessions(tx: Queryable, staffId: string): Promise<number> {
  return (await tx.query('DELETE FROM staff_sessions WHERE staff_id = $1 RETURNING 1', [staffId])).length;
}

const auditOf = (actor: Actor) => ({ actorType: actor.type, actorId: actor.id, ip: actor.ip ?? null, targetType: 'staff' });

/** Changes a member's role; it applies from their next request (the role is read with the session). */
export async function changeStaffRole(db: Db, actor: Actor, id: unknown, roleInput: unknown): Promise<{ changed: boolean }> {
  if (!isRole(roleInput)) throw new KinkyuError('VALIDATION', { field: 'role', rule: 'role' });
  const role = roleInput;
  return db.transaction(async (tx) => {
    const target = await lockTarget(tx, id);
    if (target.role === role) return { changed: false };
    if (role !== 'admin') await assertAnotherActiveAdmin(tx, target);
    await tx.query('UPDATE staff SET role = $2 WHERE id = $1', [target.id, role]);
    await appendAudit(tx, { ...auditOf(actor), action: 'staff.role', targetId: target.id, data: { from: target.role, to: role } });
    return { changed: true };
  });
}

/** Disables a member and deletes all their sessions in the same transaction: they are signed out at once. */
export async function disableStaff(db: Db, actor: Actor, id: unknown): Promise<{ changed: boolean; sessionsRevoked: number }> {
  return db.transaction(async (tx) => {
    const target = await lockTarget(tx, id);
    if (target.disabled_at) return { changed: false, sessionsRevoked: 0 };
    await assertAnotherActiveAdmin(tx, target);
    await tx.query('UPDATE staff SET disabled_at = now() WHERE id = $1', [target.id]);
    const sessionsRevoked = await revokeSessions(tx, target.id);
    await appendAudit(tx, { ...auditOf(actor), action: 'staff.disable', targetId: target.id, data: { sessionsRevoked } });
    return { changed: true, sessionsRevoked };
  });
}

export async function enableStaff(db: Db, actor: Actor, id: unknown): Promise<{ changed: boolean }> {
  return db.transaction(async (tx) => {
    const target = await lockTarget(tx, id);
    if (!target.disabled_at) return { changed: false };
    await tx.query('UPDATE staff SET disabled_at = NULL WHERE id = $1', [target.id]);
    await appendAudit(tx, { ...auditOf(actor), action: 'staff.enable', targetId: target.id });
    return { changed: true };
  });
}

/**
 * Gives a member a new generated password and ends all their sessions. The password is returned once for
 * the admin to hand over; only its hash is stored, and it never reaches the audit log.
 */
export async function resetStaffPassword(db: Db, actor: Actor, id: unknown): Promise<{ password: string; sessionsRevoked: number }> {
  if (typeof id !== 'string' || !STAFF_ID.test(id)) throw new KinkyuError('NOT_FOUND', { what: 'staff', rule: 'staff' });
  const [exists] = await db.query('SELECT 1 FROM staff WHERE id = $1', [id]);
  if (!exists) throw new KinkyuError('NOT_FOUND', { what: 'staff', rule: 'staff' });
  const password = generatePassword();
  const passwordHash = await argon2Hash(password, ARGON2); // outside the transaction: hashing takes a while
  const sessionsRevoked = await db.transaction(async (tx) => {
    const target = await lockTarget(tx, id);
    await tx.query('UPDATE staff SET password_hash = $2 WHERE id = $1', [target.id, passwordHash]);
    const revoked = await revokeSessions(tx, target.id);
    await appendAudit(tx, { ...auditOf(actor), action: 'staff.password_reset', targetId: target.id, data: { sessionsRevoked: revoked } });
    return revoked;
  });
  return { password, sessionsRevoked };
}

/** Active staff as choices for an owner field (name order). */
export async function activeStaffChoices(q: Queryable): Promise<Array<{ id: string; name: string }>> {
  return q.query<{ id: string; name: string }>('SELECT id, name FROM staff WHERE disabled_at IS NULL ORDER BY name, id');
}

/** One member's name, email and role, or null. */
export async function staffSummary(q: Queryable, id: string): Promise<{ name: string; email: string; role: Role } | null> {
  const [row] = await q.query<{ name: string; email: string; role: Role }>('SELECT name, email, role FROM staff WHERE id = $1', [id]);
  return row ?? null;
}
