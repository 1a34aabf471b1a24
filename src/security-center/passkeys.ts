/**
 * Passkeys in the user's security center (issue 16): several per account, named, with when each was added and
 * last used; sign-in with a passkey alone; a passkey as the second factor after the password, or for a step-up,
 * instead of the authenticator app; adding and removing one needs a step-up. Recovery codes keep working
 * everywhere a passkey does, and the emergency lock never needs one.
 */
import type { FastifyInstance } from 'fastify';
import { registerWebAuthnScript } from '../webauthn/page.ts';
import type { CenterContext } from './center-context.ts';
import { createPasskeyKit } from './passkey-common.ts';
import { registerPasskeyConfirm } from './passkey-confirm.ts';
import { registerPasskeyManagement } from './passkey-management.ts';
import { registerPasskeySignIn } from './passkey-sign-in.ts';


export function registerPasskeyRoutes(scope: FastifyInstance, ctx: CenterContext): void {
  const kit = createPasskeyKit(ctx);
  registerWebAuthnScript(scope);
  registerPasskeyManagement(scope, ctx, kit);
  registerPasskeySignIn(scope, ctx, kit);
  registerPasskeyConfirm(scope, ctx, kit);
}
