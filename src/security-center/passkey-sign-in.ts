/** Signing in with a passkey alone (a discoverable credential, user verification required). */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { t, type Lang } from '../web/i18n.ts';
import { html, type SafeHtml } from '../web/html.ts';
import { langHref } from '../web/links.ts';
import { requestLang } from '../web/request-lang.ts';
import { WebAuthnFailure } from '../webauthn/ceremony.ts';
import { allowWebAuthnScript, ceremonyForm } from '../webauthn/page.ts';
import type { CenterContext } from './center-context.ts';
import { errorBox } from './center-views.ts';
import { FAILURE_STATUS, failureMessage, isWrongAnswer, lockHint, reportedFailure, type Body, type PasskeyKit } from './passkey-common.ts';
import { findPasskey, type UserPasskey } from './passkey-store.ts';
import { completeSignIn } from './sign-in-completion.ts';
import { recoveryState, setCredentialLang } from './user-credentials-repository.ts';

export function registerPasskeySignIn(scope: FastifyInstance, ctx: CenterContext, kit: PasskeyKit): void {
  const { db, throttle } = ctx;
  const rateLimited = (lang: Lang, wait: number) => t(lang, 'user.rateLimited', { minutes: Math.ceil(wait / 60_000) });

  const signInPage = async (reply: FastifyReply, lang: Lang, pre: string, error: string | null, status = 200, extra: SafeHtml | '' = '') => {
    const options = await kit.ceremonies.authenticationOptions({ binding: pre, subject: null, allow: [], userVerification: 'required' });
    allowWebAuthnScript(reply);
    return ctx.send(reply, lang, t(lang, 'passkey.signInTitle'), html`<h1>${t(lang, 'passkey.signInTitle')}</h1>
${errorBox(error)}${extra}
<p>${t(lang, 'passkey.signInLead')}</p>
${ceremonyForm({
  mode: 'get', action: '/account/login/passkey', options, id: 'passkey-sign-in',
  hidden: html`<input type="hidden" name="_pre" value="${pre}">`,
  button: t(lang, 'passkey.signIn'), waiting: t(lang, 'passkey.waiting'), noScript: t(lang, 'passkey.noScript'),
})}
<p><a href="${langHref(lang, '/account/login')}">${t(lang, 'passkey.passwordInstead')}</a></p>
<p class="hint">${t(lang, 'user.login.lockHint')} <a href="${langHref(lang, '/help/lock')}">${t(lang, 'user.login.lockLink')}</a></p>`, status);
  };

  scope.get('/account/login/passkey', { config: { user: 'signing-in' } }, async (request, reply) => {
    const lang = requestLang(request, reply);
    const pre = ctx.preToken(request, reply);
    // Each page view stores a challenge: a client past its sign-in attempts gets the page without one.
    const wait = throttle.clientWaitMs(request.ip);
    if (wait > 0) return ctx.send(reply, lang, t(lang, 'passkey.signInTitle'), html`<h1>${t(lang, 'passkey.signInTitle')}</h1>${errorBox(rateLimited(lang, wait))}
<p><a href="${langHref(lang, '/account/login')}">${t(lang, 'passkey.passwordInstead')}</a></p>`, 429);
    return signInPage(reply, lang, pre, null);
  });

  scope.post('/account/login/passkey', { config: { user: 'signing-in' } }, async (request, reply) => {
    const lang = requestLang(request, reply);
    const body = (request.body ?? {}) as Body;
    const pre = ctx.preToken(request, reply);
    const wait = throttle.clientWaitMs(request.ip);
    if (wait > 0) return signInPage(reply, lang, pre, rateLimited(lang, wait), 429);
    let passkey: UserPasskey;
    try {
      const reported = reportedFailure(body);
      if (reported) throw reported;
      const result = await kit.ceremonies.verifyAuthentication({
        binding: pre, subject: null, response: body.response, requireUserVerification: true,
        find: (credentialId, userHandle) => findPasskey(db, credentialId, { accountId: null, userHandle }),
      });
      passkey = result.passkey;
      const state = await accountState(passkey.accountId);
      if (!state) throw new WebAuthnFailure('unknown_credential');
      if (state.locked) {
        await ctx.record(request, passkey.accountId, 'sign_in_failed', { reason: 'locked', method: 'passkey' });
        return ctx.send(reply, lang, t(lang, 'user.locked.title'), ctx.lockedBody(lang), 403);
      }
      // After a staff unlock the owner starts again from the emailed link (the unlock removed every passkey too).
      if (state.mustReset) return signInPage(reply, lang, pre, t(lang, 'passkey.error.afterUnlock'), 403);
      await kit.used(request, passkey, result.newCounter, 'sign_in');
    } catch (err) {
      if (!(err instanceof WebAuthnFailure)) throw err;
      if (isWrongAnswer(err.reason)) throttle.clientFailed(request.ip);
      await kit.onFailure(request, err, null, 'sign_in');
      return signInPage(reply, lang, pre, failureMessage(lang, err), FAILURE_STATUS[err.reason], err.reason === 'counter' ? lockHint(lang, false) : '');
    }
    await setCredentialLang(db, passkey.accountId, lang);
    // A passkey with user verification is two factors in one: it also answers detection's step-up.
    await ctx.opts.stepUp?.complete(passkey.accountId);
    await completeSignIn(ctx, request, reply, passkey.accountId, 'passkey');
    return reply.redirect(await ctx.landing(passkey.accountId), 303);
  });

  async function accountState(accountId: string): Promise<{ locked: boolean; mustReset: boolean } | null> {
    const account = await ctx.accounts.findAccount({ accountId });
    if (!account) return null;
    const state = await recoveryState(db, accountId);
    if (!state) return null;
    return { locked: account.locked || state.openLock, mustReset: state.mustReset };
  }
}
