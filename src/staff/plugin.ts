import type { FastifyPluginAsync } from 'fastify';
import { registerStaffSignIn, type StaffSignInOptions } from './sign-in-routes.ts';
import { registerTeam, type TeamOptions } from './team-routes.ts';

export type StaffPluginOptions = StaffSignInOptions & TeamOptions;

/**
 * Staff sign-in (the password step) and the team page. The auth hook (auth-plugin.ts) is not here: it guards
 * every route of the app, so the composition adds it on the root before any plugin.
 */
export const staffPlugin: FastifyPluginAsync<StaffPluginOptions> = async (app, opts) => {
  registerStaffSignIn(app, opts);
  registerTeam(app, opts);
};
