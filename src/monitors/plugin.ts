import type { FastifyPluginAsync } from 'fastify';
import { registerMonitorConsole, type MonitorConsoleOptions } from './console-routes.ts';
import { registerProposalConsole } from './proposal-routes.ts';

export type MonitorsPluginOptions = MonitorConsoleOptions;

/** Monitors in the staff console: definitions, results, uptime, and the incidents they propose. */
export const monitorsPlugin: FastifyPluginAsync<MonitorsPluginOptions> = async (app, opts) => {
  registerMonitorConsole(app, opts);
  registerProposalConsole(app, opts);
};
