import type { FastifyInstance, FastifyReply, FastifyRequest, FastifySchema } from 'fastify';
import type { Db } from '../store/db.ts';
import type { Config } from '../config.ts';
import { KinkyuError } from '../domain/errors.ts';
import {
  staffSummary,
  changeStaffRole,
  createStaff,
  disableStaff,
  enableStaff,
  generatePassword,
  listStaff,
  resetStaffPassword,
} from './accounts.ts';
import { approveFactorReset, cancelFactorReset, factorOverview, openFactorResets, requestFactorReset } from './factors.ts';
import { linkOidcSubject } from './oidc.ts';
import type { Lang, MessageKey } from '../web/i18n.ts';
import type { ConsoleContext } from '../console/views.ts';
import * as views from './team-views.ts';
import { consoleContext, formAction, sendPage, staffActor } from '../console/form-action.ts';
import { bodyOf, type Body } from '../web/body.ts';
import { TeamSchemas } from './team-schemas.ts';

export interface TeamOptions {
  db: Db;
  config: Config;
  clock?: () => Date;
  /** The company's OpenID Connect issuer when staff may sign in through it (admins link members to subjects). */
  oidcIssuer?: string | null;
}

const FLASH: Record<string, MessageKey> = {
  role: 'staff.team.roleChanged',
  disabled: 'staff.team.disabled',
  enabled: 'staff.team.enabled',
  unchanged: 'staff.team.unchanged',
  resetRequested: 'staffAuth.flash.resetRequested',
  resetApproved: 'staffAuth.flash.resetApproved',
  resetCancelled: 'staffAuth.flash.resetCancelled',
  oidcLinked: 'staffAuth.flash.oidcLinked',
};

/**
 * Staff management, for admins only ('staff.manage'; the auth hook checks it, with the CSRF token, before any
 * handler runs). Forms get HTML and redirects, JSON clients get JSON. Generated passwords appear in exactly
 * one response — the answer to the POST that made them — and nowhere else: not in a URL, a log or the audit.
 * Every change here is staff management: it needs a fresh second factor (the auth hook asks for the code again).
 * Resetting a member's factors takes two admins: one requests, another approves.
 */
export function registerTeam(app: FastifyInstance, opts: TeamOptions): void {
  const { db, config } = opts;
  const clock = opts.clock ?? (() => new Date());
  const oidcIssuer = opts.oidcIssuer ?? null;
  const route = { config: { permission: 'staff.manage' as const, freshFactor: true } };
  /** A change: its schema, and refusals shown with the team page (`formAction` throws the schema's). */
  const changeRoute = (schema: FastifySchema) => ({ schema, config: { ...route.config, refusesInHandler: true } });
  const security = async (): Promise<views.TeamSecurity> => {
    const [factors, resets] = await Promise.all([factorOverview(db), openFactorResets(db, clock())]);
    return { factors, resets, oidcEnabled: oidcIssuer !== null };
  };
  const actor = (request: FastifyRequest) => ({ ...staffActor(request), id: request.staff!.id });
  const ctx = (request: FastifyRequest, reply: FastifyReply, extra: { lang?: Lang; error?: string } = {}): ConsoleContext =>
    consoleContext(request, reply, config.timeZone, FLASH, extra);

  /** Success answers as `formAnswer` says; a refused form shows the team page again with the message. */
  const act = <T extends Record<string, unknown>>(
    request: FastifyRequest,
    reply: FastifyReply,
    run: () => Promise<T>,
    formAnswer: (result: T) => Promise<FastifyReply> | FastifyReply,
    values?: Body,
  ) =>
    formAction(request, reply, {
      run,
      onSuccess: formAnswer,
      onRefusal: async (lang, error) => views.teamPage(ctx(request, reply, { lang, error }), await listStaff(db), await security(), values),
    });

  const memberSummary = async (id: string) => {
    const row = await staffSummary(db, id);
    if (!row) throw new KinkyuError('NOT_FOUND', { what: 'staff', rule: 'staff' });
    return row;
  };

  app.get('/staff/team', route, async (request, reply) => sendPage(reply, views.teamPage(ctx(request, reply), await listStaff(db), await security())));

  app.post('/staff/team', changeRoute(TeamSchemas.create), async (request, reply) => {
    const body = bodyOf(request);
    return act(
      request, reply,
      async () => {
        const password = generatePassword();
        const { id } = await createStaff(db, staffActor(request), { email: body.email, name: body.name, role: body.role, password });
        return { id, ...(await memberSummary(id)), password };
      },
      (r) => sendPage(reply, views.passwordPage(ctx(request, reply), 'created', r, r.password)),
      body,
    );
  });

  app.post<{ Params: { id: string } }>('/staff/team/:id/role', changeRoute(TeamSchemas.role), async (request, reply) => {
    const body = bodyOf(request);
    const id = request.params.id;
    return act(
      request, reply,
      async () => ({ id, ...(await changeStaffRole(db, staffActor(request), id, body.role)) }),
      (r) => reply.redirect(`/staff/team?ok=${r.changed ? 'role' : 'unchanged'}`, 303),
    );
  });

  for (const [action, change, flash] of [['disable', disableStaff, 'disabled'], ['enable', enableStaff, 'enabled']] as const) {
    app.post<{ Params: { id: string } }>(`/staff/team/:id/${action}`, changeRoute(TeamSchemas[action]), async (request, reply) => {
      const id = request.params.id;
      return act(
        request, reply,
        async () => ({ id, ...(await change(db, staffActor(request), id)) }),
        (r) => reply.redirect(`/staff/team?ok=${r.changed ? flash : 'unchanged'}`, 303),
      );
    });
  }

  app.post<{ Params: { id: string } }>('/staff/team/:id/password', changeRoute(TeamSchemas.password), async (request, reply) => {
    const id = request.params.id;
    return act(
      request, reply,
      async () => {
        const { password, sessionsRevoked } = await resetStaffPassword(db, staffActor(request), id);
        return { id, password, sessionsRevoked };
      },
      async (r) => sendPage(reply, views.passwordPage(ctx(request, reply), 'reset', await memberSummary(id), r.password, r.sessionsRevoked)),
    );
  });

  app.post<{ Params: { id: string } }>('/staff/team/:id/factor-reset', changeRoute(TeamSchemas.factorReset), async (request, reply) => {
    const body = bodyOf(request);
    return act(
      request, reply,
      async () => ({ id: request.params.id, ...(await requestFactorReset(db, actor(request), request.params.id, body.reason, clock())) }),
      () => reply.redirect('/staff/team?ok=resetRequested', 303),
    );
  });

  app.post<{ Params: { requestId: string } }>('/staff/team/factor-resets/:requestId/approve', changeRoute(TeamSchemas.approveReset), async (request, reply) =>
    act(
      request, reply,
      async () => approveFactorReset(db, actor(request), request.params.requestId, clock()),
      () => reply.redirect('/staff/team?ok=resetApproved', 303),
    ),
  );

  app.post<{ Params: { requestId: string } }>('/staff/team/factor-resets/:requestId/cancel', changeRoute(TeamSchemas.cancelReset), async (request, reply) =>
    act(
      request, reply,
      async () => cancelFactorReset(db, actor(request), request.params.requestId, clock()),
      () => reply.redirect('/staff/team?ok=resetCancelled', 303),
    ),
  );

  app.post<{ Params: { id: string } }>('/staff/team/:id/oidc', changeRoute(TeamSchemas.oidc), async (request, reply) => {
    if (!oidcIssuer) throw new KinkyuError('NOT_FOUND');
    const body = bodyOf(request);
    return act(
      request, reply,
      async () => ({ id: request.params.id, ...(await linkOidcSubject(db, staffActor(request), request.params.id, body.subject, oidcIssuer, clock())) }),
      (r) => reply.redirect(`/staff/team?ok=${r.changed ? 'oidcLinked' : 'unchanged'}`, 303),
    );
  });
}
