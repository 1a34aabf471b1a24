import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Config } from '../../config.ts';
import type { Db } from '../../store/db.ts';
import { KinkyuError } from '../../domain/errors.ts';
import { getIncident } from '../repository.ts';
import { wantsJson } from '../../web/wants-json.ts';
import { t } from '../../web/i18n.ts';
import { requestLang } from '../../web/request-lang.ts';
import { parseMonth, readMonth } from './month-archive.ts';
import type { PublicSite } from './site.ts';

/** A public page rendered per request: its language came from headers, so shared caches must key on them. */
function sendPublicPage(reply: FastifyReply, page: string) {
  return reply
    .header('content-type', 'text/html; charset=utf-8')
    .header('cache-control', 'public, max-age=60')
    .header('vary', 'Accept-Language, Cookie')
    .send(page);
}

/**
 * The public pages that the in-memory site does not answer itself: older incidents, month archives, health
 * (the 404 page: registerNotFoundPage). They read the database per request, so they are kept few and bounded.
 */
export function registerPublicRoutes(app: FastifyInstance, opts: { db: Db; config: Config; site: PublicSite }): void {
  const { db, config, site } = opts;
  // Incident pages that are not in the in-memory snapshot (older ones) come from the database.
  app.get<{ Params: { id: string } }>('/incidents/:id', async (request, reply) => {
    const lang = requestLang(request);
    const id = request.params.id;
    // Random ids are answered from memory: a flood of guesses never reaches the database.
    const known = site.current()?.knownIds.has(id) ?? /^[a-z0-9]{1,64}$/.test(id);
    const incident = known ? await getIncident(db, id, { includeInternal: false }) : undefined;
    // A drill's incident is never public (src/drills), whatever its id.
    const page = incident && !incident.drillId ? site.incidentPage(incident, lang) : null;
    if (!page) throw new KinkyuError('NOT_FOUND', { what: 'incident' });
    return sendPublicPage(reply, page);
  });

  // Month archives reach back past what the snapshot keeps in memory.
  app.get<{ Params: { month: string } }>('/history/:month', async (request, reply) => {
    const lang = requestLang(request);
    const month = parseMonth(request.params.month);
    if (!month) throw new KinkyuError('NOT_FOUND', { what: 'month' });
    const page = site.monthPage(month, await readMonth(db, month, config.timeZone), lang);
    if (!page) throw new KinkyuError('DATABASE_UNAVAILABLE');
    return sendPublicPage(reply, page);
  });

  app.get('/healthz', async () => ({ ok: true, stale: site.isStale(), version: site.current()?.version ?? null }));
}

/** The 404 page of the whole app (on the root: a plugin's own would answer only its prefix). */
export function registerNotFoundPage(app: FastifyInstance, site: PublicSite): void {
  app.setNotFoundHandler((request, reply) => {
    const lang = requestLang(request);
    if (request.url.startsWith('/api/') || wantsJson(request)) {
      return reply.code(404).send({ code: 'NOT_FOUND', message: t(lang, 'error.NOT_FOUND'), requestId: request.id });
    }
    const page = site.notFoundPage(lang);
    return reply.code(404).header('content-type', 'text/html; charset=utf-8').send(page ?? t(lang, 'page.notFound'));
  });
}
