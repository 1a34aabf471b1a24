import type { FastifyPluginAsync } from 'fastify';
import { registerAuditConsole, type AuditConsoleOptions } from './console-routes.ts';

export type AuditPluginOptions = AuditConsoleOptions;

/** The audit log's staff page. */
export const auditPlugin: FastifyPluginAsync<AuditPluginOptions> = async (app, opts) => {
  registerAuditConsole(app, opts);
};
