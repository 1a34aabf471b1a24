/** The authenticator app (enrolment, change, re-enrolment after an unlock) and new recovery codes. */
import type { FastifyInstance } from 'fastify';
import { KinkyuError } from '../domain/errors.ts';
import { t, type Lang } from '../web/i18n.ts';
import { requestLang } from '../web/request-lang.ts';
import type { CenterContext } from './center-context.ts';
import { generateTotpSecret, matchTotpStep } from './totp.ts';
import { recoveryCodesPage, totpSetupPage } from './totp-views.ts';
import { newRecoveryCodes } from './user-accounts.ts';
import { sessionOf, showStepUp, userAction } from './user-auth.ts';
import { enableTotp, setPendingTotpSecret, totpOf } from './user-credentials-repository.ts';
import type { UserSession } from './user-session.ts';

export function registerTotpSetup(scope: FastifyInstance, ctx: CenterContext): void {
  const { db, clock } = ctx;
  const page = (lang: Lang, s: UserSession, secret: string, error: string | null, notice: string | null = null) =>
    totpSetupPage(lang, s, { secret, exchangeName: ctx.exchangeName(lang), holdHours: ctx.holdMs / 3_600_000, csrf: ctx.csrfField(s), error, notice });

  // A new secret, kept pending until a code from it is confirmed.
  scope.get('/account/2fa', { config: { user: 'required', allowForced: true } }, async (request, reply) => {
    const s = sessionOf(request);
    if (s.mustResetPassword) return reply.redirect('/account/reset', 303);
    const lang = requestLang(request, reply);
    let secret = (await totpOf(db, s.accountId)).pending;
    if (!secret) {
      secret = generateTotpSecret();
      await setPendingTotpSecret(db, s.accountId, secret);
    }
    const steppedUpNow = (request.query as Record<string, unknown>).done === 'steppedUp';
    return ctx.send(reply, lang, t(lang, 'user.tfaSetup.title'), await page(lang, s, secret, null, steppedUpNow ? t(lang, 'user.done.steppedUp') : null));
  });

  scope.post('/account/2fa', { config: { user: 'required', allowForced: true } }, userAction(ctx, async (request, reply, s, body, lang) => {
    if (s.mustResetPassword) return reply.redirect('/account/reset', 303);
    const secret = (await totpOf(db, s.accountId)).pending;
    if (!secret) return reply.redirect('/account/2fa', 303);
    // Enrolling an authenticator is sensitive, the first one too: whoever enrols one passes every later step-up.
    // Without one yet, the step-up code goes to the account's address. After an unlock, the reset password and
    // the re-enrolment are the recovery itself.
    if (!s.mustReenrol2fa && !(await ctx.steppedUp(s))) return showStepUp(ctx, reply, lang, s, 'totp');
    if (!s.mustReenrol2fa) await ctx.checkCurrentPassword(s, body.current);
    if (!ctx.sensitiveByAccount.take(`${s.accountId}:totp`)) throw new KinkyuError('RATE_LIMITED');
    // The new secret's code is checked against a step counter of its own: start fresh.
    const step = matchTotpStep(secret, body.code, clock());
    if (step === null) return ctx.send(reply, lang, t(lang, 'user.tfaSetup.title'), await page(lang, s, secret, t(lang, 'user.tfa.bad')), 400);
    const replacing = s.totpEnabled;
    // The hold first (on every 2FA change, the first enrolment too): without it, no change.
    const until = await ctx.hold(s.accountId);
    await db.transaction(async (tx) => {
      await enableTotp(tx, s.accountId, secret, step, clock());
      await ctx.audit(tx, request, s.accountId, replacing ? 'user.totp_change' : 'user.totp_enable', { reenrol: s.mustReenrol2fa });
    });
    await ctx.record(request, s.accountId, replacing ? 'totp_reset' : 'totp_enabled', { holdUntil: until.toISOString() });
    await ctx.notify(s.accountId, 'totp_changed', request, [], until);
    return reply.redirect('/account?done=totp', 303);
  }));

  scope.post('/account/recovery-codes', { config: { user: 'stepped-up', stepUp: 'recovery' } }, userAction(ctx, async (request, reply, s, _body, lang) => {
    const codes = await db.transaction(async (tx) => {
      const list = await newRecoveryCodes(tx, s.accountId, clock());
      await ctx.audit(tx, request, s.accountId, 'user.recovery_codes');
      return list;
    });
    await ctx.notify(s.accountId, 'recovery_codes_regenerated', request);
    return ctx.send(reply, lang, t(lang, 'user.recovery.title'), recoveryCodesPage(lang, codes));
  }));
}
