import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { KinkyuError, isKinkyuError } from '../domain/errors.ts';
import { wantsJson } from './wants-json.ts';
import { isDatabaseDown } from '../store/db-errors.ts';
import { errorMessage } from './errors.ts';
import { html } from './html.ts';
import { t } from './i18n.ts';
import { layout } from './layout.ts';
import { requestLang } from './request-lang.ts';
import { refusalFor } from './schema/validation.ts';

/** The request's path as a same-site link: no query, and never "//host" (which a browser reads as another site). */
function safePath(url: string): string {
  const path = (url.split('?')[0] ?? '/').replace(/^[/\\]+/, '/');
  return /^\/[\w\-/.%]*$/.test(path) ? path : '/';
}

/** Maps what the framework and the database throw onto the error catalogue; null for genuine bugs. */
export function toKinkyuError(err: unknown): KinkyuError | null {
  if (isKinkyuError(err)) return err;
  const e = err as { code?: string; statusCode?: number };
  if (e?.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return new KinkyuError('BODY_TOO_LARGE');
  if (e?.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return new KinkyuError('MALFORMED_BODY');
  if (e?.code?.startsWith('FST_ERR_CTP_') || (e?.statusCode === 400 && err instanceof SyntaxError)) return new KinkyuError('MALFORMED_BODY');
  if (e?.code === 'FST_ERR_VALIDATION') return refusalFor(err as Parameters<typeof refusalFor>[0]);
  if (isDatabaseDown(err)) return new KinkyuError('DATABASE_UNAVAILABLE');
  // Serialization failures and deadlocks: nothing was changed, and trying again will work.
  if (e?.code === '40001' || e?.code === '40P01') return new KinkyuError('CONFLICT');
  return null;
}

/**
 * A refusal as {code, message, requestId} for API clients, or a page in the visitor's language for browsers.
 * `scope`: the module whose messages name the fields and rules (see `errorMessage`).
 */
export function sendError(request: FastifyRequest, reply: FastifyReply, err: KinkyuError, scope?: string): FastifyReply {
  const lang = requestLang(request);
  const message = errorMessage(lang, err, scope);
  if (wantsJson(request) || request.url.startsWith('/api/')) {
    return reply.code(err.httpStatus).send({ code: err.code, message, requestId: request.id });
  }
  const body = html`<h1>${t(lang, 'error.title')}</h1><p class="error-box" role="alert">${message}</p><p><a href="/">${t(lang, 'site.backToStatus')}</a></p>`;
  return reply.code(err.httpStatus).header('content-type', 'text/html; charset=utf-8')
    .send(layout({ lang, title: t(lang, 'error.title'), body, path: safePath(request.url), robots: 'noindex' }).value);
}

/**
 * One error handler for the whole application: every refusal goes through `sendError`; anything unexpected is
 * logged and answered 500.
 */
export function registerErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((err, request, reply) => {
    const known = toKinkyuError(err);
    if (known) return sendError(request, reply, known);
    request.log.error({ err }, 'unhandled error');
    const lang = requestLang(request);
    return reply.code(500).send({ code: 'INTERNAL', message: t(lang, 'error.INTERNAL'), requestId: request.id });
  });
}
