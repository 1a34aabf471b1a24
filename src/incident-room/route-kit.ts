/**
 * What every incident-room route shares: the console context with the room's flash messages, refusals in the
 * reader's words, and `act` — one change answered to a form (a redirect, or the page again with the message) or
 * to a JSON client.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { KinkyuError, isKinkyuError } from '../domain/errors.ts';
import { ROLES, can, isRole } from '../staff/permissions.ts';
import { wantsJson } from '../web/wants-json.ts';
import { refuseInvalid } from '../web/schema/validation.ts';
import { consoleContext, sendPage } from '../console/form-action.ts';
import type { Body } from '../web/body.ts';
import type { ConsoleContext } from '../console/views.ts';
import { errorMessage } from '../web/errors.ts';
import { formatDateTime, t, type Lang, type MessageKey } from '../web/i18n.ts';
import { requestLang } from '../web/request-lang.ts';
import type { Db } from '../store/db.ts';
import type { Config } from '../config.ts';
import type { BusinessCalendar } from '../domain/business-calendar.ts';
import type { StatusCommands } from '../status/commands.ts';
import type { PageSnapshot } from '../status/page/snapshot.ts';
import type { SupportDesk } from '../desk/desk.ts';
import type { Proposal } from '../monitors/proposal-rows.ts';
import type { HomeSection } from './home.ts';
import type { IncidentRoom } from './service.ts';
import { roleLabel } from './view-helpers.ts';

export interface IncidentRoomPluginOptions {
  db: Db;
  config: Config;
  commands: StatusCommands;
  room: IncidentRoom;
  calendar: BusinessCalendar;
  clock: () => Date;
  /** The public page's current snapshot: the composer previews the page and the channels from it. */
  snapshot: () => PageSnapshot | null;
  /** When the support desk runs: resolving from the composer can solve the linked tickets. */
  desk?: SupportDesk;
  /** Open incident proposals from monitors, on the staff home. */
  openProposals?: () => Promise<Proposal[]>;
  /**
   * Sections other capabilities put on the staff home, each naming its slot. The slot
   * `regulatory-deadlines` is kept for the regulator's clock (src/regulator/).
   */
  homeSections?: readonly HomeSection[];
}

const FLASH: Readonly<Record<string, MessageKey>> = {
  roleAssigned: 'room.flash.roleAssigned',
  handover: 'room.flash.handover',
  roleReleased: 'room.flash.roleReleased',
  unchanged: 'room.flash.unchanged',
  taskAdded: 'room.flash.taskAdded',
  taskSaved: 'room.flash.taskSaved',
  taskDone: 'room.flash.taskDone',
  taskReopened: 'room.flash.taskReopened',
  published: 'room.flash.published',
  templateCreated: 'room.flash.templateCreated',
  templateSaved: 'room.flash.templateSaved',
  templateArchived: 'room.flash.templateArchived',
  templateRestored: 'room.flash.templateRestored',
};

export type Params = { Params: { id: string } };
export type TaskParams = { Params: { id: string; taskId: string } };

export interface RoomRouteKit {
  opts: IncidentRoomPluginOptions;
  ctx(request: FastifyRequest, reply: FastifyReply, extra?: { lang?: Lang; error?: string }): ConsoleContext;
  /** The refusal in the reader's words: staff roles, incident roles, permissions and times translated. */
  refusal(lang: Lang, err: KinkyuError): string;
  /**
   * Runs a change for a form or a JSON client. Success: `{ok: true, ...}` or `onSuccess` (a 303). Refusal:
   * `{code, message, requestId}`, or the page again with the message, under the refusal's status.
   */
  act<T extends Record<string, unknown>>(
    request: FastifyRequest,
    reply: FastifyReply,
    run: () => Promise<T>,
    onSuccess: (result: T) => FastifyReply | Promise<FastifyReply>,
    rerender: (c: ConsoleContext) => Promise<string>,
  ): Promise<FastifyReply>;
}

export function roomRouteKit(opts: IncidentRoomPluginOptions): RoomRouteKit {
  const { config, room } = opts;
  const ctx: RoomRouteKit['ctx'] = (request, reply, extra = {}) => consoleContext(request, reply, config.timeZone, FLASH, extra);

  const refusal: RoomRouteKit['refusal'] = (lang, err) => {
    const p: Record<string, string> = { ...err.params };
    if (p.staffRole && isRole(p.staffRole)) p.staffRole = t(lang, `staff.role.${p.staffRole}`);
    const role = p.incidentRole ? room.role(p.incidentRole) : undefined;
    if (role) {
      // Who may hold it: every staff role that allows what it requires.
      p.allowed = ROLES.filter((r) => can(r, role.requires)).map((r) => t(lang, `staff.role.${r}`)).join(t(lang, 'list.separator'));
      p.incidentRole = roleLabel(lang, room.roles, role.key);
    }
    for (const key of ['now', 'due'] as const) {
      const v = p[key];
      if (v && !Number.isNaN(Date.parse(v))) p[key] = formatDateTime(lang, new Date(v), config.timeZone);
    }
    return errorMessage(lang, new KinkyuError(err.code, p), 'room');
  };

  const act: RoomRouteKit['act'] = async (request, reply, run, onSuccess, rerender) => {
    try {
      // A body the route's schema refused: the same answer as the service's own refusals (refusesInHandler).
      refuseInvalid(request);
      const result = await run();
      if (wantsJson(request)) return reply.code(200).send({ ok: true, ...result });
      return await onSuccess(result);
    } catch (err) {
      if (!isKinkyuError(err)) throw err;
      const lang = requestLang(request, reply);
      const message = refusal(lang, err);
      if (wantsJson(request)) return reply.code(err.httpStatus).send({ code: err.code, message, requestId: request.id });
      return sendPage(reply, await rerender(ctx(request, reply, { lang, error: message })), err.httpStatus);
    }
  };

  return { opts, ctx, refusal, act };
}

export const roomUrl = (id: string, ok: string, anchor: string) => `/staff/incidents/${id}/room?ok=${ok}#${anchor}`;

/** Component statuses from `cs.<id>` form fields, or `componentStatuses` from a JSON body. */
export function componentStatusesFrom(body: Body): Record<string, unknown> {
  if (body.componentStatuses && typeof body.componentStatuses === 'object' && !Array.isArray(body.componentStatuses)) {
    return body.componentStatuses as Record<string, unknown>;
  }
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(body)) if (key.startsWith('cs.')) out[key.slice(3)] = value;
  return out;
}
