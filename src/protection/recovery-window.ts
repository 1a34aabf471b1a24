import type { Db, Queryable } from '../store/db.ts';
import type { Actor } from '../domain/actor.ts';
import { KinkyuError } from '../domain/errors.ts';
import { zoneOffsetMs } from '../domain/uptime.ts';
import { appendAudit } from '../audit/audit-log.ts';
import { alertsBetween, earliestSignalEvent, firstOpenLock, saveWindowOverride, windowOverride, type LockRow } from './recovery-repository.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/**
 * How far before the lock detection's signals are looked for. A takeover may sit quiet for days (a new-device
 * sign-in on Monday, the withdrawal address on Thursday); a month back would sweep in the owner's own changes.
 * Staff widen the window by hand when the owner's account of events says so.
 */
export const WINDOW_LOOKBACK_MS = 7 * DAY;
/**
 * The start when nothing suspicious is on record: 24 h before the lock. Every new-device sign-in and every
 * security change mails the owner a lock link at once and holds withdrawals for 24 h (WITHDRAWAL_HOLD_HOURS), so
 * an owner who locks without any recorded signal most likely reacts to something within that day.
 */
export const DEFAULT_WINDOW_MS = 24 * HOUR;
/**
 * A window that starts at a recorded event starts this much earlier: an action is recorded just after it is done
 * (the session before its sign-in event, the address before its event), and must fall inside the window.
 */
export const SIGNAL_MARGIN_MS = 60_000;
/** Staff may move the start at most this far before the lock. */
export const MAX_WINDOW_MS = 90 * DAY;

export type WindowBasis = 'alert' | 'new_device_sign_in' | 'security_change' | 'default' | 'staff';

export interface WindowStart {
  startsAt: Date;
  basis: WindowBasis;
  /** The alert's rules, the event's kind, or staff's reason. */
  detail: string;
}

/** From when an account must be taken to have been in someone else's hands, until its lock ends. */
export interface CompromiseWindow {
  accountId: string;
  lockId: string;
  lockedAt: Date;
  startsAt: Date;
  /** The unlock; null while the account is still locked (the window runs up to now). */
  endsAt: Date | null;
  basis: WindowBasis;
  detail: string;
  /** What detection and the account's events suggest (the window itself unless staff moved it). */
  suggested: WindowStart;
  adjustment: { reason: string; by: string; byName: string | null; at: Date } | null;
}

interface AlertEvidence {
  findings?: Array<{ rule?: string; events?: number[] }>;
  events?: Array<{ id: number; at: string }>;
  lastEventAt?: string;
}

/**
 * When an alert says the trouble began: the first event of each finding, except impossible travel, whose first
 * event is the owner's own earlier sign-in (the second one is the suspicious one).
 */
export function alertStart(evidence: AlertEvidence): Date | null {
  const at = new Map((evidence.events ?? []).map((e) => [e.id, new Date(e.at)]));
  let earliest: Date | null = null;
  for (const f of evidence.findings ?? []) {
    const times = (f.events ?? []).map((id) => at.get(id)).filter((d): d is Date => !!d && !Number.isNaN(d.getTime()));
    if (!times.length) continue;
    const t = f.rule === 'impossible_travel' ? new Date(Math.max(...times.map(Number))) : new Date(Math.min(...times.map(Number)));
    if (!earliest || t < earliest) earliest = t;
  }
  if (earliest) return earliest;
  const last = evidence.lastEventAt ? new Date(evidence.lastEventAt) : null;
  return last && !Number.isNaN(last.getTime()) ? last : null;
}

/** The earliest suspicious signal in the week before the lock (less the margin); 24 h before it when there is none. */
export async function suggestWindowStart(q: Queryable, accountId: string, lockedAt: Date): Promise<WindowStart> {
  const from = new Date(lockedAt.getTime() - WINDOW_LOOKBACK_MS);
  const candidates: WindowStart[] = [];
  for (const alert of await alertsBetween(q, accountId, from, lockedAt)) {
    const start = alertStart(alert.evidence as AlertEvidence) ?? alert.createdAt;
    candidates.push({ startsAt: start < from ? from : start, basis: 'alert', detail: alert.rules.join(', ') });
  }
  const event = await earliestSignalEvent(q, accountId, from, lockedAt);
  if (event) candidates.push({ startsAt: event.at, basis: event.kind === 'sign_in' ? 'new_device_sign_in' : 'security_change', detail: event.kind });
  if (!candidates.length) return { startsAt: new Date(lockedAt.getTime() - DEFAULT_WINDOW_MS), basis: 'default', detail: '' };
  const first = candidates.reduce((a, b) => (b.startsAt < a.startsAt ? b : a));
  return { ...first, startsAt: new Date(first.startsAt.getTime() - SIGNAL_MARGIN_MS) };
}

async function windowOf(q: Queryable, accountId: string, lock: LockRow): Promise<CompromiseWindow> {
  const suggested = await suggestWindowStart(q, accountId, lock.lockedAt);
  const override = await windowOverride(q, lock.id);
  const chosen: WindowStart = override ? { startsAt: override.startsAt, basis: 'staff', detail: override.reason } : suggested;
  return {
    accountId, lockId: lock.id, lockedAt: lock.lockedAt, startsAt: chosen.startsAt, endsAt: lock.unlockedAt, basis: chosen.basis, detail: chosen.detail, suggested,
    adjustment: override ? { reason: override.reason, by: override.setBy, byName: override.setByName, at: override.setAt } : null,
  };
}

/** The compromise window of the account's open lock, or null when it is not locked. */
export async function openWindow(q: Queryable, accountId: string): Promise<CompromiseWindow | null> {
  const lock = await firstOpenLock(q, accountId);
  return lock ? windowOf(q, accountId, lock) : null;
}

/** A datetime-local value ("2026-03-10T09:30") is wall-clock time in `timeZone`; a full ISO time passes through. */
export function parseStaffTime(value: unknown, timeZone: string): Date | null {
  if (typeof value !== 'string') return null;
  const v = value.trim();
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$/.test(v)) {
    const asUtc = new Date(`${v}Z`);
    return Number.isNaN(asUtc.getTime()) ? null : new Date(asUtc.getTime() - zoneOffsetMs(asUtc, timeZone));
  }
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/.test(v)) {
    const d = new Date(v);
    return Number.isNaN(d.getTime()) ? null : d;
  }
  return null;
}

/**
 * Staff move the start of the open lock's window (e.g. the owner tells of a phishing mail two days before the
 * first alert). Audited with the old and new start and the reason; refused, changing nothing, when the time is
 * not a time, not before the lock, more than 90 days before it, or the reason is missing.
 */
export async function adjustWindow(db: Db, actor: Actor, accountId: string, input: { startsAt: unknown; reason: unknown }, opts: { timeZone: string; clock: () => Date }): Promise<CompromiseWindow> {
  if (actor.type !== 'staff' || !actor.id) throw new KinkyuError('FORBIDDEN');
  const startsAt = parseStaffTime(input.startsAt, opts.timeZone);
  if (!startsAt) throw new KinkyuError('VALIDATION', { field: 'windowStart', rule: 'date' });
  const reason = typeof input.reason === 'string' ? input.reason.trim() : '';
  if (!reason) throw new KinkyuError('VALIDATION', { field: 'windowReason', rule: 'required' });
  if (reason.length > 500) throw new KinkyuError('VALIDATION', { field: 'windowReason', rule: 'max', max: '500' });
  return db.transaction(async (tx) => {
    const lock = await firstOpenLock(tx, accountId);
    if (!lock) throw new KinkyuError('CONFLICT', { rule: 'not_locked' });
    if (startsAt >= lock.lockedAt) throw new KinkyuError('VALIDATION', { field: 'windowStart', rule: 'window_after_lock' });
    if (lock.lockedAt.getTime() - startsAt.getTime() > MAX_WINDOW_MS) throw new KinkyuError('VALIDATION', { field: 'windowStart', rule: 'window_too_early' });
    const before = await windowOf(tx, accountId, lock);
    await saveWindowOverride(tx, { lockId: lock.id, accountId, startsAt, reason, setBy: actor.id!, setAt: opts.clock() });
    await appendAudit(tx, {
      actorType: 'staff', actorId: actor.id, ip: actor.ip ?? null, action: 'account.recovery_window_adjust', targetType: 'account', targetId: accountId,
      data: { lockId: lock.id, from: before.startsAt.toISOString(), to: startsAt.toISOString(), suggested: before.suggested.startsAt.toISOString(), reason },
    }, opts.clock());
    return windowOf(tx, accountId, lock);
  });
}
