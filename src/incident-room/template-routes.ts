/** The pre-approved update templates, managed in the console. */
import type { FastifyInstance } from 'fastify';
import { wantsJson } from '../web/wants-json.ts';
import { sendPage, staffActor } from '../console/form-action.ts';
import { bodyOf } from '../web/body.ts';
import type { Params, RoomRouteKit } from './route-kit.ts';
import { templateEditPage, templatesPage } from './template-views.ts';
import { RoomSchemas } from './schemas.ts';

export function registerTemplateRoutes(app: FastifyInstance, kit: RoomRouteKit): void {
  const { room } = kit.opts;

  app.get('/staff/update-templates', { schema: RoomSchemas.templates, config: { permission: 'console.view' } }, async (request, reply) => {
    const templates = await room.listTemplates({ includeArchived: true });
    if (wantsJson(request)) return reply.send({ templates });
    return sendPage(reply, templatesPage(kit.ctx(request, reply), templates));
  });

  app.post('/staff/update-templates', { schema: RoomSchemas.createTemplate, config: { permission: 'incident.templates', refusesInHandler: true } }, async (request, reply) => {
    const body = bodyOf(request);
    return kit.act(request, reply,
      () => room.createTemplate(staffActor(request), body),
      () => reply.redirect('/staff/update-templates?ok=templateCreated', 303),
      async (c) => templatesPage(c, await room.listTemplates({ includeArchived: true }), body));
  });

  app.get<Params>('/staff/update-templates/:id', { schema: RoomSchemas.template, config: { permission: 'incident.templates' } }, async (request, reply) => {
    const tpl = await room.template(request.params.id);
    if (wantsJson(request)) return reply.send({ template: tpl });
    return sendPage(reply, templateEditPage(kit.ctx(request, reply), tpl));
  });

  app.post<Params>('/staff/update-templates/:id', { schema: RoomSchemas.updateTemplate, config: { permission: 'incident.templates', refusesInHandler: true } }, async (request, reply) => {
    const body = bodyOf(request);
    return kit.act(request, reply,
      async () => {
        await room.updateTemplate(staffActor(request), request.params.id, body);
        return {};
      },
      () => reply.redirect('/staff/update-templates?ok=templateSaved', 303),
      async (c) => templateEditPage(c, await room.template(request.params.id), body));
  });

  app.post<Params>('/staff/update-templates/:id/archive', { schema: RoomSchemas.archiveTemplate, config: { permission: 'incident.templates', refusesInHandler: true } }, async (request, reply) => {
    const body = bodyOf(request);
    const archived = body.archived !== 'false' && body.archived !== false;
    return kit.act(request, reply,
      async () => {
        await room.archiveTemplate(staffActor(request), request.params.id, archived);
        return {};
      },
      () => reply.redirect(`/staff/update-templates?ok=${archived ? 'templateArchived' : 'templateRestored'}`, 303),
      async (c) => templatesPage(c, await room.listTemplates({ includeArchived: true })));
  });
}
