/** New terms: the user agrees before continuing (every page but the lock waits for it). */
import type { FastifyInstance } from 'fastify';
import { requestLang } from '../web/request-lang.ts';
import type { CenterContext } from './center-context.ts';
import { sessionOf, userAction } from './user-auth.ts';

export function registerTermsGate(scope: FastifyInstance, ctx: CenterContext): void {
  const terms = ctx.opts.terms;
  const whileTermsWait = { config: { user: 'required' as const, skipTerms: true } };

  scope.get('/account/terms', whileTermsWait, async (request, reply) => {
    const s = sessionOf(request);
    const pending = await terms?.pending(s.accountId);
    if (!pending || !terms) return reply.redirect('/account', 303);
    const lang = requestLang(request, reply);
    const page = await terms.page(lang, pending, { csrf: ctx.csrfField(s) });
    return ctx.send(reply, lang, page.title, page.body);
  });

  scope.post('/account/terms', whileTermsWait, userAction(ctx, async (request, reply, s, body) => {
    const pending = await terms?.pending(s.accountId);
    // Only the version the page showed: if a newer one came out meanwhile, that one is shown next.
    if (pending && terms && body.version === pending.id) await terms.acknowledge(s.accountId, pending.id, request.ip);
    return reply.redirect(pending && body.version !== pending.id ? '/account/terms' : '/account', 303);
  }));
}
