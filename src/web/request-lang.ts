import type {} from '@fastify/cookie';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { pickLang, type Lang } from './i18n.ts';

declare module 'fastify' {
  interface FastifyInstance {
    /** The operator's DEFAULT_LANG, for requests that state no language. */
    kinkyuDefaultLang?: Lang;
  }
}

const LANG_COOKIE = 'kinkyu_lang';

/** ?lang= (remembered in a cookie), then the cookie, then Accept-Language, then Japanese. */
export function requestLang(request: FastifyRequest, reply?: FastifyReply): Lang {
  const query = (request.query as Record<string, unknown> | undefined)?.lang;
  if (query === 'ja' || query === 'en') {
    reply?.setCookie(LANG_COOKIE, query, { path: '/', sameSite: 'lax', httpOnly: true, maxAge: 31_536_000 });
    return query;
  }
  const cookie = request.cookies?.[LANG_COOKIE];
  if (cookie === 'ja' || cookie === 'en') return cookie;
  return pickLang(null, request.headers['accept-language'], request.server.kinkyuDefaultLang ?? 'ja');
}
