import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { bodyOf } from '../../web/body.ts';
import type { Config } from '../../config.ts';
import { isKinkyuError, KinkyuError } from '../../domain/errors.ts';
import { wantsJson } from '../../web/wants-json.ts';
import { RateLimiter } from '../../web/rate-limit.ts';
import type { Lang } from '../../web/i18n.ts';
import { t, localized } from '../../web/i18n.ts';
import { requestLang } from '../../web/request-lang.ts';
import { errorMessage } from '../../web/errors.ts';
import type { KnowledgeBase } from './knowledge-base.ts';
import { articleIndexPage, articleNotFoundPage, articlePage, searchPage, type KbPageContext, type SearchResult } from './public-views.ts';
import { withJapaneseFallback } from '../guide/articles.ts';
import { langHref } from '../../web/links.ts';
import type { PublicSite } from '../../status/page/site.ts';
import { FeedbackTokens, feedbackTokenHash } from './feedback-token.ts';
import { isCrossSite } from '../../web/same-origin.ts';

export interface KbRoutesOptions {
  config: Config;
  knowledgeBase: KnowledgeBase;
  /** The status page's snapshot: the live incident banner every knowledge-base page starts with. */
  site: Pick<PublicSite, 'current'>;
  /** A server secret the "did this help?" token key is derived from (the ticket-link key). */
  feedbackKey: Buffer;
  clock?: () => Date;
  /** Answers per client address per window for "did this help?" (default 20 per 10 minutes). */
  feedbackLimit?: number;
}

const FEEDBACK_WINDOW_MS = 10 * 60_000;
export const MAX_QUERY_CHARS = 200;
const RESULTS = 10;

/** The query as typed, made harmless for display and search: controls become spaces, broken bytes go. */
function cleanQuery(raw: unknown): { query: string; tooLong: boolean } {
  const value = Array.isArray(raw) ? raw[0] : raw;
  if (typeof value !== 'string') return { query: '', tooLong: false };
  const text = (value.isWellFormed() ? value : value.toWellFormed())
    .replace(/\uFFFD/g, '')
    .replace(/[\u0000-\u001f\u007f-\u009f]/g, ' ')
    .normalize('NFC')
    .replace(/\s+/g, ' ')
    .trim();
  return text.length > MAX_QUERY_CHARS ? { query: text.slice(0, MAX_QUERY_CHARS), tooLong: true } : { query: text, tooLong: false };
}


/**
 * The public knowledge base: /help/articles (by category), /help/articles/:slug with "did this help?", and
 * /help/search. Pages come from memory; only feedback writes to the database. `/help` itself and the guided
 * pages belong to the help-center guide.
 */
export function registerKbRoutes(app: FastifyInstance, opts: KbRoutesOptions): void {
  const { config, knowledgeBase: kb, site } = opts;
  const feedbackLimiter = new RateLimiter(opts.feedbackLimit ?? 20, FEEDBACK_WINDOW_MS);
  const tokens = new FeedbackTokens(opts.feedbackKey, opts.clock);
  const allowedOrigin = new URL(config.publicUrl).origin;
  const context = (lang: Lang): KbPageContext => ({
    lang,
    exchangeName: localized(lang, config.exchangeNameJa, config.exchangeNameEn),
    timeZone: config.timeZone,
    snapshot: site.current(),
  });
  /**
   * A vote posted from another site (a page that makes its visitors' browsers vote) is refused: the browser
   * says where a form came from in Origin and Sec-Fetch-Site, and when it says, it must be this site.
   */
  const crossSite = (request: FastifyRequest): boolean => isCrossSite(request, allowedOrigin, { refuseNullOrigin: true });
  const feedbackToken = (view: NonNullable<ReturnType<KnowledgeBase['article']>>) => tokens.issue(view.article.slug, view.article.lang, view.article.version);
  // Pages come from memory, so they are cheap to serve fresh: a staff edit shows on the next load.
  const sendPublic = (reply: FastifyReply, body: string, status = 200, cacheable = status === 200) =>
    reply.code(status).header('content-type', 'text/html; charset=utf-8').header('cache-control', cacheable ? 'no-cache' : 'no-store')
      .header('vary', 'Accept-Language, Cookie').send(body);

  app.get('/help/articles', async (request, reply) => {
    const lang = requestLang(request, reply);
    if (wantsJson(request)) return reply.send({ categories: kb.categories(lang) });
    return sendPublic(reply, articleIndexPage(context(lang), kb.categories(lang)));
  });

  app.get<{ Params: { slug: string } }>('/help/articles/:slug', async (request, reply) => {
    const lang = requestLang(request, reply);
    const view = kb.article(request.params.slug, lang);
    if (!view) {
      if (wantsJson(request)) throw new KinkyuError('NOT_FOUND', { what: 'article' });
      return sendPublic(reply, articleNotFoundPage(context(lang)), 404);
    }
    if (wantsJson(request)) {
      const a = view.article;
      reply.header('cache-control', 'no-store');
      return reply.send({
        slug: a.slug, lang: a.lang, fallback: view.fallback, category: a.category, version: a.version, title: a.title, html: view.html.value,
        publishedAt: a.publishedAt.toISOString(), feedbackToken: feedbackToken(view),
      });
    }
    const thanks = (request.query as Record<string, unknown>).thanks;
    const thanked = thanks === 'yes' || thanks === 'no' ? thanks : null;
    // Not stored by any cache: the form's token is for this page view only.
    return sendPublic(reply, articlePage(context(lang), view, { thanked, feedbackToken: feedbackToken(view) }), 200, false);
  });

  app.post<{ Params: { slug: string } }>('/help/articles/:slug/feedback', async (request, reply) => {
    const body = bodyOf(request);
    const ui: Lang = body.ui === 'en' || body.ui === 'ja' ? body.ui : requestLang(request, reply);
    const view = kb.article(request.params.slug, ui);
    try {
      if (crossSite(request)) throw new KinkyuError('CSRF', { rule: 'cross_site' });
      if (!view) throw new KinkyuError('NOT_FOUND', { what: 'article' });
      if (!feedbackLimiter.take(request.ip)) throw new KinkyuError('RATE_LIMITED', { rule: 'feedback_rate' });
      const ticket = tokens.verify(view.article.slug, body.token);
      if (ticket === 'invalid') throw new KinkyuError('VALIDATION', { field: 'token', rule: 'feedback_token' });
      if (ticket === 'expired') throw new KinkyuError('VALIDATION', { field: 'token', rule: 'feedback_expired' });
      const result = await kb.recordFeedback(view.article.slug, {
        lang: ticket.lang, version: ticket.version, helpful: body.helpful, comment: body.comment, tokenHash: feedbackTokenHash(body.token as string),
      });
      // A token sent again (a double click, a replay) is answered as the first time, and not counted again.
      if (wantsJson(request)) return reply.code(result.counted ? 201 : 200).send({ ok: true, ...result });
      const answer = body.helpful === 'no' || body.helpful === false || body.helpful === 'false' ? 'no' : 'yes';
      return reply.redirect(`${langHref(ui, `/help/articles/${view.article.slug}`, { thanks: answer })}#kb-feedback`, 303);
    } catch (err) {
      if (!isKinkyuError(err)) throw err;
      const message = errorMessage(ui, err, 'kb');
      if (wantsJson(request)) return reply.code(err.httpStatus).send({ code: err.code, message, requestId: request.id });
      if (!view) return sendPublic(reply, articleNotFoundPage(context(ui)), 404);
      const comment = typeof body.comment === 'string' ? body.comment.slice(0, 1000) : '';
      return sendPublic(reply, articlePage(context(ui), view, { error: message, comment, feedbackToken: feedbackToken(view) }), err.httpStatus);
    }
  });

  app.get('/help/search', async (request, reply) => {
    const lang = requestLang(request, reply);
    const { query, tooLong } = cleanQuery((request.query as Record<string, unknown>).q);
    const c = context(lang);
    if (tooLong) {
      const error = t(lang, 'kb.search.tooLong', { max: MAX_QUERY_CHARS });
      if (wantsJson(request)) return reply.code(400).send({ code: 'VALIDATION', message: error, requestId: request.id });
      return sendPublic(reply, searchPage(c, { query, results: [], japaneseFallback: false, error }), 400);
    }
    const find = (searchLang: Lang): SearchResult[] => {
      if (!query) return [];
      const results: SearchResult[] = [];
      for (const hit of kb.search.search(query, { lang: searchLang, limit: RESULTS })) {
        // The index and the pages are updated together; a hit for an article no longer public is skipped.
        const summary = kb.summary(hit.slug, searchLang);
        if (summary && summary.lang === searchLang) results.push({ ...summary, matchExcerpt: hit.excerpt });
      }
      return results;
    };
    const { results, japaneseFallback } = withJapaneseFallback(lang, find);
    if (wantsJson(request)) {
      return reply.send({ query, japaneseFallback, results: results.map((r) => ({ slug: r.slug, lang: r.lang, title: r.title, category: r.category, excerpt: r.matchExcerpt || r.excerpt })) });
    }
    return sendPublic(reply, searchPage(c, { query, results, japaneseFallback }));
  });
}
