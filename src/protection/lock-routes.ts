import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { bodyOf } from '../web/body.ts';
import type { Config } from '../config.ts';
import { isKinkyuError, KinkyuError } from '../domain/errors.ts';
import { wantsJson } from '../web/wants-json.ts';
import { RateLimiter } from '../web/rate-limit.ts';
import { errorMessage } from '../web/errors.ts';
import { localized, type Lang } from '../web/i18n.ts';
import { requestLang } from '../web/request-lang.ts';
import type { EmergencyLock } from './emergency-lock.ts';
import { lockConfirmPage, lockDonePage, lockHelpPage, lockHelpSentPage, lockInvalidPage, type LockPageContext } from './lock-views.ts';
import { sendPrivatePage } from '../web/private-page.ts';
import type { BusinessCalendar } from '../domain/business-calendar.ts';
import { toKinkyuError } from '../web/error-handler.ts';
import { downDependency, unavailableNotice, type Unavailable } from './unavailable-views.ts';
import { phoneLine } from '../web/phone-line.ts';
import { isCrossSite } from '../web/same-origin.ts';

export interface LockRoutesOptions {
  config: Config;
  lock: EmergencyLock;
  log?: (msg: string, err?: unknown) => void;
  calendar: BusinessCalendar;
  clock: () => Date;
}

const HELP_WINDOW_MS = 10 * 60_000;



/**
 * The two ways into the emergency lock that need no sign-in:
 *
 * (b) `GET /lock/<token>` shows what the lock does and one button; `POST /lock/<token>` locks. The token in
 *     the path is the credential, so a forged cross-site POST would have to know it; a browser's Origin (and
 *     Sec-Fetch-Site), when sent, must also be ours. No session, no password.
 * (c) `GET/POST /help/lock`: an email or account ID; lock links go out after the answer, which is the same
 *     page whether or not the account exists.
 */
export function registerLockRoutes(app: FastifyInstance, opts: LockRoutesOptions): void {
  const { config, lock } = opts;
  const ownOrigin = new URL(config.publicUrl).origin;
  const perIp = new RateLimiter(20, HELP_WINDOW_MS);
  const perIdentifier = new RateLimiter(3, HELP_WINDOW_MS);

  const context = (lang: Lang): LockPageContext => ({
    lang,
    exchangeName: localized(lang, config.exchangeNameJa, config.exchangeNameEn),
    line: phoneLine(config, opts.calendar, opts.clock()),
  });

  /**
   * A dependency was down: the database (nothing was journalled, or the link could not be read) or the
   * exchange (journalled, not yet confirmed). The answer says which, in the user's language, with the
   * emergency line; JSON clients get the error code. Null for any other error (the caller rethrows).
   */
  const dependencyDown = (request: FastifyRequest, reply: FastifyReply, lang: Lang, err: unknown, page: (notice: ReturnType<typeof unavailableNotice>) => string, kinds: { database: Unavailable }) => {
    const down = downDependency(err);
    if (!down) return null;
    const known = toKinkyuError(err)!;
    if (down === 'database') opts.log?.('the database did not answer an emergency-lock request', err);
    reply.header('retry-after', '60');
    if (wantsJson(request)) {
      return reply.code(503).header('cache-control', 'no-store').send({ code: known.code, message: errorMessage(lang, known), pending: down === 'exchange', requestId: request.id });
    }
    const what: Unavailable = down === 'exchange' ? 'lock_pending' : kinds.database;
    return sendPrivatePage(reply, page(unavailableNotice(lang, what, phoneLine(config, opts.calendar, opts.clock()))), 503);
  };
  const langOf = (request: FastifyRequest, reply: FastifyReply, body: Record<string, unknown> = {}): Lang =>
    body.lang === 'en' || body.lang === 'ja' ? body.lang : requestLang(request, reply);

  /** A form from another site is refused (the lock pages send no Referer: see src/web/same-origin.ts). */
  const crossSite = (request: FastifyRequest): boolean => isCrossSite(request, ownOrigin);

  app.get<{ Params: { token: string } }>('/lock/:token', async (request, reply) => {
    const lang = requestLang(request, reply);
    let valid: boolean;
    try {
      valid = await lock.lockLinkValid(request.params.token);
    } catch (err) {
      const answered = dependencyDown(request, reply, lang, err, (notice) => lockConfirmPage(context(lang), `/lock/${encodeURIComponent(request.params.token)}`, null, notice), { database: 'lock_not_done' });
      if (answered) return answered;
      throw err;
    }
    if (wantsJson(request)) {
      if (!valid) throw new KinkyuError('NOT_FOUND', { what: 'lock_link' });
      return reply.header('cache-control', 'no-store').send({ ok: true, valid: true });
    }
    if (!valid) return sendPrivatePage(reply, lockInvalidPage(context(lang)), 404);
    return sendPrivatePage(reply, lockConfirmPage(context(lang), `/lock/${encodeURIComponent(request.params.token)}`));
  });

  app.post<{ Params: { token: string } }>('/lock/:token', async (request, reply) => {
    const body = bodyOf(request);
    const lang = langOf(request, reply, body);
    if (crossSite(request)) {
      const err = new KinkyuError('FORBIDDEN', { rule: 'cross_site' });
      if (wantsJson(request)) throw err;
      const valid = await lock.lockLinkValid(request.params.token);
      return sendPrivatePage(reply, valid ? lockConfirmPage(context(lang), `/lock/${encodeURIComponent(request.params.token)}`, errorMessage(lang, err)) : lockInvalidPage(context(lang)), 403);
    }
    try {
      const result = await lock.lockByLink(request.params.token, { type: 'user', id: null, ip: request.ip }, lang, { awaitRecord: false });
      if (wantsJson(request)) return reply.header('cache-control', 'no-store').send({ ok: true, locked: true, effects: result.effects, ticketNumber: result.ticketNumber });
      return sendPrivatePage(reply, lockDonePage(context(lang), result));
    } catch (err) {
      const answered = dependencyDown(request, reply, lang, err, (notice) => lockConfirmPage(context(lang), `/lock/${encodeURIComponent(request.params.token)}`, null, notice), { database: 'lock_not_done' });
      if (answered) return answered;
      if (!isKinkyuError(err) || err.code !== 'NOT_FOUND' || wantsJson(request)) throw err;
      return sendPrivatePage(reply, lockInvalidPage(context(lang)), 404);
    }
  });

  app.get('/help/lock', async (request, reply) => sendPrivatePage(reply, lockHelpPage(context(requestLang(request, reply)))));

  app.post('/help/lock', async (request, reply) => {
    const body = bodyOf(request);
    const lang = langOf(request, reply, body);
    const identifier = typeof body.identifier === 'string' ? body.identifier.trim().slice(0, 254) : '';
    try {
      if (!identifier) throw new KinkyuError('VALIDATION', { field: 'identifier', rule: 'required' });
      // The identifier's limit is counted whether or not the account exists: it tells nothing.
      if (!perIp.take(request.ip) || !perIdentifier.take(identifier.toLowerCase())) {
        throw new KinkyuError('RATE_LIMITED', { rule: 'lock_help', phone: config.supportPhone });
      }
    } catch (err) {
      if (!isKinkyuError(err) || wantsJson(request)) throw err;
      return sendPrivatePage(reply, lockHelpPage(context(lang), { identifier }, errorMessage(lang, err)), err.httpStatus);
    }
    // Stored before the answer (so "sent" is true), carried out after it (so its duration tells nothing).
    try {
      await lock.requestLockLinks(identifier, lang, { type: 'user', id: null, ip: request.ip });
    } catch (err) {
      const answered = dependencyDown(request, reply, lang, err, (notice) => lockHelpPage(context(lang), { identifier }, null, notice), { database: 'lock_links_not_sent' });
      if (answered) return answered;
      throw err;
    }
    if (wantsJson(request)) return reply.code(202).header('cache-control', 'no-store').send({ ok: true });
    return sendPrivatePage(reply, lockHelpSentPage(context(lang)));
  });
}
