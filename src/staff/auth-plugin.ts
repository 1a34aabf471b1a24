import type {} from '@fastify/cookie';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Db } from '../store/db.ts';
import { KinkyuError } from '../domain/errors.ts';
import { findSession, type StaffPrincipal } from './accounts.ts';
import { can, type Permission } from './permissions.ts';
import { sameSecret } from '../security/secrets.ts';
import { wantsJson } from '../web/wants-json.ts';
/** Kept for importers from before it moved to web/ (it is about HTTP, not staff). */
export { wantsJson };

declare module 'fastify' {
  interface FastifyRequest {
    staff: StaffPrincipal | null;
  }
  interface FastifyContextConfig {
    /** The permission a staff route needs. Under /staff a route without one needs 'console.view'. */
    permission?: Permission;
    /** Marks the few /staff routes open without a session (sign-in itself). */
    public?: boolean;
  }
}

export interface AuthOptions {
  db: Db;
  cookieName: string;
  publicUrl: string;
}

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);


/**
 * Authentication and authorisation for every staff route, in one place: a route declares the permission it
 * needs in its config and never checks roles itself. Unsafe methods also need the session's CSRF token
 * (form field `_csrf` or header `x-csrf-token`) and, when the browser sends one, a same-origin Origin.
 */
export function registerStaffAuth(app: FastifyInstance, opts: AuthOptions): void {
  app.decorateRequest('staff', null);
  const allowedOrigin = new URL(opts.publicUrl).origin;

  app.addHook('preHandler', async (request: FastifyRequest, reply: FastifyReply) => {
    const config = request.routeOptions.config;
    // Deny by default: a staff route that forgets to name its permission still needs a signed-in staff member.
    const permission = config?.permission ?? (request.url.startsWith('/staff') && !config?.public ? 'console.view' : undefined);
    const token = request.cookies?.[opts.cookieName];
    if (token) request.staff = await findSession(opts.db, token);
    if (!permission) return;
    if (!request.staff) {
      if (request.method === 'GET' && !wantsJson(request)) {
        const next = encodeURIComponent(request.url.slice(0, 500));
        return reply.redirect(`/staff/login?next=${next}`, 303);
      }
      throw new KinkyuError('UNAUTHENTICATED');
    }
    if (UNSAFE.has(request.method)) {
      const origin = request.headers.origin;
      if (origin && origin !== allowedOrigin && origin !== `${request.protocol}://${request.host}`) {
        throw new KinkyuError('CSRF');
      }
      const body = request.body as Record<string, unknown> | undefined;
      const sent = request.headers['x-csrf-token'] ?? (body && typeof body === 'object' ? body._csrf : undefined);
      if (typeof sent !== 'string' || !sameSecret(sent, request.staff.csrfToken)) throw new KinkyuError('CSRF');
    }
    if (!can(request.staff.role, permission)) throw new KinkyuError('FORBIDDEN');
  });
}

