import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Actor } from '../domain/actor.ts';
import { isKinkyuError } from '../domain/errors.ts';
import { wantsJson } from '../web/wants-json.ts';
import { errorMessage } from '../web/errors.ts';
import { sendError } from '../web/error-handler.ts';
import { t, type Lang, type MessageKey } from '../web/i18n.ts';
import { requestLang } from '../web/request-lang.ts';
import { refuseInvalid } from '../web/schema/validation.ts';
import type { ConsoleContext } from './views.ts';

declare module 'fastify' {
  interface FastifyInstance {
    /** The demo's built-in mailbox is on (src/demo-mailbox/): the console links to it. */
    kinkyuDemoMailbox?: boolean;
  }
}


export function staffActor(request: FastifyRequest): Actor {
  return { type: 'staff', id: request.staff?.id ?? null, ip: request.ip };
}

/** A console page: HTML, never cached. */
export function sendPage(reply: FastifyReply, body: string, status = 200): FastifyReply {
  return reply.code(status).header('content-type', 'text/html; charset=utf-8').header('cache-control', 'no-store').send(body);
}

/**
 * The context every console view takes. `?ok=<key>` after a redirect shows the flash message `flashes[key]`;
 * only the page's own keys count (never inherited properties such as "constructor").
 */
export function consoleContext(
  request: FastifyRequest,
  reply: FastifyReply,
  timeZone: string,
  flashes: Readonly<Record<string, MessageKey>>,
  extra: { lang?: Lang; error?: string | null } = {},
): ConsoleContext {
  const lang = extra.lang ?? requestLang(request, reply);
  const ok = (request.query as Record<string, unknown> | undefined)?.ok;
  const flashKey = typeof ok === 'string' && Object.hasOwn(flashes, ok) ? flashes[ok] : undefined;
  return {
    lang,
    staff: request.staff!,
    timeZone,
    flash: flashKey && !extra.error ? t(lang, flashKey) : null,
    error: extra.error ?? null,
    demoMailbox: request.server.kinkyuDemoMailbox === true,
  };
}

/**
 * Runs a change for a form or a JSON client alike. Success: `{ok: true, ...result}` for JSON, `onSuccess` for
 * a form (a 303, or a page). Refusal: JSON clients get {code, message, requestId}; a form gets `onRefusal`'s
 * page — the form again, with the message — under the refusal's HTTP status. `scope` names the module whose
 * messages explain its fields and rules (`kb`, `notices`).
 */
export async function formAction<T extends Record<string, unknown>>(
  request: FastifyRequest,
  reply: FastifyReply,
  handlers: {
    run: () => Promise<T>;
    onSuccess: (result: T) => Promise<FastifyReply> | FastifyReply;
    onRefusal: (lang: Lang, message: string) => Promise<string>;
    scope?: string;
  },
): Promise<FastifyReply> {
  try {
    // A body the route's schema refused (held for the handler: `refusesInHandler`) is refused like any other.
    refuseInvalid(request);
    const result = await handlers.run();
    if (wantsJson(request)) return reply.code(200).send({ ok: true, ...result });
    return await handlers.onSuccess(result);
  } catch (err) {
    if (!isKinkyuError(err)) throw err;
    if (wantsJson(request)) return sendError(request, reply, err, handlers.scope);
    const lang = requestLang(request, reply);
    return sendPage(reply, await handlers.onRefusal(lang, errorMessage(lang, err, handlers.scope)), err.httpStatus);
  }
}
