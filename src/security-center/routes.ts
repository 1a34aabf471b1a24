import type {} from '@fastify/cookie';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { randomBytes, randomInt } from 'node:crypto';
import QRCode from 'qrcode';
import type { Config } from '../config.ts';
import type { Db, Queryable } from '../store/db.ts';
import { KinkyuError, isKinkyuError } from '../domain/errors.ts';
import type { Actor } from '../domain/actor.ts';
import { appendAudit } from '../audit/audit-log.ts';
import { enqueueMail } from '../mail/outbox.ts';
import type { ExchangeAccounts } from '../exchange/adapter.ts';
import { emailKeyOf, type ReferenceAccountStore } from '../exchange/reference-store.ts';
import type { EmergencyLock, LockResult } from '../protection/emergency-lock.ts';
import { downDependency, unavailableNotice } from '../protection/unavailable-views.ts';
import { phoneLine, phoneLineBlock } from '../web/phone-line.ts';
import { langHref } from '../web/links.ts';
import type { BusinessCalendar } from '../domain/business-calendar.ts';
import type { AccountEventKind, AccountEvents } from '../protection/account-events.ts';
import { RateLimiter } from '../web/rate-limit.ts';
import { errorMessage } from '../web/errors.ts';
import { formatDateTime, t, type Lang, type MessageKey } from '../web/i18n.ts';
import { html, type SafeHtml } from '../web/html.ts';
import { layout } from '../web/layout.ts';
import { requestLang } from '../web/request-lang.ts';
import { checkNewPassword, deviceOf, hashUserPassword, newRecoveryCodes, useRecoveryCode, userDummyHash, verifyUserPassword } from './user-accounts.ts';
import { DeviceCookies, deviceCookieName, deviceCookieOptions } from './device-cookies.ts';
import { SignInThrottle, type CodeAttempt, type PasswordAttempt } from './sign-in-throttle.ts';
import { actionCodeMail, contactVerificationMail, emailChangeConfirmMail, emailChangeTakenMail, securityNoticeMail, stepUpCodeMail, type SecurityNotice } from './emails.ts';
import { EMAIL_CHANGE_MINUTES, EmailChanges, type OpenEmailChange } from './email-change.ts';
import { isStepUpAction, SessionStepUp, STEP_UP_ACTIONS, STEP_UP_CODE_MINUTES, type StepUpAction } from './step-up.ts';
import { issuePasswordResetLink } from './password-reset.ts';
import { generateTotpSecret, matchTotpStep, totpUri, verifyAndConsumeTotp } from './totp.ts';
import { sha256Hex, sameSecret } from '../domain/secrets.ts';
import type { TermsGate } from '../notices/service.ts';
import type { Recovery } from '../protection/recovery.ts';
import { recoveryReviewSection } from './recovery-section.ts';
import { passkeyLinks, registerPasskeyRoutes } from './passkeys.ts';

export interface UserRoutesOptions {
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

export const USER_COOKIE = 'kinkyu_user';

/** A signed-in user's preparedness checklist (seed §4): each item's state and the control that fixes it. */
export interface UserPreparedness {
  items: Array<{ key: string; done: boolean; fix: SafeHtml }>;
  score: number;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The preparedness of the user signed in on this request, or null (set by registerUserRoutes; used by /help/prepare). */
    userPreparedness?: (request: FastifyRequest, lang: Lang) => Promise<UserPreparedness | null>;
  }
}

const PRE_COOKIE = 'kinkyu_user_pre';
const PENDING_MINUTES = 10;
const STALE_MS = 60_000;

export interface UserSession {
  tokenHash: string;
  accountId: string;
  csrfToken: string;
  pending2fa: boolean;
  email: string;
  locked: boolean;
  mustResetPassword: boolean;
  mustReenrol2fa: boolean;
  totpEnabled: boolean;
  /** Passkeys the account can use (not turned off). */
  passkeys: number;
  lang: Lang;
}

const u = (lang: Lang, key: string, params: Record<string, string | number> = {}) => t(lang, `user.${key}` as MessageKey, params);


const str = (v: unknown, max = 1024): string => (typeof v === 'string' ? v.slice(0, max) : '');

/**
 * What the security center's pages in other files (src/security-center/anti-phishing.ts, settings-lock.ts) use of it: the
 * same session checks, step-up, page frame, security notices and audit as the pages here.
 */
export interface UserCenter {
  /** The fully signed-in session of this request, or null; checks nothing else (for hooks that only read). */
  session(request: FastifyRequest): Promise<UserSession | null>;
  requireUser(request: FastifyRequest, reply: FastifyReply, o?: { allowForced?: boolean; skipTerms?: boolean }): Promise<UserSession | null>;
  withUser(request: FastifyRequest, reply: FastifyReply, fn: (s: UserSession, body: Record<string, unknown>, lang: Lang) => Promise<unknown>): Promise<unknown>;
  withSteppedUpUser(request: FastifyRequest, reply: FastifyReply, action: StepUpAction, fn: (s: UserSession, body: Record<string, unknown>, lang: Lang) => Promise<unknown>): Promise<unknown>;
  send(reply: FastifyReply, lang: Lang, title: string, body: SafeHtml, status?: number): FastifyReply;
  csrfField(s: { csrfToken: string }): SafeHtml;
  /** A security notice with its own lock link to the account's address (and `to`, when given). */
  notify(accountId: string, kind: SecurityNotice, request: FastifyRequest, extra?: Array<[string, string]>, holdUntil?: Date | null, to?: string[]): Promise<void>;
  audit(q: Queryable, request: FastifyRequest, accountId: string, action: string, data?: Record<string, unknown>): Promise<unknown>;
  /** Adds a section to the security center's main page (after the preparedness checklist). */
  addSection(section: (s: UserSession, lang: Lang) => Promise<SafeHtml>): void;
}

export function registerUserRoutes(app: FastifyInstance, opts: UserRoutesOptions): UserCenter {
  const { db, config, accounts, store, lock, events, clock } = opts;
  const holdMs = (opts.withdrawalHoldHours ?? Number(process.env.WITHDRAWAL_HOLD_HOURS ?? 24)) * 3_600_000;
  const sessionMs = (opts.sessionHours ?? 12) * 3_600_000;
  const cookieName = config.secureCookies ? `__Host-${USER_COOKIE}` : USER_COOKIE;
  const exchangeName = (lang: Lang) => (lang === 'ja' ? config.exchangeNameJa : config.exchangeNameEn);
  const now = () => clock().getTime();
  const allowedOrigin = new URL(config.publicUrl).origin;

  // Rate limits on every sign-in and reset path: per client, per client and account, per account, and per known
  // device (a browser with the account's device cookie), with the numbers in SIGN_IN_LIMITS.
  const throttle = new SignInThrottle(now);
  const devices = new DeviceCookies(opts.deviceKey);
  const deviceCookie = deviceCookieName(config.secureCookies);
  const knownDeviceOf = (request: FastifyRequest, accountId: string): string | null => {
    const deviceId = devices.deviceFor(request.cookies?.[deviceCookie], accountId);
    return deviceId ? `${accountId}:${deviceId}` : null;
  };
  const minutes = (ms: number) => Math.max(1, Math.ceil(ms / 60_000));
  const sensitiveByAccount = new RateLimiter(10, 15 * 60_000, now);

  const countryOf = (request: FastifyRequest): string | null => {
    if (!config.trustProxy) return null;
    const raw = request.headers['cf-ipcountry'] ?? request.headers['x-country'];
    const value = typeof raw === 'string' ? raw.trim().toUpperCase() : '';
    return /^[A-Z]{2}$/.test(value) ? value : null;
  };
  const meta = (request: FastifyRequest) => ({ ip: request.ip, country: countryOf(request), device: deviceOf(request.headers['user-agent']) });
  const actorOf = (request: FastifyRequest, accountId: string | null): Actor => ({ type: 'user', id: accountId, ip: request.ip });

  const send = (reply: FastifyReply, lang: Lang, title: string, body: SafeHtml, status = 200) =>
    reply.code(status).header('content-type', 'text/html; charset=utf-8').header('cache-control', 'no-store').header('x-robots-tag', 'noindex')
      .send(layout({ lang, title, body, path: '/account', robots: 'noindex', header: html`<p class="site-name"><a href="/">${exchangeName(lang)}</a></p>` }).value);

  const record = (request: FastifyRequest, accountId: string | null, kind: AccountEventKind, data: Record<string, unknown> = {}) =>
    events.record({ accountId, kind, at: clock(), ...meta(request), data });

  const audit = (q: Queryable, request: FastifyRequest, accountId: string, action: string, data: Record<string, unknown> = {}) =>
    appendAudit(q, { actorType: 'user', actorId: accountId, ip: request.ip, action, targetType: 'account', targetId: accountId, data }, clock());

  async function hold(accountId: string): Promise<Date> {
    const until = new Date(now() + holdMs);
    await accounts.holdWithdrawals(accountId, until);
    return until;
  }

  /** The notice with its own one-time lock link, to `to` (default: the account's address). */
  async function notify(accountId: string, kind: SecurityNotice, request: FastifyRequest, extra: Array<[string, string]> = [], holdUntil: Date | null = null, to?: string[]) {
    const account = await accounts.findAccount({ accountId });
    if (!account) return;
    const [cred] = await db.query<{ lang: string }>(`SELECT lang FROM user_credentials WHERE account_id = $1`, [accountId]);
    const lang: Lang = cred?.lang === 'en' ? 'en' : 'ja';
    const m = meta(request);
    const details: Array<[string, string]> = [
      [lang === 'ja' ? '端末' : 'Device', m.device],
      [lang === 'ja' ? 'IPアドレス' : 'IP address', m.ip],
      ...(m.country ? ([[lang === 'ja' ? '国' : 'Country', m.country]] as Array<[string, string]>) : []),
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
    const [row] = await db.query<{
      account_id: string; csrf_token: string; pending_2fa: boolean; last_seen_at: Date; email: string | null; locked: boolean;
      must_reset_password: boolean; must_reenrol_2fa: boolean; totp_enabled_at: Date | null; lang: string; passkeys: number;
    }>(
      // Locked: by the reference exchange's own flag, or by an open lock record (whatever the adapter).
      `SELECT s.account_id, s.csrf_token, s.pending_2fa, s.last_seen_at, a.email,
              (a.locked_at IS NOT NULL OR EXISTS (SELECT 1 FROM account_locks l WHERE l.account_id = s.account_id AND l.unlocked_at IS NULL)) AS locked,
              c.must_reset_password, c.must_reenrol_2fa, c.totp_enabled_at, c.lang,
              (SELECT count(*)::int FROM user_passkeys p WHERE p.account_id = s.account_id AND p.disabled_at IS NULL) AS passkeys
         FROM user_sessions s JOIN user_credentials c ON c.account_id = s.account_id LEFT JOIN xch_accounts a ON a.id = s.account_id
        WHERE s.token_hash = $1 AND s.revoked_at IS NULL AND s.expires_at > $2`,
      [hash, clock()],
    );
    if (!row) return null;
    // With the HTTP adapter the account lives in the exchange core: ask it.
    if (row.email === null) {
      const account = await accounts.findAccount({ accountId: row.account_id });
      if (!account) return null;
      row.email = account.email;
      row.locked = row.locked || account.locked;
    }
    if (now() - new Date(row.last_seen_at).getTime() > STALE_MS) {
      await db.query(`UPDATE user_sessions SET last_seen_at = $2 WHERE token_hash = $1`, [hash, clock()]);
    }
    return {
      tokenHash: hash, accountId: row.account_id, csrfToken: row.csrf_token, pending2fa: row.pending_2fa, email: row.email,
      locked: row.locked, mustResetPassword: row.must_reset_password, mustReenrol2fa: row.must_reenrol_2fa,
      totpEnabled: row.totp_enabled_at !== null, passkeys: Number(row.passkeys), lang: row.lang === 'en' ? 'en' : 'ja',
    };
  }

  /** `steppedUp`: the sign-in passed a second factor, which starts the session's step-up window. */
  async function createSession(reply: FastifyReply, request: FastifyRequest, accountId: string, pending2fa: boolean, steppedUp = false): Promise<string> {
    const token = randomBytes(32).toString('base64url');
    const m = meta(request);
    const expires = new Date(now() + (pending2fa ? PENDING_MINUTES * 60_000 : sessionMs));
    await db.query(
      `INSERT INTO user_sessions (token_hash, account_id, csrf_token, created_at, last_seen_at, expires_at, ip, country, device, pending_2fa, stepped_up_at)
       VALUES ($1,$2,$3,$4,$4,$5,$6,$7,$8,$9,$10)`,
      [sha256Hex(token), accountId, randomBytes(24).toString('base64url'), clock(), expires, m.ip, m.country, m.device, pending2fa, steppedUp ? clock() : null],
    );
    reply.setCookie(cookieName, token, { path: '/', httpOnly: true, sameSite: 'lax', secure: config.secureCookies });
    return sha256Hex(token);
  }

  function checkOrigin(request: FastifyRequest): void {
    const origin = request.headers.origin;
    if (origin && origin !== 'null' && origin !== allowedOrigin && origin !== `${request.protocol}://${request.host}`) throw new KinkyuError('CSRF');
  }

  /**
   * Every security-center request: a live, fully signed-in session (revoked or expired ones are refused at
   * once), the CSRF token on POST, the account not locked, and no pending forced reset.
   */
  async function requireUser(request: FastifyRequest, reply: FastifyReply, opts2: { allowForced?: boolean; skipTerms?: boolean } = {}): Promise<UserSession | null> {
    const lang = requestLang(request, reply);
    const session = await findSession(request.cookies?.[cookieName]);
    if (!session || session.pending2fa) {
      if (request.method === 'GET') {
        reply.redirect('/account/login', 303);
        return null;
      }
      throw new KinkyuError('UNAUTHENTICATED');
    }
    if (request.method === 'POST') {
      checkOrigin(request);
      const sent = (request.body as Record<string, unknown> | undefined)?._csrf;
      if (typeof sent !== 'string' || !sameSecret(sent, session.csrfToken)) throw new KinkyuError('CSRF');
    }
    if (session.locked) {
      send(reply, lang, u(lang, 'locked.title'), lockedBody(lang), 403);
      return null;
    }
    const forced = session.mustResetPassword || session.mustReenrol2fa;
    if (!opts2.allowForced && forced) {
      reply.redirect(session.mustResetPassword ? '/account/reset' : '/account/2fa', 303);
      return null;
    }
    // A forced reset comes first; after it, the terms.
    if (!opts2.skipTerms && !forced && (await opts.terms?.pending(session.accountId))) {
      reply.redirect('/account/terms', 303);
      return null;
    }
    return session;
  }

  /** Where a completed sign-in lands: the terms to acknowledge, if any, else the security center. */
  const landing = async (accountId: string) => ((await opts.terms?.pending(accountId)) ? '/account/terms' : '/account');

  /** After a lock: what happens next, and the emergency line (open now or not; while closed: the form, the police). */
  const afterLockSteps = (lang: Lang) => html`<ol class="steps"><li>${u(lang, 'locked.step1')}</li><li>${u(lang, 'locked.step2')}</li><li>${u(lang, 'locked.step3')}</li></ol>
${phoneLineBlock(lang, phoneLine(config, opts.calendar, clock()), { instead: ['form', 'police'] })}`;

  const lockedBody = (lang: Lang) => html`<h1>${u(lang, 'locked.title')}</h1>
<div class="lock-box" role="alert"><p>${u(lang, 'locked.lead')}</p></div>
${afterLockSteps(lang)}
<p><a href="${langHref(lang, '/contact')}">${u(lang, 'locked.contact')}</a></p>`;

  const csrfField = (s: { csrfToken: string }) => html`<input type="hidden" name="_csrf" value="${s.csrfToken}">`;
  const sections: Array<(s: UserSession, lang: Lang) => Promise<SafeHtml>> = [];

  // ---------------------------------------------------------------- sign-in

  const loginPage = (lang: Lang, pre: string, error: string | null, email = '', notice: string | null = null) => html`<h1>${u(lang, 'login.title')}</h1>
${notice ? html`<p class="flash" role="status">${notice}</p>` : ''}
${error ? html`<p class="error-box" role="alert">${error}</p>` : ''}
<form method="post" action="/account/login" class="stack">
<input type="hidden" name="_pre" value="${pre}">
<div><label for="email">${u(lang, 'login.email')}</label><input id="email" name="email" type="email" autocomplete="username" required value="${email}"></div>
<div><label for="password">${u(lang, 'login.password')}</label><input id="password" name="password" type="password" autocomplete="current-password" required></div>
<button type="submit">${u(lang, 'login.submit')}</button>
<p><a href="/account/forgot${lang === 'en' ? '?lang=en' : ''}">${u(lang, 'forgot.link')}</a></p>
</form>
${passkeyLinks.signIn(lang)}
<p class="hint">${u(lang, 'login.lockHint')} <a href="/help/lock">${u(lang, 'login.lockLink')}</a></p>`;

  const preToken = (request: FastifyRequest, reply: FastifyReply): string => {
    const existing = request.cookies?.[PRE_COOKIE];
    if (existing && /^[\w-]{20,64}$/.test(existing)) return existing;
    const token = randomBytes(18).toString('base64url');
    reply.setCookie(PRE_COOKIE, token, { path: '/account', httpOnly: true, sameSite: 'lax', secure: config.secureCookies });
    return token;
  };
  const checkPre = (request: FastifyRequest) => {
    checkOrigin(request);
    const cookie = request.cookies?.[PRE_COOKIE];
    const sent = (request.body as Record<string, unknown> | undefined)?._pre;
    if (!cookie || typeof sent !== 'string' || !sameSecret(sent, cookie)) throw new KinkyuError('CSRF');
  };

  app.get('/account/login', async (request, reply) => {
    const lang = requestLang(request, reply);
    // After a new password from a reset link; "unlocked": the link came with the unlock email.
    const reset = (request.query as Record<string, unknown>).reset;
    const notice = reset === 'unlocked' ? u(lang, 'login.unlockedResetDone') : reset === '1' ? u(lang, 'login.resetDone') : null;
    return send(reply, lang, u(lang, 'login.title'), loginPage(lang, preToken(request, reply), null, '', notice));
  });

  app.post('/account/login', async (request, reply) => {
    const lang = requestLang(request, reply);
    checkPre(request);
    const body = (request.body ?? {}) as Record<string, unknown>;
    const email = str(body.email, 254);
    const password = str(body.password);
    const key = emailKeyOf(email);
    const pre = preToken(request, reply);
    // The account is looked up through the adapter (the reference store or the exchange core). A browser with a
    // genuine device cookie has it looked up first, to know whether its cookie is this account's; others only once
    // the throttle lets them through (a flood of throttled guesses never reaches the exchange core).
    const lookUp = () => (/^[^\s@]+@[^\s@]+$/.test(key) ? accounts.findAccount({ email: key }) : Promise.resolve(null));
    const knownBrowser = devices.hasAny(request.cookies?.[deviceCookie]);
    let account = knownBrowser ? await lookUp() : null;
    const attempt: PasswordAttempt = { ip: request.ip, address: key, device: account ? knownDeviceOf(request, account.id) : null };
    const wait = throttle.passwordWaitMs(attempt);
    if (wait > 0) {
      await record(request, null, 'sign_in_failed', { reason: 'rate_limited' });
      return send(reply, lang, u(lang, 'login.title'), loginPage(lang, pre, u(lang, 'rateLimited', { minutes: minutes(wait) }), email), 429);
    }
    if (!knownBrowser) account = await lookUp();
    const [cred] = account
      ? await db.query<{ account_id: string; password_hash: string; totp_enabled_at: Date | null; locked_at: Date | null; has_passkey: boolean }>(
          `SELECT c.account_id, c.password_hash, c.totp_enabled_at,
                  EXISTS (SELECT 1 FROM user_passkeys p WHERE p.account_id = c.account_id AND p.disabled_at IS NULL) AS has_passkey,
                  CASE WHEN $2::boolean OR EXISTS (SELECT 1 FROM account_locks l WHERE l.account_id = c.account_id AND l.unlocked_at IS NULL) THEN now() END AS locked_at
             FROM user_credentials c WHERE c.account_id = $1`,
          [account.id, account.locked],
        )
      : [];
    const ok = await verifyUserPassword(cred?.password_hash ?? (await userDummyHash()), password);
    if (!cred || !ok) {
      throttle.passwordFailed(attempt);
      await record(request, cred?.account_id ?? null, 'sign_in_failed', { reason: 'password', ...(attempt.device ? { knownDevice: true } : {}) });
      return send(reply, lang, u(lang, 'login.title'), loginPage(lang, pre, u(lang, 'login.bad'), email), 401);
    }
    if (cred.locked_at) {
      await record(request, cred.account_id, 'sign_in_failed', { reason: 'locked' });
      return send(reply, lang, u(lang, 'locked.title'), lockedBody(lang), 403);
    }
    throttle.passwordPassed(attempt);
    await db.query(`UPDATE user_credentials SET lang = $2 WHERE account_id = $1`, [cred.account_id, lang]);
    if (cred.totp_enabled_at || cred.has_passkey) {
      await createSession(reply, request, cred.account_id, true);
      return reply.redirect('/account/login/2fa', 303);
    }
    // Detection asked for a step-up and there is no authenticator: a one-time code by email first.
    if (await opts.stepUp?.required?.(cred.account_id)) {
      const tokenHash = await createSession(reply, request, cred.account_id, true);
      const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
      await db.query(`UPDATE user_sessions SET step_up_code_hash = $2 WHERE token_hash = $1`, [tokenHash, sha256Hex(`${tokenHash}:${code}`)]);
      const mail = stepUpCodeMail({ lang, exchangeName: exchangeName(lang), code });
      await db.transaction((tx) => enqueueMail(tx, { to: account!.email, subject: mail.subject, text: mail.text, lang }, { domain: opts.mailDomain }));
      return reply.redirect('/account/login/2fa', 303);
    }
    await completeSignIn(request, reply, cred.account_id, 'password');
    return reply.redirect(await landing(cred.account_id), 303);
  });

  async function completeSignIn(request: FastifyRequest, reply: FastifyReply | null, accountId: string, method: string, pendingHash?: string) {
    const m = meta(request);
    const [seen] = await db.query(
      `SELECT 1 FROM account_events WHERE account_id = $1 AND kind = 'sign_in' AND device IS NOT DISTINCT FROM $2 AND country IS NOT DISTINCT FROM $3 LIMIT 1`,
      [accountId, m.device, m.country],
    );
    // A fresh session (token and CSRF token) once both factors are through: the half-signed-in one ends.
    if (pendingHash) await db.query(`UPDATE user_sessions SET revoked_at = $2 WHERE token_hash = $1`, [pendingHash, clock()]);
    if (reply) {
      await createSession(reply, request, accountId, false, method !== 'password');
      // This browser is now a known device of the account: its failed attempts count on its own allowance.
      reply.setCookie(deviceCookie, devices.issue(request.cookies?.[deviceCookie], accountId), deviceCookieOptions(config.secureCookies));
    }
    await db.transaction((tx) => audit(tx, request, accountId, 'user.sign_in', { method, device: m.device, country: m.country }));
    await record(request, accountId, 'sign_in', { method, newDevice: !seen });
    if (!seen) await notify(accountId, 'new_sign_in', request);
  }

  const twoFactorPage = (lang: Lang, s: UserSession, error: string | null, emailed = false) => html`<h1>${u(lang, 'tfa.title')}</h1>
${error ? html`<p class="error-box" role="alert">${error}</p>` : ''}
${emailed ? html`<p class="notice" role="status">${u(lang, 'tfa.emailed')}</p>` : ''}
${s.passkeys ? passkeyLinks.secondFactor(lang) : ''}
${s.totpEnabled || emailed || !s.passkeys ? html`<form method="post" action="/account/login/2fa" class="stack">${csrfField(s)}
<div><label for="code">${u(lang, 'tfa.code')}</label><input id="code" name="code" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9 ]{6,7}" maxlength="7"></div>
<button type="submit">${u(lang, 'tfa.submit')}</button>
</form>` : ''}
<details><summary>${u(lang, 'tfa.useRecovery')}</summary>
<form method="post" action="/account/login/2fa" class="stack">${csrfField(s)}
<div><label for="recovery">${u(lang, 'tfa.recovery')}</label><input id="recovery" name="recovery" autocomplete="off" maxlength="20"></div>
<button type="submit">${u(lang, 'tfa.submit')}</button>
</form></details>`;

  const pendingSession = async (request: FastifyRequest) => {
    const s = await findSession(request.cookies?.[cookieName]);
    return s && s.pending2fa ? s : null;
  };

  app.get('/account/login/2fa', async (request, reply) => {
    const lang = requestLang(request, reply);
    const s = await pendingSession(request);
    if (!s) return reply.redirect('/account/login', 303);
    const [stepUp] = await db.query<{ step_up_code_hash: string | null }>(`SELECT step_up_code_hash FROM user_sessions WHERE token_hash = $1`, [s.tokenHash]);
    return send(reply, lang, u(lang, 'tfa.title'), twoFactorPage(lang, s, null, !!stepUp?.step_up_code_hash));
  });

  app.post('/account/login/2fa', async (request, reply) => {
    const lang = requestLang(request, reply);
    const s = await pendingSession(request);
    if (!s) return reply.redirect('/account/login', 303);
    checkOrigin(request);
    const body = (request.body ?? {}) as Record<string, unknown>;
    if (typeof body._csrf !== 'string' || !sameSecret(body._csrf, s.csrfToken)) throw new KinkyuError('CSRF');
    const attempt: CodeAttempt = { ip: request.ip, accountId: s.accountId, device: knownDeviceOf(request, s.accountId) };
    const wait = throttle.codeWaitMs(attempt);
    if (wait > 0) return send(reply, lang, u(lang, 'tfa.title'), twoFactorPage(lang, s, u(lang, 'rateLimited', { minutes: minutes(wait) })), 429);
    if (s.locked) return send(reply, lang, u(lang, 'locked.title'), lockedBody(lang), 403);
    let method: string | null = null;
    if (typeof body.recovery === 'string' && body.recovery.trim()) {
      if (await useRecoveryCode(db, s.accountId, body.recovery, clock())) method = 'recovery_code';
    } else {
      const [stepUp] = await db.query<{ step_up_code_hash: string | null }>(`SELECT step_up_code_hash FROM user_sessions WHERE token_hash = $1`, [s.tokenHash]);
      const emailed = stepUp?.step_up_code_hash ?? null;
      if (emailed && typeof body.code === 'string' && sameSecret(sha256Hex(`${s.tokenHash}:${body.code.replace(/\s/g, '')}`), emailed)) method = 'email_code';
      const [c] = await db.query<{ totp_secret: string | null }>(`SELECT totp_secret FROM user_credentials WHERE account_id = $1`, [s.accountId]);
      if (c?.totp_secret && (await verifyAndConsumeTotp(db, s.accountId, c.totp_secret, body.code, clock()))) method = 'totp';
    }
    if (!method) {
      throttle.codeFailed(attempt);
      await record(request, s.accountId, 'sign_in_failed', { reason: 'second_factor', ...(attempt.device ? { knownDevice: true } : {}) });
      return send(reply, lang, u(lang, 'tfa.title'), twoFactorPage(lang, s, u(lang, 'tfa.bad')), 401);
    }
    throttle.codePassed(attempt);
    await opts.stepUp?.complete(s.accountId);
    await completeSignIn(request, reply, s.accountId, method, s.tokenHash);
    return reply.redirect(await landing(s.accountId), 303);
  });

  /**
   * The session check: is this cookie's session still good, and is the account locked? For the exchange's own
   * pages and apps that share the session, answered from one indexed query; never cached.
   */
  app.get('/account/session', async (request, reply) => {
    const s = await findSession(request.cookies?.[cookieName]);
    return reply.header('cache-control', 'no-store').send({ signedIn: !!s && !s.pending2fa && !s.locked, locked: s?.locked ?? false });
  });

  // ---------------------------------------------------------------- forgot password: a one-time link by email

  const resetsByAddress = new RateLimiter(3, 60 * 60_000, now);
  const forgotPage = (lang: Lang, pre: string, notice: string | null, error: string | null) => html`<h1>${u(lang, 'forgot.title')}</h1>
${notice ? html`<p class="flash" role="status">${notice}</p>` : ''}
${error ? html`<p class="error-box" role="alert">${error}</p>` : ''}
<p>${u(lang, 'forgot.lead')}</p>
<form method="post" action="/account/forgot" class="stack"><input type="hidden" name="_pre" value="${pre}">
<div><label for="email">${u(lang, 'login.email')}</label><input id="email" name="email" type="email" autocomplete="username" required></div>
<button type="submit">${u(lang, 'forgot.submit')}</button></form>
<p><a href="/help/lock${lang === 'en' ? '?lang=en' : ''}">${u(lang, 'forgot.lockInstead')}</a></p>`;

  app.get('/account/forgot', async (request, reply) => {
    const lang = requestLang(request, reply);
    return send(reply, lang, u(lang, 'forgot.title'), forgotPage(lang, preToken(request, reply), null, null));
  });

  app.post('/account/forgot', async (request, reply) => {
    const lang = requestLang(request, reply);
    checkPre(request);
    const key = emailKeyOf(str((request.body as Record<string, unknown> | undefined)?.email, 254));
    const pre = preToken(request, reply);
    if (throttle.clientWaitMs(request.ip) > 0) {
      return send(reply, lang, u(lang, 'forgot.title'), forgotPage(lang, pre, null, u(lang, 'rateLimited', { minutes: 15 })), 429);
    }
    // The same answer whatever the address, and the work after it: neither the page nor its timing tells.
    if (/^[^\s@]+@[^\s@]+$/.test(key) && resetsByAddress.take(key)) {
      setImmediate(() => void sendResetLink(request, key, lang).catch((err) => request.log.warn({ err }, 'password reset link not sent')));
    }
    return send(reply, lang, u(lang, 'forgot.title'), forgotPage(lang, pre, u(lang, 'forgot.sent'), null));
  });

  async function sendResetLink(request: FastifyRequest, key: string, lang: Lang): Promise<void> {
    const account = await accounts.findAccount({ email: key });
    if (!account || account.locked) return; // a locked account is reopened by staff only
    const [cred] = await db.query(`SELECT 1 FROM user_credentials WHERE account_id = $1`, [account.id]);
    if (!cred) return;
    await issuePasswordResetLink({ db, lock, publicUrl: config.publicUrl, exchangeName, mailDomain: opts.mailDomain, clock }, account, lang);
    await db.transaction((tx) => audit(tx, request, account.id, 'user.password_reset_request'));
  }

  const resetTokenRow = async (token: string) => {
    if (!/^[\w-]{40,64}$/.test(token)) return null;
    const [row] = await db.query<{ account_id: string }>(
      `SELECT account_id FROM password_reset_tokens WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2`,
      [sha256Hex(token), clock()],
    );
    return row ?? null;
  };
  const newPasswordPage = (lang: Lang, pre: string, token: string, needsCode: boolean, error: string | null) => html`<h1>${u(lang, 'forgot.newTitle')}</h1>
${error ? html`<p class="error-box" role="alert">${error}</p>` : ''}
<form method="post" action="/account/forgot/${token}" class="stack"><input type="hidden" name="_pre" value="${pre}">
<div><label for="new-password">${u(lang, 'password.new')}</label><input id="new-password" name="password" type="password" autocomplete="new-password" minlength="10" required></div>
${needsCode ? html`<div><label for="code">${u(lang, 'tfa.code')}</label><input id="code" name="code" inputmode="numeric" autocomplete="one-time-code" maxlength="7" required></div>` : ''}
<button type="submit">${u(lang, 'password.submit')}</button></form>`;

  app.get<{ Params: { token: string } }>('/account/forgot/:token', async (request, reply) => {
    const lang = requestLang(request, reply);
    reply.header('referrer-policy', 'no-referrer');
    const row = await resetTokenRow(request.params.token);
    if (!row) return send(reply, lang, u(lang, 'forgot.title'), forgotPage(lang, preToken(request, reply), null, u(lang, 'forgot.expired')), 404);
    const [c] = await db.query<{ totp_enabled_at: Date | null }>(`SELECT totp_enabled_at FROM user_credentials WHERE account_id = $1`, [row.account_id]);
    return send(reply, lang, u(lang, 'forgot.newTitle'), newPasswordPage(lang, preToken(request, reply), request.params.token, !!c?.totp_enabled_at, null));
  });

  app.post<{ Params: { token: string } }>('/account/forgot/:token', async (request, reply) => {
    const lang = requestLang(request, reply);
    reply.header('referrer-policy', 'no-referrer');
    checkPre(request);
    const pre = preToken(request, reply);
    const token = request.params.token;
    const row = await resetTokenRow(token);
    if (!row) return send(reply, lang, u(lang, 'forgot.title'), forgotPage(lang, pre, null, u(lang, 'forgot.expired')), 404);
    const body = (request.body ?? {}) as Record<string, unknown>;
    const [c] = await db.query<{ totp_enabled_at: Date | null; totp_secret: string | null }>(`SELECT totp_enabled_at, totp_secret FROM user_credentials WHERE account_id = $1`, [row.account_id]);
    const needsCode = !!c?.totp_enabled_at;
    const again = (status: number, error: string) => send(reply, lang, u(lang, 'forgot.newTitle'), newPasswordPage(lang, pre, token, needsCode, error), status);
    const codeAttempt: CodeAttempt = { ip: null, accountId: row.account_id, device: null };
    const codeWait = throttle.codeWaitMs(codeAttempt);
    if (codeWait > 0) return again(429, u(lang, 'rateLimited', { minutes: minutes(codeWait) }));
    let hash: string;
    try {
      hash = await hashUserPassword(checkNewPassword(str(body.password, 2000)));
    } catch (err) {
      if (!isKinkyuError(err)) throw err;
      return again(err.httpStatus, errorMessage(lang, err));
    }
    // Knowing the mailbox is not enough where the account has a second factor.
    if (needsCode && !(c?.totp_secret && (await verifyAndConsumeTotp(db, row.account_id, c.totp_secret, body.code, clock())))) {
      throttle.codeFailed(codeAttempt);
      await record(request, row.account_id, 'sign_in_failed', { reason: 'password_reset_second_factor' });
      return again(401, u(lang, 'tfa.bad'));
    }
    const until = await hold(row.account_id);
    const used = await db.transaction(async (tx) => {
      const [claimed] = await tx.query(`UPDATE password_reset_tokens SET used_at = $2 WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2 RETURNING 1`, [sha256Hex(token), clock()]);
      if (!claimed) return null;
      // must_reenrol_2fa is set only by a staff unlock: this is the owner's way back in after it.
      const [updated] = await tx.query<{ must_reenrol_2fa: boolean }>(
        `UPDATE user_credentials SET password_hash = $2, password_changed_at = $3, must_reset_password = false WHERE account_id = $1 RETURNING must_reenrol_2fa`,
        [row.account_id, hash, clock()],
      );
      // Every session ends: whoever had the old password is out.
      await tx.query(`UPDATE user_sessions SET revoked_at = $2 WHERE account_id = $1 AND revoked_at IS NULL`, [row.account_id, clock()]);
      await audit(tx, request, row.account_id, 'user.password_reset');
      return { afterUnlock: updated?.must_reenrol_2fa === true };
    });
    if (!used) return send(reply, lang, u(lang, 'forgot.title'), forgotPage(lang, pre, null, u(lang, 'forgot.expired')), 404);
    await record(request, row.account_id, 'password_changed', { reset: true, holdUntil: until.toISOString() });
    await notify(row.account_id, 'password_changed', request, [], until);
    return reply.redirect(used.afterUnlock ? '/account/login?reset=unlocked' : '/account/login?reset=1', 303);
  });

  app.post('/account/logout', async (request, reply) => {
    const s = await findSession(request.cookies?.[cookieName]);
    if (s) {
      checkOrigin(request);
      const sent = (request.body as Record<string, unknown> | undefined)?._csrf;
      if (typeof sent !== 'string' || !sameSecret(sent, s.csrfToken)) throw new KinkyuError('CSRF');
      await db.transaction(async (tx) => {
        await tx.query(`UPDATE user_sessions SET revoked_at = $2 WHERE token_hash = $1`, [s.tokenHash, clock()]);
        await audit(tx, request, s.accountId, 'user.sign_out');
      });
    }
    reply.clearCookie(cookieName, { path: '/' });
    return reply.redirect('/account/login', 303);
  });

  // ---------------------------------------------------------------- the security center

  interface Prep { key: string; done: boolean; fix: SafeHtml }

  async function preparedness(lang: Lang, s: UserSession) {
    const [c] = await db.query<{
      password_changed_at: Date; totp_enabled_at: Date | null; emergency_contact: string | null; emergency_contact_verified_at: Date | null;
      recovery_codes_saved_at: Date | null; allowlist_enabled: boolean; declarations: Record<string, boolean> | string; passkeys: number;
    }>(`SELECT *, (SELECT count(*)::int FROM user_passkeys p WHERE p.account_id = c.account_id AND p.disabled_at IS NULL) AS passkeys
          FROM user_credentials c WHERE account_id = $1`, [s.accountId]);
    if (!c) throw new KinkyuError('NOT_FOUND', { what: 'account' });
    const decl = (typeof c.declarations === 'string' ? JSON.parse(c.declarations) : c.declarations) as Record<string, boolean>;
    const button = (action: string, label: string, extra: SafeHtml | string = '') =>
      html`<form method="post" action="${action}" class="inline">${csrfField(s)}${extra}<button type="submit" class="secondary">${label}</button></form>`;
    const declare = (item: string) => button('/account/declare', u(lang, `prep.${item}.fix`), html`<input type="hidden" name="item" value="${item}">`);
    const passkeys = Number(c.passkeys);
    // A passkey is the strongest factor: it counts as two-factor authentication and, phishing-resistant, once more.
    const items: Prep[] = [
      { key: 'passkey', done: passkeys > 0, fix: html`<a href="/account/passkeys">${u(lang, 'prep.passkey.fix')}</a>` },
      { key: 'totp', done: c.totp_enabled_at !== null || passkeys > 0, fix: html`<a href="/account/2fa">${u(lang, 'prep.totp.fix')}</a>` },
      { key: 'password', done: now() - new Date(c.password_changed_at).getTime() < 365 * 86_400_000, fix: html`<a href="/account#password">${u(lang, 'prep.password.fix')}</a>` },
      { key: 'contact', done: c.emergency_contact_verified_at !== null, fix: html`<a href="/account#contact">${u(lang, 'prep.contact.fix')}</a>` },
      { key: 'recovery', done: c.recovery_codes_saved_at !== null, fix: button('/account/recovery-codes', u(lang, 'prep.recovery.fix')) },
      { key: 'allowlist', done: c.allowlist_enabled, fix: button('/account/allowlist', u(lang, 'prep.allowlist.fix')) },
      { key: 'privateKeyBackup', done: decl.privateKeyBackup === true, fix: declare('privateKeyBackup') },
      { key: 'bookmarked', done: decl.bookmarked === true, fix: declare('bookmarked') },
      { key: 'faqRead', done: decl.faqRead === true, fix: html`<a href="${config.faqUrl}" rel="noopener">${u(lang, 'prep.faqRead.open')}</a> ${declare('faqRead')}` },
    ];
    return { items, score: items.filter((i) => i.done).length, contact: c.emergency_contact, contactVerified: c.emergency_contact_verified_at !== null, totpEnabled: c.totp_enabled_at !== null, passkeys };
  }

  // The demo mailbox's user pages (src/demo-mailbox/routes.ts) stand behind the same check as every page here.
  app.decorate('signedInUser', async (request: FastifyRequest, reply: FastifyReply) => {
    const s = await requireUser(request, reply, { allowForced: true, skipTerms: true });
    return s ? { accountId: s.accountId, email: s.email } : null;
  });

  app.decorate('userPreparedness', async (request: FastifyRequest, lang: Lang): Promise<UserPreparedness | null> => {
    const s = await findSession(request.cookies?.[cookieName]);
    return s && !s.pending2fa ? preparedness(lang, s) : null;
  });

  const when = (lang: Lang, d: Date | string) => formatDateTime(lang, new Date(d), config.timeZone);

  app.get('/account', async (request, reply) => {
    const s = await requireUser(request, reply);
    if (!s) return reply;
    const lang = requestLang(request, reply);
    const q = request.query as Record<string, unknown>;
    const done = typeof q.done === 'string' && /^\w{1,40}$/.test(q.done) ? q.done : null;
    const prep = await preparedness(lang, s);
    const account = await accounts.findAccount({ accountId: s.accountId });
    const sessions = await db.query<{ token_hash: string; device: string | null; ip: string | null; country: string | null; last_seen_at: Date; created_at: Date }>(
      `SELECT token_hash, device, ip, country, last_seen_at, created_at FROM user_sessions
        WHERE account_id = $1 AND revoked_at IS NULL AND pending_2fa = false AND expires_at > $2 ORDER BY last_seen_at DESC`,
      [s.accountId, clock()],
    );
    const history = await db.query<{ kind: string; at: Date; ip: string | null; country: string | null; device: string | null }>(
      `SELECT kind, at, ip, country, device FROM account_events WHERE account_id = $1 AND kind IN ('sign_in','sign_in_failed') ORDER BY at DESC, id DESC LIMIT 20`,
      [s.accountId],
    );
    const holdUntil = account?.withdrawalHoldUntil && new Date(account.withdrawalHoldUntil).getTime() > now() ? new Date(account.withdrawalHoldUntil) : null;
    const addresses = store
      ? await db.query<{ asset: string; address: string; usable_after: Date }>(`SELECT asset, address, usable_after FROM xch_withdrawal_addresses WHERE account_id = $1 ORDER BY created_at`, [s.accountId])
      : [];
    const review = await opts.recovery?.review(s.accountId).catch((err: unknown) => {
      request.log.warn({ err }, 'the recovery review could not be read from the exchange');
      return null;
    });
    const body = html`<h1>${u(lang, 'center.title')}</h1>
<p class="meta">${s.email}</p>
${opts.demoMailbox ? html`<p class="notice">${t(lang, 'mailbox.centerNotice')} <a href="/account/mailbox">${t(lang, 'mailbox.centerLink')}</a></p>` : ''}
${done ? html`<p class="flash" role="status">${t(lang, `user.done.${done}` as MessageKey)}</p>` : ''}
${review ? recoveryReviewSection(lang, config.timeZone, review, csrfField(s)) : ''}
<section class="lock-box" aria-labelledby="lock-h"><h2 id="lock-h">${u(lang, 'lock.heading')}</h2>
<p>${u(lang, 'lock.lead')}</p>
<p><a class="button danger" href="/account/lock">${u(lang, 'lock.button')}</a></p></section>
${holdUntil ? html`<p class="notice" role="status">${u(lang, 'hold.active', { until: when(lang, holdUntil) })}</p>` : ''}
<section aria-labelledby="prep-h"><h2 id="prep-h">${u(lang, 'prep.title')}</h2>
<p class="score"><strong id="prep-score">${u(lang, 'prep.score', { score: prep.score, total: prep.items.length })}</strong></p>
<meter min="0" max="${prep.items.length}" value="${prep.score}" aria-labelledby="prep-score">${prep.score}/${prep.items.length}</meter>
<ul class="checklist prep">${prep.items.map((i) => html`<li class="${i.done ? 'done' : 'todo'}"><span>${i.done ? '✓ ' : '□ '}${u(lang, `prep.${i.key}`)}</span>${i.done ? '' : html` <span class="fix">${i.fix}</span>`}</li>`)}</ul>
</section>
${await Promise.all(sections.map((section) => section(s, lang)))}
<section aria-labelledby="sessions-h"><h2 id="sessions-h">${u(lang, 'sessions.title')}</h2>
<ul class="sessions">${sessions.map((x) => html`<li><strong>${x.device ?? '?'}</strong>${x.token_hash === s.tokenHash ? html` <em>(${u(lang, 'sessions.this')})</em>` : ''}<br>
<span class="meta">${x.ip ?? '-'} · ${x.country ?? u(lang, 'sessions.unknownCountry')} · ${u(lang, 'sessions.lastSeen', { time: when(lang, x.last_seen_at) })}</span>
${x.token_hash === s.tokenHash ? '' : html`<form method="post" action="/account/sessions/revoke" class="inline">${csrfField(s)}<input type="hidden" name="session" value="${x.token_hash}"><button type="submit" class="secondary">${u(lang, 'sessions.revoke')}</button></form>`}</li>`)}</ul>
<form method="post" action="/account/sessions/revoke-others">${csrfField(s)}<button type="submit" class="secondary">${u(lang, 'sessions.revokeOthers')}</button></form>
</section>
<section aria-labelledby="password-h" id="password"><h2 id="password-h">${u(lang, 'password.title')}</h2>
<p class="hint">${u(lang, 'password.holdHint', { hours: holdMs / 3_600_000 })}</p>
<form method="post" action="/account/password" class="stack">${csrfField(s)}
<div><label for="current">${u(lang, 'password.current')}</label><input id="current" name="current" type="password" autocomplete="current-password" required></div>
<div><label for="new-password">${u(lang, 'password.new')}</label><input id="new-password" name="password" type="password" autocomplete="new-password" minlength="10" required></div>
<button type="submit">${u(lang, 'password.submit')}</button></form></section>
<section aria-labelledby="tfa-h"><h2 id="tfa-h">${u(lang, 'tfaSetup.heading')}</h2>
<p>${prep.totpEnabled ? u(lang, 'tfaSetup.on') : u(lang, 'tfaSetup.off')}</p>
<p><a href="/account/2fa">${prep.totpEnabled ? u(lang, 'tfaSetup.change') : u(lang, 'tfaSetup.enable')}</a></p>
${passkeyLinks.center(lang, prep.passkeys)}
<form method="post" action="/account/recovery-codes">${csrfField(s)}<button type="submit" class="secondary">${u(lang, 'recovery.generate')}</button></form></section>
<section aria-labelledby="contact-h" id="contact"><h2 id="contact-h">${u(lang, 'contact.title')}</h2>
<p class="hint">${u(lang, 'contact.hint')}</p>
${prep.contact ? html`<p>${prep.contact} — ${prep.contactVerified ? u(lang, 'contact.verified') : u(lang, 'contact.unverified')}</p>` : ''}
${prep.contact && !prep.contactVerified ? html`<form method="post" action="/account/contact/verify" class="stack">${csrfField(s)}
<div><label for="contact-code">${u(lang, 'contact.code')}</label><input id="contact-code" name="code" inputmode="numeric" maxlength="8" required></div>
<button type="submit">${u(lang, 'contact.verify')}</button></form>` : ''}
<form method="post" action="/account/contact" class="stack">${csrfField(s)}
<div><label for="contact-email">${u(lang, 'contact.email')}</label><input id="contact-email" name="email" type="email" required></div>
<button type="submit" class="secondary">${u(lang, 'contact.submit')}</button></form></section>
<section aria-labelledby="email-h"><h2 id="email-h">${u(lang, 'email.title')}</h2>
<p class="hint">${u(lang, 'email.hint')}</p>
<form method="post" action="/account/email" class="stack">${csrfField(s)}
<div><label for="new-email">${u(lang, 'email.new')}</label><input id="new-email" name="email" type="email" required></div>
<div><label for="email-password">${u(lang, 'password.current')}</label><input id="email-password" name="current" type="password" autocomplete="current-password" required></div>
<button type="submit" class="secondary">${u(lang, 'email.submit')}</button></form></section>
${store ? html`<section aria-labelledby="wd-h"><h2 id="wd-h">${u(lang, 'withdraw.title')}</h2>
<p class="hint">${u(lang, 'withdraw.demo')}</p>
<ul>${addresses.map((a) => html`<li>${a.asset} <code>${a.address}</code> — ${new Date(a.usable_after).getTime() > now() ? u(lang, 'withdraw.usableAfter', { time: when(lang, a.usable_after) }) : u(lang, 'withdraw.usable')}</li>`)}</ul>
<form method="post" action="/account/addresses" class="stack">${csrfField(s)}
<div><label for="addr-asset">${u(lang, 'withdraw.asset')}</label><input id="addr-asset" name="asset" value="BTC" required maxlength="10"></div>
<div><label for="addr">${u(lang, 'withdraw.address')}</label><input id="addr" name="address" required maxlength="120"></div>
<button type="submit" class="secondary">${u(lang, 'withdraw.addAddress')}</button></form>
<form method="post" action="/account/withdrawals" class="stack">${csrfField(s)}
<div><label for="wd-asset">${u(lang, 'withdraw.asset')}</label><input id="wd-asset" name="asset" value="BTC" required maxlength="10"></div>
<div><label for="wd-amount">${u(lang, 'withdraw.amount')}</label><input id="wd-amount" name="amount" inputmode="decimal" required maxlength="30"></div>
<div><label for="wd-address">${u(lang, 'withdraw.address')}</label><input id="wd-address" name="address" required maxlength="120"></div>
<button type="submit" class="secondary">${u(lang, 'withdraw.request')}</button></form></section>` : ''}
<section aria-labelledby="hist-h"><h2 id="hist-h">${u(lang, 'history.title')}</h2>
<ul class="history">${history.map((h) => html`<li>${h.kind === 'sign_in' ? u(lang, 'history.ok') : u(lang, 'history.failed')} · ${when(lang, h.at)} · ${h.device ?? '-'} · ${h.ip ?? '-'} · ${h.country ?? '-'}</li>`)}</ul></section>
<form method="post" action="/account/logout">${csrfField(s)}<button type="submit" class="secondary">${u(lang, 'logout')}</button></form>`;
    return send(reply, lang, u(lang, 'center.title'), body);
  });

  /** Runs a security-center change; a refusal re-renders as a message page with the right status. */
  const refusalPage = (reply: FastifyReply, lang: Lang, err: unknown) => {
    if (!isKinkyuError(err)) throw err;
    return send(reply, lang, u(lang, 'center.title'), html`<p class="error-box" role="alert">${errorMessage(lang, err)}</p><p><a href="/account">${u(lang, 'back')}</a></p>`, err.httpStatus);
  };

  async function withUser(request: FastifyRequest, reply: FastifyReply, fn: (s: UserSession, body: Record<string, unknown>, lang: Lang) => Promise<unknown>, o: { allowForced?: boolean; skipTerms?: boolean } = {}) {
    const s = await requireUser(request, reply, o);
    if (!s) return reply;
    const lang = requestLang(request, reply);
    try {
      return await fn(s, (request.body ?? {}) as Record<string, unknown>, lang);
    } catch (err) {
      return refusalPage(reply, lang, err);
    }
  }

  const checkCurrentPassword = async (s: UserSession, value: unknown) => {
    if (!sensitiveByAccount.take(s.accountId)) throw new KinkyuError('RATE_LIMITED');
    const [c] = await db.query<{ password_hash: string }>(`SELECT password_hash FROM user_credentials WHERE account_id = $1`, [s.accountId]);
    if (!c || !(await verifyUserPassword(c.password_hash, str(value)))) throw new KinkyuError('BAD_CREDENTIALS', { rule: 'current_password' });
  };

  // ---------------------------------------------------------------- step-up before sensitive actions

  const envStepUpMinutes = Number(process.env.STEP_UP_MINUTES ?? 10);
  const sessionStepUp = new SessionStepUp(db, clock, opts.stepUpMinutes ?? (Number.isFinite(envStepUpMinutes) && envStepUpMinutes >= 0 ? envStepUpMinutes : 10));

  /** A second factor recently passed on this session; always a fresh one while detection has flagged the account. */
  async function steppedUp(s: UserSession): Promise<boolean> {
    if (await opts.stepUp?.required?.(s.accountId)) return false;
    return sessionStepUp.allows(s.tokenHash);
  }

  const stepUpPage = (lang: Lang, s: UserSession, action: StepUpAction, o: { error?: string | null; notice?: string | null } = {}) => html`<h1>${u(lang, 'stepUp.title')}</h1>
${o.error ? html`<p class="error-box" role="alert">${o.error}</p>` : ''}
${o.notice ? html`<p class="notice" role="status">${o.notice}</p>` : ''}
<p>${u(lang, 'stepUp.lead')}</p>
${s.passkeys ? passkeyLinks.stepUp(lang, action) : ''}
${s.totpEnabled || s.passkeys ? '' : html`<p class="notice">${u(lang, 'stepUp.emailed', { minutes: STEP_UP_CODE_MINUTES })}${opts.demoMailbox ? html` <a href="/account/mailbox" target="_blank">${t(lang, 'mailbox.stepUpLink')}</a>` : ''}</p>`}
${s.totpEnabled || !s.passkeys ? html`<form method="post" action="/account/step-up" class="stack">${csrfField(s)}<input type="hidden" name="action" value="${action}">
<div><label for="code">${s.totpEnabled ? u(lang, 'tfa.code') : u(lang, 'stepUp.emailCode')}</label><input id="code" name="code" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9 ]{6,7}" maxlength="7"></div>
<button type="submit">${u(lang, 'tfa.submit')}</button></form>` : ''}
${s.totpEnabled || s.passkeys ? '' : html`<form method="post" action="/account/step-up/send">${csrfField(s)}<input type="hidden" name="action" value="${action}"><button type="submit" class="secondary">${u(lang, 'stepUp.resend')}</button></form>`}
<details><summary>${u(lang, 'tfa.useRecovery')}</summary>
<form method="post" action="/account/step-up" class="stack">${csrfField(s)}<input type="hidden" name="action" value="${action}">
<div><label for="recovery">${u(lang, 'tfa.recovery')}</label><input id="recovery" name="recovery" autocomplete="off" maxlength="20"></div>
<button type="submit">${u(lang, 'tfa.submit')}</button></form></details>
<p><a href="/account">${u(lang, 'back')}</a></p>
<p class="hint">${u(lang, 'stepUp.notYou')} <a href="/account/lock">${u(lang, 'lock.button')}</a></p>`;

  async function mailStepUpCode(s: UserSession, code: string): Promise<void> {
    const lockLink = await lock.issueLockLink(s.accountId, s.email, 'step_up');
    const mail = actionCodeMail({ lang: s.lang, exchangeName: exchangeName(s.lang), code, minutes: STEP_UP_CODE_MINUTES, lockLink });
    await db.transaction((tx) => enqueueMail(tx, { to: s.email, subject: mail.subject, text: mail.text, lang: s.lang }, { domain: opts.mailDomain }));
  }

  /** The step-up page instead of the action; without an authenticator, a code goes to the account's address. */
  async function askForStepUp(reply: FastifyReply, lang: Lang, s: UserSession, action: StepUpAction): Promise<FastifyReply> {
    if (!s.totpEnabled && !s.passkeys) {
      const code = await sessionStepUp.issueCode(s.tokenHash);
      if (code) await mailStepUpCode(s, code);
    }
    return send(reply, lang, u(lang, 'stepUp.title'), stepUpPage(lang, s, action), 403);
  }

  /** A sensitive change: runs only after a recent step-up; otherwise the step-up page, and the user submits again. */
  const withSteppedUpUser = (request: FastifyRequest, reply: FastifyReply, action: StepUpAction, fn: (s: UserSession, body: Record<string, unknown>, lang: Lang) => Promise<unknown>) =>
    withUser(request, reply, async (s, body, lang) => ((await steppedUp(s)) ? fn(s, body, lang) : askForStepUp(reply, lang, s, action)));

  app.post('/account/step-up', (request, reply) =>
    withUser(request, reply, async (s, body, lang) => {
      if (!isStepUpAction(body.action)) throw new KinkyuError('VALIDATION', { field: 'action' });
      const action = body.action;
      const page = (status: number, error: string) => send(reply, lang, u(lang, 'stepUp.title'), stepUpPage(lang, s, action, { error }), status);
      const attempt: CodeAttempt = { ip: request.ip, accountId: s.accountId, device: knownDeviceOf(request, s.accountId) };
      const wait = throttle.codeWaitMs(attempt);
      if (wait > 0) return page(429, u(lang, 'rateLimited', { minutes: minutes(wait) }));
      let method: string | null = null;
      if (typeof body.recovery === 'string' && body.recovery.trim()) {
        if (await useRecoveryCode(db, s.accountId, body.recovery, clock())) method = 'recovery_code';
      } else if (s.totpEnabled) {
        const [c] = await db.query<{ totp_secret: string | null }>(`SELECT totp_secret FROM user_credentials WHERE account_id = $1`, [s.accountId]);
        if (c?.totp_secret && (await verifyAndConsumeTotp(db, s.accountId, c.totp_secret, body.code, clock()))) method = 'totp';
      } else if (await sessionStepUp.checkCode(s.tokenHash, body.code)) {
        method = 'email_code';
      }
      if (!method) {
        throttle.codeFailed(attempt);
        await record(request, s.accountId, 'sign_in_failed', { reason: 'step_up' });
        return page(401, u(lang, 'tfa.bad'));
      }
      throttle.codePassed(attempt);
      await sessionStepUp.passed(s.tokenHash);
      await opts.stepUp?.complete(s.accountId);
      await db.transaction((tx) => audit(tx, request, s.accountId, 'user.step_up', { method, action }));
      return reply.redirect(STEP_UP_ACTIONS[action], 303);
    }));

  app.post('/account/step-up/send', (request, reply) =>
    withUser(request, reply, async (s, body, lang) => {
      if (!isStepUpAction(body.action)) throw new KinkyuError('VALIDATION', { field: 'action' });
      if (s.totpEnabled || s.passkeys) return send(reply, lang, u(lang, 'stepUp.title'), stepUpPage(lang, s, body.action), 403);
      if (!sensitiveByAccount.take(`${s.accountId}:step-up-mail`)) throw new KinkyuError('RATE_LIMITED');
      const code = await sessionStepUp.issueCode(s.tokenHash, { force: true });
      if (code) await mailStepUpCode(s, code);
      return send(reply, lang, u(lang, 'stepUp.title'), stepUpPage(lang, s, body.action, { notice: u(lang, 'stepUp.resent') }), 403);
    }));

  // After an unlock: the user removes a withdrawal address, API key or session made while the account was in the
  // wrong hands (protective, like revoking a session: no step-up).
  app.post('/account/recovery/remove', (request, reply) =>
    withUser(request, reply, async (s, body) => {
      if (!opts.recovery) throw new KinkyuError('NOT_FOUND');
      await opts.recovery.removeItem(actorOf(request, s.accountId), s.accountId, body.kind, body.id);
      return reply.redirect('/account?done=recoveryRemoved#recovery', 303);
    }));

  app.post('/account/sessions/revoke', (request, reply) =>
    withUser(request, reply, async (s, body) => {
      const target = str(body.session, 64);
      await db.transaction(async (tx) => {
        const rows = await tx.query(`UPDATE user_sessions SET revoked_at = $3 WHERE account_id = $1 AND token_hash = $2 AND revoked_at IS NULL RETURNING 1`, [s.accountId, target, clock()]);
        if (rows.length) await audit(tx, request, s.accountId, 'user.session_revoke', { count: 1 });
      });
      return reply.redirect('/account?done=revoked', 303);
    }));

  app.post('/account/sessions/revoke-others', (request, reply) =>
    withUser(request, reply, async (s) => {
      await db.transaction(async (tx) => {
        const rows = await tx.query(`UPDATE user_sessions SET revoked_at = $3 WHERE account_id = $1 AND token_hash <> $2 AND revoked_at IS NULL RETURNING 1`, [s.accountId, s.tokenHash, clock()]);
        await audit(tx, request, s.accountId, 'user.session_revoke_all', { count: rows.length });
      });
      return reply.redirect('/account?done=revokedAll', 303);
    }));

  async function setPassword(request: FastifyRequest, s: UserSession, password: string, forced: boolean): Promise<Date> {
    const hash = await hashUserPassword(checkNewPassword(password));
    // The hold first: if the exchange cannot take it, the change does not happen either.
    const until = await hold(s.accountId);
    await db.transaction(async (tx) => {
      await tx.query(`UPDATE user_credentials SET password_hash = $2, password_changed_at = $3, must_reset_password = false WHERE account_id = $1`, [s.accountId, hash, clock()]);
      // Other sessions end: whoever else knew the old password is out.
      await tx.query(`UPDATE user_sessions SET revoked_at = $3 WHERE account_id = $1 AND token_hash <> $2 AND revoked_at IS NULL`, [s.accountId, s.tokenHash, clock()]);
      await audit(tx, request, s.accountId, 'user.password_change', { forced });
    });
    await record(request, s.accountId, 'password_changed', { forced, holdUntil: until.toISOString() });
    await notify(s.accountId, 'password_changed', request, [], until);
    return until;
  }

  app.post('/account/password', (request, reply) =>
    withUser(request, reply, async (s, body) => {
      await checkCurrentPassword(s, body.current);
      await setPassword(request, s, str(body.password, 2000), false);
      return reply.redirect('/account?done=password', 303);
    }));

  // After an unlock: a new password, then 2FA again, before anything else.
  const resetPage = (lang: Lang, s: UserSession, error: string | null) => html`<h1>${u(lang, 'reset.title')}</h1>
<p>${u(lang, 'reset.lead')}</p>
${error ? html`<p class="error-box" role="alert">${error}</p>` : ''}
<form method="post" action="/account/reset" class="stack">${csrfField(s)}
<div><label for="new-password">${u(lang, 'password.new')}</label><input id="new-password" name="password" type="password" autocomplete="new-password" minlength="10" required></div>
<button type="submit">${u(lang, 'password.submit')}</button></form>`;

  app.get('/account/reset', async (request, reply) => {
    const s = await requireUser(request, reply, { allowForced: true });
    if (!s) return reply;
    if (!s.mustResetPassword) return reply.redirect('/account', 303);
    const lang = requestLang(request, reply);
    return send(reply, lang, u(lang, 'reset.title'), resetPage(lang, s, null));
  });

  app.post('/account/reset', (request, reply) =>
    withUser(request, reply, async (s, body, lang) => {
      if (!s.mustResetPassword) return reply.redirect('/account', 303);
      try {
        await setPassword(request, s, str(body.password, 2000), true);
      } catch (err) {
        if (!isKinkyuError(err)) throw err;
        return send(reply, lang, u(lang, 'reset.title'), resetPage(lang, s, errorMessage(lang, err)), err.httpStatus);
      }
      return reply.redirect(s.mustReenrol2fa ? '/account/2fa' : '/account?done=password', 303);
    }, { allowForced: true }));

  // 2FA enrolment / change: a new secret (kept pending until a code from it is confirmed).
  app.get('/account/2fa', async (request, reply) => {
    const s = await requireUser(request, reply, { allowForced: true });
    if (!s) return reply;
    if (s.mustResetPassword) return reply.redirect('/account/reset', 303);
    const lang = requestLang(request, reply);
    const [c] = await db.query<{ totp_pending_secret: string | null }>(`SELECT totp_pending_secret FROM user_credentials WHERE account_id = $1`, [s.accountId]);
    let secret = c?.totp_pending_secret ?? null;
    if (!secret) {
      secret = generateTotpSecret();
      await db.query(`UPDATE user_credentials SET totp_pending_secret = $2 WHERE account_id = $1`, [s.accountId, secret]);
    }
    const steppedUpNow = (request.query as Record<string, unknown>).done === 'steppedUp';
    return send(reply, lang, u(lang, 'tfaSetup.title'), await totpSetupPage(lang, s, secret, null, steppedUpNow ? u(lang, 'done.steppedUp') : null));
  });

  const totpSetupPage = async (lang: Lang, s: UserSession, secret: string, error: string | null, notice: string | null = null) => {
    const uri = totpUri(secret, exchangeName(lang), s.email);
    const qr = await QRCode.toDataURL(uri, { errorCorrectionLevel: 'M', margin: 2, width: 240 });
    const needsPassword = !s.mustReenrol2fa;
    return html`<h1>${u(lang, 'tfaSetup.title')}</h1>
${s.mustReenrol2fa ? html`<p class="notice" role="status">${u(lang, 'reset.tfaLead')}</p>` : ''}
${notice ? html`<p class="flash" role="status">${notice}</p>` : ''}
${error ? html`<p class="error-box" role="alert">${error}</p>` : ''}
<ol class="steps"><li>${u(lang, 'tfaSetup.step1')}</li><li>${u(lang, 'tfaSetup.step2')}</li></ol>
<p><img src="${qr}" width="240" height="240" alt="${u(lang, 'tfaSetup.qrAlt')}"></p>
<p>${u(lang, 'tfaSetup.secret')} <code id="totp-secret">${secret.replace(/(.{4})/g, '$1 ').trim()}</code></p>
${s.totpEnabled ? html`<p class="hint">${u(lang, 'tfaSetup.holdHint', { hours: holdMs / 3_600_000 })}</p>` : ''}
<form method="post" action="/account/2fa" class="stack">${csrfField(s)}
${needsPassword ? html`<div><label for="current">${u(lang, 'password.current')}</label><input id="current" name="current" type="password" autocomplete="current-password" required></div>` : ''}
<div><label for="code">${u(lang, 'tfa.code')}</label><input id="code" name="code" inputmode="numeric" autocomplete="one-time-code" maxlength="7" required></div>
<button type="submit">${u(lang, 'tfaSetup.confirm')}</button></form>`;
  };

  app.post('/account/2fa', (request, reply) =>
    withUser(request, reply, async (s, body, lang) => {
      if (s.mustResetPassword) return reply.redirect('/account/reset', 303);
      const [c] = await db.query<{ totp_pending_secret: string | null }>(`SELECT totp_pending_secret FROM user_credentials WHERE account_id = $1`, [s.accountId]);
      const secret = c?.totp_pending_secret;
      if (!secret) return reply.redirect('/account/2fa', 303);
      // Enrolling an authenticator is sensitive, the first one too: whoever enrols one passes every later step-up.
      // Without one yet, the step-up code goes to the account's address. After an unlock, the reset password and
      // the re-enrolment are the recovery itself.
      if (!s.mustReenrol2fa && !(await steppedUp(s))) return askForStepUp(reply, lang, s, 'totp');
      if (!s.mustReenrol2fa) await checkCurrentPassword(s, body.current);
      if (!sensitiveByAccount.take(`${s.accountId}:totp`)) throw new KinkyuError('RATE_LIMITED');
      // The new secret's code is checked against a step counter of its own: start fresh.
      const step = matchTotpStep(secret, body.code, clock());
      if (step === null) return send(reply, lang, u(lang, 'tfaSetup.title'), await totpSetupPage(lang, s, secret, u(lang, 'tfa.bad')), 400);
      const replacing = s.totpEnabled;
      // The hold first (on every 2FA change, the first enrolment too): without it, no change.
      const until = await hold(s.accountId);
      await db.transaction(async (tx) => {
        await tx.query(
          `UPDATE user_credentials SET totp_secret = $2, totp_enabled_at = $3, totp_last_step = $4, totp_pending_secret = NULL, must_reenrol_2fa = false WHERE account_id = $1`,
          [s.accountId, secret, clock(), step],
        );
        await audit(tx, request, s.accountId, replacing ? 'user.totp_change' : 'user.totp_enable', { reenrol: s.mustReenrol2fa });
      });
      await record(request, s.accountId, replacing ? 'totp_reset' : 'totp_enabled', { holdUntil: until.toISOString() });
      await notify(s.accountId, 'totp_changed', request, [], until);
      return reply.redirect('/account?done=totp', 303);
    }, { allowForced: true }));

  app.post('/account/recovery-codes', (request, reply) =>
    withSteppedUpUser(request, reply, 'recovery', async (s, _body, lang) => {
      const codes = await db.transaction(async (tx) => {
        const list = await newRecoveryCodes(tx, s.accountId, clock());
        await audit(tx, request, s.accountId, 'user.recovery_codes');
        return list;
      });
      await notify(s.accountId, 'recovery_codes_regenerated', request);
      return send(reply, lang, u(lang, 'recovery.title'), html`<h1>${u(lang, 'recovery.title')}</h1>
<p class="notice" role="status">${u(lang, 'recovery.once')}</p>
<ol class="recovery-codes">${codes.map((c) => html`<li><code>${c}</code></li>`)}</ol>
<p><a href="/account?done=recovery">${u(lang, 'recovery.saved')}</a></p>`);
    }));

  app.post('/account/declare', (request, reply) =>
    withUser(request, reply, async (s, body) => {
      const item = str(body.item, 40);
      if (!['privateKeyBackup', 'bookmarked', 'faqRead'].includes(item)) throw new KinkyuError('VALIDATION', { field: 'item' });
      await db.transaction(async (tx) => {
        await tx.query(`UPDATE user_credentials SET declarations = declarations || $2::jsonb WHERE account_id = $1`, [s.accountId, JSON.stringify({ [item]: true })]);
        await audit(tx, request, s.accountId, 'user.preparedness_declare', { item });
      });
      return reply.redirect('/account?done=declared', 303);
    }));

  app.post('/account/allowlist', (request, reply) =>
    withUser(request, reply, async (s) => {
      await db.transaction(async (tx) => {
        await tx.query(`UPDATE user_credentials SET allowlist_enabled = true WHERE account_id = $1`, [s.accountId]);
        await audit(tx, request, s.accountId, 'user.allowlist_enable');
      });
      return reply.redirect('/account?done=allowlist', 303);
    }));

  app.post('/account/contact', (request, reply) =>
    withUser(request, reply, async (s, body, lang) => {
      const email = str(body.email, 254).trim();
      if (!/^[^\s@<>,;:"()[\]\\]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$/.test(email)) throw new KinkyuError('VALIDATION', { field: 'email', rule: 'email' });
      if (emailKeyOf(email) === emailKeyOf(s.email)) throw new KinkyuError('VALIDATION', { field: 'email', rule: 'contact_same' });
      if (!sensitiveByAccount.take(`${s.accountId}:contact`)) throw new KinkyuError('RATE_LIMITED');
      const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
      await db.transaction(async (tx) => {
        await tx.query(
          `UPDATE user_credentials SET emergency_contact = $2, emergency_contact_verified_at = NULL, emergency_contact_code_hash = $3, emergency_contact_code_expires_at = $4 WHERE account_id = $1`,
          [s.accountId, email, sha256Hex(`${s.accountId}:${code}`), new Date(now() + 86_400_000)],
        );
        await audit(tx, request, s.accountId, 'user.emergency_contact_register', { contact: email });
        const mail = contactVerificationMail({ lang, exchangeName: exchangeName(lang), code, account: s.email });
        await enqueueMail(tx, { to: email, subject: mail.subject, text: mail.text, lang }, { domain: opts.mailDomain });
      });
      await record(request, s.accountId, 'emergency_contact_changed', { verified: false });
      // The owner hears of it at the main address, with a lock link: a hijacked session cannot quietly take
      // over the backup channel.
      await notify(s.accountId, 'emergency_contact_changed', request, [[u(lang, 'contact.email'), email]]);
      return reply.redirect('/account?done=contactSent#contact', 303);
    }));

  app.post('/account/contact/verify', (request, reply) =>
    withUser(request, reply, async (s, body) => {
      if (!sensitiveByAccount.take(`${s.accountId}:contact-verify`)) throw new KinkyuError('RATE_LIMITED');
      const code = str(body.code, 12).replace(/\s/g, '');
      const rows = await db.transaction(async (tx) => {
        const r = await tx.query(
          `UPDATE user_credentials SET emergency_contact_verified_at = $3, emergency_contact_code_hash = NULL
            WHERE account_id = $1 AND emergency_contact_code_hash = $2 AND emergency_contact_code_expires_at > $3 RETURNING emergency_contact`,
          [s.accountId, sha256Hex(`${s.accountId}:${code}`), clock()],
        );
        if (r.length) await audit(tx, request, s.accountId, 'user.emergency_contact_verify');
        return r;
      });
      if (!rows.length) throw new KinkyuError('VALIDATION', { field: 'code', rule: 'contact_code' });
      await record(request, s.accountId, 'emergency_contact_changed', { verified: true });
      return reply.redirect('/account?done=contactVerified', 303);
    }));

  // Email change: the new address confirms it first. The answer is the same whether or not the address already
  // has an account; only what is mailed to it differs (a link, or a notice that nothing changed).
  const emailChanges = new EmailChanges(db, clock);
  const emailChangesByAddress = new RateLimiter(3, 60 * 60_000, now);

  app.post('/account/email', (request, reply) =>
    withSteppedUpUser(request, reply, 'email', async (s, body) => {
      if (!store) throw new KinkyuError('NOT_FOUND');
      await checkCurrentPassword(s, body.current);
      const email = str(body.email, 254).trim();
      if (!/^[^\s@<>,;:"()[\]\\]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$/.test(email)) throw new KinkyuError('VALIDATION', { field: 'email', rule: 'email' });
      if (emailKeyOf(email) === emailKeyOf(s.email)) throw new KinkyuError('VALIDATION', { field: 'email', rule: 'email_same' });
      // Past the limit per address, nothing more is mailed to it; the answer stays the same.
      if (emailChangesByAddress.take(emailKeyOf(email))) await startEmailChange(request, s, email);
      return reply.redirect('/account?done=emailSent', 303);
    }));

  async function startEmailChange(request: FastifyRequest, s: UserSession, email: string): Promise<void> {
    const owner = await accounts.findAccount({ email });
    if (owner) {
      const [cred] = await db.query<{ lang: string }>(`SELECT lang FROM user_credentials WHERE account_id = $1`, [owner.id]);
      const lang: Lang = cred ? (cred.lang === 'en' ? 'en' : 'ja') : s.lang;
      const mail = emailChangeTakenMail({ lang, exchangeName: exchangeName(lang) });
      await db.transaction(async (tx) => {
        await emailChanges.cancelOpen(s.accountId, tx);
        await enqueueMail(tx, { to: owner.email, subject: mail.subject, text: mail.text, lang }, { domain: opts.mailDomain });
        await audit(tx, request, s.accountId, 'user.email_change_request', { to: email, outcome: 'address_in_use' });
      });
    } else {
      const token = await emailChanges.request({ accountId: s.accountId, oldEmail: s.email, newEmail: email });
      const mail = emailChangeConfirmMail({ lang: s.lang, exchangeName: exchangeName(s.lang), link: `${config.publicUrl}/account/email/confirm/${token}`, minutes: EMAIL_CHANGE_MINUTES });
      await db.transaction(async (tx) => {
        await enqueueMail(tx, { to: email, subject: mail.subject, text: mail.text, lang: s.lang }, { domain: opts.mailDomain });
        await audit(tx, request, s.accountId, 'user.email_change_request', { to: email, outcome: 'confirmation_sent' });
      });
    }
  }

  const emailLinkRefused = (reply: FastifyReply, lang: Lang, status: number, key: 'expired' | 'cannot' | 'rateLimited') =>
    send(reply, lang, u(lang, 'emailConfirm.title'), html`<h1>${u(lang, 'emailConfirm.title')}</h1>
<p class="error-box" role="alert">${key === 'rateLimited' ? u(lang, 'rateLimited', { minutes: 15 }) : u(lang, `emailConfirm.${key}`)}</p>
<p><a href="/account">${u(lang, 'back')}</a></p>`, status);

  /**
   * A pending change still applies while the account is open, still at the address it was asked from, and the new
   * one free; and nothing since the request said the account was in the wrong hands (a lock, even if since lifted,
   * or a new password).
   */
  async function emailChangeStillApplies(change: OpenEmailChange): Promise<boolean> {
    const account = await accounts.findAccount({ accountId: change.accountId });
    if (!account || account.locked || emailKeyOf(account.email) !== emailKeyOf(change.oldEmail)) return false;
    const [locked] = await db.query(`SELECT 1 FROM account_locks WHERE account_id = $1 AND (unlocked_at IS NULL OR locked_at >= $2) LIMIT 1`, [change.accountId, change.createdAt]);
    if (locked) return false;
    const [newPassword] = await db.query(`SELECT 1 FROM user_credentials WHERE account_id = $1 AND password_changed_at > $2`, [change.accountId, change.createdAt]);
    if (newPassword) return false;
    return !(await accounts.findAccount({ email: change.newEmail }));
  }

  // The link only shows a button: mail scanners open links, and opening one must not change anything.
  app.get<{ Params: { token: string } }>('/account/email/confirm/:token', async (request, reply) => {
    const lang = requestLang(request, reply);
    reply.header('referrer-policy', 'no-referrer');
    const change = store ? await emailChanges.find(request.params.token) : null;
    if (!change) return emailLinkRefused(reply, lang, 404, 'expired');
    const pre = preToken(request, reply);
    return send(reply, lang, u(lang, 'emailConfirm.title'), html`<h1>${u(lang, 'emailConfirm.title')}</h1>
<p>${u(lang, 'emailConfirm.lead', { email: change.newEmail })}</p>
<p class="hint">${u(lang, 'emailConfirm.hold', { hours: holdMs / 3_600_000 })}</p>
<form method="post" action="/account/email/confirm/${request.params.token}" class="stack"><input type="hidden" name="_pre" value="${pre}">
<button type="submit">${u(lang, 'emailConfirm.submit')}</button></form>`);
  });

  app.post<{ Params: { token: string } }>('/account/email/confirm/:token', async (request, reply) => {
    const lang = requestLang(request, reply);
    reply.header('referrer-policy', 'no-referrer');
    checkPre(request);
    const token = request.params.token;
    if (!throttle.takeClientAttempt(request.ip)) return emailLinkRefused(reply, lang, 429, 'rateLimited');
    const change = store ? await emailChanges.find(token) : null;
    if (!store || !change) return emailLinkRefused(reply, lang, 404, 'expired');
    if (!(await emailChangeStillApplies(change))) {
      await emailChanges.claim(token);
      return emailLinkRefused(reply, lang, 409, 'cannot');
    }
    // Claim first: only the one request that wins the link holds withdrawals. If the hold then fails, the link is
    // used up with nothing changed; a new request starts over.
    if (!(await emailChanges.claim(token))) return emailLinkRefused(reply, lang, 404, 'expired');
    const until = await hold(change.accountId);
    try {
      await store.changeEmail(change.accountId, change.newEmail);
    } catch (err) {
      // Taken in the meantime (the address is unique).
      if ((err as { code?: string })?.code === '23505') return emailLinkRefused(reply, lang, 409, 'cannot');
      throw err;
    }
    await db.transaction((tx) => audit(tx, request, change.accountId, 'user.email_change', { from: change.oldEmail, to: change.newEmail }));
    await record(request, change.accountId, 'email_changed', { from: change.oldEmail, to: change.newEmail, holdUntil: until.toISOString() });
    // The old address hears of it too, with its own lock link: a hijacker changes the email first.
    await notify(change.accountId, 'email_changed', request, [['→', change.newEmail]], until, [change.oldEmail, change.newEmail]);
    return send(reply, lang, u(lang, 'emailConfirm.doneTitle'), html`<h1>${u(lang, 'emailConfirm.doneTitle')}</h1>
<p class="flash" role="status">${u(lang, 'done.email')}</p>
<p><a href="/account">${u(lang, 'back')}</a></p>`);
  });

  app.post('/account/addresses', (request, reply) =>
    withSteppedUpUser(request, reply, 'address', async (s, body) => {
      if (!store) throw new KinkyuError('NOT_FOUND');
      const asset = str(body.asset, 10).trim().toUpperCase();
      const address = str(body.address, 120).trim();
      if (!/^[A-Z0-9]{2,10}$/.test(asset)) throw new KinkyuError('VALIDATION', { field: 'asset' });
      if (!/^[\w:.-]{6,120}$/.test(address)) throw new KinkyuError('VALIDATION', { field: 'address' });
      await store.addWithdrawalAddress(s.accountId, { asset, address, holdMs });
      const usable = new Date(now() + holdMs);
      await db.transaction((tx) => audit(tx, request, s.accountId, 'user.withdrawal_address_add', { asset, address }));
      await record(request, s.accountId, 'withdrawal_address_added', { asset, address });
      await notify(s.accountId, 'withdrawal_address_added', request, [[asset, address]], usable);
      return reply.redirect('/account?done=address', 303);
    }));

  app.post('/account/withdrawals', (request, reply) =>
    withSteppedUpUser(request, reply, 'withdrawal', async (s, body) => {
      if (!store) throw new KinkyuError('NOT_FOUND');
      const asset = str(body.asset, 10).trim().toUpperCase();
      const amount = str(body.amount, 30).trim();
      const address = str(body.address, 120).trim();
      if (!/^[A-Z0-9]{2,10}$/.test(asset)) throw new KinkyuError('VALIDATION', { field: 'asset' });
      if (!/^\d+(\.\d+)?$/.test(amount)) throw new KinkyuError('VALIDATION', { field: 'amount' });
      const [c] = await db.query<{ allowlist_enabled: boolean }>(`SELECT allowlist_enabled FROM user_credentials WHERE account_id = $1`, [s.accountId]);
      if (c?.allowlist_enabled) {
        const [known] = await db.query(`SELECT 1 FROM xch_withdrawal_addresses WHERE account_id = $1 AND asset = $2 AND address = $3`, [s.accountId, asset, address]);
        if (!known) throw new KinkyuError('FORBIDDEN', { rule: 'not_allowlisted' });
      }
      const id = await store.requestWithdrawal(s.accountId, { asset, amount, address }, { newAddressHoldMs: holdMs });
      await db.transaction((tx) => audit(tx, request, s.accountId, 'user.withdrawal_request', { id, asset, amount, address }));
      await record(request, s.accountId, 'withdrawal_requested', { id, asset, amount, address });
      await notify(s.accountId, 'withdrawal_requested', request, [[asset, `${amount} → ${address}`]]);
      return reply.redirect('/account?done=withdrawal', 303);
    }));

  // ---------------------------------------------------------------- new terms: agree before continuing

  app.get('/account/terms', async (request, reply) => {
    const s = await requireUser(request, reply, { skipTerms: true });
    if (!s) return reply;
    const pending = await opts.terms?.pending(s.accountId);
    if (!pending || !opts.terms) return reply.redirect('/account', 303);
    const lang = requestLang(request, reply);
    const page = await opts.terms.page(lang, pending, { csrf: csrfField(s) });
    return send(reply, lang, page.title, page.body);
  });

  app.post('/account/terms', (request, reply) =>
    withUser(request, reply, async (s, body) => {
      const pending = await opts.terms?.pending(s.accountId);
      // Only the version the page showed: if a newer one came out meanwhile, that one is shown next.
      if (pending && opts.terms && body.version === pending.id) await opts.terms.acknowledge(s.accountId, pending.id, request.ip);
      return reply.redirect(pending && body.version !== pending.id ? '/account/terms' : '/account', 303);
    }, { skipTerms: true }));

  // ---------------------------------------------------------------- lock way (a): one button, one confirmation

  app.get('/account/lock', async (request, reply) => {
    const s = await requireUser(request, reply, { allowForced: true, skipTerms: true });
    if (!s) return reply;
    const lang = requestLang(request, reply);
    return send(reply, lang, u(lang, 'lock.confirmTitle'), html`<h1>${u(lang, 'lock.confirmTitle')}</h1>
<p>${u(lang, 'lock.confirmLead')}</p>
<ul class="steps"><li>${u(lang, 'lock.effect1')}</li><li>${u(lang, 'lock.effect2')}</li><li>${u(lang, 'lock.effect3')}</li><li>${u(lang, 'lock.effect4')}</li></ul>
<form method="post" action="/account/lock">${csrfField(s)}<button type="submit" class="danger">${u(lang, 'lock.confirm')}</button></form>
<p><a href="/account">${u(lang, 'lock.cancel')}</a></p>`);
  });

  app.post('/account/lock', async (request, reply) => {
    const lang = requestLang(request, reply);
    let s: UserSession | null;
    let result: LockResult;
    try {
      s = await requireUser(request, reply, { allowForced: true, skipTerms: true });
      if (!s) return reply;
      result = await lock.lock(s.accountId, { source: 'self', reason: 'locked by the user from the security center', actor: actorOf(request, s.accountId), lang }, { awaitRecord: false });
    } catch (err) {
      // The database or the exchange did not answer: say plainly what did not happen and what to do instead.
      const down = downDependency(err);
      if (!down) throw err;
      const notice = unavailableNotice(lang, down === 'exchange' ? 'lock_pending' : 'lock_not_done', phoneLine(config, opts.calendar, clock()));
      reply.header('retry-after', '60');
      return send(reply, lang, u(lang, 'lock.confirmTitle'), html`<h1>${u(lang, 'lock.confirmTitle')}</h1>${notice}
<p><a href="/help/lock">${t(lang, 'lock.invalid.helpLink')}</a></p>`, 503);
    }
    reply.clearCookie(cookieName, { path: '/' });
    return send(reply, lang, u(lang, 'lock.doneTitle'), html`<h1>${u(lang, 'lock.doneTitle')}</h1>
<div class="lock-box" role="status"><p>${u(lang, 'lock.doneLead')}</p></div>
<ul class="steps"><li>${u(lang, 'lock.done.sessions', { n: result.effects.sessionsRevoked })}</li><li>${u(lang, 'lock.done.keys', { n: result.effects.apiKeysRevoked })}</li>
<li>${u(lang, 'lock.done.blocked')}</li><li>${u(lang, 'lock.done.withdrawals', { n: result.effects.withdrawalsCancelled })}</li></ul>
${result.ticketNumber !== null ? html`<p class="ticket-number">${u(lang, 'lock.ticket')}: <strong id="lock-ticket">${result.ticketNumber}</strong></p>` : ''}
<h2>${u(lang, 'lock.nextTitle')}</h2>
${afterLockSteps(lang)}`);
  });

  // Passkeys (src/security-center/passkeys.ts): the same session, throttle, step-up, events, audit and notices as above.
  registerPasskeyRoutes(app, {
    db, config, accounts, clock, holdHours: holdMs / 3_600_000, send, session: (request) => findSession(request.cookies?.[cookieName]),
    requireUser: (request, reply) => requireUser(request, reply), withUser: (request, reply, fn) => withUser(request, reply, fn), withSteppedUpUser,
    csrfField, checkOrigin, preToken, checkPre, throttle, knownDeviceOf, completeSignIn, landing, lockedBody, record, audit, notify, hold,
    steppedUp: (tokenHash) => sessionStepUp.passed(tokenHash), completeDetectionStepUp: async (id) => opts.stepUp?.complete(id),
  });
  return {
    session: async (request) => {
      const s = await findSession(request.cookies?.[cookieName]);
      return s && !s.pending2fa ? s : null;
    },
    requireUser, withUser, withSteppedUpUser, send, csrfField, notify, audit,
    addSection: (section) => void sections.push(section),
  };
}
