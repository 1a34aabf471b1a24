import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { KinkyuError, isKinkyuError } from '../domain/errors.ts';
import { createSession } from './accounts.ts';
import { wantsJson } from '../web/wants-json.ts';
import { OIDC_CALLBACK_PATH, staffForOidc } from './oidc.ts';
import { RateLimiter } from '../web/rate-limit.ts';
import { errorMessage } from '../web/errors.ts';
import { sendError } from '../web/error-handler.ts';
import type { Lang } from '../web/i18n.ts';
import { requestLang } from '../web/request-lang.ts';
import { sendPage } from '../console/form-action.ts';
import type { Body } from '../web/body.ts';
import { safeStaffNext, WINDOW_MS, type MfaKit } from './mfa-kit.ts';
import * as views from './mfa-views.ts';

const OIDC_STATE_COOKIE = 'kinkyu_oidc_state';

/** Sign-in through the company's OpenID Connect provider (when configured): the start and the callback. */
export function registerOidcRoutes(app: FastifyInstance, kit: MfaKit): void {
  const { db, config, clock, oidc } = kit;
  const oidcFailuresByIp = new RateLimiter(30, WINDOW_MS);
  // Each start stores a state row before anyone is known: bounded per client.
  const oidcStartsByIp = new RateLimiter(60, WINDOW_MS);

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
      const session = await createSession(db, staff.id, { ...kit.sessionMeta(request), factor: { at: now, method: 'oidc' } });
      reply.clearCookie(OIDC_STATE_COOKIE, { path: '/staff/login/oidc', httpOnly: true, sameSite: 'lax', secure: config.secureCookies });
      kit.setSessionCookie(reply, session.token);
      return reply.redirect(identity.next, 303);
    } catch (err) {
      if (!isKinkyuError(err)) throw err;
      if (err.code !== 'IDP_UNAVAILABLE') oidcFailuresByIp.take(request.ip);
      request.log.warn({ ip: request.ip, code: err.code, rule: err.params.rule, err: err.message }, 'staff OIDC sign-in refused');
      return oidcFailed(request, reply, err);
    }
  });
}
