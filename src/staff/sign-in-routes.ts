import type { FastifyInstance } from 'fastify';
import { randomBytes } from 'node:crypto';
import type { Db } from '../store/db.ts';
import type { Config } from '../config.ts';
import { KinkyuError } from '../domain/errors.ts';
import { authenticate, createSession, emailKey, endSession } from './accounts.ts';
import { hasFactor } from './factors.ts';
import { wantsJson } from '../web/wants-json.ts';
import { RateLimiter } from '../web/rate-limit.ts';
import { errorMessage } from '../web/errors.ts';
import { requestLang } from '../web/request-lang.ts';
import { sendPage } from '../console/form-action.ts';
import { bodyOf, type Body } from '../web/body.ts';
import * as views from './sign-in-views.ts';
import { SignInSchemas } from './sign-in-schemas.ts';
import { isCrossSite } from '../web/same-origin.ts';

export interface StaffSignInOptions {
  db: Db;
  config: Config;
  cookieName: string;
}

const LOGIN_CSRF_COOKIE = 'kinkyu_login_csrf';

function safeNext(next: unknown): string {
  return typeof next === 'string' && /^\/staff(\/[\w\-/?=&.%]*)?$/.test(next) && !next.startsWith('//') ? next : '/staff';
}

/** Staff sign-in (the password step; the second factor is src/staff/mfa-routes.ts) and sign-out. */
export function registerStaffSignIn(app: FastifyInstance, opts: StaffSignInOptions): void {
  const { db, config } = opts;
  // Only failures count. One client guessing one account is stopped soon; one address attacked from many
  // clients later (so an attacker cannot cheaply lock a colleague out); one client spraying many accounts too.
  const failuresByClientAndEmail = new RateLimiter(5, 15 * 60_000);
  const failuresByEmail = new RateLimiter(50, 15 * 60_000);
  const failuresByIp = new RateLimiter(30, 15 * 60_000);

  app.get('/staff/login', { config: { public: true } }, async (request, reply) => {
    const lang = requestLang(request, reply);
    const token = randomBytes(24).toString('base64url');
    reply.setCookie(LOGIN_CSRF_COOKIE, token, { path: '/staff/login', httpOnly: true, sameSite: 'strict', secure: config.secureCookies });
    return sendPage(reply, views.loginPage(lang, { csrf: token, next: safeNext((request.query as Body).next), oidc: !!config.staffOidc }));
  });

  app.post('/staff/login', { schema: SignInSchemas.login, config: { public: true, refusesInHandler: true } }, async (request, reply) => {
    const lang = requestLang(request, reply);
    const body = bodyOf(request);
    const email = typeof body.email === 'string' ? body.email.slice(0, 254) : '';
    const fail = (err: KinkyuError) => {
      if (wantsJson(request)) throw err;
      const token = randomBytes(24).toString('base64url');
      reply.setCookie(LOGIN_CSRF_COOKIE, token, { path: '/staff/login', httpOnly: true, sameSite: 'strict', secure: config.secureCookies });
      return sendPage(reply, views.loginPage(lang, { csrf: token, next: safeNext(body.next), error: errorMessage(lang, err), email, oidc: !!config.staffOidc }), err.httpStatus);
    };
    // A JSON body cannot be sent cross-site without a preflight, so only JSON skips the form's double-submit
    // token; the browser must not say the form came from another site either way (src/web/same-origin.ts).
    const isJsonBody = (request.headers['content-type'] ?? '').startsWith('application/json');
    if (isCrossSite(request, new URL(config.publicUrl).origin)) return fail(new KinkyuError('CSRF'));
    const cookieToken = request.cookies[LOGIN_CSRF_COOKIE];
    if (!isJsonBody && (!cookieToken || cookieToken !== body._csrf)) return fail(new KinkyuError('CSRF'));
    const key = emailKey(body.email);
    const pairKey = `${request.ip}|${key}`;
    if (failuresByClientAndEmail.isOver(pairKey) || failuresByEmail.isOver(key) || failuresByIp.isOver(request.ip)) {
      return fail(new KinkyuError('RATE_LIMITED'));
    }
    const staff = await authenticate(db, email, body.password);
    if (!staff) {
      failuresByClientAndEmail.take(pairKey);
      failuresByEmail.take(key);
      failuresByIp.take(request.ip);
      request.log.warn({ ip: request.ip }, 'staff sign-in failed');
      return fail(new KinkyuError('BAD_CREDENTIALS'));
    }
    failuresByClientAndEmail.reset(pairKey);
    // The password is right: a session that opens only the second step (the code, or the enrolment of a first
    // factor), for a few minutes. Signed in is after the factor (src/staff/mfa-routes.ts).
    const session = await createSession(db, staff.id, {
      ip: request.ip,
      userAgent: String(request.headers['user-agent'] ?? ''),
      hours: config.staffSessionHours,
    });
    reply.setCookie(opts.cookieName, session.token, {
      path: '/', httpOnly: true, sameSite: 'lax', secure: config.secureCookies, maxAge: config.staffSessionHours * 3600,
    });
    reply.clearCookie(LOGIN_CSRF_COOKIE, { path: '/staff/login' });
    const stage = (await hasFactor(db, staff.id)) ? 'factor' : 'enrol';
    if (wantsJson(request)) return reply.send({ ok: true, csrfToken: session.csrfToken, stage });
    const next = encodeURIComponent(safeNext(body.next));
    return reply.redirect(stage === 'factor' ? `/staff/login/factor?next=${next}` : `/staff/mfa/enrol?next=${next}`, 303);
  });

  app.post('/staff/logout', { config: { permission: 'console.view', beforeFactor: true } }, async (request, reply) => {
    await endSession(db, request.staff!, request.ip);
    // A __Host- cookie is only replaced by one with the same attributes, Secure included.
    reply.clearCookie(opts.cookieName, { path: '/', httpOnly: true, sameSite: 'lax', secure: config.secureCookies });
    return reply.redirect('/staff/login', 303);
  });
}
