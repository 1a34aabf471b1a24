import type {} from '@fastify/cookie';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Db } from '../store/db.ts';
import { KinkyuError } from '../domain/errors.ts';
import { findSession, type StaffPrincipal } from './accounts.ts';
import { can, type Permission } from './permissions.ts';
import { checkCsrf, UNSAFE_METHODS as UNSAFE } from '../web/same-origin.ts';
import { wantsJson } from '../web/wants-json.ts';

declare module 'fastify' {
  interface FastifyRequest {
    staff: StaffPrincipal | null;
  }
  interface FastifyContextConfig {
    /** The permission a staff route needs. Under /staff a route without one needs 'console.view'. */
    permission?: Permission;
    /** Marks the few /staff routes open without a session (sign-in itself). */
    public?: boolean;
    /** Open to a session that has not passed its second factor yet: the factor step, the enrolment, sign-out. */
    beforeFactor?: boolean;
    /**
     * A sensitive action (unsafe methods only): the session's factor must be younger than
     * STAFF_FRESH_FACTOR_MINUTES, or a code comes with the request. `true`, or a check on the request
     * (an update is sensitive when its incident is a SEV1).
     */
    freshFactor?: boolean | ((request: FastifyRequest) => boolean | Promise<boolean>);
  }
}

/**
 * What the second factor asks of a request, provided by the factor routes (src/staff/mfa-routes.ts): the
 * answers for a session without a factor, and the re-enter-your-code step of a sensitive action.
 */
export interface FactorGate {
  /** The member has no factor yet: the enrolment page (HTML) or a 403 FACTOR_ENROLMENT_REQUIRED. */
  enrolmentRequired(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> | FastifyReply;
  /** The session passed the password only: the factor step (a redirect) or a 403 FACTOR_REQUIRED. */
  factorRequired(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> | FastifyReply;
  /** Whether the session's factor is fresh enough for a sensitive action now. */
  isFresh(staff: StaffPrincipal): boolean;
  /**
   * A sensitive action on a session whose factor is not fresh: checks a code sent with the request and lets the
   * action continue (undefined), or answers with the re-enter step (a page carrying the form, or a 403 JSON).
   */
  freshFactor(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined>;
}

export interface AuthOptions {
  db: Db;
  cookieName: string;
  publicUrl: string;
  factors: FactorGate;
}


/**
 * Authentication and authorisation for every staff route, in one place: a route declares the permission it
 * needs in its config and never checks roles itself. A session must have passed a second factor (and its member
 * enrolled one) before anything but the factor routes opens. Unsafe methods also need the session's CSRF token
 * (form field `_csrf` or header `x-csrf-token`) and, when the browser sends one, a same-origin Origin; sensitive
 * ones a fresh factor.
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
    // Before anything else: no factor enrolled, or this session has not passed it.
    if (!config?.beforeFactor) {
      if (!request.staff.hasFactor) return opts.factors.enrolmentRequired(request, reply);
      if (!request.staff.factorAt) return opts.factors.factorRequired(request, reply);
    }
    if (UNSAFE.has(request.method)) checkCsrf(request, allowedOrigin, request.staff.csrfToken, { header: true });
    if (!can(request.staff.role, permission)) throw new KinkyuError('FORBIDDEN');
    const fresh = config?.freshFactor;
    if (fresh && UNSAFE.has(request.method) && !opts.factors.isFresh(request.staff)) {
      if (fresh === true || (await fresh(request))) {
        const answered = await opts.factors.freshFactor(request, reply);
        if (answered) return answered;
      }
    }
  });
}

