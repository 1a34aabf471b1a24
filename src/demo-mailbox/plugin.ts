import type { FastifyPluginAsync } from 'fastify';
import { registerDemoMailbox, type DemoMailboxRoutesOptions } from './routes.ts';

export type DemoMailboxPluginOptions = DemoMailboxRoutesOptions;

/**
 * The demo mailbox's pages, registered only when it is on. The console's link to it is the root's
 * `kinkyuDemoMailbox` decoration (set by the composition: a plugin's decorations stay in its scope).
 */
export const demoMailboxPlugin: FastifyPluginAsync<DemoMailboxPluginOptions> = async (app, opts) => {
  registerDemoMailbox(app, opts);
};
