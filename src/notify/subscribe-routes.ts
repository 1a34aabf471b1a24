import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
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
import { bodyOf } from '../web/body.ts';
import { registerSubscriberConsole } from './console-routes.ts';
import { SubscriberLinks } from './subscriptions/links.ts';
import { FANOUT_DEFAULTS } from './fanout/service.ts';
import { WEBHOOK_DOCUMENTATION_PATH } from './channels/webhook-payload.ts';
import { webhookDocsPage } from './webhook-docs.ts';
import type { PublicChannel, SubscriberRow } from './subscriptions/repository.ts';
import { componentChoices, Subscriptions, type Body } from './subscriptions/subscriptions.ts';
import {
  antiPhishingConfirmPage,
  checkInboxPage,
  confirmPage,
  endpointCreatedPage,
  linkNotFoundPage,
  managePage,
  subscribePage,
  unsubscribePage,
  type SubscribeContext,
  type SubscribeValues,
} from './subscribe-views.ts';

export interface SubscriptionRoutesOptions {
  db: Db;
  config: Config;
  site: PublicSite;
  /** The server's link key (`loadLinkKey`): subscriber links are HMACs under a key derived from it. */
  linkKey: Buffer;
  onMailQueued?: () => void;
  clock?: () => Date;
}

const SCOPE = 'notify';

/** The public form is the same for everyone, but its component list must be current: never stored by caches. */
function sendForm(reply: FastifyReply, body: string, status = 200): FastifyReply {
  return reply.code(status).header('content-type', 'text/html; charset=utf-8').header('cache-control', 'no-store').send(body);
}

const text = (v: unknown, max: number) => (typeof v === 'string' ? v.slice(0, max) : undefined);

/** What the form is filled in with again after a refusal: only plain strings, cut to the field's size. */
function echo(body: Body): SubscribeValues {
  const channel: PublicChannel = body.channel === 'webhook' || body.channel === 'slack' ? body.channel : 'email';
  const list = Array.isArray(body.components) ? body.components : body.components === undefined ? [] : [body.components];
  const components = new Set(list.filter((x): x is string => typeof x === 'string').slice(0, 500));
  const values: SubscribeValues = { channel, components };
  const email = text(body.email, 254);
  const url = text(body.url, 2048);
  const ownerEmail = text(body.ownerEmail, 254);
  if (email !== undefined) values.email = email;
  if (url !== undefined) values.url = url;
  if (ownerEmail !== undefined) values.ownerEmail = ownerEmail;
  if (body.lang === 'ja' || body.lang === 'en') values.lang = body.lang;
  return values;
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
    ...(opts.onMailQueued ? { onMailQueued: opts.onMailQueued } : {}),
    ...(opts.clock ? { clock: opts.clock } : {}),
  });
  const allowedOrigin = new URL(config.publicUrl).origin;
  const context = (lang: Lang): SubscribeContext => ({ lang, exchangeName: lang === 'en' ? config.exchangeNameEn : config.exchangeNameJa, officialXUrl: config.officialXUrl });
  const choices = () => componentChoices(site.current());

  /** A form on a page behind a secret link, posted from another site, is refused (the one-click POST is not checked). */
  const sameSite = (request: FastifyRequest) => {
    const origin = request.headers.origin;
    if (origin && origin !== 'null' && origin !== allowedOrigin && origin !== `${request.protocol}://${request.host}`) throw new KinkyuError('CSRF');
  };

  /** A subscriber's own page speaks their language unless the visitor chose one (?lang=, the cookie). */
  const linkLang = (request: FastifyRequest, reply: FastifyReply, row: SubscriberRow | null): Lang => {
    const chosen = (request.query as Record<string, unknown> | undefined)?.lang ?? request.cookies?.kinkyu_lang;
    return chosen === 'ja' || chosen === 'en' || !row ? requestLang(request, reply) : row.lang;
  };
  const withLang = (path: string, lang: Lang) => (lang === 'en' ? `${path}?lang=en` : path);
  const unsubscribePath = (id: string) => new URL(links.unsubscribeUrl(id)).pathname;
  const managePath = (id: string) => new URL(links.manageUrl(id)).pathname;

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

  type LinkParams = { Params: { id: string; token: string } };

  const notFound = (request: FastifyRequest, reply: FastifyReply) => {
    if (wantsJson(request)) throw new KinkyuError('NOT_FOUND', { what: 'subscription' });
    return sendPrivatePage(reply, linkNotFoundPage(context(requestLang(request, reply))), 404);
  };

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
