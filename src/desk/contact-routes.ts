import { downDependency, unavailableNotice } from '../protection/unavailable-views.ts';
import { phoneLine } from '../web/phone-line.ts';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../config.ts';
import type { Db } from '../store/db.ts';
import type { BusinessCalendar } from '../domain/business-calendar.ts';
import { isKinkyuError, KinkyuError } from '../domain/errors.ts';
import type { PublicSite } from '../status/page/site.ts';
import { wantsJson } from '../web/wants-json.ts';
import { bodyOf } from '../web/body.ts';
import { refuseInvalid } from '../web/schema/validation.ts';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { ContactBody, TicketReplyBody } from './schemas.ts';
import { RateLimiter } from '../web/rate-limit.ts';
import { type SupportDesk } from './desk.ts';
import { parseContact } from './contact-form.ts';
import type { TicketLinks } from './ticket-links.ts';
import { findTicket, ticketMessages } from './ticket-repository.ts';
import { errorMessage } from '../web/errors.ts';
import type { Lang } from '../web/i18n.ts';
import { requestLang } from '../web/request-lang.ts';
import { contactFormPage, contactPhoneLine, ticketNotFoundPage, ticketPage, type ContactContext, type ContactValues } from './contact-views.ts';
import { sendPrivatePage } from '../web/private-page.ts';
import { isTicketType } from '../domain/ticket.ts';
import type { ArticleSearch } from '../help/search/types.ts';
import { contactSuggestions } from '../help/guide/contact-suggestions.ts';
import { localized } from '../web/i18n.ts';

export interface ContactOptions {
  db: Db;
  config: Config;
  site: PublicSite;
  desk: SupportDesk;
  links: TicketLinks;
  calendar: BusinessCalendar;
  clock?: () => Date;
  /** The knowledge base's search: articles suggested above the form (`?q=`, `?category=`). */
  articles?: ArticleSearch;
}

const CONTACT_WINDOW_MS = 10 * 60_000;

/** A refusal for sending too much points to the phone line: it says whether the line is open now. */
const phoneIfLimited = (c: ContactContext, err: KinkyuError) => (err.code === 'RATE_LIMITED' ? contactPhoneLine(c) : null);


const formValues = (body: Record<string, unknown>): ContactValues => {
  const out: ContactValues = {};
  for (const key of ['body', 'email', 'orderId', 'transactionId', 'asset', 'amount', 'category'] as const) {
    const v = body[key];
    // Echo back only what fits the field: a refused 100 KB body is not sent back whole.
    if (typeof v === 'string') out[key] = v.slice(0, key === 'body' ? 20_000 : 254);
  }
  return out;
};

/**
 * The user's side of the desk: the contact form (no login, no JavaScript), the ticket page behind the secret
 * link, and the user's replies. A wrong link is answered without touching the database and says nothing.
 */
export function registerContactRoutes(app: FastifyInstance, opts: ContactOptions): void {
  const { config, site, desk, links, calendar, db } = opts;
  const clock = opts.clock ?? (() => new Date());
  // Many users share one address (mobile carriers' NAT, offices): tickets filed per address are limited, and
  // attempts (valid or not) more loosely; one recipient address cannot be sent a stream of confirmations.
  const attempts = new RateLimiter(Math.max(config.contactRateLimit * 3, 30), CONTACT_WINDOW_MS);
  const submissions = new RateLimiter(config.contactRateLimit, CONTACT_WINDOW_MS);
  const perRecipient = new RateLimiter(5, CONTACT_WINDOW_MS);
  const replies = new RateLimiter(Math.max(config.contactRateLimit * 3, 30), CONTACT_WINDOW_MS);
  const limited = () => new KinkyuError('RATE_LIMITED', { rule: 'contact', phone: config.supportPhone });

  const context = (lang: Lang): ContactContext => {
    const snapshot = site.current();
    return {
      lang,
      exchangeName: localized(lang, config.exchangeNameJa, config.exchangeNameEn),
      timeZone: config.timeZone,
      officialXUrl: config.officialXUrl,
      faqUrl: config.faqUrl,
      line: phoneLine(config, calendar, clock()),
      openIncidents: snapshot?.incidents ?? [],
    };
  };
  const langOf = (request: FastifyRequest, reply: FastifyReply, body?: Record<string, unknown>): Lang =>
    body?.lang === 'en' || body?.lang === 'ja' ? body.lang : requestLang(request, reply);

  app.get('/contact', async (request, reply) => {
    const lang = requestLang(request, reply);
    const query = request.query as Record<string, unknown>;
    // The help center opens the form as ?category=<type>; ?type= is the older spelling.
    const requested = query.category ?? query.type;
    const category = isTicketType(requested) ? requested : null;
    const values: ContactValues = category ? { category } : {};
    const suggestions = contactSuggestions(opts.articles, { q: query.q }, lang, category);
    return sendPrivatePage(reply, contactFormPage(context(lang), values, null, suggestions));
  });

  // The form's "search articles with my message" button posts the whole form here (a POST keeps the message and
  // the address out of URLs, history and logs): the page suggests articles for the message and gives every
  // field back. Nothing is filed or stored.
  app.post('/contact/suggest', async (request, reply) => {
    const body = bodyOf(request);
    const lang = langOf(request, reply, body);
    const values = formValues(body);
    const category = isTicketType(values.category) ? values.category : null;
    const suggestions = contactSuggestions(opts.articles, { message: values.body ?? '' }, lang, category);
    return sendPrivatePage(reply, contactFormPage(context(lang), values, null, suggestions));
  });

  // The schema's refusal waits for the rate limits (refusesInHandler); past refuseInvalid, request.body is typed.
  app.withTypeProvider<TypeBoxTypeProvider>().post('/contact', { schema: { body: ContactBody }, config: { refusesInHandler: true } }, async (request, reply) => {
    const body = bodyOf(request);
    const lang = langOf(request, reply, body);
    try {
      if (!attempts.take(request.ip) || submissions.isOver(request.ip)) throw limited();
      refuseInvalid(request);
      const form = parseContact(request.body);
      submissions.take(request.ip);
      // A report is never refused for its address (an attacker could otherwise silence a victim's address);
      // past 5 in 10 minutes to one address, the ticket is filed without a confirmation mail.
      const recipient = typeof body.email === 'string' ? body.email.trim().toLowerCase().slice(0, 254) : '';
      const result = await desk.submitParsed(form, { lang, ip: request.ip, sendConfirmation: perRecipient.take(recipient) });
      if (wantsJson(request)) return reply.code(201).send({ ok: true, ...result, link: config.publicUrl + result.link });
      return reply.code(303).header('referrer-policy', 'no-referrer').redirect(`${result.link}?received=1`, 303);
    } catch (err) {
      // The database did not take the ticket: nothing was filed, and the page says so with what to do instead,
      // keeping what the user wrote.
      if (!wantsJson(request) && downDependency(err) === 'database') {
        request.log.warn({ err }, 'a contact form could not be stored (database unavailable)');
        const notice = unavailableNotice(lang, 'contact_not_saved', phoneLine(config, calendar, clock()));
        return sendPrivatePage(reply.header('retry-after', '60'), contactFormPage(context(lang), formValues(body), null, null, notice), 503);
      }
      if (!isKinkyuError(err) || wantsJson(request)) throw err;
      const c = context(lang);
      return sendPrivatePage(reply, contactFormPage(c, formValues(body), errorMessage(lang, err), null, phoneIfLimited(c, err)), err.httpStatus);
    }
  });

  /** The ticket behind a secret link, or null: the token is checked before the database is asked. */
  const ticketFor = async (params: { id: string; token: string }) => {
    if (!/^[0-9a-z]{1,40}$/.test(params.id) || !links.verify(params.id, params.token)) return null;
    return findTicket(db, params.id);
  };

  /** A ticket is shown in the language it was written in, unless the visitor chose one (?lang=, cookie). */
  const ticketLang = (request: FastifyRequest, reply: FastifyReply, ticketLanguage: Lang | undefined): Lang => {
    const chosen = (request.query as Record<string, unknown>)?.lang ?? request.cookies?.kinkyu_lang;
    return chosen === 'ja' || chosen === 'en' || !ticketLanguage ? requestLang(request, reply) : ticketLanguage;
  };

  app.get<{ Params: { id: string; token: string } }>('/tickets/:id/:token', async (request, reply) => {
    const ticket = await ticketFor(request.params);
    const lang = ticketLang(request, reply, ticket?.lang);
    if (!ticket) {
      if (wantsJson(request)) throw new KinkyuError('NOT_FOUND', { what: 'ticket' });
      return sendPrivatePage(reply, ticketNotFoundPage(context(lang)), 404);
    }
    const messages = await ticketMessages(db, ticket.id, { includeNotes: false });
    const query = request.query as Record<string, unknown>;
    if (wantsJson(request)) {
      return reply.header('cache-control', 'no-store').send({
        number: ticket.number,
        status: ticket.status,
        messages: messages.map((m) => ({ kind: m.kind, body: m.body, createdAt: m.createdAt.toISOString() })),
      });
    }
    return sendPrivatePage(
      reply,
      ticketPage(context(lang), { ticket, messages, path: links.path(ticket.id), justFiled: query.received === '1', replied: query.replied === '1' }),
    );
  });

  app.post<{ Params: { id: string; token: string } }>('/tickets/:id/:token', { schema: { body: TicketReplyBody }, config: { refusesInHandler: true } }, async (request, reply) => {
    const body = bodyOf(request);
    const ticket = await ticketFor(request.params);
    const lang = body.lang === 'en' || body.lang === 'ja' ? body.lang : ticketLang(request, reply, ticket?.lang);
    if (!ticket) {
      if (wantsJson(request)) throw new KinkyuError('NOT_FOUND', { what: 'ticket' });
      return sendPrivatePage(reply, ticketNotFoundPage(context(lang)), 404);
    }
    try {
      if (!replies.take(request.ip)) throw limited();
      refuseInvalid(request);
      await desk.userReply(ticket.id, body.body);
      if (wantsJson(request)) return reply.send({ ok: true });
      return reply.redirect(`${links.path(ticket.id)}?replied=1`, 303);
    } catch (err) {
      if (!isKinkyuError(err) || wantsJson(request)) throw err;
      const messages = await ticketMessages(db, ticket.id, { includeNotes: false });
      const replyValue = typeof body.body === 'string' ? body.body.slice(0, 20_000) : '';
      const c = context(lang);
      return sendPrivatePage(
        reply,
        ticketPage(c, { ticket, messages, path: links.path(ticket.id), justFiled: false, replied: false, error: errorMessage(lang, err), notice: phoneIfLimited(c, err), replyValue }),
        err.httpStatus,
      );
    }
  });
}
