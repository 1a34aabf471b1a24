/** The emergency contact: a second address, verified with a code sent to it; the owner hears of every change. */
import type { FastifyInstance } from 'fastify';
import { randomInt } from 'node:crypto';
import { KinkyuError } from '../domain/errors.ts';
import { sha256Hex } from '../domain/secrets.ts';
import { emailKeyOf } from '../exchange/reference-store.ts';
import { enqueueMail } from '../mail/outbox.ts';
import { t } from '../web/i18n.ts';
import type { CenterContext } from './center-context.ts';
import { contactVerificationMail } from './emails.ts';
import { userAction } from './user-auth.ts';
import { setEmergencyContact, verifyEmergencyContact } from './user-credentials-repository.ts';
import { str } from './user-session.ts';

/** An address a mail can go to (no display names, lists or comments). */
export const EMAIL_PATTERN = /^[^\s@<>,;:"()[\]\\]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$/;

export function registerEmergencyContact(scope: FastifyInstance, ctx: CenterContext): void {
  const { db, clock } = ctx;
  const signedIn = { config: { user: 'required' as const } };

  scope.post('/account/contact', signedIn, userAction(ctx, async (request, reply, s, body, lang) => {
    const email = str(body.email, 254).trim();
    if (!EMAIL_PATTERN.test(email)) throw new KinkyuError('VALIDATION', { field: 'email', rule: 'email' });
    if (emailKeyOf(email) === emailKeyOf(s.email)) throw new KinkyuError('VALIDATION', { field: 'email', rule: 'contact_same' });
    if (!ctx.sensitiveByAccount.take(`${s.accountId}:contact`)) throw new KinkyuError('RATE_LIMITED');
    const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
    await db.transaction(async (tx) => {
      await setEmergencyContact(tx, s.accountId, email, sha256Hex(`${s.accountId}:${code}`), new Date(ctx.now() + 86_400_000));
      await ctx.audit(tx, request, s.accountId, 'user.emergency_contact_register', { contact: email });
      const mail = contactVerificationMail({ lang, exchangeName: ctx.exchangeName(lang), code, account: s.email });
      await enqueueMail(tx, { to: email, subject: mail.subject, text: mail.text, lang }, { domain: ctx.opts.mailDomain });
    });
    await ctx.record(request, s.accountId, 'emergency_contact_changed', { verified: false });
    // The owner hears of it at the main address, with a lock link: a hijacked session cannot quietly take
    // over the backup channel.
    await ctx.notify(s.accountId, 'emergency_contact_changed', request, [[t(lang, 'user.contact.email'), email]]);
    return reply.redirect('/account?done=contactSent#contact', 303);
  }));

  scope.post('/account/contact/verify', signedIn, userAction(ctx, async (request, reply, s, body) => {
    if (!ctx.sensitiveByAccount.take(`${s.accountId}:contact-verify`)) throw new KinkyuError('RATE_LIMITED');
    const code = str(body.code, 12).replace(/\s/g, '');
    const verified = await db.transaction(async (tx) => {
      const ok = await verifyEmergencyContact(tx, s.accountId, sha256Hex(`${s.accountId}:${code}`), clock());
      if (ok) await ctx.audit(tx, request, s.accountId, 'user.emergency_contact_verify');
      return ok;
    });
    if (!verified) throw new KinkyuError('VALIDATION', { field: 'code', rule: 'contact_code' });
    await ctx.record(request, s.accountId, 'emergency_contact_changed', { verified: true });
    return reply.redirect('/account?done=contactVerified', 303);
  }));
}
