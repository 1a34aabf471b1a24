/** Forgot password: a one-time link by email, then a new password (and the authenticator's code, where there is one). */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { isKinkyuError } from '../domain/errors.ts';
import { sha256Hex } from '../domain/secrets.ts';
import { emailKeyOf } from '../exchange/reference-store.ts';
import { errorMessage } from '../web/errors.ts';
import { t, type Lang } from '../web/i18n.ts';
import { RateLimiter } from '../web/rate-limit.ts';
import { requestLang } from '../web/request-lang.ts';
import type { CenterContext } from './center-context.ts';
import { issuePasswordResetLink } from './password-reset.ts';
import { forgotPage, newPasswordPage } from './password-views.ts';
import type { CodeAttempt } from './sign-in-throttle.ts';
import { verifyAndConsumeTotp } from './totp.ts';
import { checkNewPassword, hashUserPassword } from './user-accounts.ts';
import { claimResetToken, hasCredentials, linkAccount, setPasswordHash, totpOf } from './user-credentials-repository.ts';
import { revokeAllSessions } from './user-sessions-repository.ts';
import { str } from './user-session.ts';

export function registerPasswordReset(scope: FastifyInstance, ctx: CenterContext): void {
  const { db, config, accounts, throttle, clock } = ctx;
  const resetsByAddress = new RateLimiter(3, 60 * 60_000, ctx.now);
  const signingIn = { config: { user: 'signing-in' as const } };

  scope.get('/account/forgot', signingIn, async (request, reply) => {
    const lang = requestLang(request, reply);
    return ctx.send(reply, lang, t(lang, 'user.forgot.title'), forgotPage(lang, ctx.preToken(request, reply), null, null));
  });

  scope.post('/account/forgot', signingIn, async (request, reply) => {
    const lang = requestLang(request, reply);
    const key = emailKeyOf(str((request.body as Record<string, unknown> | undefined)?.email, 254));
    const pre = ctx.preToken(request, reply);
    if (throttle.clientWaitMs(request.ip) > 0) {
      return ctx.send(reply, lang, t(lang, 'user.forgot.title'), forgotPage(lang, pre, null, t(lang, 'user.rateLimited', { minutes: 15 })), 429);
    }
    // The same answer whatever the address, and the work after it: neither the page nor its timing tells.
    if (/^[^\s@]+@[^\s@]+$/.test(key) && resetsByAddress.take(key)) {
      setImmediate(() => void sendResetLink(request, key, lang).catch((err) => request.log.warn({ err }, 'password reset link not sent')));
    }
    return ctx.send(reply, lang, t(lang, 'user.forgot.title'), forgotPage(lang, pre, t(lang, 'user.forgot.sent'), null));
  });

  async function sendResetLink(request: FastifyRequest, key: string, lang: Lang): Promise<void> {
    const account = await accounts.findAccount({ email: key });
    if (!account || account.locked) return; // a locked account is reopened by staff only
    if (!(await hasCredentials(db, account.id))) return;
    await issuePasswordResetLink({ db, lock: ctx.lock, publicUrl: config.publicUrl, exchangeName: ctx.exchangeName, mailDomain: ctx.opts.mailDomain, clock }, account, lang);
    await db.transaction((tx) => ctx.audit(tx, request, account.id, 'user.password_reset_request'));
  }

  const resetLinkAccount = (token: string) => (/^[\w-]{40,64}$/.test(token) ? linkAccount(db, 'password_reset_tokens', sha256Hex(token), clock()) : Promise.resolve(null));

  scope.get<{ Params: { token: string } }>('/account/forgot/:token', signingIn, async (request, reply) => {
    const lang = requestLang(request, reply);
    reply.header('referrer-policy', 'no-referrer');
    const accountId = await resetLinkAccount(request.params.token);
    if (!accountId) return ctx.send(reply, lang, t(lang, 'user.forgot.title'), forgotPage(lang, ctx.preToken(request, reply), null, t(lang, 'user.forgot.expired')), 404);
    const { enabled } = await totpOf(db, accountId);
    return ctx.send(reply, lang, t(lang, 'user.forgot.newTitle'), newPasswordPage(lang, ctx.preToken(request, reply), request.params.token, enabled, null));
  });

  scope.post<{ Params: { token: string } }>('/account/forgot/:token', signingIn, async (request, reply) => {
    const lang = requestLang(request, reply);
    reply.header('referrer-policy', 'no-referrer');
    const pre = ctx.preToken(request, reply);
    const token = request.params.token;
    const expired = () => ctx.send(reply, lang, t(lang, 'user.forgot.title'), forgotPage(lang, pre, null, t(lang, 'user.forgot.expired')), 404);
    const accountId = await resetLinkAccount(token);
    if (!accountId) return expired();
    const body = (request.body ?? {}) as Record<string, unknown>;
    const totp = await totpOf(db, accountId);
    const again = (status: number, error: string) => ctx.send(reply, lang, t(lang, 'user.forgot.newTitle'), newPasswordPage(lang, pre, token, totp.enabled, error), status);
    const codeAttempt: CodeAttempt = { ip: null, accountId, device: null };
    const codeWait = throttle.codeWaitMs(codeAttempt);
    if (codeWait > 0) return again(429, t(lang, 'user.rateLimited', { minutes: ctx.minutes(codeWait) }));
    let hash: string;
    try {
      hash = await hashUserPassword(checkNewPassword(str(body.password, 2000)));
    } catch (err) {
      if (!isKinkyuError(err)) throw err;
      return again(err.httpStatus, errorMessage(lang, err));
    }
    // Knowing the mailbox is not enough where the account has a second factor.
    if (totp.enabled && !(totp.secret && (await verifyAndConsumeTotp(db, accountId, totp.secret, body.code, clock())))) {
      throttle.codeFailed(codeAttempt);
      await ctx.record(request, accountId, 'sign_in_failed', { reason: 'password_reset_second_factor' });
      return again(401, t(lang, 'user.tfa.bad'));
    }
    const until = await ctx.hold(accountId);
    const used = await db.transaction(async (tx) => {
      if (!(await claimResetToken(tx, sha256Hex(token), clock()))) return null;
      // must_reenrol_2fa is set only by a staff unlock: this is the owner's way back in after it.
      const { mustReenrol2fa } = await setPasswordHash(tx, accountId, hash, clock());
      // Every session ends: whoever had the old password is out.
      await revokeAllSessions(tx, accountId, clock());
      await ctx.audit(tx, request, accountId, 'user.password_reset');
      return { afterUnlock: mustReenrol2fa };
    });
    if (!used) return expired();
    await ctx.record(request, accountId, 'password_changed', { reset: true, holdUntil: until.toISOString() });
    await ctx.notify(accountId, 'password_changed', request, [], until);
    return reply.redirect(used.afterUnlock ? '/account/login?reset=unlocked' : '/account/login?reset=1', 303);
  });
}
