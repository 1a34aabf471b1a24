/** The second step of signing in: the authenticator's code, the code emailed for detection's step-up, or a recovery code. */
import type { FastifyInstance } from 'fastify';
import { sameSecret, sha256Hex } from '../domain/secrets.ts';
import { t } from '../web/i18n.ts';
import { requestLang } from '../web/request-lang.ts';
import type { CenterContext } from './center-context.ts';
import type { CodeAttempt } from './sign-in-throttle.ts';
import { completeSignIn } from './sign-in-completion.ts';
import { twoFactorPage } from './sign-in-views.ts';
import { verifyAndConsumeTotp } from './totp.ts';
import { useRecoveryCode } from './user-accounts.ts';
import { sessionOf } from './user-auth.ts';
import { totpOf } from './user-credentials-repository.ts';
import { signInCodeHash } from './user-sessions-repository.ts';

export function registerTwoFactorStep(scope: FastifyInstance, ctx: CenterContext): void {
  const { db, throttle, clock } = ctx;

  scope.get('/account/login/2fa', { config: { user: 'second-factor' } }, async (request, reply) => {
    const lang = requestLang(request, reply);
    const s = sessionOf(request);
    const emailed = await signInCodeHash(db, s.tokenHash);
    return ctx.send(reply, lang, t(lang, 'user.tfa.title'), twoFactorPage(lang, s, ctx.csrfField(s), null, !!emailed));
  });

  scope.post('/account/login/2fa', { config: { user: 'second-factor' } }, async (request, reply) => {
    const lang = requestLang(request, reply);
    const s = sessionOf(request);
    const body = (request.body ?? {}) as Record<string, unknown>;
    const page = (status: number, error: string) => ctx.send(reply, lang, t(lang, 'user.tfa.title'), twoFactorPage(lang, s, ctx.csrfField(s), error), status);
    const attempt: CodeAttempt = { ip: request.ip, accountId: s.accountId, device: ctx.knownDeviceOf(request, s.accountId) };
    const wait = throttle.codeWaitMs(attempt);
    if (wait > 0) return page(429, t(lang, 'user.rateLimited', { minutes: ctx.minutes(wait) }));
    if (s.locked) return ctx.send(reply, lang, t(lang, 'user.locked.title'), ctx.lockedBody(lang), 403);
    let method: string | null = null;
    if (typeof body.recovery === 'string' && body.recovery.trim()) {
      if (await useRecoveryCode(db, s.accountId, body.recovery, clock())) method = 'recovery_code';
    } else {
      const emailed = await signInCodeHash(db, s.tokenHash);
      if (emailed && typeof body.code === 'string' && sameSecret(sha256Hex(`${s.tokenHash}:${body.code.replace(/\s/g, '')}`), emailed)) method = 'email_code';
      const { secret } = await totpOf(db, s.accountId);
      if (secret && (await verifyAndConsumeTotp(db, s.accountId, secret, body.code, clock()))) method = 'totp';
    }
    if (!method) {
      throttle.codeFailed(attempt);
      await ctx.record(request, s.accountId, 'sign_in_failed', { reason: 'second_factor', ...(attempt.device ? { knownDevice: true } : {}) });
      return page(401, t(lang, 'user.tfa.bad'));
    }
    throttle.codePassed(attempt);
    await ctx.opts.stepUp?.complete(s.accountId);
    await completeSignIn(ctx, request, reply, s.accountId, method, s.tokenHash);
    return reply.redirect(await ctx.landing(s.accountId), 303);
  });
}
