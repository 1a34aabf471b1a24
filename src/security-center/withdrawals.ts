/** The demo's withdrawal forms (the reference exchange only): a new address (held before use), a withdrawal. */
import type { FastifyInstance } from 'fastify';
import { KinkyuError } from '../domain/errors.ts';
import type { CenterContext } from './center-context.ts';
import { userAction } from './user-auth.ts';
import { allowlistEnabled } from './user-credentials-repository.ts';
import { str } from './user-session.ts';

const ASSET = /^[A-Z0-9]{2,10}$/;

export function registerWithdrawals(scope: FastifyInstance, ctx: CenterContext): void {
  const { db, accounts, store, holdMs } = ctx;

  scope.post('/account/addresses', { config: { user: 'stepped-up', stepUp: 'address' } }, userAction(ctx, async (request, reply, s, body) => {
    if (!store) throw new KinkyuError('NOT_FOUND');
    const asset = str(body.asset, 10).trim().toUpperCase();
    const address = str(body.address, 120).trim();
    if (!ASSET.test(asset)) throw new KinkyuError('VALIDATION', { field: 'asset' });
    if (!/^[\w:.-]{6,120}$/.test(address)) throw new KinkyuError('VALIDATION', { field: 'address' });
    await store.addWithdrawalAddress(s.accountId, { asset, address, holdMs });
    const usable = new Date(ctx.now() + holdMs);
    await db.transaction((tx) => ctx.audit(tx, request, s.accountId, 'user.withdrawal_address_add', { asset, address }));
    await ctx.record(request, s.accountId, 'withdrawal_address_added', { asset, address });
    await ctx.notify(s.accountId, 'withdrawal_address_added', request, [[asset, address]], usable);
    return reply.redirect('/account?done=address', 303);
  }));

  scope.post('/account/withdrawals', { config: { user: 'stepped-up', stepUp: 'withdrawal' } }, userAction(ctx, async (request, reply, s, body) => {
    if (!store) throw new KinkyuError('NOT_FOUND');
    const asset = str(body.asset, 10).trim().toUpperCase();
    const amount = str(body.amount, 30).trim();
    const address = str(body.address, 120).trim();
    if (!ASSET.test(asset)) throw new KinkyuError('VALIDATION', { field: 'asset' });
    if (!/^\d+(\.\d+)?$/.test(amount)) throw new KinkyuError('VALIDATION', { field: 'amount' });
    if ((await allowlistEnabled(db, s.accountId)) && !(await accounts.hasWithdrawalAddress(s.accountId, { asset, address }))) {
      throw new KinkyuError('FORBIDDEN', { rule: 'not_allowlisted' });
    }
    const id = await store.requestWithdrawal(s.accountId, { asset, amount, address }, { newAddressHoldMs: holdMs });
    await db.transaction((tx) => ctx.audit(tx, request, s.accountId, 'user.withdrawal_request', { id, asset, amount, address }));
    await ctx.record(request, s.accountId, 'withdrawal_requested', { id, asset, amount, address });
    await ctx.notify(s.accountId, 'withdrawal_requested', request, [[asset, `${amount} → ${address}`]]);
    return reply.redirect('/account?done=withdrawal', 303);
  }));
}
