import type { FastifyPluginAsync } from 'fastify';
import { registerLockRoutes, type LockRoutesOptions } from './lock-routes.ts';
import { registerAlertsRoutes, type AlertsRoutesOptions } from './console/alerts-routes.ts';
import { registerAccountRoutes, type AccountRoutesOptions } from './console/account-routes.ts';

export type ProtectionPluginOptions = LockRoutesOptions & AlertsRoutesOptions & AccountRoutesOptions;

/** Account protection: the emergency lock's public ways in, detection alerts and the staff account page. */
export const protectionPlugin: FastifyPluginAsync<ProtectionPluginOptions> = async (app, opts) => {
  registerAlertsRoutes(app, opts);
  registerLockRoutes(app, opts);
  registerAccountRoutes(app, opts);
};
