/**
 * Email change: the new address confirms it first. The answer is the same whether or not the address already
 * has an account; only what is mailed to it differs (a link, or a notice that nothing changed).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { KinkyuError } from '../domain/errors.ts';
import { emailKeyOf } from '../exchange/reference-store.ts';
import { enqueueMail } from '../mail/outbox.ts';
import { t, type Lang } from '../web/i18n.ts';
import { RateLimiter } from '../web/rate-limit.ts';
import { requestLang } from '../web/request-lang.ts';
import type { CenterContext } from './center-context.ts';
import { EMAIL_CHANGE_MINUTES, EmailChanges, type OpenEmailChange } from './email-change.ts';
import { emailChangedPage, emailConfirmPage, emailLinkRefusedPage, type EmailLinkRefusal } from './email-change-views.ts';
import { emailChangeConfirmMail, emailChangeTakenMail } from './emails.ts';
import { EMAIL_PATTERN } from './emergency-contact.ts';
import { userAction } from './user-auth.ts';
import { compromisedSince, credentialLang } from './user-credentials-repository.ts';
import { storedLang, str, type UserSession } from './user-session.ts';

export function registerEmailChange(scope: FastifyInstance, ctx: CenterContext): void {
  const { db, config, accounts, store, clock } = ctx;
  const emailChanges = new EmailChanges(db, clock);
  const emailChangesByAddress = new RateLimiter(3, 60 * 60_000, ctx.now);
  const holdHours = ctx.holdMs / 3_600_000;

  scope.post('/account/email', { config: { user: 'stepped-up', stepUp: 'email' } }, userAction(ctx, async (request, reply, s, body) => {
    if (!store) throw new KinkyuError('NOT_FOUND');
    await ctx.checkCurrentPassword(s, body.current);
    const email = str(body.email, 254).trim();
    if (!EMAIL_PATTERN.test(email)) throw new KinkyuError('VALIDATION', { field: 'email', rule: 'email' });
    if (emailKeyOf(email) === emailKeyOf(s.email)) throw new KinkyuError('VALIDATION', { field: 'email', rule: 'email_same' });
    // Past the limit per address, nothing more is mailed to it; the answer stays the same.
    if (emailChangesByAddress.take(emailKeyOf(email))) await startEmailChange(request, s, email);
    return reply.redirect('/account?done=emailSent', 303);
  }));

  async function startEmailChange(request: FastifyRequest, s: UserSession, email: string): Promise<void> {
    const owner = await accounts.findAccount({ email });
    if (owner) {
      const ownerLang = await credentialLang(db, owner.id);
      const lang: Lang = ownerLang === null ? s.lang : storedLang(ownerLang);
      const mail = emailChangeTakenMail({ lang, exchangeName: ctx.exchangeName(lang) });
      await db.transaction(async (tx) => {
        await emailChanges.cancelOpen(s.accountId, tx);
        await enqueueMail(tx, { to: owner.email, subject: mail.subject, text: mail.text, lang }, { domain: ctx.opts.mailDomain });
        await ctx.audit(tx, request, s.accountId, 'user.email_change_request', { to: email, outcome: 'address_in_use' });
      });
    } else {
      const token = await emailChanges.request({ accountId: s.accountId, oldEmail: s.email, newEmail: email });
      const mail = emailChangeConfirmMail({ lang: s.lang, exchangeName: ctx.exchangeName(s.lang), link: `${config.publicUrl}/account/email/confirm/${token}`, minutes: EMAIL_CHANGE_MINUTES });
      await db.transaction(async (tx) => {
        await enqueueMail(tx, { to: email, subject: mail.subject, text: mail.text, lang: s.lang }, { domain: ctx.opts.mailDomain });
        await ctx.audit(tx, request, s.accountId, 'user.email_change_request', { to: email, outcome: 'confirmation_sent' });
      });
    }
  }

  const refused = (reply: FastifyReply, lang: Lang, status: number, key: EmailLinkRefusal) =>
    ctx.send(reply, lang, t(lang, 'user.emailConfirm.title'), emailLinkRefusedPage(lang, key), status);

  /**
   * A pending change still applies while the account is open, still at the address it was asked from, and the new
   * one free; and nothing since the request said the account was in the wrong hands (a lock, even if since lifted,
   * or a new password).
   */
  async function stillApplies(change: OpenEmailChange): Promise<boolean> {
    const account = await accounts.findAccount({ accountId: change.accountId });
    if (!account || account.locked || emailKeyOf(account.email) !== emailKeyOf(change.oldEmail)) return false;
    if (await compromisedSince(db, change.accountId, change.createdAt)) return false;
    return !(await accounts.findAccount({ email: change.newEmail }));
  }

  scope.get<{ Params: { token: string } }>('/account/email/confirm/:token', { config: { user: 'signing-in' } }, async (request, reply) => {
    const lang = requestLang(request, reply);
    reply.header('referrer-policy', 'no-referrer');
    const change = store ? await emailChanges.find(request.params.token) : null;
    if (!change) return refused(reply, lang, 404, 'expired');
    const page = emailConfirmPage(lang, { newEmail: change.newEmail, holdHours, token: request.params.token, pre: ctx.preToken(request, reply) });
    return ctx.send(reply, lang, t(lang, 'user.emailConfirm.title'), page);
  });

  scope.post<{ Params: { token: string } }>('/account/email/confirm/:token', { config: { user: 'signing-in' } }, async (request, reply) => {
    const lang = requestLang(request, reply);
    reply.header('referrer-policy', 'no-referrer');
    const token = request.params.token;
    if (!ctx.throttle.takeClientAttempt(request.ip)) return refused(reply, lang, 429, 'rateLimited');
    const change = store ? await emailChanges.find(token) : null;
    if (!store || !change) return refused(reply, lang, 404, 'expired');
    if (!(await stillApplies(change))) {
      await emailChanges.claim(token);
      return refused(reply, lang, 409, 'cannot');
    }
    // Claim first: only the one request that wins the link holds withdrawals. If the hold then fails, the link is
    // used up with nothing changed; a new request starts over.
    if (!(await emailChanges.claim(token))) return refused(reply, lang, 404, 'expired');
    const until = await ctx.hold(change.accountId);
    try {
      await store.changeEmail(change.accountId, change.newEmail);
    } catch (err) {
      // Taken in the meantime (the address is unique).
      if ((err as { code?: string })?.code === '23505') return refused(reply, lang, 409, 'cannot');
      throw err;
    }
    await db.transaction((tx) => ctx.audit(tx, request, change.accountId, 'user.email_change', { from: change.oldEmail, to: change.newEmail }));
    await ctx.record(request, change.accountId, 'email_changed', { from: change.oldEmail, to: change.newEmail, holdUntil: until.toISOString() });
    // The old address hears of it too, with its own lock link: a hijacker changes the email first.
    await ctx.notify(change.accountId, 'email_changed', request, [['→', change.newEmail]], until, [change.oldEmail, change.newEmail]);
    return ctx.send(reply, lang, t(lang, 'user.emailConfirm.doneTitle'), emailChangedPage(lang));
  });
}
