import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import fastifyCookie from '@fastify/cookie';
import fastifyFormbody from '@fastify/formbody';
import { createServer } from 'node:http';
import type { Config } from './config.ts';
import type { Db } from './store/db.ts';
import { KinkyuError, isKinkyuError } from './domain/errors.ts';
import { StatusCommands } from './status/commands.ts';
import { getIncident, listIncidentsBetween } from './status/repository.ts';
import { shiftMonth } from './public/pages.ts';
import { zoneOffsetMs } from './domain/uptime.ts';
import { PublicSite, siteOptionsFromConfig } from './public/site.ts';
import { exportOnChange } from './public/export.ts';
import { CONTENT_SECURITY_POLICY } from './web/security.ts';
import { registerStaffAuth, wantsJson } from './staff/auth-plugin.ts';
import { registerConsole } from './console/routes.ts';
import { registerTeam } from './console/team-routes.ts';
import { errorMessage } from './web/errors.ts';
import { html } from './web/html.ts';
import { t } from './web/i18n.ts';
import { layout } from './web/layout.ts';
import { requestLang } from './web/request-lang.ts';

/** Bodies larger than this are refused before parsing: no form or update needs more. */
export const BODY_LIMIT = 256 * 1024;


export interface App {
  app: FastifyInstance;
  site: PublicSite;
  commands: StatusCommands;
  close(): Promise<void>;
}

export interface AppOptions {
  config: Config;
  db: Db;
  logger?: boolean;
  clock?: () => Date;
}

/** Database errors that mean "not reachable right now" rather than "this request is wrong". */
function isDatabaseDown(err: unknown): boolean {
  const code = (err as { code?: string })?.code;
  const message = String((err as Error)?.message ?? '');
  return (
    code === 'ECONNREFUSED' || code === 'ECONNRESET' || code === '57P01' || code === '57P03' || code === '08006' ||
    /Connection terminated|timeout exceeded when trying to connect|connect ECONNREFUSED/i.test(message)
  );
}

/** A public page rendered per request: its language came from headers, so shared caches must key on them. */
function sendPublicPage(reply: FastifyReply, page: string) {
  return reply
    .header('content-type', 'text/html; charset=utf-8')
    .header('cache-control', 'public, max-age=60')
    .header('vary', 'Accept-Language, Cookie')
    .send(page);
}

/** The request's path as a same-site link: no query, and never "//host" (which a browser reads as another site). */
function safePath(url: string): string {
  const path = (url.split('?')[0] ?? '/').replace(/^[/\\]+/, '/');
  return /^\/[\w\-/.%]*$/.test(path) ? path : '/';
}

function toKinkyuError(err: unknown): KinkyuError | null {
  if (isKinkyuError(err)) return err;
  const e = err as { code?: string; statusCode?: number };
  if (e?.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return new KinkyuError('BODY_TOO_LARGE');
  if (e?.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return new KinkyuError('MALFORMED_BODY');
  if (e?.code?.startsWith('FST_ERR_CTP_') || (e?.statusCode === 400 && err instanceof SyntaxError)) return new KinkyuError('MALFORMED_BODY');
  if (e?.code === 'FST_ERR_VALIDATION') return new KinkyuError('VALIDATION');
  if (isDatabaseDown(err)) return new KinkyuError('DATABASE_UNAVAILABLE');
  return null;
}

export async function buildApp(opts: AppOptions): Promise<App> {
  const { config, db } = opts;
  const site = new PublicSite(db, { ...siteOptionsFromConfig(config), ...(opts.clock ? { clock: opts.clock } : {}) });
  const commands = new StatusCommands(db, opts.clock);
  const cookieName = config.secureCookies ? '__Host-kinkyu_staff' : 'kinkyu_staff';

  const app = Fastify({
    logger: opts.logger ? { level: process.env.LOG_LEVEL ?? 'info', redact: ['req.headers.cookie', 'req.headers.authorization'] } : false,
    bodyLimit: BODY_LIMIT,
    // Longer ids reach the handlers and get the usual localized 404 instead of a bare 414.
    routerOptions: { maxParamLength: 1000 },
    // A hop count trusts that many proxies in front of us, nearest first.
    trustProxy: typeof config.trustProxy === 'number' ? ((_address: string, hop: number) => hop < (config.trustProxy as number)) : config.trustProxy,
    // The public pages are answered before Fastify routes anything: in a surge they are served as
    // prebuilt bytes at close to a bare server's speed. Everything else goes through Fastify.
    serverFactory: (handler) =>
      createServer((req, res) => {
        if (!site.tryServe(req, res)) handler(req, res);
      }),
  });
  site.setLogger((msg, err) => app.log.warn({ err }, msg));
  app.decorate('kinkyuDefaultLang', config.defaultLang);
  await app.register(fastifyCookie);
  await app.register(fastifyFormbody, { bodyLimit: BODY_LIMIT });

  app.addHook('onSend', async (request, reply, payload) => {
    if (request.url.startsWith('/staff')) reply.header('cache-control', 'no-store');
    if (!reply.hasHeader('content-security-policy')) reply.header('content-security-policy', CONTENT_SECURITY_POLICY);
    reply.header('x-content-type-options', 'nosniff');
    reply.header('x-frame-options', 'DENY');
    reply.header('referrer-policy', 'same-origin');
    return payload;
  });

  registerStaffAuth(app, { db, cookieName, publicUrl: config.publicUrl });
  registerConsole(app, { db, config, commands, cookieName });
  registerTeam(app, { db, config });

  const sendError = (request: FastifyRequest, reply: FastifyReply, err: KinkyuError) => {
    const lang = requestLang(request);
    const message = errorMessage(lang, err);
    if (wantsJson(request) || request.url.startsWith('/api/')) {
      return reply.code(err.httpStatus).send({ code: err.code, message, requestId: request.id });
    }
    const body = html`<h1>${t(lang, 'error.title')}</h1><p class="error-box" role="alert">${message}</p><p><a href="/">${t(lang, 'site.backToStatus')}</a></p>`;
    return reply.code(err.httpStatus).header('content-type', 'text/html; charset=utf-8')
      .send(layout({ lang, title: t(lang, 'error.title'), body, path: safePath(request.url), robots: 'noindex' }).value);
  };

  app.setErrorHandler((err, request, reply) => {
    const known = toKinkyuError(err);
    if (known) return sendError(request, reply, known);
    request.log.error({ err }, 'unhandled error');
    const lang = requestLang(request);
    return reply.code(500).send({ code: 'INTERNAL', message: t(lang, 'error.INTERNAL'), requestId: request.id });
  });

  // Incident pages that are not in the in-memory snapshot (older ones) come from the database.
  app.get<{ Params: { id: string } }>('/incidents/:id', async (request, reply) => {
    const lang = requestLang(request);
    const id = request.params.id;
    // Random ids are answered from memory: a flood of guesses never reaches the database.
    const known = site.current()?.knownIds.has(id) ?? /^[a-z0-9]{1,64}$/.test(id);
    const incident = known ? await getIncident(db, id, { includeInternal: false }) : undefined;
    const page = incident ? site.incidentPage(incident, lang) : null;
    if (!page) throw new KinkyuError('NOT_FOUND', { what: 'incident' });
    return sendPublicPage(reply, page);
  });

  // Month archives reach back past what the snapshot keeps in memory.
  app.get<{ Params: { month: string } }>('/history/:month', async (request, reply) => {
    const lang = requestLang(request);
    const month = request.params.month;
    const match = /^(\d{4})-(\d{2})$/.exec(month);
    const monthNumber = Number(match?.[2]);
    const year = Number(match?.[1]);
    if (!match || monthNumber < 1 || monthNumber > 12 || year < 2000 || year > 9998) throw new KinkyuError('NOT_FOUND', { what: 'month' });
    const startLocal = new Date(`${month}-01T00:00:00Z`);
    const endLocal = new Date(`${shiftMonth(month, 1)}-01T00:00:00Z`);
    const from = new Date(startLocal.getTime() - zoneOffsetMs(startLocal, config.timeZone));
    const to = new Date(endLocal.getTime() - zoneOffsetMs(endLocal, config.timeZone));
    const page = site.monthPage(month, await listIncidentsBetween(db, from, to), lang);
    if (!page) throw new KinkyuError('DATABASE_UNAVAILABLE');
    return sendPublicPage(reply, page);
  });

  app.get('/healthz', async () => ({ ok: true, stale: site.isStale(), version: site.current()?.version ?? null }));

  app.setNotFoundHandler((request, reply) => {
    const lang = requestLang(request);
    if (request.url.startsWith('/api/') || wantsJson(request)) {
      return reply.code(404).send({ code: 'NOT_FOUND', message: t(lang, 'error.NOT_FOUND'), requestId: request.id });
    }
    const page = site.notFoundPage(lang);
    return reply.code(404).header('content-type', 'text/html; charset=utf-8').send(page ?? t(lang, 'page.notFound'));
  });

  const scheduler = setInterval(() => {
    commands
      .runMaintenanceSchedule({
        startedJa: t('ja', 'maintenance.autoStarted'),
        startedEn: t('en', 'maintenance.autoStarted'),
        completedJa: t('ja', 'maintenance.autoCompleted'),
        completedEn: t('en', 'maintenance.autoCompleted'),
      })
      .catch((err) => app.log.warn({ err }, 'maintenance schedule run failed'));
  }, 15_000);
  scheduler.unref();

  const exportSettled = config.exportDir
    ? exportOnChange(site, config.exportDir, { minGapMs: 2000, log: (err) => app.log.warn({ err }, 'static export failed') })
    : async () => undefined;

  return {
    app,
    site,
    commands,
    async close() {
      clearInterval(scheduler);
      await exportSettled();
      await site.stop();
      await app.close();
    },
  };
}
