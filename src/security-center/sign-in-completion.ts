import type { FastifyReply, FastifyRequest } from 'fastify';
import type { CenterContext } from './center-context.ts';
import { deviceCookieOptions } from './device-cookies.ts';
import { revokeSession } from './user-sessions-repository.ts';
import { signedInBeforeFrom } from './user-credentials-repository.ts';

/**
 * Both factors are through (or a passkey, or a password alone on an account without a second factor): a fresh
 * session (token and CSRF token; the half-signed-in one, `pendingHash`, ends), this browser becomes a known device
 * of the account, and a sign-in from a new device or country is announced with a lock link.
 */
export async function completeSignIn(ctx: CenterContext, request: FastifyRequest, reply: FastifyReply | null, accountId: string, method: string, pendingHash?: string): Promise<void> {
  const m = ctx.meta(request);
  const seen = await signedInBeforeFrom(ctx.db, accountId, m.device, m.country);
  if (pendingHash) await revokeSession(ctx.db, pendingHash, ctx.clock());
  if (reply) {
    await ctx.createSession(reply, request, accountId, false, method !== 'password');
    // This browser is now a known device of the account: its failed attempts count on its own allowance.
    reply.setCookie(ctx.deviceCookie, ctx.devices.issue(request.cookies?.[ctx.deviceCookie], accountId), deviceCookieOptions(ctx.config.secureCookies));
  }
  await ctx.db.transaction((tx) => ctx.audit(tx, request, accountId, 'user.sign_in', { method, device: m.device, country: m.country }));
  await ctx.record(request, accountId, 'sign_in', { method, newDevice: !seen });
  if (!seen) await ctx.notify(accountId, 'new_sign_in', request);
}
