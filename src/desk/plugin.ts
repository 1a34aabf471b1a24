import type { FastifyPluginAsync } from 'fastify';
import { registerDeskRoutes, type DeskRoutesOptions } from './console-routes.ts';
import { registerContactRoutes, type ContactOptions } from './contact-routes.ts';

export type DeskPluginOptions = DeskRoutesOptions & ContactOptions;

/** The support desk: the contact form and the ticket page behind its secret link, the staff queue and tickets. */
export const deskPlugin: FastifyPluginAsync<DeskPluginOptions> = async (app, opts) => {
  registerDeskRoutes(app, opts);
  registerContactRoutes(app, opts);
};
