/** An incident's room page (roles, tasks, timeline), for a browser or a JSON client. Reading it writes nothing. */
import type { FastifyInstance } from 'fastify';
import { KinkyuError, isKinkyuError } from '../domain/errors.ts';
import { listComponents } from '../status/repository.ts';
import { wantsJson } from '../web/wants-json.ts';
import { sendPage } from '../console/form-action.ts';
import type { ConsoleContext } from '../console/views.ts';
import type { Params, RoomRouteKit } from './route-kit.ts';
import { roomPage, type RoomPageData } from './room-views.ts';
import { incidentTimeline, isTimelineKind, type TimelineKind } from './timeline.ts';
import { RoomSchemas } from './schemas.ts';

function parseShown(query: Record<string, unknown>): Set<TimelineKind> {
  const raw = query.show;
  const list = raw === undefined || raw === '' ? [] : Array.isArray(raw) ? raw : [raw];
  if (list.length > 20 || !list.every(isTimelineKind)) throw new KinkyuError('VALIDATION', { field: 'show', rule: 'enum' });
  return new Set(list);
}

export async function roomData(kit: RoomRouteKit, id: string, shown: Set<TimelineKind>, values?: RoomPageData['values']): Promise<RoomPageData> {
  const { db, room, clock } = kit.opts;
  const state = await room.state(id);
  const now = clock();
  const [components, timeline, templates] = await Promise.all([
    listComponents(db), incidentTimeline(db, state.incident, now, shown), room.listTemplates({ includeArchived: false }),
  ]);
  return { state, roles: room.roles, components, timeline, shown, templates, now, ...(values ? { values } : {}) };
}

/** The room again after a refused change, with what the form held. */
export async function renderRoom(kit: RoomRouteKit, c: ConsoleContext, id: string, values?: RoomPageData['values']): Promise<string> {
  return roomPage(c, await roomData(kit, id, new Set(), values));
}

export function registerRoomRoutes(app: FastifyInstance, kit: RoomRouteKit): void {
  app.get<Params>('/staff/incidents/:id/room', { schema: RoomSchemas.room, config: { permission: 'console.view' } }, async (request, reply) => {
    const c = kit.ctx(request, reply);
    let shown: Set<TimelineKind>;
    try {
      shown = parseShown(request.query as Record<string, unknown>);
    } catch (err) {
      if (!isKinkyuError(err)) throw err;
      const message = kit.refusal(c.lang, err);
      if (wantsJson(request)) return reply.code(err.httpStatus).send({ code: err.code, message, requestId: request.id });
      return sendPage(reply, roomPage({ ...c, error: message }, await roomData(kit, request.params.id, new Set())), err.httpStatus);
    }
    const data = await roomData(kit, request.params.id, shown);
    if (wantsJson(request)) {
      const { state, timeline } = data;
      return reply.send({ incident: state.incident, assignments: state.assignments, tasks: state.tasks, timeline });
    }
    return sendPage(reply, roomPage(c, data));
  });
}
