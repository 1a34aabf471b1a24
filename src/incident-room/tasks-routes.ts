/** Adding, editing and ticking an incident's tasks, from the room or the staff home. */
import type { FastifyInstance } from 'fastify';
import { staffActor } from '../console/form-action.ts';
import { bodyOf } from '../web/body.ts';
import { roomUrl, type Params, type RoomRouteKit, type TaskParams } from './route-kit.ts';
import { renderRoom } from './room-routes.ts';
import { RoomSchemas } from './schemas.ts';

export function registerTaskRoutes(app: FastifyInstance, kit: RoomRouteKit): void {
  const { room } = kit.opts;

  app.post<Params>('/staff/incidents/:id/room/tasks', { schema: RoomSchemas.addTask, config: { permission: 'incident.write', refusesInHandler: true } }, async (request, reply) => {
    const body = bodyOf(request);
    return kit.act(request, reply,
      () => room.addTask(staffActor(request), request.params.id, body),
      () => reply.redirect(roomUrl(request.params.id, 'taskAdded', 'tasks'), 303),
      (c) => renderRoom(kit, c, request.params.id, { form: 'task-add', fields: body }));
  });

  app.post<TaskParams>('/staff/incidents/:id/room/tasks/:taskId', { schema: RoomSchemas.editTask, config: { permission: 'incident.write', refusesInHandler: true } }, async (request, reply) => {
    const body = bodyOf(request);
    return kit.act(request, reply,
      async () => {
        await room.editTask(staffActor(request), request.params.id, request.params.taskId, body);
        return {};
      },
      () => reply.redirect(roomUrl(request.params.id, 'taskSaved', `task-${request.params.taskId}`), 303),
      (c) => renderRoom(kit, c, request.params.id, { form: `task-${request.params.taskId}`, fields: body }));
  });

  app.post<TaskParams>('/staff/incidents/:id/room/tasks/:taskId/done', { schema: RoomSchemas.taskDone, config: { permission: 'incident.write', refusesInHandler: true } }, async (request, reply) => {
    const body = bodyOf(request);
    const done = body.done ?? 'true';
    const home = body.back === 'home';
    return kit.act(request, reply,
      () => room.setTaskDone(staffActor(request), request.params.id, request.params.taskId, done),
      () => {
        const ok = done === 'false' || done === false ? 'taskReopened' : 'taskDone';
        return reply.redirect(home ? `/staff?ok=${ok}#home-my-tasks` : roomUrl(request.params.id, ok, `task-${request.params.taskId}`), 303);
      },
      (c) => renderRoom(kit, c, request.params.id));
  });
}
