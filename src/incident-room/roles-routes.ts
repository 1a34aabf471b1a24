/** Giving, handing over and releasing an incident role from the room. */
import type { FastifyInstance } from 'fastify';
import { staffActor } from '../console/form-action.ts';
import { bodyOf } from '../web/body.ts';
import { roomUrl, type Params, type RoomRouteKit } from './route-kit.ts';
import { renderRoom } from './room-routes.ts';
import { RoomSchemas } from './schemas.ts';

export function registerRoleRoutes(app: FastifyInstance, kit: RoomRouteKit): void {
  const { room } = kit.opts;

  app.post<Params>('/staff/incidents/:id/room/roles', { schema: RoomSchemas.assignRole, config: { permission: 'incident.write', refusesInHandler: true } }, async (request, reply) => {
    const body = bodyOf(request);
    return kit.act(request, reply,
      () => room.assignRole(staffActor(request), request.params.id, { role: body.role, staffId: body.staffId }),
      (r) => reply.redirect(roomUrl(request.params.id, r.changed ? (r.handover ? 'handover' : 'roleAssigned') : 'unchanged', 'roles'), 303),
      (c) => renderRoom(kit, c, request.params.id, { form: 'assign', fields: body }));
  });

  app.post<Params>('/staff/incidents/:id/room/roles/release', { schema: RoomSchemas.releaseRole, config: { permission: 'incident.write', refusesInHandler: true } }, async (request, reply) => {
    const body = bodyOf(request);
    return kit.act(request, reply,
      async () => {
        await room.releaseRole(staffActor(request), request.params.id, body.assignmentId);
        return {};
      },
      () => reply.redirect(roomUrl(request.params.id, 'roleReleased', 'roles'), 303),
      (c) => renderRoom(kit, c, request.params.id));
  });
}
