/** Kept for importers from before the security center was split into one file per flow (see plugin.ts). */
export type { UserPreparedness } from './preparedness.ts';
export type { UserSession } from './user-session.ts';
export { USER_COOKIE } from './user-session.ts';
