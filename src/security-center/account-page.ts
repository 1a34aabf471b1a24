/** The security center's main page, and the preparedness items ticked from it (declarations, the allowlist). */
import type { FastifyInstance } from 'fastify';
import { KinkyuError } from '../domain/errors.ts';
import { t } from '../web/i18n.ts';
import { html } from '../web/html.ts';
import { requestLang } from '../web/request-lang.ts';
import type { CenterContext } from './center-context.ts';
import {
  contactSection, doneMessage, emailSection, historySection, lockSection, passwordSection, preparednessSection, sessionsSection, twoFactorSection, withdrawalSection,
} from './account-views.ts';
import { DECLARATIONS, preparedness } from './preparedness.ts';
import { recoveryReviewSection } from './recovery-section.ts';
import { sessionOf, userAction } from './user-auth.ts';
import { declare, enableAllowlist, signInHistory } from './user-credentials-repository.ts';
import { activeSessions } from './user-sessions-repository.ts';
import { str } from './user-session.ts';

export function registerAccountPage(scope: FastifyInstance, ctx: CenterContext): void {
  const { db, config, accounts, clock, opts } = ctx;
  const signedIn = { config: { user: 'required' as const } };

  scope.get('/account', signedIn, async (request, reply) => {
    const s = sessionOf(request);
    const lang = requestLang(request, reply);
    const csrf = ctx.csrfField(s);
    const when = (d: Date | string) => ctx.when(lang, d);
    const done = doneMessage(lang, (request.query as Record<string, unknown>).done);
    const prep = await preparedness(db, config, ctx.now(), lang, s, csrf);
    const account = await accounts.findAccount({ accountId: s.accountId });
    const sessions = await activeSessions(db, s.accountId, clock());
    const history = await signInHistory(db, s.accountId);
    const holdUntil = account?.withdrawalHoldUntil && new Date(account.withdrawalHoldUntil).getTime() > ctx.now() ? new Date(account.withdrawalHoldUntil) : null;
    // Oldest first, as they were added.
    const addresses = ctx.store ? (await accounts.listWithdrawalAddresses(s.accountId)).reverse() : [];
    const review = await opts.recovery?.review(s.accountId).catch((err: unknown) => {
      request.log.warn({ err }, 'the recovery review could not be read from the exchange');
      return null;
    });
    const body = html`<h1>${t(lang, 'user.center.title')}</h1>
<p class="meta">${s.email}</p>
${opts.demoMailbox ? html`<p class="notice">${t(lang, 'mailbox.centerNotice')} <a href="/account/mailbox">${t(lang, 'mailbox.centerLink')}</a></p>` : ''}
${done ? html`<p class="flash" role="status">${done}</p>` : ''}
${review ? recoveryReviewSection(lang, config.timeZone, review, csrf) : ''}
${lockSection(lang)}
${holdUntil ? html`<p class="notice" role="status">${t(lang, 'user.hold.active', { until: when(holdUntil) })}</p>` : ''}
${preparednessSection(lang, prep)}
${await Promise.all(ctx.sections.map((section) => section(s, lang)))}
${sessionsSection(lang, s, sessions, csrf, when)}
${passwordSection(lang, csrf, ctx.holdMs / 3_600_000)}
${twoFactorSection(lang, prep, csrf)}
${contactSection(lang, prep, csrf)}
${emailSection(lang, csrf)}
${ctx.store ? withdrawalSection(lang, addresses, csrf, ctx.now(), when) : ''}
${historySection(lang, history, when)}
<form method="post" action="/account/logout">${csrf}<button type="submit" class="secondary">${t(lang, 'user.logout')}</button></form>`;
    return ctx.send(reply, lang, t(lang, 'user.center.title'), body);
  });

  scope.post('/account/declare', signedIn, userAction(ctx, async (request, reply, s, body) => {
    const item = str(body.item, 40);
    if (!(DECLARATIONS as readonly string[]).includes(item)) throw new KinkyuError('VALIDATION', { field: 'item' });
    await db.transaction(async (tx) => {
      await declare(tx, s.accountId, item);
      await ctx.audit(tx, request, s.accountId, 'user.preparedness_declare', { item });
    });
    return reply.redirect('/account?done=declared', 303);
  }));

  scope.post('/account/allowlist', signedIn, userAction(ctx, async (request, reply, s) => {
    await db.transaction(async (tx) => {
      await enableAllowlist(tx, s.accountId);
      await ctx.audit(tx, request, s.accountId, 'user.allowlist_enable');
    });
    return reply.redirect('/account?done=allowlist', 303);
  }));
}
