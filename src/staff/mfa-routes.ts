import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import QRCode from 'qrcode';
import type { Db } from '../store/db.ts';
import type { Config } from '../config.ts';
import { KinkyuError, isKinkyuError } from '../domain/errors.ts';
import { completeSignIn, createSession, markFactorFresh, type StaffPrincipal } from './accounts.ts';
import { wantsJson, type FactorGate } from './auth-plugin.ts';
import { checkFactor, confirmTotpEnrolment, listFactors, pendingTotpSecret, regenerateRecoveryCodes, unusedRecoveryCodes } from './factors.ts';
import { OIDC_CALLBACK_PATH, staffForOidc, type StaffOidc } from './oidc.ts';
import { RateLimiter } from '../web/rate-limit.ts';
import { totpUri } from '../security-center/totp.ts';
import { errorMessage } from '../web/errors.ts';
import { sendError } from '../web/error-handler.ts';
import type { Lang } from '../web/i18n.ts';
import { requestLang } from '../web/request-lang.ts';
import { bodyOf, consoleContext, sendPage, type Body } from '../console/form-action.ts';
import * as views from './mfa-views.ts';

export interface StaffMfaOptions {
  db: Db;
  config: Config;
  cookieName: string;
  clock: () => Date;
  /** The company's OpenID Connect provider, when configured. */
  oidc: StaffOidc | null;
}

const OIDC_STATE_COOKIE = 'kinkyu_oidc_state';
const WINDOW_MS = 15 * 60_000;

/** Only our own console paths are followed after sign-in (never another site). */
export function safeStaffNext(next: unknown): string {
  return typeof next === 'string' && /^\/staff(\/[\w\-/?=&.%]*)?$/.test(next) && !next.startsWith('//') ? next : '/staff';
}

/**
 * Staff multi-factor sign-in: the second step of the sign-in, the enrolment every member passes first, the
 * re-enter-your-code step of sensitive actions, recovery codes, and sign-in through the company's OpenID Connect
 * provider. `gate` is what the auth hook asks of a request; `register` adds the routes.
 *
 * Wrong codes are throttled like wrong passwords, per client and member (5 per 15 minutes), per member across
 * clients (10) and per client across members (30); a recovery code counts the same.
 */
export function staffMfa(opts: StaffMfaOptions): { gate: FactorGate; register(app: FastifyInstance): void } {
  const { db, config, clock, oidc } = opts;
  const failuresByClientAndStaff = new RateLimiter(5, WINDOW_MS);
  const failuresByStaff = new RateLimiter(10, WINDOW_MS);
  const failuresByIp = new RateLimiter(30, WINDOW_MS);
  const oidcFailuresByIp = new RateLimiter(30, WINDOW_MS);
  // Each start stores a state row before anyone is known: bounded per client.
  const oidcStartsByIp = new RateLimiter(60, WINDOW_MS);
  const freshMinutes = config.staffFreshFactorMinutes;

  /** Checks a code or a recovery code for the member, throttled; spends what it accepts. */
  async function verify(request: FastifyRequest, staff: StaffPrincipal, input: { code?: unknown; recovery?: unknown }): Promise<{ method: string } | KinkyuError> {
    const pair = `${request.ip}|${staff.id}`;
    if (failuresByClientAndStaff.isOver(pair) || failuresByStaff.isOver(staff.id) || failuresByIp.isOver(request.ip)) {
      return new KinkyuError('RATE_LIMITED', { rule: 'code' });
    }
    const result = await checkFactor(db, staff.id, input, clock());
    if (!result.ok) {
      failuresByClientAndStaff.take(pair);
      failuresByStaff.take(staff.id);
      failuresByIp.take(request.ip);
      request.log.warn({ ip: request.ip, staffId: staff.id, rule: result.rule }, 'staff second factor refused');
      return new KinkyuError('BAD_CREDENTIALS', { rule: result.rule });
    }
    failuresByClientAndStaff.reset(pair);
    return { method: result.method };
  }

  const setSessionCookie = (reply: FastifyReply, token: string) =>
    reply.setCookie(opts.cookieName, token, {
      path: '/', httpOnly: true, sameSite: 'lax', secure: config.secureCookies, maxAge: config.staffSessionHours * 3600,
    });

  const sessionMeta = (request: FastifyRequest) => ({
    ip: request.ip, userAgent: String(request.headers['user-agent'] ?? ''), hours: config.staffSessionHours,
  });

  async function enrolPage(request: FastifyRequest, reply: FastifyReply, staff: StaffPrincipal, next: string, error?: KinkyuError, status = 200): Promise<FastifyReply> {
    const lang = requestLang(request, reply);
    const secret = await pendingTotpSecret(db, staff.sessionHash);
    const qr = await QRCode.toDataURL(totpUri(secret, `kinkyu ${config.exchangeNameEn}`, staff.email), { errorCorrectionLevel: 'M', margin: 2, width: 240 });
    return sendPage(reply, views.enrolPage(lang, staff, { secret, qr, next, error: error ? errorMessage(lang, error) : null }), error?.httpStatus ?? status);
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

  const gate: FactorGate = {
    enrolmentRequired(request, reply) {
      if (wantsJson(request)) return sendError(request, reply, new KinkyuError('FACTOR_ENROLMENT_REQUIRED'));
      const next = request.method === 'GET' ? safeStaffNext(request.url) : '/staff';
      return enrolPage(request, reply, request.staff!, next, undefined, 403);
    },
    factorRequired(request, reply) {
      if (wantsJson(request)) return sendError(request, reply, new KinkyuError('FACTOR_REQUIRED'));
      if (request.method === 'GET') return reply.redirect(`/staff/login/factor?next=${encodeURIComponent(safeStaffNext(request.url))}`, 303);
      const lang = requestLang(request, reply);
      return sendPage(reply, views.factorPage(lang, request.staff!, { next: '/staff' }), 403);
    },
    isFresh(staff) {
      return staff.factorAt !== null && freshMinutes > 0 && clock().getTime() - staff.factorAt.getTime() < freshMinutes * 60_000;
    },
    async freshFactor(request, reply) {
      const staff = request.staff!;
      const body = bodyOf(request);
      const header = (name: string) => {
        const v = request.headers[name];
        return typeof v === 'string' ? v : undefined;
      };
      const code = header('x-staff-factor-code') ?? body._factor_code;
      const recovery = header('x-staff-factor-recovery') ?? body._factor_recovery;
      const sent = (typeof code === 'string' && code.trim() !== '') || (typeof recovery === 'string' && recovery.trim() !== '');
      let refusal = new KinkyuError('FRESH_FACTOR_REQUIRED');
      if (sent) {
        const result = await verify(request, staff, { code, recovery });
        if (!isKinkyuError(result)) {
          await markFactorFresh(db, staff, clock());
          delete body._factor_code;
          delete body._factor_recovery;
          return undefined;
        }
        refusal = result;
      }
      if (wantsJson(request)) return sendError(request, reply, refusal);
      const lang = requestLang(request, reply);
      const c = consoleContext(request, reply, config.timeZone, {}, { lang, error: sent ? errorMessage(lang, refusal) : null });
      const page = views.freshFactorPage(c, { action: request.url.split('?')[0] ?? '/staff', fields: body, minutes: freshMinutes, back: refererBack(request) });
      return sendPage(reply, page, refusal.httpStatus);
    },
  };

  function register(app: FastifyInstance): void {
    const beforeFactor = { config: { permission: 'console.view' as const, beforeFactor: true } };

    app.get('/staff/login/factor', beforeFactor, async (request, reply) => {
      const staff = request.staff!;
      const next = safeStaffNext((request.query as Body).next);
      if (!staff.hasFactor) return reply.redirect(`/staff/mfa/enrol?next=${encodeURIComponent(next)}`, 303);
      if (staff.factorAt) return reply.redirect(next, 303);
      return sendPage(reply, views.factorPage(requestLang(request, reply), staff, { next }));
    });

    app.post('/staff/login/factor', beforeFactor, async (request, reply) => {
      const staff = request.staff!;
      const body = bodyOf(request);
      const next = safeStaffNext(body.next);
      if (!staff.hasFactor) return gate.enrolmentRequired(request, reply);
      if (staff.factorAt) {
        if (wantsJson(request)) return reply.send({ ok: true, csrfToken: staff.csrfToken });
        return reply.redirect(next, 303);
      }
      const result = await verify(request, staff, { code: body.code, recovery: body.recovery });
      if (isKinkyuError(result)) {
        if (wantsJson(request)) return sendError(request, reply, result);
        const lang = requestLang(request, reply);
        return sendPage(reply, views.factorPage(lang, staff, { next, error: errorMessage(lang, result) }), result.httpStatus);
      }
      const session = await completeSignIn(db, staff, { ...sessionMeta(request), factor: { at: clock(), method: result.method } });
      setSessionCookie(reply, session.token);
      if (wantsJson(request)) return reply.send({ ok: true, csrfToken: session.csrfToken, method: result.method });
      return reply.redirect(next, 303);
    });

    app.get('/staff/mfa/enrol', beforeFactor, async (request, reply) => {
      const staff = request.staff!;
      const next = safeStaffNext((request.query as Body).next);
      if (staff.hasFactor) return reply.redirect(staff.factorAt ? next : `/staff/login/factor?next=${encodeURIComponent(next)}`, 303);
      if (wantsJson(request)) {
        const secret = await pendingTotpSecret(db, staff.sessionHash);
        return reply.send({ secret, uri: totpUri(secret, `kinkyu ${config.exchangeNameEn}`, staff.email) });
      }
      return enrolPage(request, reply, staff, next);
    });

    app.post('/staff/mfa/enrol', beforeFactor, async (request, reply) => {
      const staff = request.staff!;
      const body = bodyOf(request);
      const next = safeStaffNext(body.next);
      const lang = requestLang(request, reply);
      if (staff.hasFactor) throw new KinkyuError('CONFLICT', { rule: 'factor_exists' });
      const pair = `${request.ip}|${staff.id}`;
      const refuse = (err: KinkyuError) => (wantsJson(request) ? sendError(request, reply, err) : enrolPage(request, reply, staff, next, err));
      if (failuresByClientAndStaff.isOver(pair) || failuresByIp.isOver(request.ip)) return refuse(new KinkyuError('RATE_LIMITED', { rule: 'code' }));
      const enrolled = await confirmTotpEnrolment(db, { type: 'staff', id: staff.id, ip: request.ip }, staff.sessionHash, body.code, clock());
      if (!enrolled) {
        failuresByClientAndStaff.take(pair);
        failuresByIp.take(request.ip);
        return refuse(new KinkyuError('BAD_CREDENTIALS', { rule: 'code' }));
      }
      // A password-only session becomes a signed-in one (a new token); a session from the company's provider
      // already passed its factor and stays.
      let csrfToken = staff.csrfToken;
      if (!staff.factorAt) {
        const session = await completeSignIn(db, staff, { ...sessionMeta(request), factor: { at: clock(), method: 'totp' } });
        setSessionCookie(reply, session.token);
        csrfToken = session.csrfToken;
      }
      if (wantsJson(request)) return reply.send({ ok: true, csrfToken, recoveryCodes: enrolled.recoveryCodes });
      return sendPage(reply, views.recoveryCodesPage(lang, null, enrolled.recoveryCodes, next));
    });

    app.get('/staff/mfa', { config: { permission: 'console.view' } }, async (request, reply) => {
      const staff = request.staff!;
      const [factors, codesLeft, [row]] = await Promise.all([
        listFactors(db, staff.id),
        unusedRecoveryCodes(db, staff.id),
        db.query<{ oidc_subject: string | null }>('SELECT oidc_subject FROM staff WHERE id = $1', [staff.id]),
      ]);
      if (wantsJson(request)) return reply.send({ factors, recoveryCodesLeft: codesLeft, oidcLinked: !!row?.oidc_subject });
      const c = consoleContext(request, reply, config.timeZone, {});
      return sendPage(reply, views.myFactorsPage(c, { factors, codesLeft, oidcLinked: !!row?.oidc_subject, oidcEnabled: oidc !== null }));
    });

    app.post('/staff/mfa/recovery-codes', { config: { permission: 'console.view', freshFactor: true } }, async (request, reply) => {
      const staff = request.staff!;
      const codes = await regenerateRecoveryCodes(db, { type: 'staff', id: staff.id, ip: request.ip }, clock());
      if (wantsJson(request)) return reply.send({ ok: true, recoveryCodes: codes });
      return sendPage(reply, views.recoveryCodesPage(requestLang(request, reply), staff, codes, '/staff/mfa'));
    });

    // Sign-in through the company's OpenID Connect provider.
    const oidcFailed = (request: FastifyRequest, reply: FastifyReply, err: KinkyuError) => {
      reply.clearCookie(OIDC_STATE_COOKIE, { path: '/staff/login/oidc', httpOnly: true, sameSite: 'lax', secure: config.secureCookies });
      if (wantsJson(request)) return sendError(request, reply, err);
      const lang: Lang = requestLang(request, reply);
      return sendPage(reply, views.oidcFailedPage(lang, errorMessage(lang, err)), err.httpStatus);
    };

    app.get('/staff/login/oidc', { config: { public: true } }, async (request, reply) => {
      if (!oidc) throw new KinkyuError('NOT_FOUND');
      if (!oidcStartsByIp.take(request.ip)) return oidcFailed(request, reply, new KinkyuError('RATE_LIMITED'));
      try {
        const { state, url } = await oidc.begin(safeStaffNext((request.query as Body).next));
        reply.setCookie(OIDC_STATE_COOKIE, state, { path: '/staff/login/oidc', httpOnly: true, sameSite: 'lax', secure: config.secureCookies, maxAge: 600 });
        return reply.redirect(url, 303);
      } catch (err) {
        if (isKinkyuError(err)) return oidcFailed(request, reply, err);
        throw err;
      }
    });

    app.get(OIDC_CALLBACK_PATH, { config: { public: true } }, async (request, reply) => {
      if (!oidc) throw new KinkyuError('NOT_FOUND');
      if (oidcFailuresByIp.isOver(request.ip)) return oidcFailed(request, reply, new KinkyuError('RATE_LIMITED'));
      try {
        const identity = await oidc.finish(new URL(request.url, config.publicUrl), request.cookies[OIDC_STATE_COOKIE]);
        const now = clock();
        const staff = await staffForOidc(db, oidc.issuer, identity, request.ip, now);
        const session = await createSession(db, staff.id, { ...sessionMeta(request), factor: { at: now, method: 'oidc' } });
        reply.clearCookie(OIDC_STATE_COOKIE, { path: '/staff/login/oidc', httpOnly: true, sameSite: 'lax', secure: config.secureCookies });
        setSessionCookie(reply, session.token);
        return reply.redirect(identity.next, 303);
      } catch (err) {
        if (!isKinkyuError(err)) throw err;
        if (err.code !== 'IDP_UNAVAILABLE') oidcFailuresByIp.take(request.ip);
        request.log.warn({ ip: request.ip, code: err.code, rule: err.params.rule, err: err.message }, 'staff OIDC sign-in refused');
        return oidcFailed(request, reply, err);
      }
    });
  }

  return { gate, register };
}
