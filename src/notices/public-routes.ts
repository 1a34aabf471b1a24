import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../config.ts';
import type { Db } from '../store/db.ts';
import type { ExchangeAccounts } from '../exchange/adapter.ts';
import { KinkyuError } from '../domain/errors.ts';
import type { PublicSite } from '../status/page/site.ts';
import { requestLang } from '../web/request-lang.ts';
import type { Lang } from '../web/i18n.ts';
import { peekAckToken, redeemAckToken } from './ack-links.ts';
import { todayIn } from './days.ts';
import { diffTerms, type TermsDiff } from './diff.ts';
import { findNotice } from './notices.ts';
import { ackLinkPage, ackResultPage, diffPage, termsPage, versionsPage, type PublicChrome } from './public-views.ts';
import { currentTerms, findTermsByLabel, listPublishedTerms, previousTerms, type TermsVersion } from './terms.ts';
import { checkSameOrigin } from '../web/same-origin.ts';

export interface NoticePublicOptions {
  db: Db;
  config: Config;
  site: PublicSite;
  accounts: ExchangeAccounts;
  clock: () => Date;
}

/** A public page rendered per request: its language came from headers, so shared caches must key on them. */
function sendPublic(reply: FastifyReply, page: string, status = 200) {
  return reply.code(status).header('content-type', 'text/html; charset=utf-8').header('cache-control', 'public, max-age=60').header('vary', 'Accept-Language, Cookie').send(page);
}

/** A page behind a secret link: never cached, never indexed, never sent on as a referrer. */
function sendPrivate(reply: FastifyReply, page: string, status = 200) {
  return reply.code(status).header('content-type', 'text/html; charset=utf-8').header('cache-control', 'no-store')
    .header('referrer-policy', 'no-referrer').header('x-robots-tag', 'noindex').send(page);
}

/** Published versions never change, so their diffs are computed once (bounded: labels in URLs are chosen by anyone, but only published ones get here). */
const diffCache = new Map<string, TermsDiff>();

export function termsDiffFor(version: TermsVersion, previous: TermsVersion, lang: Lang): { diff: TermsDiff; comparedLang: Lang } {
  // English only when both versions have it; otherwise the Japanese texts, which always exist.
  const comparedLang: Lang = lang === 'en' && version.bodyEn && previous.bodyEn ? 'en' : 'ja';
  const key = `${previous.id}|${version.id}|${comparedLang}`;
  const cacheable = version.status === 'published' && previous.status === 'published';
  let diff = cacheable ? diffCache.get(key) : undefined;
  if (!diff) {
    diff = comparedLang === 'en'
      ? diffTerms(previous.bodyEn as string, version.bodyEn as string, 'en')
      : diffTerms(previous.bodyJa, version.bodyJa, 'ja');
    if (cacheable) {
      if (diffCache.size >= 100) diffCache.clear();
      diffCache.set(key, diff);
    }
  }
  return { diff, comparedLang };
}

/**
 * The public side of notices and terms: notices not in the in-memory snapshot (withdrawn ones), the terms
 * and their versions, the diff to the previous version, and the one-time acknowledgement link.
 */
export function registerNoticePublicRoutes(app: FastifyInstance, opts: NoticePublicOptions): void {
  const { db, config, site, clock } = opts;
  const chrome: PublicChrome = { exchangeName: { ja: config.exchangeNameJa, en: config.exchangeNameEn }, timeZone: config.timeZone };
  const allowedOrigin = new URL(config.publicUrl).origin;

  // Published notices are answered from memory before this; what reaches here is withdrawn, older, or unknown.
  // Unknown ids are answered from memory too: a flood of guesses never reaches the database.
  app.get<{ Params: { id: string } }>('/notices/:id', async (request, reply) => {
    const lang = requestLang(request, reply);
    const known = site.current()?.knownNoticeIds.has(request.params.id) ?? true;
    const notice = known ? await findNotice(db, request.params.id) : null;
    if (!notice || notice.status === 'draft') throw new KinkyuError('NOT_FOUND', { what: 'notice' });
    const page = site.noticePage(notice, lang);
    if (!page) throw new KinkyuError('DATABASE_UNAVAILABLE');
    return sendPublic(reply, page);
  });

  app.get('/terms', async (request, reply) => {
    const lang = requestLang(request, reply);
    const { current, upcoming } = await currentTerms(db, todayIn(clock(), config.timeZone));
    const hasPrevious = current ? (await previousTerms(db, current)) !== null : false;
    return sendPublic(reply, termsPage(chrome, lang, { version: current, upcoming, hasPrevious, isCurrent: true }));
  });

  app.get('/terms/versions', async (request, reply) => {
    const lang = requestLang(request, reply);
    const { current } = await currentTerms(db, todayIn(clock(), config.timeZone));
    return sendPublic(reply, versionsPage(chrome, lang, await listPublishedTerms(db), current?.id ?? null));
  });

  const publishedVersion = async (label: string) => {
    const version = await findTermsByLabel(db, label, { publishedOnly: true });
    if (!version) throw new KinkyuError('NOT_FOUND', { what: 'terms' });
    return version;
  };

  app.get<{ Params: { label: string } }>('/terms/versions/:label', async (request, reply) => {
    const lang = requestLang(request, reply);
    const version = await publishedVersion(request.params.label);
    const { current, upcoming } = await currentTerms(db, todayIn(clock(), config.timeZone));
    const hasPrevious = (await previousTerms(db, version)) !== null;
    const isCurrent = version.id === current?.id;
    return sendPublic(reply, termsPage(chrome, lang, { version, upcoming: isCurrent ? upcoming : null, hasPrevious, isCurrent: false }));
  });

  app.get<{ Params: { label: string } }>('/terms/versions/:label/diff', async (request, reply) => {
    const lang = requestLang(request, reply);
    const version = await publishedVersion(request.params.label);
    const previous = await previousTerms(db, version);
    const compared = previous ? termsDiffFor(version, previous, lang) : null;
    return sendPublic(reply, diffPage(chrome, lang, { version, previous, diff: compared?.diff ?? null, comparedLang: compared?.comparedLang ?? lang }));
  });

  // ---------------------------------------------------------------- the one-time link from the reminder

  const emailOf = async (accountId: string) => (await opts.accounts.findAccount({ accountId }))?.email ?? null;

  app.get<{ Params: { token: string } }>('/terms/ack/:token', async (request, reply) => {
    const lang = requestLang(request, reply);
    const link = await peekAckToken(db, request.params.token, clock());
    if (!link) return sendPrivate(reply, ackResultPage(chrome, lang, 'invalid'), 404);
    return sendPrivate(reply, ackLinkPage(chrome, lang, { token: request.params.token, version: link.version, email: await emailOf(link.accountId), expiresAt: link.expiresAt }));
  });

  app.post<{ Params: { token: string } }>('/terms/ack/:token', async (request: FastifyRequest<{ Params: { token: string } }>, reply) => {
    const lang = requestLang(request, reply);
    // The token in the path is the secret; a form posted from another site is still refused.
    checkSameOrigin(request, allowedOrigin);
    const result = await redeemAckToken(db, request.params.token, { ip: request.ip, now: clock() });
    return sendPrivate(reply, ackResultPage(chrome, lang, result.outcome), result.outcome === 'invalid' ? 410 : 200);
  });
}
