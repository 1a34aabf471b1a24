import type { FastifyPluginAsync } from 'fastify';
import type { Readiness } from './readiness.ts';
import { registerReadiness } from './routes.ts';

export interface OpsPluginOptions {
  readiness: () => Promise<Readiness>;
}

/** Operations: `/readyz` (the metrics have their own port: metrics.ts). */
export const opsPlugin: FastifyPluginAsync<OpsPluginOptions> = async (app, opts) => {
  registerReadiness(app, opts.readiness);
};
