/** A passkey as the second factor after the password, and for a step-up, instead of the authenticator app. */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { KinkyuError } from '../domain/errors.ts';
import { t, type Lang } from '../web/i18n.ts';
import { html, type SafeHtml } from '../web/html.ts';
import { requestLang } from '../web/request-lang.ts';
import { WebAuthnFailure } from '../webauthn/ceremony.ts';
import { allowWebAuthnScript, ceremonyForm } from '../webauthn/page.ts';
import type { CenterContext } from './center-context.ts';
import { errorBox } from './center-views.ts';
import { FAILURE_STATUS, failureMessage, isWrongAnswer, lockHint, reportedFailure, type Body, type PasskeyKit } from './passkey-common.ts';
import { findPasskey, type UserPasskey } from './passkey-store.ts';
import type { CodeAttempt } from './sign-in-throttle.ts';
import { completeSignIn } from './sign-in-completion.ts';
import { isStepUpAction, STEP_UP_ACTIONS, type StepUpAction } from './step-up.ts';
import { sessionOf, userAction } from './user-auth.ts';
import type { UserSession } from './user-session.ts';

interface ConfirmPage { action: string; back: string; stepUp: StepUpAction | null; error: string | null; status?: number; extra?: SafeHtml | ''; signedIn?: boolean }

const stepUpActionOf = (value: unknown): StepUpAction => {
  if (!isStepUpAction(value)) throw new KinkyuError('VALIDATION', { field: 'action' });
  return value;
};

export function registerPasskeyConfirm(scope: FastifyInstance, ctx: CenterContext, kit: PasskeyKit): void {
  const { db, throttle } = ctx;
  const rateLimited = (lang: Lang, wait: number) => t(lang, 'user.rateLimited', { minutes: ctx.minutes(wait) });

  const confirmPage = async (reply: FastifyReply, lang: Lang, s: UserSession, o: ConfirmPage) => {
    const allow = await kit.enabledOf(s.accountId);
    const options = await kit.ceremonies.authenticationOptions({ binding: s.tokenHash, subject: s.accountId, allow, userVerification: 'preferred' });
    allowWebAuthnScript(reply);
    return ctx.send(reply, lang, t(lang, 'passkey.secondFactorTitle'), html`<h1>${t(lang, 'passkey.secondFactorTitle')}</h1>
${errorBox(o.error)}${o.extra ?? ''}
<p>${t(lang, 'passkey.secondFactorLead')}</p>
${ceremonyForm({
  mode: 'get', action: o.action, options, id: 'passkey-confirm',
  hidden: html`${ctx.csrfField(s)}${o.stepUp ? html`<input type="hidden" name="action" value="${o.stepUp}">` : ''}`,
  button: t(lang, 'passkey.verify'), waiting: t(lang, 'passkey.waiting'), noScript: t(lang, 'passkey.noScript'),
})}
<p><a href="${o.back}">${t(lang, 'passkey.otherWays')}</a></p>
${o.extra ? '' : lockHint(lang, o.signedIn !== false)}`, o.status ?? 200);
  };

  /** Verifies a passkey of the session's account; the passkey, or the failure (counted, recorded). */
  async function confirm(request: FastifyRequest, s: UserSession, body: Body, purpose: string): Promise<{ passkey: UserPasskey } | { failure: WebAuthnFailure }> {
    const attempt: CodeAttempt = { ip: request.ip, accountId: s.accountId, device: ctx.knownDeviceOf(request, s.accountId) };
    try {
      const reported = reportedFailure(body);
      if (reported) throw reported;
      const result = await kit.ceremonies.verifyAuthentication({
        binding: s.tokenHash, subject: s.accountId, response: body.response, requireUserVerification: false,
        find: (credentialId, userHandle) => findPasskey(db, credentialId, { accountId: s.accountId, userHandle }),
      });
      await kit.used(request, result.passkey, result.newCounter, purpose);
      throttle.codePassed(attempt);
      return { passkey: result.passkey };
    } catch (err) {
      if (!(err instanceof WebAuthnFailure)) throw err;
      if (isWrongAnswer(err.reason)) throttle.codeFailed(attempt);
      await kit.onFailure(request, err, s.accountId, purpose);
      return { failure: err };
    }
  }

  const codeWait = (request: FastifyRequest, s: UserSession) => throttle.codeWaitMs({ ip: request.ip, accountId: s.accountId, device: ctx.knownDeviceOf(request, s.accountId) });
  const secondFactor = { action: '/account/login/2fa/passkey', back: '/account/login/2fa', stepUp: null, signedIn: false };

  scope.get('/account/login/2fa/passkey', { config: { user: 'second-factor' } }, async (request, reply) => {
    const lang = requestLang(request, reply);
    const s = sessionOf(request);
    if (!(await kit.enabledOf(s.accountId)).length) return reply.redirect('/account/login/2fa', 303);
    return confirmPage(reply, lang, s, { ...secondFactor, error: null });
  });

  scope.post('/account/login/2fa/passkey', { config: { user: 'second-factor' } }, async (request, reply) => {
    const lang = requestLang(request, reply);
    const s = sessionOf(request);
    const page = (status: number, error: string, extra: SafeHtml | '' = '') => confirmPage(reply, lang, s, { ...secondFactor, error, status, extra });
    const wait = codeWait(request, s);
    if (wait > 0) return page(429, rateLimited(lang, wait));
    if (s.locked) return ctx.send(reply, lang, t(lang, 'user.locked.title'), ctx.lockedBody(lang), 403);
    const outcome = await confirm(request, s, (request.body ?? {}) as Body, 'second_factor');
    if ('failure' in outcome) return page(FAILURE_STATUS[outcome.failure.reason], failureMessage(lang, outcome.failure), outcome.failure.reason === 'counter' ? lockHint(lang, false) : '');
    await ctx.opts.stepUp?.complete(s.accountId);
    await completeSignIn(ctx, request, reply, s.accountId, 'passkey', s.tokenHash);
    return reply.redirect(await ctx.landing(s.accountId), 303);
  });

  scope.get('/account/step-up/passkey', { config: { user: 'required' } }, async (request, reply) => {
    const s = sessionOf(request);
    const lang = requestLang(request, reply);
    const action = stepUpActionOf((request.query as Record<string, unknown>).action);
    if (!(await kit.enabledOf(s.accountId)).length) return reply.redirect('/account', 303);
    return confirmPage(reply, lang, s, { action: '/account/step-up/passkey', back: '/account', stepUp: action, error: null });
  });

  scope.post('/account/step-up/passkey', { config: { user: 'required' } }, userAction(ctx, async (request, reply, s, body, lang) => {
    const action = stepUpActionOf(body.action);
    const page = (status: number, error: string, extra: SafeHtml | '' = '') =>
      confirmPage(reply, lang, s, { action: '/account/step-up/passkey', back: '/account', stepUp: action, error, status, extra });
    const wait = codeWait(request, s);
    if (wait > 0) return page(429, rateLimited(lang, wait));
    const outcome = await confirm(request, s, body, 'step_up');
    if ('failure' in outcome) return page(FAILURE_STATUS[outcome.failure.reason], failureMessage(lang, outcome.failure), outcome.failure.reason === 'counter' ? lockHint(lang) : '');
    await ctx.sessionStepUp.passed(s.tokenHash);
    await ctx.opts.stepUp?.complete(s.accountId);
    await db.transaction((tx) => ctx.audit(tx, request, s.accountId, 'user.step_up', { method: 'passkey', action, passkeyId: outcome.passkey.id }));
    return reply.redirect(STEP_UP_ACTIONS[action], 303);
  }));
}
