/**
 * The security center's one authentication hook, declared per route like the staff one (src/staff/auth-plugin.ts):
 *
 *   config: { user: 'signing-in' }    before any session: unsafe methods carry the pre-sign-in token (`_pre`)
 *   config: { user: 'second-factor' } a session waiting for its second factor (else the sign-in page)
 *   config: { user: 'required' }      a live, fully signed-in session (revoked or expired ones are refused at once)
 *   config: { user: 'stepped-up', stepUp: action }   the same, and a second factor passed recently on it
 *
 * plus `allowForced` (open during the forced new password / 2FA after an unlock) and `skipTerms` (open while new
 * terms wait). A signed-in route's session is `request.userSession`. The answers: without a session, the sign-in
 * page (GET) or 401; a cross-site request or a wrong CSRF token, 403 CSRF; a locked account, the locked page; a
 * pending forced reset or new terms, a redirect to them; without a recent step-up, the step-up page.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { KinkyuError } from '../domain/errors.ts';
import { enqueueMail } from '../mail/outbox.ts';
import { t, type Lang } from '../web/i18n.ts';
import { requestLang } from '../web/request-lang.ts';
import { UNSAFE_METHODS } from '../web/same-origin.ts';
import type { CenterContext } from './center-context.ts';
import { actionCodeMail } from './emails.ts';
import { STEP_UP_CODE_MINUTES, type StepUpAction } from './step-up.ts';
import { stepUpPage } from './step-up-views.ts';
import type { UserSession } from './user-session.ts';

export type UserAccess = 'signing-in' | 'second-factor' | 'required' | 'stepped-up';

declare module 'fastify' {
  interface FastifyRequest {
    /** The security-center session of this request (routes declaring `config.user`), else null. */
    userSession: UserSession | null;
  }
  interface FastifyContextConfig {
    /** Who may use a security-center route (see src/security-center/user-auth.ts). */
    user?: UserAccess;
    /** With `user: 'stepped-up'`: the action the step-up page names (and returns to). */
    stepUp?: StepUpAction;
    /** Open during the forced new password / 2FA after an unlock. */
    allowForced?: boolean;
    /** Open while new terms wait to be acknowledged. */
    skipTerms?: boolean;
  }
}

/**
 * A fully signed-in session for this request, checked as every security-center page checks it; null when the
 * answer (a redirect, the locked page) has been sent instead. Throws UNAUTHENTICATED and CSRF.
 */
export async function authenticate(ctx: CenterContext, request: FastifyRequest, reply: FastifyReply, o: { allowForced?: boolean; skipTerms?: boolean } = {}): Promise<UserSession | null> {
  const lang = requestLang(request, reply);
  const session = await ctx.sessionOf(request);
  if (!session || session.pending2fa) {
    if (request.method === 'GET') {
      reply.redirect('/account/login', 303);
      return null;
    }
    throw new KinkyuError('UNAUTHENTICATED');
  }
  if (UNSAFE_METHODS.has(request.method)) ctx.checkSessionCsrf(request, session);
  if (session.locked) {
    ctx.send(reply, lang, t(lang, 'user.locked.title'), ctx.lockedBody(lang), 403);
    return null;
  }
  const forced = session.mustResetPassword || session.mustReenrol2fa;
  if (!o.allowForced && forced) {
    reply.redirect(session.mustResetPassword ? '/account/reset' : '/account/2fa', 303);
    return null;
  }
  // A forced reset comes first; after it, the terms.
  if (!o.skipTerms && !forced && (await ctx.opts.terms?.pending(session.accountId))) {
    reply.redirect('/account/terms', 303);
    return null;
  }
  return session;
}

async function mailStepUpCode(ctx: CenterContext, s: UserSession, code: string): Promise<void> {
  const lockLink = await ctx.lock.issueLockLink(s.accountId, s.email, 'step_up');
  const mail = actionCodeMail({ lang: s.lang, exchangeName: ctx.exchangeName(s.lang), code, minutes: STEP_UP_CODE_MINUTES, lockLink });
  await ctx.db.transaction((tx) => enqueueMail(tx, { to: s.email, subject: mail.subject, text: mail.text, lang: s.lang }, { domain: ctx.opts.mailDomain }));
}

/** The step-up page, with a fresh code by email when the session has neither an authenticator nor a passkey (`force`: a new one always). */
export async function showStepUp(ctx: CenterContext, reply: FastifyReply, lang: Lang, s: UserSession, action: StepUpAction, o: { status?: number; error?: string; notice?: string; mail?: 'if-none' | 'force' | 'no' } = {}): Promise<FastifyReply> {
  if (o.mail !== 'no' && !s.totpEnabled && !s.passkeys) {
    const code = await ctx.sessionStepUp.issueCode(s.tokenHash, o.mail === 'force' ? { force: true } : undefined);
    if (code) await mailStepUpCode(ctx, s, code);
  }
  const page = stepUpPage(lang, s, action, ctx.csrfField(s), { error: o.error ?? null, notice: o.notice ?? null, demoMailbox: ctx.opts.demoMailbox === true });
  return ctx.send(reply, lang, t(lang, 'user.stepUp.title'), page, o.status ?? 403);
}

/** The hook (in the security center's own scope): every route declaring `config.user` passes it first. */
export function registerUserAuth(scope: FastifyInstance, ctx: CenterContext): void {
  scope.decorateRequest('userSession', null);
  scope.addHook('preHandler', async (request: FastifyRequest, reply: FastifyReply) => {
    const config = request.routeOptions.config;
    const access = config?.user;
    if (!access) return;
    if (access === 'signing-in') {
      if (UNSAFE_METHODS.has(request.method)) ctx.checkPre(request);
      return;
    }
    if (access === 'second-factor') {
      const s = await ctx.sessionOf(request);
      if (!s || !s.pending2fa) return reply.redirect('/account/login', 303);
      if (UNSAFE_METHODS.has(request.method)) ctx.checkSessionCsrf(request, s);
      request.userSession = s;
      return;
    }
    const s = await authenticate(ctx, request, reply, { allowForced: config.allowForced === true, skipTerms: config.skipTerms === true });
    if (!s) return reply;
    request.userSession = s;
    if (access === 'stepped-up' && config.stepUp) {
      const lang = requestLang(request, reply);
      try {
        if (!(await ctx.steppedUp(s))) return await showStepUp(ctx, reply, lang, s, config.stepUp);
      } catch (err) {
        return ctx.refusalPage(reply, lang, err);
      }
    }
  });
}

/** The signed-in session of a route behind the hook. */
export function sessionOf(request: FastifyRequest): UserSession {
  if (!request.userSession) throw new KinkyuError('UNAUTHENTICATED');
  return request.userSession;
}

type Body = Record<string, unknown>;

/**
 * A security-center change: its handler gets the session, the form and the language; a refusal (KinkyuError)
 * re-renders as a message page with the right status.
 */
export const userAction = (ctx: CenterContext, fn: (request: FastifyRequest, reply: FastifyReply, s: UserSession, body: Body, lang: Lang) => Promise<unknown>) =>
  async (request: FastifyRequest, reply: FastifyReply): Promise<unknown> => {
    const s = sessionOf(request);
    const lang = requestLang(request, reply);
    try {
      return await fn(request, reply, s, (request.body ?? {}) as Body, lang);
    } catch (err) {
      return ctx.refusalPage(reply, lang, err);
    }
  };
