import type { FastifyInstance } from 'fastify';
import { isKinkyuError, KinkyuError } from '../domain/errors.ts';
import { wantsJson } from '../web/wants-json.ts';
import { errorMessage } from '../web/errors.ts';
import type { Lang } from '../web/i18n.ts';
import { sendPrivatePage } from '../web/private-page.ts';
import { requestLang } from '../web/request-lang.ts';
import type { SubscriberRow } from './subscriptions/repository.ts';
import type { Subscriptions } from './subscriptions/subscriptions.ts';
import { antiPhishingConfirmPage, managePage, unsubscribePage } from './subscribe-views.ts';
import { echo, SCOPE, text, type SubscriberPageKit } from './subscriber-pages.ts';
import { bodyOf } from '../web/body.ts';

/**
 * Behind the signed links of a subscriber's mail: unsubscribe (RFC 8058's one-click POST: a mail provider posts
 * `List-Unsubscribe=One-Click` with no cookie and no CSRF token, and gets 200), manage, and the anti-phishing code.
 */
export function registerManageRoutes(app: FastifyInstance, subscriptions: Subscriptions, kit: SubscriberPageKit): void {
  const { context, choices, sameSite, linkLang, withLang, unsubscribePath, managePath, notFound } = kit;
  type LinkParams = { Params: { id: string; token: string } };

  app.get<LinkParams>('/subscriptions/:id/unsubscribe/:token', async (request, reply) => {
    const row = await subscriptions.fromLink(request.params.id, request.params.token, 'unsubscribe');
    if (!row) return notFound(request, reply);
    const lang = linkLang(request, reply, row);
    return sendPrivatePage(reply, unsubscribePage(context(lang), row, withLang(unsubscribePath(row.id), lang), row.unsubscribedAt !== null));
  });

  // RFC 8058 one-click: whatever the body (`List-Unsubscribe=One-Click`, a form button, nothing at all), a POST to a
  // valid link unsubscribes at once, with no cookie, session or CSRF token. Repeating it changes nothing more.
  app.register(async (scope) => {
    // Mail providers may post multipart/form-data; its content does not matter here.
    scope.addContentTypeParser('multipart/form-data', { parseAs: 'string', bodyLimit: 16 * 1024 }, (_request, _body, done) => done(null, {}));
    scope.post<LinkParams>('/subscriptions/:id/unsubscribe/:token', async (request, reply) => {
      const row = await subscriptions.fromLink(request.params.id, request.params.token, 'unsubscribe');
      if (!row) return notFound(request, reply);
      const after = (await subscriptions.unsubscribe(row.id)) ?? row;
      if (wantsJson(request)) return reply.header('cache-control', 'no-store').send({ ok: true });
      const lang = linkLang(request, reply, row);
      return sendPrivatePage(reply, unsubscribePage(context(lang), after, withLang(unsubscribePath(row.id), lang), true));
    });
  });

  const renderManage = (
    lang: Lang,
    row: SubscriberRow,
    extra: { saved?: boolean; error?: string; values?: { lang?: Lang; components?: Set<string> | null }; apSent?: boolean; apError?: string; apValue?: string } = {},
  ) =>
    managePage(context(lang), {
      row,
      choices: choices(),
      action: withLang(managePath(row.id), lang),
      unsubscribeAction: withLang(unsubscribePath(row.id), lang),
      saved: extra.saved ?? false,
      error: extra.error ?? null,
      ...(extra.values ? { values: extra.values } : {}),
      antiPhishing: {
        action: withLang(`${managePath(row.id)}/anti-phishing`, lang),
        sent: extra.apSent ?? false,
        error: extra.apError ?? null,
        ...(extra.apValue !== undefined ? { value: extra.apValue } : {}),
      },
    });

  app.get<LinkParams>('/subscriptions/:id/manage/:token', async (request, reply) => {
    const row = await subscriptions.fromLink(request.params.id, request.params.token, 'manage');
    if (!row) return notFound(request, reply);
    const lang = linkLang(request, reply, row);
    const query = request.query as Record<string, unknown>;
    return sendPrivatePage(reply, renderManage(lang, row, { saved: query.saved === '1', apSent: query.ap === 'sent' }));
  });

  // The anti-phishing code for status mail: asked for here, confirmed from the mailbox (the link below).
  app.post<LinkParams>('/subscriptions/:id/manage/:token/anti-phishing', async (request, reply) => {
    const row = await subscriptions.fromLink(request.params.id, request.params.token, 'manage');
    if (!row) return notFound(request, reply);
    const lang = linkLang(request, reply, row);
    const body = bodyOf(request);
    try {
      sameSite(request);
      await subscriptions.requestAntiPhishing(row, body);
      if (wantsJson(request)) return reply.code(202).header('cache-control', 'no-store').send({ ok: true });
      const path = managePath(row.id);
      return reply.code(303).header('referrer-policy', 'no-referrer').redirect(lang === 'en' ? `${path}?lang=en&ap=sent#anti-phishing` : `${path}?ap=sent#anti-phishing`, 303);
    } catch (err) {
      if (!isKinkyuError(err) || wantsJson(request)) throw err;
      return sendPrivatePage(reply, renderManage(lang, row, { apError: errorMessage(lang, err, SCOPE), apValue: text(body.code, 200) ?? '' }), err.httpStatus);
    }
  });

  type CodeLinkParams = { Params: { id: string; token: string } };
  const codeLinkPath = (id: string, token: string, lang: Lang) => withLang(`/subscriptions/${encodeURIComponent(id)}/anti-phishing/${token}`, lang);

  app.get<CodeLinkParams>('/subscriptions/:id/anti-phishing/:token', async (request, reply) => {
    const pending = await subscriptions.peekAntiPhishing(request.params.id, request.params.token);
    const chosen = (request.query as Record<string, unknown> | undefined)?.lang ?? request.cookies?.kinkyu_lang;
    const lang: Lang = chosen === 'ja' || chosen === 'en' || !pending ? requestLang(request, reply) : pending.lang;
    const action = codeLinkPath(request.params.id, request.params.token, lang);
    return sendPrivatePage(reply, antiPhishingConfirmPage(context(lang), { state: pending ? 'ready' : 'invalid', remove: pending?.remove ?? false, action }), pending ? 200 : 404);
  });

  app.post<CodeLinkParams>('/subscriptions/:id/anti-phishing/:token', async (request, reply) => {
    sameSite(request);
    const lang = requestLang(request, reply);
    const done = await subscriptions.confirmAntiPhishing(request.params.id, request.params.token);
    if (wantsJson(request)) {
      if (!done) throw new KinkyuError('NOT_FOUND', { what: 'subscription' });
      return reply.send({ ok: true });
    }
    const action = codeLinkPath(request.params.id, request.params.token, lang);
    return sendPrivatePage(reply, antiPhishingConfirmPage(context(lang), { state: done ? 'confirmed' : 'invalid', remove: false, action }), done ? 200 : 404);
  });

  app.post<LinkParams>('/subscriptions/:id/manage/:token', async (request, reply) => {
    const row = await subscriptions.fromLink(request.params.id, request.params.token, 'manage');
    if (!row) return notFound(request, reply);
    const lang = linkLang(request, reply, row);
    const body = bodyOf(request);
    try {
      sameSite(request);
      if (row.unsubscribedAt) throw new KinkyuError('NOT_FOUND', { what: 'subscription' });
      const prefs = await subscriptions.updatePreferences(row, body);
      if (wantsJson(request)) return reply.send({ ok: true, ...prefs });
      const path = managePath(row.id);
      return reply.code(303).header('referrer-policy', 'no-referrer').redirect(lang === 'en' ? `${path}?lang=en&saved=1` : `${path}?saved=1`, 303);
    } catch (err) {
      if (!isKinkyuError(err) || wantsJson(request)) throw err;
      const values = echo(body);
      return sendPrivatePage(
        reply,
        renderManage(lang, row, { error: errorMessage(lang, err, SCOPE), values: { ...(values.lang ? { lang: values.lang } : {}), components: values.components ?? null } }),
        err.httpStatus,
      );
    }
  });
}
