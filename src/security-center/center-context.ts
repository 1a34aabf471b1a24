/**
 * What every page of the security center shares: its options, the page frame, sessions and their cookie, the
 * pre-sign-in token, the sign-in throttle and device cookies, account events, audit, the withdrawal hold and the
 * security notices. Built once per application (`createCenterContext`) and handed to each flow's routes.
 */
import type {} from '@fastify/cookie';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { randomBytes } from 'node:crypto';
import type { Config } from '../config.ts';
import type { Db, Queryable } from '../store/db.ts';
import { KinkyuError, isKinkyuError } from '../domain/errors.ts';
import type { Actor } from '../domain/actor.ts';
import { appendAudit } from '../audit/audit-log.ts';
import { enqueueMail } from '../mail/outbox.ts';
import type { ExchangeAccounts } from '../exchange/adapter.ts';
import type { ReferenceAccountStore } from '../exchange/reference-store.ts';
import type { EmergencyLock } from '../protection/emergency-lock.ts';
import type { BusinessCalendar } from '../domain/business-calendar.ts';
import type { AccountEventKind, AccountEvents } from '../protection/account-events.ts';
import type { Recovery } from '../protection/recovery.ts';
import type { TermsGate } from '../notices/service.ts';
import { RateLimiter } from '../web/rate-limit.ts';
import { errorMessage } from '../web/errors.ts';
import { formatDateTime, t, type Lang } from '../web/i18n.ts';
import { html, type SafeHtml } from '../web/html.ts';
import { layout } from '../web/layout.ts';
import { checkCsrf } from '../web/same-origin.ts';
import { sha256Hex } from '../domain/secrets.ts';
import { deviceOf, verifyUserPassword } from './user-accounts.ts';
import { DeviceCookies, deviceCookieName } from './device-cookies.ts';
import { SignInThrottle } from './sign-in-throttle.ts';
import { securityNoticeMail, type SecurityNotice } from './emails.ts';
import { SessionStepUp } from './step-up.ts';
import { USER_COOKIE, storedLang, str, type UserSession } from './user-session.ts';
import { findLiveSession, insertSession, touchSession } from './user-sessions-repository.ts';
import { credentialLang, passwordHashOf } from './user-credentials-repository.ts';
import { lockedBody } from './center-views.ts';

export interface SecurityCenterOptions {
  db: Db;
  config: Config;
  accounts: ExchangeAccounts;
  /** The reference exchange, when in use: the demo withdrawal / address / email forms act on it. */
  store: ReferenceAccountStore | null;
  lock: EmergencyLock;
  events: AccountEvents;
  mailDomain: string;
  clock: () => Date;
  /** Withdrawals wait this long after a security change (WITHDRAWAL_HOLD_HOURS, default 24). */
  withdrawalHoldHours?: number;
  /** Detection's step-up: asked for (`required`), and satisfied by a second factor (`complete`). */
  stepUp?: { complete(accountId: string): Promise<void>; required?(accountId: string): Promise<boolean> };
  /**
   * Sensitive actions after sign-in (withdrawal address, withdrawal, email, 2FA change, recovery codes) need a
   * second factor passed on this session within this many minutes (STEP_UP_MINUTES, default 10; 0: every time).
   */
  stepUpMinutes?: number;
  sessionHours?: number;
  /** The phone line's hours, for the honest answer when the lock could not be done. */
  calendar: BusinessCalendar;
  /** New terms that need acknowledging stop the user at sign-in and on every page (but the lock) until they agree. */
  terms?: TermsGate;
  /** The server key (`loadLinkKey`): device cookies are signed with a key derived from it. */
  deviceKey: Buffer;
  /** After an unlock: what changed while the account was in the wrong hands, and removing what is left of it. */
  recovery?: Pick<Recovery, 'review' | 'removeItem'>;
  /** The demo's built-in mailbox is on (src/demo-mailbox/): the security center links to the user's own mail. */
  demoMailbox?: boolean;
}

const PRE_COOKIE = 'kinkyu_user_pre';
const PENDING_MINUTES = 10;
const STALE_MS = 60_000;

export type CenterContext = ReturnType<typeof createCenterContext>;

export function createCenterContext(opts: SecurityCenterOptions) {
  const { db, config, accounts, lock, events, clock } = opts;
  const now = () => clock().getTime();
  const holdMs = (opts.withdrawalHoldHours ?? Number(process.env.WITHDRAWAL_HOLD_HOURS ?? 24)) * 3_600_000;
  const sessionMs = (opts.sessionHours ?? 12) * 3_600_000;
  const cookieName = config.secureCookies ? `__Host-${USER_COOKIE}` : USER_COOKIE;
  const ownOrigin = new URL(config.publicUrl).origin;
  const exchangeNames: Record<Lang, string> = { ja: config.exchangeNameJa, en: config.exchangeNameEn };
  const exchangeName = (lang: Lang) => exchangeNames[lang];
  const devices = new DeviceCookies(opts.deviceKey);
  const deviceCookie = deviceCookieName(config.secureCookies);
  const envStepUpMinutes = Number(process.env.STEP_UP_MINUTES ?? 10);

  const countryOf = (request: FastifyRequest): string | null => {
    if (!config.trustProxy) return null;
    const raw = request.headers['cf-ipcountry'] ?? request.headers['x-country'];
    const value = typeof raw === 'string' ? raw.trim().toUpperCase() : '';
    return /^[A-Z]{2}$/.test(value) ? value : null;
  };
  const meta = (request: FastifyRequest) => ({ ip: request.ip, country: countryOf(request), device: deviceOf(request.headers['user-agent']) });

  const send = (reply: FastifyReply, lang: Lang, title: string, body: SafeHtml, status = 200) =>
    reply.code(status).header('content-type', 'text/html; charset=utf-8').header('cache-control', 'no-store').header('x-robots-tag', 'noindex')
      .send(layout({ lang, title, body, path: '/account', robots: 'noindex', header: html`<p class="site-name"><a href="/">${exchangeName(lang)}</a></p>` }).value);

  const audit = (q: Queryable, request: FastifyRequest, accountId: string, action: string, data: Record<string, unknown> = {}) =>
    appendAudit(q, { actorType: 'user', actorId: accountId, ip: request.ip, action, targetType: 'account', targetId: accountId, data }, clock());

  /** The notice with its own one-time lock link, to `to` (default: the account's address). */
  async function notify(accountId: string, kind: SecurityNotice, request: FastifyRequest, extra: Array<[string, string]> = [], holdUntil: Date | null = null, to?: string[]) {
    const account = await accounts.findAccount({ accountId });
    if (!account) return;
    const lang = storedLang(await credentialLang(db, accountId));
    const m = meta(request);
    const details: Array<[string, string]> = [
      [t(lang, 'user.notice.device'), m.device],
      [t(lang, 'user.notice.ip'), m.ip],
      ...(m.country ? ([[t(lang, 'user.notice.country'), m.country]] as Array<[string, string]>) : []),
      ...extra,
    ];
    for (const recipient of to ?? [account.email]) {
      const link = await lock.issueLockLink(accountId, recipient, kind);
      const mail = securityNoticeMail({ lang, exchangeName: exchangeName(lang), kind, at: clock(), timeZone: config.timeZone, details, lockLink: link, holdUntil });
      await db.transaction((tx) => enqueueMail(tx, { to: recipient, subject: mail.subject, text: mail.text, lang }, { domain: opts.mailDomain }));
    }
  }

  async function findSession(token: string | undefined): Promise<UserSession | null> {
    if (!token || token.length < 20 || token.length > 100) return null;
    const hash = sha256Hex(token);
    const row = await findLiveSession(db, hash, clock());
    if (!row) return null;
    // The account itself lives in the exchange (the reference store or the exchange core): ask it.
    const account = await accounts.findAccount({ accountId: row.account_id });
    if (!account) return null;
    if (now() - new Date(row.last_seen_at).getTime() > STALE_MS) await touchSession(db, hash, clock());
    return {
      tokenHash: hash, accountId: row.account_id, csrfToken: row.csrf_token, pending2fa: row.pending_2fa, email: account.email,
      locked: row.locked || account.locked, mustResetPassword: row.must_reset_password, mustReenrol2fa: row.must_reenrol_2fa,
      totpEnabled: row.totp_enabled_at !== null, passkeys: Number(row.passkeys), lang: storedLang(row.lang),
    };
  }

  const ctx = {
    opts, db, config, accounts, store: opts.store, lock, clock, now, holdMs, cookieName, ownOrigin, exchangeName, meta, send, audit, notify,
    throttle: new SignInThrottle(now),
    devices,
    deviceCookie,
    sensitiveByAccount: new RateLimiter(10, 15 * 60_000, now),
    sessionStepUp: new SessionStepUp(db, clock, opts.stepUpMinutes ?? (Number.isFinite(envStepUpMinutes) && envStepUpMinutes >= 0 ? envStepUpMinutes : 10)),
    /** Adds a section to the security center's main page (after the preparedness checklist). */
    sections: [] as Array<(s: UserSession, lang: Lang) => Promise<SafeHtml>>,

    /** The session of this request's cookie (fully signed in or waiting for its second factor), or null. */
    sessionOf: (request: FastifyRequest) => findSession(request.cookies?.[cookieName]),
    minutes: (ms: number) => Math.max(1, Math.ceil(ms / 60_000)),
    when: (lang: Lang, d: Date | string) => formatDateTime(lang, new Date(d), config.timeZone),
    actorOf: (request: FastifyRequest, accountId: string | null): Actor => ({ type: 'user', id: accountId, ip: request.ip }),
    csrfField: (s: { csrfToken: string }) => html`<input type="hidden" name="_csrf" value="${s.csrfToken}">`,
    lockedBody: (lang: Lang) => lockedBody(lang, config, opts.calendar, clock()),

    knownDeviceOf(request: FastifyRequest, accountId: string): string | null {
      const deviceId = devices.deviceFor(request.cookies?.[deviceCookie], accountId);
      return deviceId ? `${accountId}:${deviceId}` : null;
    },

    record: (request: FastifyRequest, accountId: string | null, kind: AccountEventKind, data: Record<string, unknown> = {}) =>
      events.record({ accountId, kind, at: clock(), ...meta(request), data }),

    /** Withdrawals wait from now (after a security change); the exchange must take the hold before the change is made. */
    async hold(accountId: string): Promise<Date> {
      const until = new Date(now() + holdMs);
      await accounts.holdWithdrawals(accountId, until);
      return until;
    },

    /** `steppedUp`: the sign-in passed a second factor, which starts the session's step-up window. */
    async createSession(reply: FastifyReply, request: FastifyRequest, accountId: string, pending2fa: boolean, steppedUp = false): Promise<string> {
      const token = randomBytes(32).toString('base64url');
      const m = meta(request);
      const expires = new Date(now() + (pending2fa ? PENDING_MINUTES * 60_000 : sessionMs));
      await insertSession(db, { tokenHash: sha256Hex(token), accountId, csrfToken: randomBytes(24).toString('base64url'), now: clock(), expires, ...m, pending2fa, steppedUp });
      reply.setCookie(cookieName, token, { path: '/', httpOnly: true, sameSite: 'lax', secure: config.secureCookies });
      return sha256Hex(token);
    },

    /** The pre-sign-in token (a cookie, sent back in the forms before there is a session). */
    preToken(request: FastifyRequest, reply: FastifyReply): string {
      const existing = request.cookies?.[PRE_COOKIE];
      if (existing && /^[\w-]{20,64}$/.test(existing)) return existing;
      const token = randomBytes(18).toString('base64url');
      reply.setCookie(PRE_COOKIE, token, { path: '/account', httpOnly: true, sameSite: 'lax', secure: config.secureCookies });
      return token;
    },
    checkPre: (request: FastifyRequest) => checkCsrf(request, ownOrigin, request.cookies?.[PRE_COOKIE], { field: '_pre' }),
    checkSessionCsrf: (request: FastifyRequest, s: { csrfToken: string }) => checkCsrf(request, ownOrigin, s.csrfToken),

    /** Where a completed sign-in lands: the terms to acknowledge, if any, else the security center. */
    landing: async (accountId: string) => ((await opts.terms?.pending(accountId)) ? '/account/terms' : '/account'),

    /** A refusal (KinkyuError) of a security-center change, as a message page with its status. */
    refusalPage(reply: FastifyReply, lang: Lang, err: unknown) {
      if (!isKinkyuError(err)) throw err;
      return send(reply, lang, t(lang, 'user.center.title'), html`<p class="error-box" role="alert">${errorMessage(lang, err)}</p><p><a href="/account">${t(lang, 'user.back')}</a></p>`, err.httpStatus);
    },

    /** The account's current password, for a change that needs it (rate limited per account). */
    async checkCurrentPassword(s: UserSession, value: unknown): Promise<void> {
      if (!ctx.sensitiveByAccount.take(s.accountId)) throw new KinkyuError('RATE_LIMITED');
      const hash = await passwordHashOf(db, s.accountId);
      if (!hash || !(await verifyUserPassword(hash, str(value)))) throw new KinkyuError('BAD_CREDENTIALS', { rule: 'current_password' });
    },

    /** A second factor recently passed on this session; always a fresh one while detection has flagged the account. */
    async steppedUp(s: UserSession): Promise<boolean> {
      if (await opts.stepUp?.required?.(s.accountId)) return false;
      return ctx.sessionStepUp.allows(s.tokenHash);
    },
  };
  return ctx;
}
