/** Lock way (a): one button in the security center, one confirmation. Open whatever else the account waits for. */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { t } from '../web/i18n.ts';
import { html } from '../web/html.ts';
import { phoneLine } from '../web/phone-line.ts';
import { requestLang } from '../web/request-lang.ts';
import { downDependency, unavailableNotice } from '../protection/unavailable-views.ts';
import type { CenterContext } from './center-context.ts';
import { afterLockSteps } from './center-views.ts';
import { sessionOf } from './user-auth.ts';

export function registerAccountLock(scope: FastifyInstance, ctx: CenterContext): void {
  const { config, clock } = ctx;
  const always = { user: 'required' as const, allowForced: true, skipTerms: true };

  scope.get('/account/lock', { config: always }, async (request, reply) => {
    const s = sessionOf(request);
    const lang = requestLang(request, reply);
    return ctx.send(reply, lang, t(lang, 'user.lock.confirmTitle'), html`<h1>${t(lang, 'user.lock.confirmTitle')}</h1>
<p>${t(lang, 'user.lock.confirmLead')}</p>
<ul class="steps"><li>${t(lang, 'user.lock.effect1')}</li><li>${t(lang, 'user.lock.effect2')}</li><li>${t(lang, 'user.lock.effect3')}</li><li>${t(lang, 'user.lock.effect4')}</li></ul>
<form method="post" action="/account/lock">${ctx.csrfField(s)}<button type="submit" class="danger">${t(lang, 'user.lock.confirm')}</button></form>
<p><a href="/account">${t(lang, 'user.lock.cancel')}</a></p>`);
  });

  /**
   * The database or the exchange did not answer (reading the session, or locking): say plainly what did not
   * happen and what to do instead. Anything else goes on to the application's error handler.
   */
  const lockUnavailable = (err: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    const down = downDependency(err);
    if (!down) throw err;
    const lang = requestLang(request, reply);
    const notice = unavailableNotice(lang, down === 'exchange' ? 'lock_pending' : 'lock_not_done', phoneLine(config, ctx.opts.calendar, clock()));
    reply.header('retry-after', '60');
    return ctx.send(reply, lang, t(lang, 'user.lock.confirmTitle'), html`<h1>${t(lang, 'user.lock.confirmTitle')}</h1>${notice}
<p><a href="/help/lock">${t(lang, 'lock.invalid.helpLink')}</a></p>`, 503);
  };

  scope.post('/account/lock', { config: always, errorHandler: lockUnavailable }, async (request, reply) => {
    const lang = requestLang(request, reply);
    const s = sessionOf(request);
    const result = await ctx.lock.lock(s.accountId, { source: 'self', reason: 'locked by the user from the security center', actor: ctx.actorOf(request, s.accountId), lang }, { awaitRecord: false });
    reply.clearCookie(ctx.cookieName, { path: '/' });
    return ctx.send(reply, lang, t(lang, 'user.lock.doneTitle'), html`<h1>${t(lang, 'user.lock.doneTitle')}</h1>
<div class="lock-box" role="status"><p>${t(lang, 'user.lock.doneLead')}</p></div>
<ul class="steps"><li>${t(lang, 'user.lock.done.sessions', { n: result.effects.sessionsRevoked })}</li><li>${t(lang, 'user.lock.done.keys', { n: result.effects.apiKeysRevoked })}</li>
<li>${t(lang, 'user.lock.done.blocked')}</li><li>${t(lang, 'user.lock.done.withdrawals', { n: result.effects.withdrawalsCancelled })}</li></ul>
${result.ticketNumber !== null ? html`<p class="ticket-number">${t(lang, 'user.lock.ticket')}: <strong id="lock-ticket">${result.ticketNumber}</strong></p>` : ''}
<h2>${t(lang, 'user.lock.nextTitle')}</h2>
${afterLockSteps(lang, config, ctx.opts.calendar, clock())}`);
  });
}
