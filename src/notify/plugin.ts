import type { FastifyPluginAsync } from 'fastify';
import { registerSubscriptions, type SubscriptionRoutesOptions } from './subscribe-routes.ts';

export type NotifyPluginOptions = SubscriptionRoutesOptions;

/** Status subscriptions: subscribing, the signed links, the staff's subscriber console and the webhook docs. */
export const notifyPlugin: FastifyPluginAsync<NotifyPluginOptions> = async (app, opts) => {
  registerSubscriptions(app, opts);
};
