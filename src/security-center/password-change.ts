/** Changing the password from the security center, and the forced new password after a staff unlock. */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { isKinkyuError } from '../domain/errors.ts';
import { errorMessage } from '../web/errors.ts';
import { t } from '../web/i18n.ts';
import { requestLang } from '../web/request-lang.ts';
import type { CenterContext } from './center-context.ts';
import { forcedResetPage } from './password-views.ts';
import { checkNewPassword, hashUserPassword } from './user-accounts.ts';
import { sessionOf, userAction } from './user-auth.ts';
import { setPasswordHash } from './user-credentials-repository.ts';
import { revokeOtherSessions } from './user-sessions-repository.ts';
import { str, type UserSession } from './user-session.ts';

export function registerPasswordChange(scope: FastifyInstance, ctx: CenterContext): void {
  const { db, clock } = ctx;

  async function setPassword(request: FastifyRequest, s: UserSession, password: string, forced: boolean): Promise<Date> {
    const hash = await hashUserPassword(checkNewPassword(password));
    // The hold first: if the exchange cannot take it, the change does not happen either.
    const until = await ctx.hold(s.accountId);
    await db.transaction(async (tx) => {
      await setPasswordHash(tx, s.accountId, hash, clock());
      // Other sessions end: whoever else knew the old password is out.
      await revokeOtherSessions(tx, s.accountId, s.tokenHash, clock());
      await ctx.audit(tx, request, s.accountId, 'user.password_change', { forced });
    });
    await ctx.record(request, s.accountId, 'password_changed', { forced, holdUntil: until.toISOString() });
    await ctx.notify(s.accountId, 'password_changed', request, [], until);
    return until;
  }

  scope.post('/account/password', { config: { user: 'required' } }, userAction(ctx, async (request, reply, s, body) => {
    await ctx.checkCurrentPassword(s, body.current);
    await setPassword(request, s, str(body.password, 2000), false);
    return reply.redirect('/account?done=password', 303);
  }));

  scope.get('/account/reset', { config: { user: 'required', allowForced: true } }, async (request, reply) => {
    const s = sessionOf(request);
    if (!s.mustResetPassword) return reply.redirect('/account', 303);
    const lang = requestLang(request, reply);
    return ctx.send(reply, lang, t(lang, 'user.reset.title'), forcedResetPage(lang, ctx.csrfField(s), null));
  });

  scope.post('/account/reset', { config: { user: 'required', allowForced: true } }, userAction(ctx, async (request, reply, s, body, lang) => {
    if (!s.mustResetPassword) return reply.redirect('/account', 303);
    try {
      await setPassword(request, s, str(body.password, 2000), true);
    } catch (err) {
      if (!isKinkyuError(err)) throw err;
      return ctx.send(reply, lang, t(lang, 'user.reset.title'), forcedResetPage(lang, ctx.csrfField(s), errorMessage(lang, err)), err.httpStatus);
    }
    return reply.redirect(s.mustReenrol2fa ? '/account/2fa' : '/account?done=password', 303);
  }));
}
