/**
 * The settings lock (issue 16, point 4; Kraken's Global Settings Lock): the user freezes their security settings —
 * password, email address, 2FA and recovery codes, passkeys, new withdrawal addresses, emergency contact, the
 * anti-phishing code — for 1–30 days. While it holds, those changes are refused with the date it ends, in the
 * reader's language and the exchange's time zone. Lifting it early takes a waiting period (SETTINGS_LOCK_LIFT_HOURS,
 * default 72 h), announced by mail with a one-time lock link; the user can cancel the lift meanwhile.
 *
 * What always stays available: the emergency lock (all three ways), signing out, signing other devices out,
 * withdrawals to addresses already registered (one to a new address is refused: it would register the address). A recovery after a staff unlock (identity checked, four eyes: the
 * forced new password and 2FA) is never blocked, so a lock set by an intruder cannot keep the owner out.
 *
 * The lock is a row in `settings_locks`; whether it holds is computed from the application's clock each time
 * (until, and the early lift's time), so it survives restarts and needs no timer.
 *
 * The refusal is one preHandler hook over the routes in FROZEN_ROUTES (and any POST under /account/passkeys), in
 * front of the security center's own hook and handlers (settings-lock-routes.ts): the changes need not know of the lock.
 */
import { KinkyuError } from '../domain/errors.ts';
import type { Db, Queryable } from '../store/db.ts';

export const SETTINGS_LOCK_MIN_DAYS = 1;
export const SETTINGS_LOCK_MAX_DAYS = 30;
const DAY_MS = 86_400_000;

/** A settings lock that holds now. */
export interface SettingsLockState {
  lockedAt: Date;
  until: Date;
  /** An early lift asked for: when, and when it takes effect (then the lock ends, if `until` has not come first). */
  liftRequestedAt: Date | null;
  liftAt: Date | null;
  /** When the lock stops holding: the earlier of `until` and `liftAt`. */
  endsAt: Date;
}

interface Row {
  locked_at: Date | string;
  locked_until: Date | string;
  lift_requested_at: Date | string | null;
  lift_at: Date | string | null;
}

const dateOrNull = (v: Date | string | null) => (v === null ? null : new Date(v));

function toState(row: Row): SettingsLockState {
  const until = new Date(row.locked_until);
  const liftAt = dateOrNull(row.lift_at);
  return {
    lockedAt: new Date(row.locked_at),
    until,
    liftRequestedAt: dateOrNull(row.lift_requested_at),
    liftAt,
    endsAt: liftAt && liftAt < until ? liftAt : until,
  };
}

/** The number of days from a form: a whole number from 1 to 30, or VALIDATION. */
export function parseLockDays(value: unknown): number {
  const text = typeof value === 'string' ? value.trim() : typeof value === 'number' ? String(value) : '';
  const days = /^\d{1,3}$/.test(text) ? Number(text) : NaN;
  if (!Number.isInteger(days) || days < SETTINGS_LOCK_MIN_DAYS || days > SETTINGS_LOCK_MAX_DAYS) {
    throw new KinkyuError('VALIDATION', { field: 'settingsLockDays', rule: 'settings_lock_days' });
  }
  return days;
}

export class SettingsLocks {
  constructor(
    private readonly db: Db,
    private readonly clock: () => Date,
    /** The early lift's waiting period. */
    readonly liftHours: number,
  ) {}

  /** The lock holding now on the account, or null. `forUpdate` inside a transaction keeps others waiting. */
  async state(accountId: string, q: Queryable = this.db, forUpdate = false): Promise<SettingsLockState | null> {
    const [row] = await q.query<Row>(
      `SELECT locked_at, locked_until, lift_requested_at, lift_at FROM settings_locks
        WHERE account_id = $1 AND locked_until > $2 AND (lift_at IS NULL OR lift_at > $2)${forUpdate ? ' FOR UPDATE' : ''}`,
      [accountId, this.clock()],
    );
    return row ? toState(row) : null;
  }

  /**
   * Locks for `days` from now, or extends a lock that holds (which also cancels an early lift asked for: the user
   * wants it). A holding lock is never shortened this way (CONFLICT settings_lock_shorter).
   */
  async lock(q: Queryable, accountId: string, days: number): Promise<SettingsLockState> {
    const now = this.clock();
    const until = new Date(now.getTime() + days * DAY_MS);
    const current = await this.state(accountId, q, true);
    if (current && until < current.until) throw new KinkyuError('CONFLICT', { rule: 'settings_lock_shorter' });
    const [row] = await q.query<Row>(
      `INSERT INTO settings_locks (account_id, locked_at, locked_until) VALUES ($1, $2, $3)
       ON CONFLICT (account_id) DO UPDATE
         SET locked_at = CASE WHEN $4::boolean THEN settings_locks.locked_at ELSE EXCLUDED.locked_at END,
             locked_until = EXCLUDED.locked_until, lift_requested_at = NULL, lift_at = NULL
       RETURNING locked_at, locked_until, lift_requested_at, lift_at`,
      [accountId, now, until, current !== null],
    );
    return toState(row!);
  }

  /**
   * Asks for the early lift: it takes effect after the waiting period. `requested: false` when one was already
   * asked for (nothing changes, no second mail). CONFLICT when no lock holds, or it ends before the wait would.
   */
  async requestLift(q: Queryable, accountId: string): Promise<{ state: SettingsLockState; requested: boolean }> {
    const now = this.clock();
    const current = await this.state(accountId, q, true);
    if (!current) throw new KinkyuError('CONFLICT', { rule: 'settings_lock_off' });
    if (current.liftAt) return { state: current, requested: false };
    const liftAt = new Date(now.getTime() + this.liftHours * 3_600_000);
    if (current.until <= liftAt) throw new KinkyuError('CONFLICT', { rule: 'settings_lock_ends_sooner' });
    const [row] = await q.query<Row>(
      `UPDATE settings_locks SET lift_requested_at = $2, lift_at = $3 WHERE account_id = $1
       RETURNING locked_at, locked_until, lift_requested_at, lift_at`,
      [accountId, now, liftAt],
    );
    return { state: toState(row!), requested: true };
  }

  /** Cancels an early lift asked for; false when there was none (or no lock holds). */
  async keep(q: Queryable, accountId: string): Promise<boolean> {
    const current = await this.state(accountId, q, true);
    if (!current?.liftAt) return false;
    await q.query(`UPDATE settings_locks SET lift_requested_at = NULL, lift_at = NULL WHERE account_id = $1`, [accountId]);
    return true;
  }
}

/** Whose settings a frozen route would change: the signed-in session's account, or the account of a mailed link. */
export type AccountFrom = 'session' | 'reset_link' | 'email_change_link';

/**
 * The changes a settings lock refuses, by route. Kept next to the guard; a test checks every one is a real route,
 * so a renamed route cannot quietly escape the lock. Any POST under /account/passkeys is frozen too. A withdrawal
 * is refused only to an address not registered yet (the reference exchange registers it on the first attempt).
 */
export const FROZEN_ROUTES: ReadonlyArray<{ method: 'GET' | 'POST'; url: string; from: AccountFrom; onlyNewAddress?: true }> = [
  { method: 'POST', url: '/account/withdrawals', from: 'session', onlyNewAddress: true },
  { method: 'POST', url: '/account/password', from: 'session' },
  { method: 'POST', url: '/account/2fa', from: 'session' },
  { method: 'POST', url: '/account/recovery-codes', from: 'session' },
  { method: 'POST', url: '/account/email', from: 'session' },
  { method: 'GET', url: '/account/email/confirm/:token', from: 'email_change_link' },
  { method: 'POST', url: '/account/email/confirm/:token', from: 'email_change_link' },
  { method: 'GET', url: '/account/forgot/:token', from: 'reset_link' },
  { method: 'POST', url: '/account/forgot/:token', from: 'reset_link' },
  { method: 'POST', url: '/account/addresses', from: 'session' },
  { method: 'POST', url: '/account/contact', from: 'session' },
  { method: 'POST', url: '/account/contact/verify', from: 'session' },
  { method: 'POST', url: '/account/anti-phishing', from: 'session' },
  { method: 'POST', url: '/account/anti-phishing/remove', from: 'session' },
];
const PASSKEYS = '/account/passkeys';

export function frozenRoute(method: string, url: string | undefined): (typeof FROZEN_ROUTES)[number] | null {
  if (!url) return null;
  const found = FROZEN_ROUTES.find((r) => r.method === method && r.url === url);
  if (found) return found;
  return method === 'POST' && (url === PASSKEYS || url.startsWith(`${PASSKEYS}/`)) ? { method: 'POST', url, from: 'session' } : null;
}
