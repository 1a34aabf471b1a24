import type { FastifyPluginAsync } from 'fastify';
import { registerNoticeConsole, type NoticeConsoleOptions } from './console-routes.ts';
import { registerTermsConsole } from './terms-console-routes.ts';
import { registerNoticePublicRoutes, type NoticePublicOptions } from './public-routes.ts';

export type NoticesPluginOptions = NoticeConsoleOptions & NoticePublicOptions;

/** Regulatory notices and terms: the public pages and acknowledgements, the staff console and the pending report. */
export const noticesPlugin: FastifyPluginAsync<NoticesPluginOptions> = async (app, opts) => {
  registerNoticeConsole(app, opts);
  registerTermsConsole(app, opts);
  registerNoticePublicRoutes(app, opts);
};
