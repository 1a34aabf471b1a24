/** Signing other devices out, and removing what was added while the account was in the wrong hands. */
import type { FastifyInstance } from 'fastify';
import { KinkyuError } from '../domain/errors.ts';
import type { CenterContext } from './center-context.ts';
import { userAction } from './user-auth.ts';
import { revokeAccountSession, revokeOtherSessions } from './user-sessions-repository.ts';
import { str } from './user-session.ts';

export function registerSessionRoutes(scope: FastifyInstance, ctx: CenterContext): void {
  const { db, clock } = ctx;
  const signedIn = { config: { user: 'required' as const } };

  // After an unlock: the user removes a withdrawal address, API key or session made while the account was in the
  // wrong hands (protective, like revoking a session: no step-up).
  scope.post('/account/recovery/remove', signedIn, userAction(ctx, async (request, reply, s, body) => {
    if (!ctx.opts.recovery) throw new KinkyuError('NOT_FOUND');
    await ctx.opts.recovery.removeItem(ctx.actorOf(request, s.accountId), s.accountId, body.kind, body.id);
    return reply.redirect('/account?done=recoveryRemoved#recovery', 303);
  }));

  scope.post('/account/sessions/revoke', signedIn, userAction(ctx, async (request, reply, s, body) => {
    const target = str(body.session, 64);
    await db.transaction(async (tx) => {
      if (await revokeAccountSession(tx, s.accountId, target, clock())) await ctx.audit(tx, request, s.accountId, 'user.session_revoke', { count: 1 });
    });
    return reply.redirect('/account?done=revoked', 303);
  }));

  scope.post('/account/sessions/revoke-others', signedIn, userAction(ctx, async (request, reply, s) => {
    await db.transaction(async (tx) => {
      const count = await revokeOtherSessions(tx, s.accountId, s.tokenHash, clock());
      await ctx.audit(tx, request, s.accountId, 'user.session_revoke_all', { count });
    });
    return reply.redirect('/account?done=revokedAll', 303);
  }));
}
