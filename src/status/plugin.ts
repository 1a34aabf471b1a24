import type { FastifyPluginAsync } from 'fastify';
import type { PublicSite } from './page/site.ts';
import { registerPublicRoutes } from './page/routes.ts';
import { registerStatusConsole, type StatusConsoleOptions } from './console-routes.ts';

export type StatusPluginOptions = StatusConsoleOptions & { site: PublicSite };

/**
 * The status page's routes that go through Fastify (older incidents, month archives, health; the rest is the
 * in-memory site, before Fastify) and the staff console's incidents, maintenances and components. The 404 page is
 * the whole app's: `registerNotFoundPage`, on the root.
 */
export const statusPlugin: FastifyPluginAsync<StatusPluginOptions> = async (app, opts) => {
  registerPublicRoutes(app, opts);
  registerStatusConsole(app, opts);
};
