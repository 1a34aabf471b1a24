/** The settings lock's guard (in front of every change it freezes), its page and actions, and its section in the security center. */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../config.ts';
import { isKinkyuError } from '../domain/errors.ts';
import { enqueueMail } from '../mail/outbox.ts';
import type { EmergencyLock } from '../protection/emergency-lock.ts';
import { sha256Hex } from '../domain/secrets.ts';
import type { Db } from '../store/db.ts';
import type { ExchangeAccounts } from '../exchange/adapter.ts';
import { guardText, type GuardMessage } from '../web/anti-phishing.ts';
import { errorMessage } from '../web/errors.ts';
import { html, type SafeHtml } from '../web/html.ts';
import { formatDateTime, t, type Lang } from '../web/i18n.ts';
import { langHref } from '../web/links.ts';
import { requestLang } from '../web/request-lang.ts';
import type { CenterContext } from './center-context.ts';
import { deviceOf } from './user-accounts.ts';
import { frozenRoute, parseLockDays, SETTINGS_LOCK_MAX_DAYS, SETTINGS_LOCK_MIN_DAYS, type AccountFrom, type SettingsLocks, type SettingsLockState } from './settings-lock.ts';
import { settingsLockLiftMail } from './settings-lock-emails.ts';
import { sessionOf, userAction } from './user-auth.ts';
import { inRecovery, linkAccount } from './user-credentials-repository.ts';
import type { UserSession } from './user-session.ts';

export interface SettingsLockRoutesOptions {
  db: Db;
  config: Config;
  accounts: Pick<ExchangeAccounts, 'hasWithdrawalAddress'>;
  locks: SettingsLocks;
  lock: Pick<EmergencyLock, 'issueLockLink'>;
  mailDomain: string;
  clock: () => Date;
}

const g = guardText;
const DONE = { on: 'sl.done.on', lift: 'sl.done.lift', keep: 'sl.done.keep', steppedUp: 'sl.done.steppedUp' } as const satisfies Record<string, GuardMessage>;
type Done = keyof typeof DONE;
const isDone = (v: unknown): v is Done => typeof v === 'string' && Object.hasOwn(DONE, v);

/**
 * The guard: a change the lock freezes is refused with the date it ends. Registered before the security center's
 * own hook, so it answers first (a frozen change is refused before its step-up is asked for).
 */
export function registerSettingsLockGuard(app: FastifyInstance, center: CenterContext, opts: SettingsLockRoutesOptions): void {
  const { db, config, locks, clock } = opts;
  const when = (lang: Lang, d: Date) => formatDateTime(lang, d, config.timeZone);

  const reading = (table: 'password_reset_tokens' | 'email_change_tokens') => async (token: unknown): Promise<string | null> => {
    if (typeof token !== 'string' || !/^[\w-]{40,64}$/.test(token)) return null;
    return linkAccount(db, table, sha256Hex(token), clock());
  };
  const resetLinkAccount = reading('password_reset_tokens');
  const emailLinkAccount = reading('email_change_tokens');

  /** The account whose settings the request would change, unless it is in a recovery after a staff unlock. */
  async function accountOf(from: AccountFrom, request: FastifyRequest): Promise<{ accountId: string; signedIn: boolean } | null> {
    if (from === 'session') {
      const s = await center.sessionOf(request);
      if (!s || s.pending2fa || s.mustResetPassword || s.mustReenrol2fa) return null;
      return { accountId: s.accountId, signedIn: true };
    }
    const token = (request.params as Record<string, unknown> | undefined)?.token;
    const accountId = from === 'reset_link' ? await resetLinkAccount(token) : await emailLinkAccount(token);
    if (!accountId) return null;
    return (await inRecovery(db, accountId)) ? null : { accountId, signedIn: false };
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
    return !(await opts.accounts.hasWithdrawalAddress(accountId, { asset: field(body.asset, 10).toUpperCase(), address: field(body.address, 120) }));
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
}

/** The settings lock's page and actions, and its section in the security center. */
export function registerSettingsLockRoutes(app: FastifyInstance, center: CenterContext, opts: SettingsLockRoutesOptions): void {
  const { db, config, locks, clock } = opts;
  const when = (lang: Lang, d: Date) => formatDateTime(lang, d, config.timeZone);
  const exchangeName = center.exchangeName;

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

  app.get('/account/settings-lock', { config: { user: 'required' } }, async (request, reply) => {
    const s = sessionOf(request);
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

  const steppedUp = { config: { user: 'stepped-up' as const, stepUp: 'settingsLock' as const } };
  app.post('/account/settings-lock', steppedUp, userAction(center, (request, reply, s, body, lang) =>
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

  app.post('/account/settings-lock/lift', steppedUp, userAction(center, (request, reply, s, _body, lang) =>
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
  app.post('/account/settings-lock/keep', { config: { user: 'required' } }, userAction(center, async (request, reply, s) => {
      await db.transaction(async (tx) => {
        if (await locks.keep(tx, s.accountId)) await center.audit(tx, request, s.accountId, 'user.settings_lock_keep');
      });
      return reply.redirect('/account/settings-lock?done=keep', 303);
    }));

  center.sections.push(async (s, lang): Promise<SafeHtml> => {
    const state = await locks.state(s.accountId);
    return html`<section aria-labelledby="sl-h" id="settings-lock"><h2 id="sl-h">${g(lang, 'sl.title')}</h2>
<p>${state ? g(lang, 'sl.summaryOn', { until: when(lang, state.until) }) : g(lang, 'sl.summaryOff')}</p>
<p><a href="/account/settings-lock">${g(lang, 'sl.manage')}</a></p></section>`;
  });
}
