/** Signing in with email and password, the session check for the exchange's own pages, and signing out. */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { randomInt } from 'node:crypto';
import { enqueueMail } from '../mail/outbox.ts';
import { emailKeyOf } from '../exchange/reference-store.ts';
import { sha256Hex } from '../domain/secrets.ts';
import { t } from '../web/i18n.ts';
import { requestLang } from '../web/request-lang.ts';
import type { CenterContext } from './center-context.ts';
import { stepUpCodeMail } from './emails.ts';
import type { PasswordAttempt } from './sign-in-throttle.ts';
import { completeSignIn } from './sign-in-completion.ts';
import { loginPage } from './sign-in-views.ts';
import { str } from './user-session.ts';
import { userDummyHash, verifyUserPassword } from './user-accounts.ts';
import { setCredentialLang, signInCredential } from './user-credentials-repository.ts';
import { revokeSession, setSignInCodeHash } from './user-sessions-repository.ts';

export function registerSignIn(scope: FastifyInstance, ctx: CenterContext): void {
  const { db, accounts, throttle, devices } = ctx;

  scope.get('/account/login', { config: { user: 'signing-in' } }, async (request, reply) => {
    const lang = requestLang(request, reply);
    // After a new password from a reset link; "unlocked": the link came with the unlock email.
    const reset = (request.query as Record<string, unknown>).reset;
    const notice = reset === 'unlocked' ? t(lang, 'user.login.unlockedResetDone') : reset === '1' ? t(lang, 'user.login.resetDone') : null;
    return ctx.send(reply, lang, t(lang, 'user.login.title'), loginPage(lang, ctx.preToken(request, reply), null, '', notice));
  });

  scope.post('/account/login', { config: { user: 'signing-in' } }, async (request, reply) => {
    const lang = requestLang(request, reply);
    const body = (request.body ?? {}) as Record<string, unknown>;
    const email = str(body.email, 254);
    const password = str(body.password);
    const key = emailKeyOf(email);
    const pre = ctx.preToken(request, reply);
    const page = (status: number, error: string) => ctx.send(reply, lang, t(lang, 'user.login.title'), loginPage(lang, pre, error, email), status);
    // The account is looked up through the adapter (the reference store or the exchange core). A browser with a
    // genuine device cookie has it looked up first, to know whether its cookie is this account's; others only once
    // the throttle lets them through (a flood of throttled guesses never reaches the exchange core).
    const lookUp = () => (/^[^\s@]+@[^\s@]+$/.test(key) ? accounts.findAccount({ email: key }) : Promise.resolve(null));
    const knownBrowser = devices.hasAny(request.cookies?.[ctx.deviceCookie]);
    let account = knownBrowser ? await lookUp() : null;
    const attempt: PasswordAttempt = { ip: request.ip, address: key, device: account ? ctx.knownDeviceOf(request, account.id) : null };
    const wait = throttle.passwordWaitMs(attempt);
    if (wait > 0) {
      await ctx.record(request, null, 'sign_in_failed', { reason: 'rate_limited' });
      return page(429, t(lang, 'user.rateLimited', { minutes: ctx.minutes(wait) }));
    }
    if (!knownBrowser) account = await lookUp();
    const cred = account ? await signInCredential(db, account.id, account.locked) : null;
    const ok = await verifyUserPassword(cred?.password_hash ?? (await userDummyHash()), password);
    if (!account || !cred || !ok) {
      throttle.passwordFailed(attempt);
      await ctx.record(request, cred?.account_id ?? null, 'sign_in_failed', { reason: 'password', ...(attempt.device ? { knownDevice: true } : {}) });
      return page(401, t(lang, 'user.login.bad'));
    }
    if (cred.locked_at) {
      await ctx.record(request, cred.account_id, 'sign_in_failed', { reason: 'locked' });
      return ctx.send(reply, lang, t(lang, 'user.locked.title'), ctx.lockedBody(lang), 403);
    }
    throttle.passwordPassed(attempt);
    await setCredentialLang(db, cred.account_id, lang);
    if (cred.totp_enabled_at || cred.has_passkey) {
      await ctx.createSession(reply, request, cred.account_id, true);
      return reply.redirect('/account/login/2fa', 303);
    }
    // Detection asked for a step-up and there is no authenticator: a one-time code by email first.
    if (await ctx.opts.stepUp?.required?.(cred.account_id)) {
      await mailSignInCode(request, reply, cred.account_id, account.email, lang);
      return reply.redirect('/account/login/2fa', 303);
    }
    await completeSignIn(ctx, request, reply, cred.account_id, 'password');
    return reply.redirect(await ctx.landing(cred.account_id), 303);
  });

  async function mailSignInCode(request: FastifyRequest, reply: FastifyReply, accountId: string, to: string, lang: 'ja' | 'en'): Promise<void> {
    const tokenHash = await ctx.createSession(reply, request, accountId, true);
    const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
    await setSignInCodeHash(db, tokenHash, sha256Hex(`${tokenHash}:${code}`));
    const mail = stepUpCodeMail({ lang, exchangeName: ctx.exchangeName(lang), code });
    await db.transaction((tx) => enqueueMail(tx, { to, subject: mail.subject, text: mail.text, lang }, { domain: ctx.opts.mailDomain }));
  }

  /**
   * The session check: is this cookie's session still good, and is the account locked? For the exchange's own
   * pages and apps that share the session, answered from one indexed query; never cached.
   */
  scope.get('/account/session', async (request, reply) => {
    const s = await ctx.sessionOf(request);
    return reply.header('cache-control', 'no-store').send({ signedIn: !!s && !s.pending2fa && !s.locked, locked: s?.locked ?? false });
  });

  // Open to any session (a locked account, one waiting for its second factor): a sign-out always works.
  scope.post('/account/logout', async (request, reply) => {
    const s = await ctx.sessionOf(request);
    if (s) {
      ctx.checkSessionCsrf(request, s);
      await db.transaction(async (tx) => {
        await revokeSession(tx, s.tokenHash, ctx.clock());
        await ctx.audit(tx, request, s.accountId, 'user.sign_out');
      });
    }
    reply.clearCookie(ctx.cookieName, { path: '/' });
    return reply.redirect('/account/login', 303);
  });
}
