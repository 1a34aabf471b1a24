import type { FastifyInstance } from 'fastify';
import type { Config } from '../config.ts';
import { isKinkyuError, KinkyuError } from '../domain/errors.ts';
import { mailDomain } from '../mail/outbox.ts';
import type { PublicSite } from '../status/page/site.ts';
import { wantsJson } from '../web/wants-json.ts';
import type { Db } from '../store/db.ts';
import { sendError } from '../web/error-handler.ts';
import { errorMessage } from '../web/errors.ts';
import type { Lang } from '../web/i18n.ts';
import { sendPrivatePage } from '../web/private-page.ts';
import { requestLang } from '../web/request-lang.ts';
import { registerSubscriberConsole } from './console-routes.ts';
import { registerManageRoutes } from './manage-routes.ts';
import { echo, SCOPE, sendForm, subscriberPageKit } from './subscriber-pages.ts';
import { bodyOf } from '../web/body.ts';
import { SubscriberLinks } from './subscriptions/links.ts';
import { FANOUT_DEFAULTS } from './fanout/service.ts';
import { WEBHOOK_DOCUMENTATION_PATH } from './channels/webhook-payload.ts';
import { webhookDocsPage } from './webhook-docs.ts';
import type { PublicChannel } from './subscriptions/repository.ts';
import { Subscriptions } from './subscriptions/subscriptions.ts';
import { checkInboxPage, confirmPage, endpointCreatedPage, subscribePage } from './subscribe-views.ts';

export interface SubscriptionRoutesOptions {
  db: Db;
  config: Config;
  site: PublicSite;
  /** The server's link key (`loadLinkKey`): subscriber links are HMACs under a key derived from it. */
  linkKey: Buffer;
  clock?: () => Date;
}

/**
 * The subscriber's side (PRODUCT.md §2.6): /subscribe, the confirmation link from the mail, and the signed
 * unsubscribe and manage links. The unsubscribe POST is RFC 8058's one-click: a mail provider posts
 * `List-Unsubscribe=One-Click` with no cookie and no CSRF token, and gets 200.
 */
export function registerSubscriptions(app: FastifyInstance, opts: SubscriptionRoutesOptions): Subscriptions {
  const { db, config, site } = opts;
  const links = new SubscriberLinks(opts.linkKey, config.publicUrl);
  const subscriptions = new Subscriptions(db, {
    config: config.subscriptions,
    links,
    mailDomain: mailDomain(config.mailFrom),
    publicUrl: config.publicUrl,
    exchangeName: { ja: config.exchangeNameJa, en: config.exchangeNameEn },
    snapshot: () => site.current(),
    ...(opts.clock ? { clock: opts.clock } : {}),
  });
  const kit = subscriberPageKit(config, site, links);
  const { context, choices, sameSite, linkLang, withLang, managePath } = kit;

  app.get('/subscribe', async (request, reply) => {
    const lang = requestLang(request, reply);
    const query = request.query as Record<string, unknown>;
    const channel: PublicChannel = query.channel === 'webhook' || query.channel === 'slack' ? query.channel : 'email';
    return sendForm(reply, subscribePage(context(lang), choices(), { channel }));
  });

  app.post('/subscribe', async (request, reply) => {
    const lang = requestLang(request, reply);
    const body = bodyOf(request);
    try {
      const result = await subscriptions.subscribe(body, { ip: request.ip, pageLang: lang });
      if (wantsJson(request)) return reply.code(result.channel === 'email' ? 202 : 201).header('cache-control', 'no-store').send({ ok: true, ...result });
      if (result.channel === 'email') return sendPrivatePage(reply, checkInboxPage(context(lang)));
      return sendPrivatePage(reply, endpointCreatedPage(context(lang), result), 201);
    } catch (err) {
      if (!isKinkyuError(err)) throw err;
      if (wantsJson(request)) return sendError(request, reply, err, SCOPE);
      return sendForm(reply, subscribePage(context(lang), choices(), echo(body), errorMessage(lang, err, SCOPE), err.params.field ?? null), err.httpStatus);
    }
  });

  app.get<{ Params: { token: string } }>('/subscriptions/confirm/:token', async (request, reply) => {
    const { state, row } = await subscriptions.peekConfirmation(request.params.token);
    const lang = linkLang(request, reply, row);
    const manageUrl = state === 'confirmed' && row ? withLang(managePath(row.id), lang) : null;
    const status = state === 'invalid' ? 404 : state === 'expired' ? 410 : 200;
    return sendPrivatePage(reply, confirmPage(context(lang), { state, token: state === 'ready' ? request.params.token : '', manageUrl }), status);
  });

  // Confirming is a POST behind a button: mail scanners that open every link in a mail confirm nothing.
  app.post<{ Params: { token: string } }>('/subscriptions/confirm/:token', async (request, reply) => {
    sameSite(request);
    const { state, row } = await subscriptions.confirm(request.params.token);
    const lang = linkLang(request, reply, row);
    const manageUrl = state === 'confirmed' && row ? withLang(managePath(row.id), lang) : null;
    if (wantsJson(request)) {
      if (state !== 'confirmed') throw new KinkyuError('NOT_FOUND', { what: 'subscription' });
      return reply.send({ ok: true });
    }
    const status = state === 'invalid' ? 404 : state === 'expired' ? 410 : 200;
    return sendPrivatePage(reply, confirmPage(context(lang), { state, token: '', manageUrl }), status);
  });

  registerManageRoutes(app, subscriptions, kit);
  registerSubscriberConsole(app, { db, config, clock: opts.clock });
  // What every webhook's meta.documentation points to: the same for everyone, rendered once per language.
  const docs = new Map<Lang, string>();
  app.get(WEBHOOK_DOCUMENTATION_PATH, async (request, reply) => {
    const lang = requestLang(request, reply);
    let page = docs.get(lang);
    if (!page) {
      page = webhookDocsPage({
        lang,
        exchangeName: lang === 'en' ? config.exchangeNameEn : config.exchangeNameJa,
        page: { id: config.pageId, nameJa: config.exchangeNameJa, nameEn: config.exchangeNameEn, url: config.publicUrl, timeZone: config.timeZone },
        retry: { baseMs: config.fanout.retryBaseMs ?? FANOUT_DEFAULTS.retryBaseMs, maxMs: config.fanout.retryMaxMs ?? FANOUT_DEFAULTS.retryMaxMs },
      });
      docs.set(lang, page);
    }
    return reply.code(200).header('content-type', 'text/html; charset=utf-8').header('cache-control', 'no-cache').send(page);
  });

  return subscriptions;
}
