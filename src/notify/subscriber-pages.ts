import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../config.ts';
import { KinkyuError } from '../domain/errors.ts';
import type { PublicSite } from '../status/page/site.ts';
import { wantsJson } from '../web/wants-json.ts';
import type { Lang } from '../web/i18n.ts';
import { sendPrivatePage } from '../web/private-page.ts';
import { requestLang } from '../web/request-lang.ts';
import type { SubscriberLinks } from './subscriptions/links.ts';
import type { PublicChannel, SubscriberRow } from './subscriptions/repository.ts';
import { componentChoices, type Body } from './subscriptions/subscriptions.ts';
import { linkNotFoundPage, type SubscribeContext, type SubscribeValues } from './subscribe-views.ts';
import { checkSameOrigin } from '../web/same-origin.ts';

/** The subscriber's pages (subscribe-routes.ts, manage-routes.ts): what they share. */
export const SCOPE = 'notify';

/** The public form is the same for everyone, but its component list must be current: never stored by caches. */
export function sendForm(reply: FastifyReply, body: string, status = 200): FastifyReply {
  return reply.code(status).header('content-type', 'text/html; charset=utf-8').header('cache-control', 'no-store').send(body);
}


export const text = (v: unknown, max: number) => (typeof v === 'string' ? v.slice(0, max) : undefined);

/** What the form is filled in with again after a refusal: only plain strings, cut to the field's size. */
export function echo(body: Body): SubscribeValues {
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

export type SubscriberPageKit = ReturnType<typeof subscriberPageKit>;

export function subscriberPageKit(config: Config, site: PublicSite, links: SubscriberLinks) {
  const allowedOrigin = new URL(config.publicUrl).origin;
  const context = (lang: Lang): SubscribeContext => ({ lang, exchangeName: lang === 'en' ? config.exchangeNameEn : config.exchangeNameJa, officialXUrl: config.officialXUrl });
  const choices = () => componentChoices(site.current());

  /** A form on a page behind a secret link, posted from another site, is refused (the one-click POST is not checked). */
  const sameSite = (request: FastifyRequest) => checkSameOrigin(request, allowedOrigin);

  /** A subscriber's own page speaks their language unless the visitor chose one (?lang=, the cookie). */
  const linkLang = (request: FastifyRequest, reply: FastifyReply, row: SubscriberRow | null): Lang => {
    const chosen = (request.query as Record<string, unknown> | undefined)?.lang ?? request.cookies?.kinkyu_lang;
    return chosen === 'ja' || chosen === 'en' || !row ? requestLang(request, reply) : row.lang;
  };
  const withLang = (path: string, lang: Lang) => (lang === 'en' ? `${path}?lang=en` : path);
  const unsubscribePath = (id: string) => new URL(links.unsubscribeUrl(id)).pathname;
  const managePath = (id: string) => new URL(links.manageUrl(id)).pathname;

  const notFound = (request: FastifyRequest, reply: FastifyReply) => {
    if (wantsJson(request)) throw new KinkyuError('NOT_FOUND', { what: 'subscription' });
    return sendPrivatePage(reply, linkNotFoundPage(context(requestLang(request, reply))), 404);
  };

  return { context, choices, sameSite, linkLang, withLang, unsubscribePath, managePath, notFound };
}
