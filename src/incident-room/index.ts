/**
 * The incident room (issue 13 §1–6) as one Fastify plugin: the staff home ("what needs me now"), roles and
 * tasks per incident, pre-approved update templates, the composer with every channel's preview, and one
 * timeline per incident. `server.ts` makes the service and registers the plugin; nothing else needs to know.
 */
import type { FastifyInstance } from 'fastify';
import { registerIncidentRoomRoutes } from './routes.ts';
import type { IncidentRoomPluginOptions } from './route-kit.ts';

export { IncidentRoom, type IncidentRoomOptions } from './service.ts';
export { parseIncidentRoles, DEFAULT_INCIDENT_ROLES, type IncidentRoleDefinition } from './roles.ts';
export { HOME_SLOTS, type HomeSection, type HomeSectionView, type HomeSlot } from './home.ts';
export type { IncidentRoomPluginOptions } from './route-kit.ts';

/** Encapsulated: its routes see the staff auth hook and error handler of the app, and add nothing to them. */
export async function incidentRoomPlugin(app: FastifyInstance, opts: IncidentRoomPluginOptions): Promise<void> {
  // The built-in templates are added once (an archived one is never added again), before the first request.
  await opts.room.addBuiltinTemplates();
  // An incident's room exists from its declaration (with the type's starting checklist), so no page read writes.
  opts.commands.onDeclare((tx, incidentId) => opts.room.openRoomIn(tx, incidentId));
  registerIncidentRoomRoutes(app, opts);
}
