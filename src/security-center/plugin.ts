/**
 * The security center as one Fastify plugin: `app.register(securityCenterPlugin, opts)`. Its routes, the settings
 * lock's guard and the user hook live in one encapsulated scope, so the hook never runs on another capability's
 * routes. The plugin itself is registered on the application (as fastify-plugin would) only to decorate it with
 * the two lookups other capabilities use: `signedInUser` (the demo mailbox) and `userPreparedness` (/help/prepare).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Lang } from '../web/i18n.ts';
import { registerAccountLock } from './account-lock.ts';
import { registerAccountPage } from './account-page.ts';
import { registerAntiPhishingRoutes, type AntiPhishingCodes } from './anti-phishing.ts';
import { createCenterContext, type SecurityCenterOptions } from './center-context.ts';
import { registerEmailChange } from './email-change-routes.ts';
import { registerEmergencyContact } from './emergency-contact.ts';
import { registerPasskeyRoutes } from './passkeys.ts';
import { registerPasswordChange } from './password-change.ts';
import { registerPasswordReset } from './password-reset-routes.ts';
import { preparedness, type UserPreparedness } from './preparedness.ts';
import { registerSessionRoutes } from './sessions.ts';
import type { SettingsLocks } from './settings-lock.ts';
import { registerSettingsLockGuard, registerSettingsLockRoutes } from './settings-lock-routes.ts';
import { registerSignIn } from './sign-in.ts';
import { registerStepUpRoutes } from './step-up-routes.ts';
import { registerTermsGate } from './terms-gate.ts';
import { registerTotpSetup } from './totp-setup.ts';
import { registerTwoFactorStep } from './two-factor-step.ts';
import { authenticate, registerUserAuth } from './user-auth.ts';
import { registerWithdrawals } from './withdrawals.ts';


export interface SecurityCenterPluginOptions extends SecurityCenterOptions {
  /** The settings lock (issue 16): its guard stands in front of every change it freezes. */
  settingsLocks: SettingsLocks;
  /** The anti-phishing codes (issue 16). */
  antiPhishing: AntiPhishingCodes;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The preparedness of the user signed in on this request, or null (set by the security center; used by /help/prepare). */
    userPreparedness?: (request: FastifyRequest, lang: Lang) => Promise<UserPreparedness | null>;
  }
}

export async function securityCenterPlugin(app: FastifyInstance, opts: SecurityCenterPluginOptions): Promise<void> {
  const ctx = createCenterContext(opts);
  const { db, config, clock } = opts;

  // The demo mailbox's user pages (src/demo-mailbox/routes.ts) stand behind the same check as every page here.
  app.decorate('signedInUser', async (request: FastifyRequest, reply: FastifyReply) => {
    const s = await authenticate(ctx, request, reply, { allowForced: true, skipTerms: true });
    return s ? { accountId: s.accountId, email: s.email } : null;
  });
  app.decorate('userPreparedness', async (request: FastifyRequest, lang: Lang): Promise<UserPreparedness | null> => {
    const s = await ctx.sessionOf(request);
    return s && !s.pending2fa ? preparedness(db, config, ctx.now(), lang, s, ctx.csrfField(s)) : null;
  });

  await app.register(async (scope) => {
    const lockOpts = {
      db, config, accounts: opts.accounts, locks: opts.settingsLocks, lock: opts.lock, mailDomain: opts.mailDomain, clock,
    };
    // First: a frozen change is refused before anything else is asked of it (as before the hook existed).
    registerSettingsLockGuard(scope, ctx, lockOpts);
    registerUserAuth(scope, ctx);
    registerSignIn(scope, ctx);
    registerTwoFactorStep(scope, ctx);
    registerPasswordReset(scope, ctx);
    registerAccountPage(scope, ctx);
    registerStepUpRoutes(scope, ctx);
    registerSessionRoutes(scope, ctx);
    registerPasswordChange(scope, ctx);
    registerTotpSetup(scope, ctx);
    registerEmergencyContact(scope, ctx);
    registerEmailChange(scope, ctx);
    registerWithdrawals(scope, ctx);
    registerTermsGate(scope, ctx);
    registerAccountLock(scope, ctx);
    registerPasskeyRoutes(scope, ctx);
    registerSettingsLockRoutes(scope, ctx, lockOpts);
    registerAntiPhishingRoutes(scope, ctx, { db, codes: opts.antiPhishing, clock });
  });
}
// Registered on the application itself (as fastify-plugin would) for the two decorations above; the routes and
// the hook are in the encapsulated scope it registers.
(securityCenterPlugin as unknown as Record<symbol, boolean>)[Symbol.for('skip-override')] = true;
