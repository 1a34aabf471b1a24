import type { FastifyPluginAsync } from 'fastify';
import { registerHelpCenter, type HelpCenterOptions } from './guide/routes.ts';
import { registerKbRoutes, type KbRoutesOptions } from './kb/public-routes.ts';
import { registerKbConsole, type KbConsoleOptions } from './kb/console-routes.ts';

export type HelpPluginOptions = HelpCenterOptions & KbRoutesOptions & KbConsoleOptions;

/** The help center: guided paths, the knowledge base's public pages and its staff editor. */
export const helpPlugin: FastifyPluginAsync<HelpPluginOptions> = async (app, opts) => {
  registerHelpCenter(app, opts);
  registerKbRoutes(app, opts);
  registerKbConsole(app, opts);
};
