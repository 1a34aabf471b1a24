import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Db } from '../store/db.ts';
import type { Config } from '../config.ts';
import { KinkyuError } from '../domain/errors.ts';
import { completeSignIn, type StaffPrincipal } from './accounts.ts';
import { checkFactor, listFactors, pendingTotpSecret, unusedRecoveryCodes, type FactorMethod } from './factors.ts';
import type { StaffOidc } from './oidc.ts';
import { StaffPasskeys } from './passkey-factor.ts';
import { hasTotp } from './passkey-store.ts';
import { RateLimiter } from '../web/rate-limit.ts';
import { totpQrDataUrl, totpUri } from '../security-center/totp.ts';
import { errorMessage } from '../web/errors.ts';
import { requestLang } from '../web/request-lang.ts';
import { consoleContext, sendPage } from '../console/form-action.ts';
import { allowWebAuthnScript } from '../webauthn/page.ts';
import * as views from './mfa-views.ts';
import * as passkeyViews from './passkey-views.ts';

export interface StaffMfaOptions {
  db: Db;
  config: Config;
  cookieName: string;
  clock: () => Date;
  /** The company's OpenID Connect provider, when configured. */
  oidc: StaffOidc | null;
}

export const WINDOW_MS = 15 * 60_000;

/** The flashes of the member's own factors page (`?ok=…` after adding or removing a passkey). */
const MY_FACTORS_FLASHES = { passkeyAdded: 'staffPasskey.flash.added', passkeyRemoved: 'staffPasskey.flash.removed' } as const;

/** Only our own console paths are followed after sign-in (never another site). */
export function safeStaffNext(next: unknown): string {
  return typeof next === 'string' && /^\/staff(\/[\w\-/?=&.%]*)?$/.test(next) && !next.startsWith('//') ? next : '/staff';
}

/**
 * What the factor routes share (src/staff/mfa-routes.ts, mfa-gate.ts, mfa-oidc-routes.ts, passkey-routes.ts): the
 * throttle of wrong answers, the code check, the passkey ceremonies, the session cookie and the pre-factor pages.
 *
 * Wrong answers are throttled like wrong passwords, per client and member (5 per 15 minutes), per member across
 * clients (10) and per client across members (30); a recovery code or a refused passkey counts the same.
 */
export function mfaKit(opts: StaffMfaOptions) {
  const { db, config, clock } = opts;
  const failuresByClientAndStaff = new RateLimiter(5, WINDOW_MS);
  const failuresByStaff = new RateLimiter(10, WINDOW_MS);
  const failuresByIp = new RateLimiter(30, WINDOW_MS);
  const passkeys = new StaffPasskeys(db, config, clock);
  const pairOf = (request: FastifyRequest, staff: StaffPrincipal) => `${request.ip}|${staff.id}`;

  const throttle = {
    /** A refusal when this client or member is past its wrong answers. */
    over(request: FastifyRequest, staff: StaffPrincipal): KinkyuError | null {
      const over = failuresByClientAndStaff.isOver(pairOf(request, staff)) || failuresByStaff.isOver(staff.id) || failuresByIp.isOver(request.ip);
      return over ? new KinkyuError('RATE_LIMITED', { rule: 'code' }) : null;
    },
    failed(request: FastifyRequest, staff: StaffPrincipal, rule: string | undefined): void {
      failuresByClientAndStaff.take(pairOf(request, staff));
      failuresByStaff.take(staff.id);
      failuresByIp.take(request.ip);
      request.log.warn({ ip: request.ip, staffId: staff.id, rule }, 'staff second factor refused');
    },
    passed(request: FastifyRequest, staff: StaffPrincipal): void {
      failuresByClientAndStaff.reset(pairOf(request, staff));
    },
    /** The enrolment's confirmation code: per client and member, and per client. */
    enrolOver(request: FastifyRequest, staff: StaffPrincipal): boolean {
      return failuresByClientAndStaff.isOver(pairOf(request, staff)) || failuresByIp.isOver(request.ip);
    },
    enrolFailed(request: FastifyRequest, staff: StaffPrincipal): void {
      failuresByClientAndStaff.take(pairOf(request, staff));
      failuresByIp.take(request.ip);
    },
  };

  /** Checks a code or a recovery code for the member, throttled; spends what it accepts. */
  async function verify(request: FastifyRequest, staff: StaffPrincipal, input: { code?: unknown; recovery?: unknown }): Promise<{ method: FactorMethod } | KinkyuError> {
    const over = throttle.over(request, staff);
    if (over) return over;
    const result = await checkFactor(db, staff.id, input, clock());
    if (!result.ok) {
      throttle.failed(request, staff, result.rule);
      return new KinkyuError('BAD_CREDENTIALS', { rule: result.rule });
    }
    throttle.passed(request, staff);
    return { method: result.method };
  }

  const setSessionCookie = (reply: FastifyReply, token: string) =>
    reply.setCookie(opts.cookieName, token, {
      path: '/', httpOnly: true, sameSite: 'lax', secure: config.secureCookies, maxAge: config.staffSessionHours * 3600,
    });

  const sessionMeta = (request: FastifyRequest) => ({
    ip: request.ip, userAgent: String(request.headers['user-agent'] ?? ''), hours: config.staffSessionHours,
  });

  /** A password-only session passed its factor: it becomes a signed-in one (a new token); the new CSRF token. */
  async function signedIn(request: FastifyRequest, reply: FastifyReply, staff: StaffPrincipal, method: FactorMethod): Promise<string> {
    const session = await completeSignIn(db, staff, { ...sessionMeta(request), factor: { at: clock(), method } });
    setSessionCookie(reply, session.token);
    return session.csrfToken;
  }

  /** The enrolment: an authenticator app (QR code, key, a code) or a passkey. */
  async function enrolPage(request: FastifyRequest, reply: FastifyReply, staff: StaffPrincipal, next: string, error?: KinkyuError, status = 200): Promise<FastifyReply> {
    const lang = requestLang(request, reply);
    const secret = await pendingTotpSecret(db, staff.sessionHash);
    const qr = await totpQrDataUrl(totpUri(secret, `kinkyu ${config.exchangeNameEn}`, staff.email));
    const passkey = passkeyViews.enrolPasskeySection(lang, staff, { next, options: await passkeys.registrationOptions(staff) });
    allowWebAuthnScript(reply);
    return sendPage(reply, views.enrolPage(lang, staff, { secret, qr, next, passkey, error: error ? errorMessage(lang, error) : null }), error?.httpStatus ?? status);
  }

  /** The second step of the sign-in: the code (when the member has the app), a passkey (when they have one), a recovery code. */
  async function factorPage(request: FastifyRequest, reply: FastifyReply, staff: StaffPrincipal, next: string, error?: KinkyuError | null, status = 200): Promise<FastifyReply> {
    const lang = requestLang(request, reply);
    const [totp, usable] = await Promise.all([hasTotp(db, staff.id), passkeys.usable(staff.id)]);
    let passkey = null;
    if (usable.length) {
      passkey = passkeyViews.factorPasskeySection(lang, staff, { next, options: await passkeys.authenticationOptions(staff, usable), lead: !totp });
      allowWebAuthnScript(reply);
    }
    return sendPage(reply, views.factorPage(lang, staff, { next, totp, passkey, error: error ? errorMessage(lang, error) : null }), error?.httpStatus ?? status);
  }

  async function myFactors(staffId: string) {
    const [factors, codesLeft, [row]] = await Promise.all([
      listFactors(db, staffId),
      unusedRecoveryCodes(db, staffId),
      db.query<{ oidc_subject: string | null }>('SELECT oidc_subject FROM staff WHERE id = $1', [staffId]),
    ]);
    return { factors, codesLeft, oidcLinked: !!row?.oidc_subject };
  }

  /** The member's own factors page, with the flash of the addition or removal just made, or an error. */
  async function myFactorsPage(request: FastifyRequest, reply: FastifyReply, error?: KinkyuError): Promise<FastifyReply> {
    const lang = requestLang(request, reply);
    const c = consoleContext(request, reply, config.timeZone, MY_FACTORS_FLASHES, { lang, error: error ? errorMessage(lang, error) : null });
    const data = await myFactors(request.staff!.id);
    return sendPage(reply, views.myFactorsPage(c, { ...data, oidcEnabled: opts.oidc !== null }), error?.httpStatus ?? 200);
  }

  const refererBack = (request: FastifyRequest): string => {
    const referer = request.headers.referer;
    if (typeof referer !== 'string') return '/staff';
    try {
      const url = new URL(referer);
      return url.origin === new URL(config.publicUrl).origin ? safeStaffNext(url.pathname + url.search) : '/staff';
    } catch {
      return '/staff';
    }
  };

  return { ...opts, freshMinutes: config.staffFreshFactorMinutes, passkeys, throttle, verify, setSessionCookie, sessionMeta, signedIn, enrolPage, factorPage, myFactors, myFactorsPage, refererBack };
}

export type MfaKit = ReturnType<typeof mfaKit>;
