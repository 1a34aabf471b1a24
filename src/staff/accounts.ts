import { createHash, randomBytes } from 'node:crypto';
import { hash as argon2Hash, verify as argon2Verify } from '@node-rs/argon2';
import type { Db, Queryable } from '../store/db.ts';
import { newId } from '../store/ids.ts';
import { appendAudit } from '../audit/audit-log.ts';
import type { Actor } from '../domain/actor.ts';
import { KinkyuError } from '../domain/errors.ts';
import { requireText } from '../domain/text.ts';
import { isRole, type Role } from './permissions.ts';

export interface StaffPrincipal {
  id: string;
  email: string;
  name: string;
  role: Role;
  csrfToken: string;
  sessionHash: string;
}

/** argon2id with OWASP's second recommended setting (19 MiB, 2 passes): strong, and fast enough for sign-in. */
const ARGON2 = { algorithm: 2, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;
const MIN_PASSWORD = 12;

// Verified against when the email is unknown, so an unknown address costs as much time as a wrong password.
let dummyHash: Promise<string> | null = null;
const getDummyHash = () => (dummyHash ??= argon2Hash(randomBytes(16).toString('hex'), ARGON2));

export const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');

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
      if (existing.length) throw new KinkyuError('CONFLICT', { field: 'email' });
      await tx.query('INSERT INTO staff (id, email, name, role, password_hash) VALUES ($1,$2,$3,$4,$5)', [id, email, name, role, passwordHash]);
      await appendAudit(tx, { actorType: actor.type, actorId: actor.id, ip: actor.ip ?? null, action: 'staff.create', targetType: 'staff', targetId: id, data: { email, name, role } });
    })
    .catch((err: unknown) => {
      // Two creations of the same address at once: the unique index decides, the loser hears "conflict".
      if ((err as { code?: string })?.code === '23505') throw new KinkyuError('CONFLICT', { field: 'email' });
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
  meta: { ip: string; userAgent: string; hours: number },
): Promise<{ token: string; csrfToken: string }> {
  const token = randomBytes(32).toString('base64url');
  const csrfToken = randomBytes(24).toString('base64url');
  await db.transaction(async (tx) => {
    await tx.query(
      `INSERT INTO staff_sessions (token_hash, staff_id, csrf_token, expires_at, ip, user_agent)
       VALUES ($1,$2,$3, now() + make_interval(hours => $4), $5, $6)`,
      [sha256(token), staffId, csrfToken, meta.hours, meta.ip, meta.userAgent.slice(0, 300)],
    );
    await tx.query('DELETE FROM staff_sessions WHERE expires_at < now()');
    await appendAudit(tx, { actorType: 'staff', actorId: staffId, ip: meta.ip, action: 'staff.sign_in', targetType: 'staff', targetId: staffId });
  });
  return { token, csrfToken };
}

export async function findSession(db: Db, token: string): Promise<StaffPrincipal | null> {
  if (token.length < 20 || token.length > 100) return null;
  const hash = sha256(token);
  const [row] = await db.query<{ id: string; email: string; name: string; role: Role; csrf_token: string; stale: boolean }>(
    `SELECT s.id, s.email, s.name, s.role, ss.csrf_token, ss.last_seen_at < now() - interval '1 minute' AS stale
     FROM staff_sessions ss JOIN staff s ON s.id = ss.staff_id
     WHERE ss.token_hash = $1 AND ss.expires_at > now() AND s.disabled_at IS NULL`,
    [hash],
  );
  if (!row) return null;
  if (row.stale) await db.query('UPDATE staff_sessions SET last_seen_at = now() WHERE token_hash = $1', [hash]);
  return { id: row.id, email: row.email, name: row.name, role: row.role, csrfToken: row.csrf_token, sessionHash: hash };
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
