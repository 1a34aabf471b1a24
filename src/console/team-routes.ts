import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Db } from '../store/db.ts';
import type { Config } from '../config.ts';
import type { Actor } from '../domain/actor.ts';
import { KinkyuError, isKinkyuError } from '../domain/errors.ts';
import {
  changeStaffRole,
  createStaff,
  disableStaff,
  enableStaff,
  generatePassword,
  listStaff,
  resetStaffPassword,
} from '../staff/accounts.ts';
import type { Role } from '../staff/permissions.ts';
import { wantsJson } from '../staff/auth-plugin.ts';
import { errorMessage } from '../web/errors.ts';
import { t, type Lang, type MessageKey } from '../web/i18n.ts';
import { requestLang } from '../web/request-lang.ts';
import type { ConsoleContext } from './views.ts';
import * as views from './team-views.ts';

type Body = Record<string, unknown>;

export interface TeamOptions {
  db: Db;
  config: Config;
}

const FLASH: Record<string, MessageKey> = {
  role: 'staff.team.roleChanged',
  disabled: 'staff.team.disabled',
  enabled: 'staff.team.enabled',
  unchanged: 'staff.team.unchanged',
};

/** A JSON body can be anything (null, an array, a string): only a plain object has fields. */
function bodyOf(request: FastifyRequest): Body {
  const body = request.body;
  return body && typeof body === 'object' && !Array.isArray(body) ? (body as Body) : {};
}

/**
 * Staff management, for admins only ('staff.manage'; the auth hook checks it, with the CSRF token, before any
 * handler runs). Forms get HTML and redirects, JSON clients get JSON. Generated passwords appear in exactly
 * one response — the answer to the POST that made them — and nowhere else: not in a URL, a log or the audit.
 */
export function registerTeam(app: FastifyInstance, opts: TeamOptions): void {
  const { db, config } = opts;
  const route = { config: { permission: 'staff.manage' as const } };
  const actorOf = (request: FastifyRequest): Actor => ({ type: 'staff', id: request.staff?.id ?? null, ip: request.ip });
  const ctx = (request: FastifyRequest, reply: FastifyReply, extra: { lang?: Lang; error?: string } = {}): ConsoleContext => {
    const lang = extra.lang ?? requestLang(request, reply);
    const ok = (request.query as Record<string, unknown> | undefined)?.ok;
    const flashKey = typeof ok === 'string' && Object.hasOwn(FLASH, ok) ? FLASH[ok] : undefined;
    return { lang, staff: request.staff!, timeZone: config.timeZone, flash: flashKey ? t(lang, flashKey) : null, error: extra.error ?? null };
  };
  const page = (reply: FastifyReply, body: string, status = 200) =>
    reply.code(status).header('content-type', 'text/html; charset=utf-8').header('cache-control', 'no-store').send(body);

  /**
   * Runs a change. Success: JSON, or the form's answer (a redirect, or the one-time password page).
   * Refusal: JSON errors go to the app's error handler; a form gets the team page again with the message.
   */
  async function act<T extends Record<string, unknown>>(
    request: FastifyRequest,
    reply: FastifyReply,
    run: () => Promise<T>,
    formAnswer: (result: T) => Promise<FastifyReply> | FastifyReply,
    values?: Body,
  ) {
    try {
      const result = await run();
      if (wantsJson(request)) return reply.code(200).send({ ok: true, ...result });
      return await formAnswer(result);
    } catch (err) {
      if (!isKinkyuError(err) || wantsJson(request)) throw err;
      const lang = requestLang(request, reply);
      const c = ctx(request, reply, { lang, error: errorMessage(lang, err) });
      return page(reply, views.teamPage({ ...c, flash: null }, await listStaff(db), values), err.httpStatus);
    }
  }

  const memberSummary = async (id: string) => {
    const [row] = await db.query<{ name: string; email: string; role: Role }>('SELECT name, email, role FROM staff WHERE id = $1', [id]);
    if (!row) throw new KinkyuError('NOT_FOUND', { what: 'staff', rule: 'staff' });
    return row;
  };

  app.get('/staff/team', route, async (request, reply) => page(reply, views.teamPage(ctx(request, reply), await listStaff(db))));

  app.post('/staff/team', route, async (request, reply) => {
    const body = bodyOf(request);
    return act(
      request, reply,
      async () => {
        const password = generatePassword();
        const { id } = await createStaff(db, actorOf(request), { email: body.email, name: body.name, role: body.role, password });
        return { id, ...(await memberSummary(id)), password };
      },
      (r) => page(reply, views.passwordPage(ctx(request, reply), 'created', r, r.password)),
      body,
    );
  });

  app.post<{ Params: { id: string } }>('/staff/team/:id/role', route, async (request, reply) => {
    const body = bodyOf(request);
    const id = request.params.id;
    return act(
      request, reply,
      async () => ({ id, ...(await changeStaffRole(db, actorOf(request), id, body.role)) }),
      (r) => reply.redirect(`/staff/team?ok=${r.changed ? 'role' : 'unchanged'}`, 303),
    );
  });

  app.post<{ Params: { id: string } }>('/staff/team/:id/disable', route, async (request, reply) => {
    const id = request.params.id;
    return act(
      request, reply,
      async () => ({ id, ...(await disableStaff(db, actorOf(request), id)) }),
      (r) => reply.redirect(`/staff/team?ok=${r.changed ? 'disabled' : 'unchanged'}`, 303),
    );
  });

  app.post<{ Params: { id: string } }>('/staff/team/:id/enable', route, async (request, reply) => {
    const id = request.params.id;
    return act(
      request, reply,
      async () => ({ id, ...(await enableStaff(db, actorOf(request), id)) }),
      (r) => reply.redirect(`/staff/team?ok=${r.changed ? 'enabled' : 'unchanged'}`, 303),
    );
  });

  app.post<{ Params: { id: string } }>('/staff/team/:id/password', route, async (request, reply) => {
    const id = request.params.id;
    return act(
      request, reply,
      async () => {
        const { password, sessionsRevoked } = await resetStaffPassword(db, actorOf(request), id);
        return { id, password, sessionsRevoked };
      },
      async (r) => page(reply, views.passwordPage(ctx(request, reply), 'reset', await memberSummary(id), r.password, r.sessionsRevoked)),
    );
  });
}
