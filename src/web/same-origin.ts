import type { FastifyRequest } from 'fastify';
import { KinkyuError } from '../domain/errors.ts';
import { sameSecret } from '../domain/secrets.ts';

/** Methods that change something: the ones a forged cross-site form or script could send. */
export const UNSAFE_METHODS: ReadonlySet<string> = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

const originOf = (url: string): string | null => {
  try {
    return new URL(url).origin;
  } catch {
    return null;
  }
};

/**
 * Whether a browser says this request came from another site. Ours is the public URL's origin or the one the
 * request was addressed to. An Origin header (other than `null`) must be ours; without one, a Referer must be
 * ours; a page with `Referrer-Policy: no-referrer` makes a browser send `Origin: null` and no Referer, and then
 * Sec-Fetch-Site (sent by current browsers whatever the referrer policy) must not name another site. A request
 * with none of the three (not a browser) passes: the CSRF token or the link's secret is what stops it.
 * `refuseNullOrigin`: for forms on pages that never send `no-referrer` (so `Origin: null` can only come from a
 * sandboxed frame or a data: page of someone else's) and that carry no secret of the visitor's.
 */
export function isCrossSite(request: FastifyRequest, ownOrigin: string, o: { refuseNullOrigin?: boolean } = {}): boolean {
  const ours = (origin: string | null) => origin === ownOrigin || origin === `${request.protocol}://${request.host}`;
  const origin = request.headers.origin;
  if (origin === 'null' && o.refuseNullOrigin) return true;
  if (typeof origin === 'string' && origin !== 'null') return !ours(origin);
  const referer = request.headers.referer;
  if (typeof origin !== 'string' && typeof referer === 'string' && referer) return !ours(originOf(referer));
  const site = request.headers['sec-fetch-site'];
  return site === 'cross-site' || site === 'same-site';
}

/** Refuses (CSRF) a request a browser says came from another site. */
export function checkSameOrigin(request: FastifyRequest, ownOrigin: string): void {
  if (isCrossSite(request, ownOrigin)) throw new KinkyuError('CSRF');
}

/** The double-submit token a request carries: the `x-csrf-token` header (when `header`), else the form's `_csrf`. */
export function sentCsrfToken(request: FastifyRequest, o: { header?: boolean; field?: string } = {}): unknown {
  const header = o.header ? request.headers['x-csrf-token'] : undefined;
  if (header !== undefined) return header;
  const body = request.body as Record<string, unknown> | undefined;
  return body && typeof body === 'object' ? body[o.field ?? '_csrf'] : undefined;
}

/**
 * The one same-origin check of every signed-in form (staff and user): the browser's word that the request is
 * ours, and the token sent with it equal to the one the session (or the pre-sign-in cookie) holds. CSRF otherwise.
 */
export function checkCsrf(request: FastifyRequest, ownOrigin: string, expected: string | null | undefined, o: { header?: boolean; field?: string } = {}): void {
  checkSameOrigin(request, ownOrigin);
  const sent = sentCsrfToken(request, o);
  if (!expected || typeof sent !== 'string' || !sameSecret(sent, expected)) throw new KinkyuError('CSRF');
}
