import Fastify, { type FastifyInstance } from 'fastify';
import fastifyCookie from '@fastify/cookie';
import fastifyFormbody from '@fastify/formbody';
import { createServer } from 'node:http';
import { parse as parseQueryString } from 'node:querystring';
import type { Config } from '../config.ts';
import type { Metrics } from '../ops/metrics.ts';
import type { PublicSite } from '../status/page/site.ts';
import { CONTENT_SECURITY_POLICY } from '../web/security.ts';
import { sendError } from '../web/error-handler.ts';
import { registerBodyGuard } from '../web/body-guard.ts';
import { KinkyuError } from '../domain/errors.ts';
import { AJV_OPTIONS, registerSchemaRefusals } from '../web/schema/validation.ts';
import { AjvCompiler } from '@fastify/ajv-compiler';
import { registerOpenApi } from '../ops/openapi.ts';

/** Paths whose last part is a credential (a secret link); the part before it is kept. */
const SECRET_LINKS: readonly RegExp[] = [
  /^(\/tickets\/[^/?#]+\/)[^/?#]+/,
  /^(\/lock\/)[^/?#]+/,
  /^(\/terms\/ack\/)[^/?#]+/,
  /^(\/account\/forgot\/)[^/?#]+/,
  /^(\/account\/email\/confirm\/)[^/?#]+/,
  /^(\/subscriptions\/(?:confirm|[^/?#]+\/(?:unsubscribe|manage|anti-phishing))\/)[^/?#]+/,
];

/** Secret links never reach the logs: `/lock/<token>` → `/lock/…`, and so on for every path in SECRET_LINKS. */

/**
 * One validator compiler for every app this process builds (Fastify's own, @fastify/ajv-compiler): route schemas
 * are module constants, so a second app (tests build many per process) reuses the first one's compiled validators
 * instead of compiling ~200 schemas again. A process that builds one app is unchanged.
 */
const SHARED_VALIDATORS = AjvCompiler();

export function maskSecrets(url: string): string {
  for (const link of SECRET_LINKS) if (link.test(url)) return url.replace(link, '$1…');
  return url;
}

/** Bodies larger than this are refused before parsing: no form or update needs more. */
export const BODY_LIMIT = 256 * 1024;

export interface HttpAppOptions {
  config: Config;
  logger?: boolean;
  site: PublicSite;
  metrics: Metrics;
  /** A shutdown has begun: every answer closes its connection. */
  draining: () => boolean;
  /** The staff session cookie (the OpenAPI document names it as the staff API's security scheme). */
  cookieName: string;
}

/**
 * The Fastify instance with what every route shares: the fast path for public pages in front of it, cookies,
 * form bodies, the body guard and the security headers. Features are added by the caller, as plugins.
 */
export async function createHttpApp(opts: HttpAppOptions): Promise<FastifyInstance> {
  const { config, site, metrics } = opts;
  const app = Fastify({
    logger: opts.logger
      ? {
          level: process.env.LOG_LEVEL ?? 'info',
          redact: ['req.headers.cookie', 'req.headers.authorization'],
          // A ticket's secret link is a credential: it never reaches the logs.
          serializers: {
            req: (req: { method: string; url: string; ip?: string; socket?: { remoteAddress?: string; remotePort?: number } }) => ({
              method: req.method,
              url: maskSecrets(req.url),
              remoteAddress: req.ip ?? req.socket?.remoteAddress,
            }),
          },
        }
      : false,
    bodyLimit: BODY_LIMIT,
    ajv: AJV_OPTIONS, // route schemas (src/web/schema/): the Japanese text rules as an ajv keyword, no coercion
    schemaController: { compilersFactory: { buildValidator: SHARED_VALIDATORS } },
    // Longer ids reach the handlers and get the usual localized 404 instead of a bare 414.
    routerOptions: { maxParamLength: 1000 },
    // A path that is not valid percent-encoding (`/help/articles/%FF`) names no page: the localized 404.
    frameworkErrors: (err, request, reply) => {
      if (err.code === 'FST_ERR_BAD_URL') return sendError(request, reply, new KinkyuError('NOT_FOUND'));
      return sendError(request, reply, new KinkyuError('VALIDATION'));
    },
    // A hop count trusts that many proxies in front of us, nearest first.
    trustProxy: typeof config.trustProxy === 'number' ? ((_address: string, hop: number) => hop < (config.trustProxy as number)) : config.trustProxy,
    // The public pages are answered before Fastify routes anything: in a surge they are served as
    // prebuilt bytes at close to a bare server's speed. Everything else goes through Fastify.
    serverFactory: (handler) =>
      createServer((req, res) => {
        const started = process.hrtime.bigint();
        if (opts.draining()) res.shouldKeepAlive = false;
        if (site.tryServe(req, res)) {
          metrics.record(req, res.statusCode, started);
        } else {
          metrics.observe(req, res, started);
          handler(req, res);
        }
      }),
  });
  site.setLogger((msg, err) => app.log.warn({ err }, msg));
  app.decorate('kinkyuDefaultLang', config.defaultLang);
  // Before any route: both learn routes as they are added.
  registerSchemaRefusals(app);
  await registerOpenApi(app, { publicUrl: config.publicUrl, cookieName: opts.cookieName });
  await app.register(fastifyCookie);
  // node:querystring turns bytes that are not UTF-8 into U+FFFD, which text validation refuses; fast-querystring
  // (the plugin's default) would keep a field with a bad escape undecoded, "%FF" and all.
  await app.register(fastifyFormbody, { bodyLimit: BODY_LIMIT, parser: (body) => parseQueryString(body) });
  // Before any route: a NUL character or a hostile nesting depth in any form or JSON body is a clear 400.
  registerBodyGuard(app);

  app.addHook('onSend', async (request, reply, payload) => {
    if (request.url.startsWith('/staff')) reply.header('cache-control', 'no-store');
    if (!reply.hasHeader('content-security-policy')) reply.header('content-security-policy', CONTENT_SECURITY_POLICY);
    reply.header('x-content-type-options', 'nosniff');
    reply.header('x-frame-options', 'DENY');
    // Private pages (the secret ticket link) set no-referrer themselves.
    if (!reply.hasHeader('referrer-policy')) reply.header('referrer-policy', 'same-origin');
    return payload;
  });
  return app;
}
