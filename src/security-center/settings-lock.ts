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
 * front of the handlers in routes.ts: the changes themselves need not know of the lock.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../config.ts';
import { KinkyuError, isKinkyuError } from '../domain/errors.ts';
import { enqueueMail } from '../mail/outbox.ts';
import type { EmergencyLock } from '../protection/emergency-lock.ts';
import { sha256Hex } from '../domain/secrets.ts';
import type { Db, Queryable } from '../store/db.ts';
import { guardText, type GuardMessage } from '../web/anti-phishing.ts';
import { errorMessage } from '../web/errors.ts';
import { html, type SafeHtml } from '../web/html.ts';
import { formatDateTime, t, type Lang } from '../web/i18n.ts';
import { langHref } from '../web/links.ts';
import { requestLang } from '../web/request-lang.ts';
import { deviceOf } from './user-accounts.ts';
import type { UserCenter, UserSession } from './routes.ts';
import { settingsLockLiftMail } from './settings-lock-emails.ts';

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
type AccountFrom = 'session' | 'reset_link' | 'email_change_link';

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

function frozenRoute(method: string, url: string | undefined): (typeof FROZEN_ROUTES)[number] | null {
  if (!url) return null;
  const found = FROZEN_ROUTES.find((r) => r.method === method && r.url === url);
  if (found) return found;
  return method === 'POST' && (url === PASSKEYS || url.startsWith(`${PASSKEYS}/`)) ? { method: 'POST', url, from: 'session' } : null;
}

export interface SettingsLockRoutesOptions {
  db: Db;
  config: Config;
  locks: SettingsLocks;
  lock: Pick<EmergencyLock, 'issueLockLink'>;
  mailDomain: string;
  clock: () => Date;
}

const g = guardText;
const DONE = { on: 'sl.done.on', lift: 'sl.done.lift', keep: 'sl.done.keep', steppedUp: 'sl.done.steppedUp' } as const satisfies Record<string, GuardMessage>;
type Done = keyof typeof DONE;
const isDone = (v: unknown): v is Done => typeof v === 'string' && Object.hasOwn(DONE, v);

/** The settings lock's page and actions, its section in the security center, and the guard in front of every change it freezes. */
export function registerSettingsLock(app: FastifyInstance, center: UserCenter, opts: SettingsLockRoutesOptions): void {
  const { db, config, locks, clock } = opts;
  const when = (lang: Lang, d: Date) => formatDateTime(lang, d, config.timeZone);
  const exchangeName = (lang: Lang) => (lang === 'ja' ? config.exchangeNameJa : config.exchangeNameEn);

  // ---------------------------------------------------------------- the guard

  const reading = (sql: string) => async (token: unknown): Promise<string | null> => {
    if (typeof token !== 'string' || !/^[\w-]{40,64}$/.test(token)) return null;
    const [row] = await db.query<{ account_id: string }>(sql, [sha256Hex(token), clock()]);
    return row?.account_id ?? null;
  };
  const resetLinkAccount = reading(`SELECT account_id FROM password_reset_tokens WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2`);
  const emailLinkAccount = reading(`SELECT account_id FROM email_change_tokens WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2`);

  /** The account whose settings the request would change, unless it is in a recovery after a staff unlock. */
  async function accountOf(from: AccountFrom, request: FastifyRequest): Promise<{ accountId: string; signedIn: boolean } | null> {
    if (from === 'session') {
      const s = await center.session(request);
      if (!s || s.mustResetPassword || s.mustReenrol2fa) return null;
      return { accountId: s.accountId, signedIn: true };
    }
    const token = (request.params as Record<string, unknown> | undefined)?.token;
    const accountId = from === 'reset_link' ? await resetLinkAccount(token) : await emailLinkAccount(token);
    if (!accountId) return null;
    const [recovering] = await db.query(`SELECT 1 FROM user_credentials WHERE account_id = $1 AND (must_reset_password OR must_reenrol_2fa)`, [accountId]);
    return recovering ? null : { accountId, signedIn: false };
  }

  const refusal = (lang: Lang, state: SettingsLockState, signedIn: boolean) => html`<h1>${g(lang, 'sl.refusedTitle')}</h1>
<div class="error-box" role="alert"><p id="settings-lock-refused">${g(lang, 'sl.refused', { until: when(lang, state.until) })}</p>
${state.liftAt && state.liftAt < state.until ? html`<p>${g(lang, 'sl.refusedLift', { liftAt: when(lang, state.liftAt) })}</p>` : ''}</div>
<p>${g(lang, 'sl.refusedHow', { hours: locks.liftHours })}</p>
<p>${g(lang, 'sl.refusedStill')} <a href="${signedIn ? '/account/lock' : langHref(lang, '/help/lock')}">${t(lang, 'user.lock.button')}</a></p>
${signedIn ? html`<p><a href="/account/settings-lock">${g(lang, 'sl.manage')}</a></p><p><a href="/account">${t(lang, 'user.back')}</a></p>` : ''}`;

  /** A withdrawal to an address the account has not registered (the form's fields, read as the route reads them). */
  async function toNewAddress(request: FastifyRequest, accountId: string): Promise<boolean> {
    const body = (request.body ?? {}) as Record<string, unknown>;
    const field = (v: unknown, max: number) => (typeof v === 'string' ? v.slice(0, max).trim() : '');
    const [known] = await db.query(`SELECT 1 FROM xch_withdrawal_addresses WHERE account_id = $1 AND asset = $2 AND address = $3`, [
      accountId, field(body.asset, 10).toUpperCase(), field(body.address, 120),
    ]);
    return !known;
  }

  app.addHook('preHandler', async (request: FastifyRequest, reply: FastifyReply) => {
    const route = frozenRoute(request.method, request.routeOptions.url);
    if (!route) return;
    const target = await accountOf(route.from, request);
    if (!target) return;
    if (route.onlyNewAddress && !(await toNewAddress(request, target.accountId))) return;
    const state = await locks.state(target.accountId);
    if (!state) return;
    const lang = requestLang(request, reply);
    if (!target.signedIn) reply.header('referrer-policy', 'no-referrer');
    center.send(reply, lang, g(lang, 'sl.refusedTitle'), refusal(lang, state, target.signedIn), 403);
    return reply;
  });

  // ---------------------------------------------------------------- the page

  const page = (s: UserSession, lang: Lang, state: SettingsLockState | null, o: { done?: Done | null; error?: string | null } = {}) => {
    const daysField = (id: string, label: string, value: number) => html`<div><label for="${id}">${label}</label>
<input id="${id}" name="days" type="number" inputmode="numeric" min="${SETTINGS_LOCK_MIN_DAYS}" max="${SETTINGS_LOCK_MAX_DAYS}" step="1" value="${value}" required></div>`;
    const canLift = state && !state.liftAt && state.until.getTime() > clock().getTime() + locks.liftHours * 3_600_000;
    return html`<h1>${g(lang, 'sl.title')}</h1>
${o.done ? html`<p class="flash" role="status">${g(lang, DONE[o.done])}</p>` : ''}
${o.error ? html`<p class="error-box" role="alert">${o.error}</p>` : ''}
<p>${g(lang, 'sl.lead')}</p>
${state ? html`<div class="notice" role="status"><p id="settings-lock-state"><strong>${g(lang, 'sl.active', { until: when(lang, state.until) })}</strong></p>
${state.liftAt && state.liftRequestedAt ? html`<p id="settings-lock-lift">${g(lang, 'sl.liftPending', { requestedAt: when(lang, state.liftRequestedAt), liftAt: when(lang, state.liftAt) })}</p>
<p><a href="/account/lock">${t(lang, 'user.lock.button')}</a></p>` : ''}</div>` : ''}
<h2>${g(lang, 'sl.coversTitle')}</h2><p>${g(lang, 'sl.covers')}</p>
<h2>${g(lang, 'sl.staysTitle')}</h2><p>${g(lang, 'sl.stays')}</p>
${state?.liftAt ? html`<form method="post" action="/account/settings-lock/keep">${center.csrfField(s)}<button type="submit">${g(lang, 'sl.keep')}</button></form>` : ''}
${state
    ? html`<section aria-labelledby="sl-extend-h"><h2 id="sl-extend-h">${g(lang, 'sl.extendTitle')}</h2>
<form method="post" action="/account/settings-lock" class="stack">${center.csrfField(s)}${daysField('sl-days', g(lang, 'sl.extendDays'), SETTINGS_LOCK_MAX_DAYS)}
<button type="submit" class="secondary">${g(lang, 'sl.extend')}</button></form></section>
${canLift ? html`<section aria-labelledby="sl-lift-h"><h2 id="sl-lift-h">${g(lang, 'sl.liftTitle')}</h2>
<p>${g(lang, 'sl.liftLead', { hours: locks.liftHours })}</p>
<form method="post" action="/account/settings-lock/lift">${center.csrfField(s)}<button type="submit" class="secondary">${g(lang, 'sl.lift')}</button></form></section>` : ''}`
    : html`<form method="post" action="/account/settings-lock" class="stack">${center.csrfField(s)}${daysField('sl-days', g(lang, 'sl.days'), 7)}
<p class="hint">${g(lang, 'sl.liftLead', { hours: locks.liftHours })}</p>
<button type="submit">${g(lang, 'sl.submit')}</button></form>`}
<p><a href="/account">${t(lang, 'user.back')}</a></p>`;
  };

  const show = async (request: FastifyRequest, reply: FastifyReply, s: UserSession, o: { done?: Done | null; error?: string | null; status?: number } = {}) => {
    const lang = requestLang(request, reply);
    return center.send(reply, lang, g(lang, 'sl.title'), page(s, lang, await locks.state(s.accountId), o), o.status ?? 200);
  };

  app.get('/account/settings-lock', async (request, reply) => {
    const s = await center.requireUser(request, reply);
    if (!s) return reply;
    const done = (request.query as Record<string, unknown>).done;
    return show(request, reply, s, { done: isDone(done) ? done : null });
  });

  /** A refusal (bad days, a shorter lock, nothing to lift) re-renders the page with the message; nothing changed. */
  const orRefused = async (request: FastifyRequest, reply: FastifyReply, s: UserSession, lang: Lang, fn: () => Promise<unknown>) => {
    try {
      return await fn();
    } catch (err) {
      if (!isKinkyuError(err)) throw err;
      return show(request, reply, s, { error: errorMessage(lang, err), status: err.httpStatus });
    }
  };

  app.post('/account/settings-lock', (request, reply) =>
    center.withSteppedUpUser(request, reply, 'settingsLock', (s, body, lang) =>
      orRefused(request, reply, s, lang, async () => {
        const days = parseLockDays(body.days);
        const state = await db.transaction(async (tx) => {
          const locked = await locks.lock(tx, s.accountId, days);
          await center.audit(tx, request, s.accountId, 'user.settings_lock', { days, until: locked.until.toISOString() });
          return locked;
        });
        // The security notice is in the account's language (the session's): so is this line.
        await center.notify(s.accountId, 'settings_locked', request, [[g(s.lang, 'sl.untilLabel'), when(s.lang, state.until)]]);
        return reply.redirect('/account/settings-lock?done=on', 303);
      })));

  app.post('/account/settings-lock/lift', (request, reply) =>
    center.withSteppedUpUser(request, reply, 'settingsLock', (s, _body, lang) =>
      orRefused(request, reply, s, lang, async () => {
        await db.transaction(async (tx) => {
          const { state, requested } = await locks.requestLift(tx, s.accountId);
          if (!requested || !state.liftAt) return false;
          await center.audit(tx, request, s.accountId, 'user.settings_lock_lift_request', { liftAt: state.liftAt.toISOString() });
          // Announced at once, with a lock link: whoever asked, the owner has the whole waiting period to say no.
          const lockLink = await opts.lock.issueLockLink(s.accountId, s.email, 'settings_lock_lift', tx);
          const mail = settingsLockLiftMail({
            lang: s.lang, exchangeName: exchangeName(s.lang), at: clock(), liftAt: state.liftAt, hours: locks.liftHours, timeZone: config.timeZone,
            device: deviceOf(request.headers['user-agent']), ip: request.ip, lockLink,
          });
          await enqueueMail(tx, { to: s.email, subject: mail.subject, text: mail.text, lang: s.lang }, { domain: opts.mailDomain });
          return true;
        });
        return reply.redirect('/account/settings-lock?done=lift', 303);
      })));

  // Keeping the lock only makes the account safer: no step-up.
  app.post('/account/settings-lock/keep', (request, reply) =>
    center.withUser(request, reply, async (s) => {
      await db.transaction(async (tx) => {
        if (await locks.keep(tx, s.accountId)) await center.audit(tx, request, s.accountId, 'user.settings_lock_keep');
      });
      return reply.redirect('/account/settings-lock?done=keep', 303);
    }));

  center.addSection(async (s, lang): Promise<SafeHtml> => {
    const state = await locks.state(s.accountId);
    return html`<section aria-labelledby="sl-h" id="settings-lock"><h2 id="sl-h">${g(lang, 'sl.title')}</h2>
<p>${state ? g(lang, 'sl.summaryOn', { until: when(lang, state.until) }) : g(lang, 'sl.summaryOff')}</p>
<p><a href="/account/settings-lock">${g(lang, 'sl.manage')}</a></p></section>`;
  });
}
