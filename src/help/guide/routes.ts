import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../../config.ts';
import type { BusinessCalendar } from '../../domain/business-calendar.ts';
import type { PublicSite } from '../../status/page/site.ts';
import type { Lang } from '../../web/i18n.ts';
import { requestLang } from '../../web/request-lang.ts';
import { phoneLine } from '../../web/phone-line.ts';
import { channelsFromConfig } from '../channels.ts';
import type { ArticleSearch } from '../search/types.ts';
import { articleQuery } from './articles.ts';
import { activeTroubles } from './live.ts';
import { EMERGENCY_TYPES, nextQuestion, readAnswers, stepsFor, type EmergencyType } from './paths.ts';
import { preparePage } from './prepare.ts';
import { homePage, questionPage, stepsPage, type GuideContext } from './views.ts';
import { localized } from '../../web/i18n.ts';

export interface HelpCenterOptions {
  config: Config;
  site: PublicSite;
  /** The support desk's calendar: the phone line's hours. */
  calendar: BusinessCalendar;
  clock?: () => Date;
  /** The knowledge base's search (related articles, the "other" path's search). Without it the pages work, minus articles. */
  articles?: ArticleSearch;
}

/**
 * The emergency help center: `/help` ("What happened?"), `/help/<type>` with its follow-ups and steps, and
 * `/help/prepare`. GET only, no JavaScript; answers travel in the query string. Pages depend on the clock
 * (phone hours), live incidents and the visitor's session, so none is cached.
 */
export function registerHelpCenter(app: FastifyInstance, opts: HelpCenterOptions): void {
  const { config, site, calendar, articles } = opts;
  const clock = opts.clock ?? (() => new Date());
  const channels = channelsFromConfig(config, { ownArticles: articles !== undefined });
  const signedInUser = async (request: FastifyRequest, lang: Lang) => (await app.userPreparedness?.(request, lang)) ?? null;

  const context = (lang: Lang, signedIn: boolean): GuideContext => ({
    lang,
    exchangeName: localized(lang, config.exchangeNameJa, config.exchangeNameEn),
    timeZone: config.timeZone,
    publicUrl: config.publicUrl,
    channels,
    phone: phoneLine(config, calendar, clock()),
    snapshot: site.current(),
    signedIn,
    articles,
  });

  const send = (reply: FastifyReply, page: string) =>
    reply.code(200).header('content-type', 'text/html; charset=utf-8').header('cache-control', 'no-store').send(page);

  app.get('/help', async (request, reply) => {
    const lang = requestLang(request, reply);
    return send(reply, homePage(context(lang, (await signedInUser(request, lang)) !== null)));
  });

  const guide = (type: EmergencyType) => async (request: FastifyRequest, reply: FastifyReply) => {
    const lang = requestLang(request, reply);
    const query = (request.query ?? {}) as Record<string, unknown>;
    const c = context(lang, (await signedInUser(request, lang)) !== null);
    const answers = readAnswers(type, query);
    const question = nextQuestion(type, answers);
    if (question) return send(reply, questionPage(c, type, answers, question));
    const steps = stepsFor(type, answers, { troubleNow: activeTroubles(c.snapshot).length > 0 });
    const search = steps.includes('search') ? articleQuery(articles, query.q, lang, 5) : { kind: 'none' as const };
    return send(reply, stepsPage(c, type, answers, steps, search));
  };
  for (const type of EMERGENCY_TYPES) app.get(`/help/${type}`, guide(type));

  app.get('/help/prepare', async (request, reply) => {
    const lang = requestLang(request, reply);
    const own = await signedInUser(request, lang);
    return send(reply, preparePage(context(lang, own !== null), own));
  });
}
