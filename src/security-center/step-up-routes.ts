/** Step-up before a sensitive action: a second factor again on this session, then back to the action. */
import type { FastifyInstance } from 'fastify';
import { KinkyuError } from '../domain/errors.ts';
import { t } from '../web/i18n.ts';
import type { CenterContext } from './center-context.ts';
import type { CodeAttempt } from './sign-in-throttle.ts';
import { isStepUpAction, STEP_UP_ACTIONS } from './step-up.ts';
import { verifyAndConsumeTotp } from './totp.ts';
import { useRecoveryCode } from './user-accounts.ts';
import { showStepUp, userAction } from './user-auth.ts';
import { totpOf } from './user-credentials-repository.ts';

export function registerStepUpRoutes(scope: FastifyInstance, ctx: CenterContext): void {
  const { db, throttle, clock } = ctx;

  scope.post('/account/step-up', { config: { user: 'required' } }, userAction(ctx, async (request, reply, s, body, lang) => {
    if (!isStepUpAction(body.action)) throw new KinkyuError('VALIDATION', { field: 'action' });
    const action = body.action;
    const page = (status: number, error: string) => showStepUp(ctx, reply, lang, s, action, { status, error, mail: 'no' });
    const attempt: CodeAttempt = { ip: request.ip, accountId: s.accountId, device: ctx.knownDeviceOf(request, s.accountId) };
    const wait = throttle.codeWaitMs(attempt);
    if (wait > 0) return page(429, t(lang, 'user.rateLimited', { minutes: ctx.minutes(wait) }));
    let method: string | null = null;
    if (typeof body.recovery === 'string' && body.recovery.trim()) {
      if (await useRecoveryCode(db, s.accountId, body.recovery, clock())) method = 'recovery_code';
    } else if (s.totpEnabled) {
      const { secret } = await totpOf(db, s.accountId);
      if (secret && (await verifyAndConsumeTotp(db, s.accountId, secret, body.code, clock()))) method = 'totp';
    } else if (await ctx.sessionStepUp.checkCode(s.tokenHash, body.code)) {
      method = 'email_code';
    }
    if (!method) {
      throttle.codeFailed(attempt);
      await ctx.record(request, s.accountId, 'sign_in_failed', { reason: 'step_up' });
      return page(401, t(lang, 'user.tfa.bad'));
    }
    throttle.codePassed(attempt);
    await ctx.sessionStepUp.passed(s.tokenHash);
    await ctx.opts.stepUp?.complete(s.accountId);
    await db.transaction((tx) => ctx.audit(tx, request, s.accountId, 'user.step_up', { method, action }));
    return reply.redirect(STEP_UP_ACTIONS[action], 303);
  }));

  scope.post('/account/step-up/send', { config: { user: 'required' } }, userAction(ctx, async (_request, reply, s, body, lang) => {
    if (!isStepUpAction(body.action)) throw new KinkyuError('VALIDATION', { field: 'action' });
    if (s.totpEnabled || s.passkeys) return showStepUp(ctx, reply, lang, s, body.action, { mail: 'no' });
    if (!ctx.sensitiveByAccount.take(`${s.accountId}:step-up-mail`)) throw new KinkyuError('RATE_LIMITED');
    return showStepUp(ctx, reply, lang, s, body.action, { mail: 'force', notice: t(lang, 'user.stepUp.resent') });
  }));
}
