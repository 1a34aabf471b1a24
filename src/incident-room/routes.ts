/**
 * The incident room's staff pages: the staff home (/staff), an incident's room (roles, tasks, timeline), the
 * composer with its channel previews, and the update templates — one module per flow. Permissions are declared
 * per route and enforced by the staff auth hook; every form also answers JSON clients.
 */
import type { FastifyInstance } from 'fastify';
import { registerComposerRoutes } from './composer-routes.ts';
import { registerHomeRoutes } from './home-routes.ts';
import { registerRoleRoutes } from './roles-routes.ts';
import { roomRouteKit, type IncidentRoomPluginOptions } from './route-kit.ts';
import { registerRoomRoutes } from './room-routes.ts';
import { registerTaskRoutes } from './tasks-routes.ts';
import { registerTemplateRoutes } from './template-routes.ts';


export function registerIncidentRoomRoutes(app: FastifyInstance, opts: IncidentRoomPluginOptions): void {
  const kit = roomRouteKit(opts);
  registerHomeRoutes(app, kit);
  registerRoomRoutes(app, kit);
  registerRoleRoutes(app, kit);
  registerTaskRoutes(app, kit);
  registerComposerRoutes(app, kit);
  registerTemplateRoutes(app, kit);
}
