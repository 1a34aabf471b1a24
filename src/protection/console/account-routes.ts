import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../../config.ts';
import type { Db } from '../../store/db.ts';
import type { ExchangeAccounts } from '../../exchange/adapter.ts';
import { ExchangeCoreError } from '../../exchange/http-adapter.ts';
import { KinkyuError } from '../../domain/errors.ts';
import type { EmergencyLock } from '../emergency-lock.ts';
import type { Recovery } from '../recovery.ts';
import type { Lang, MessageKey } from '../../web/i18n.ts';
import { accountPage, accountSearchPage } from './account-views.ts';
import { accountOrUnreachable, ID, loadAccountPage } from './account-page-data.ts';
import { consoleContext, formAction, sendPage, staffActor } from '../../console/form-action.ts';
import { bodyOf } from '../../web/body.ts';
import { unlockRequestAccount } from '../recovery-repository.ts';
import { AccountSchemas } from './schemas.ts';

export interface AccountRoutesOptions {
  db: Db;
  config: Config;
  accounts: ExchangeAccounts;
  lock: EmergencyLock;
  /** The recovery after a takeover: window, changes, what the unlock removes, the unlock email. */
  recovery: Recovery;
}

const FLASH: Readonly<Record<string, MessageKey>> = {
  locked: 'acct.flash.locked',
  requested: 'acct.flash.requested',
  unlocked: 'acct.flash.unlocked',
  adjusted: 'recovery.flash.adjusted',
  removed: 'recovery.flash.removed',
  emailRestored: 'recovery.flash.emailRestored',
};

/** The request form's "reason to keep" fields, `keep:<kind>:<id>`, as `{'<kind>:<id>': reason}`. */
const keepsOf = (body: Record<string, unknown>): Record<string, string> =>
  Object.fromEntries(Object.entries(body).filter(([k, v]) => k.startsWith('keep:') && typeof v === 'string').map(([k, v]) => [k.slice(5), (v as string).slice(0, 1000)]));
/** The recovery's forms need the exchange: when its core cannot be reached, the form says so (503), not a 500. */
async function viaExchange<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (err) {
    if (err instanceof ExchangeCoreError) throw new KinkyuError('EXCHANGE_UNAVAILABLE', {}, err.message);
    throw err;
  }
}

const strings = (v: unknown): string[] => (Array.isArray(v) ? v : v === undefined ? [] : [v]).filter((x): x is string => typeof x === 'string');

/**
 * The security team's side of the lock: find an account, see its lock state and history, lock it now, and
 * unlock it after identity verification — asked for by one staff member, approved by another.
 */
export function registerAccountRoutes(app: FastifyInstance, opts: AccountRoutesOptions): void {
  const { db, config, accounts, lock, recovery } = opts;
  const ctx = (request: FastifyRequest, reply: FastifyReply, extra: { lang?: Lang; error?: string } = {}) =>
    consoleContext(request, reply, config.timeZone, FLASH, extra);

  const load = (request: FastifyRequest, id: string) => loadAccountPage({ db, accounts, lock, recovery }, request, id);

  app.get('/staff/accounts', { schema: AccountSchemas.search, config: { permission: 'account.lock' } }, async (request, reply) => {
    const raw = (request.query as Record<string, unknown>).q;
    const q = typeof raw === 'string' ? raw.trim().slice(0, 254) : '';
    if (q) {
      const account = q.includes('@') ? await accounts.findAccount({ email: q }) : ID.test(q) ? await accounts.findAccount({ accountId: q }) : null;
      if (account) {
        if (request.headers.accept?.includes('application/json')) return reply.send({ account });
        return reply.redirect(`/staff/accounts/${encodeURIComponent(account.id)}`, 303);
      }
      if (request.headers.accept?.includes('application/json')) throw new KinkyuError('NOT_FOUND', { what: 'account' });
    }
    return sendPage(reply, accountSearchPage(ctx(request, reply), q, q !== ''), q ? 404 : 200);
  });

  app.get<{ Params: { id: string } }>('/staff/accounts/:id', { schema: AccountSchemas.one, config: { permission: 'account.lock' } }, async (request, reply) => {
    const data = await load(request, request.params.id);
    if (request.headers.accept?.includes('application/json')) return reply.send(data);
    return sendPage(reply, accountPage(ctx(request, reply), data));
  });

  const back = (reply: FastifyReply, id: string, flash: keyof typeof FLASH) => reply.redirect(`/staff/accounts/${encodeURIComponent(id)}?ok=${flash}`, 303);
  const again = async (request: FastifyRequest<{ Params: { id: string } }>, reply: FastifyReply, lang: Lang, error: string) => {
    const body = bodyOf(request);
    const text = (v: unknown, max: number) => (typeof v === 'string' ? v.slice(0, max) : undefined);
    return accountPage(ctx(request, reply, { lang, error }), {
      ...(await load(request, request.params.id)),
      values: {
        checklist: strings(body.checklist), note: text(body.note, 2000) ?? '', reason: text(body.reason, 500) ?? '', keep: keepsOf(body),
        ...(body.windowStart !== undefined ? { windowStart: text(body.windowStart, 40) ?? '', windowReason: text(body.windowReason, 500) ?? '' } : {}),
      },
    });
  };

  app.post<{ Params: { id: string } }>('/staff/accounts/:id/lock', { schema: AccountSchemas.lock, config: { permission: 'account.lock', refusesInHandler: true } }, async (request, reply) =>
    formAction(request, reply, {
      run: async () => {
        // Lock first: with the exchange core down the lock is journalled and retried until it confirms (the
        // reconciler closes it if the account turns out not to exist); the page then shows it in progress.
        const account = await accountOrUnreachable(accounts, request.params.id);
        if (account === null) throw new KinkyuError('NOT_FOUND', { what: 'account' });
        const reason = typeof bodyOf(request).reason === 'string' ? (bodyOf(request).reason as string).trim().slice(0, 500) : '';
        // The lock wakes the mail worker itself once its email is queued.
        const result = await lock.lock(account?.id ?? request.params.id, { source: 'staff', reason: reason || 'staff lock', actor: staffActor(request) });
        return { lockId: result.lockId, effects: result.effects, ticketNumber: result.ticketNumber };
      },
      onSuccess: () => back(reply, request.params.id, 'locked'),
      onRefusal: (lang, error) => again(request, reply, lang, error),
      scope: 'acct',
    }),
  );

  app.post<{ Params: { id: string } }>('/staff/accounts/:id/unlock-requests', { schema: AccountSchemas.requestUnlock, config: { permission: 'account.unlock', refusesInHandler: true } }, async (request, reply) =>
    formAction(request, reply, {
      run: async () => {
        if (!ID.test(request.params.id)) throw new KinkyuError('NOT_FOUND', { what: 'account' });
        const body = bodyOf(request);
        const requestId = await viaExchange(recovery.requestUnlock(staffActor(request), request.params.id, { checklist: body.checklist, note: body.note, keep: keepsOf(body) }));
        return { requestId };
      },
      onSuccess: () => back(reply, request.params.id, 'requested'),
      onRefusal: (lang, error) => again(request, reply, lang, error),
    }),
  );

  app.post<{ Params: { id: string; requestId: string } }>(
    '/staff/accounts/:id/unlock-requests/:requestId/approve',
    // Approving gives an account back to whoever proves to be its owner: a fresh second factor first.
    { schema: AccountSchemas.approveUnlock, config: { permission: 'account.unlock', freshFactor: true, refusesInHandler: true } },
    async (request, reply) =>
      formAction(request, reply, {
        run: async () => {
          if (!ID.test(request.params.requestId)) throw new KinkyuError('NOT_FOUND', { what: 'unlock_request' });
          if ((await unlockRequestAccount(db, request.params.requestId)) !== request.params.id) throw new KinkyuError('NOT_FOUND', { what: 'unlock_request' });
          // Removes what was added in the compromise window, then unlocks; the unlock email carries the new-password link.
          const result = await viaExchange(recovery.approveUnlock(staffActor(request), request.params.requestId, { fingerprint: bodyOf(request).plan }));
          return { removed: result.removed.map((i) => ({ kind: i.kind, id: i.itemId })), kept: result.kept.map((i) => ({ kind: i.kind, id: i.id })) };
        },
        onSuccess: () => back(reply, request.params.id, 'unlocked'),
        onRefusal: (lang, error) => again(request, reply, lang, error),
      }),
  );

  app.post<{ Params: { id: string } }>('/staff/accounts/:id/recovery/window', { schema: AccountSchemas.window, config: { permission: 'account.unlock', refusesInHandler: true } }, async (request, reply) =>
    formAction(request, reply, {
      run: async () => {
        if (!ID.test(request.params.id)) throw new KinkyuError('NOT_FOUND', { what: 'account' });
        const body = bodyOf(request);
        const window = await recovery.adjustWindow(staffActor(request), request.params.id, { startsAt: body.windowStart, reason: body.windowReason });
        return { startsAt: window.startsAt.toISOString() };
      },
      onSuccess: () => back(reply, request.params.id, 'adjusted'),
      onRefusal: (lang, error) => again(request, reply, lang, error),
    }),
  );

  app.post<{ Params: { id: string } }>('/staff/accounts/:id/recovery/remove', { schema: AccountSchemas.remove, config: { permission: 'account.lock', refusesInHandler: true } }, async (request, reply) =>
    formAction(request, reply, {
      run: async () => {
        if (!ID.test(request.params.id)) throw new KinkyuError('NOT_FOUND', { what: 'account' });
        const body = bodyOf(request);
        await viaExchange(recovery.removeItem(staffActor(request), request.params.id, body.kind, body.id));
        return {};
      },
      onSuccess: () => back(reply, request.params.id, 'removed'),
      onRefusal: (lang, error) => again(request, reply, lang, error),
    }),
  );

  app.post<{ Params: { id: string } }>('/staff/accounts/:id/recovery/restore-email', { schema: AccountSchemas.restoreEmail, config: { permission: 'account.unlock', refusesInHandler: true } }, async (request, reply) =>
    formAction(request, reply, {
      run: async () => {
        if (!ID.test(request.params.id)) throw new KinkyuError('NOT_FOUND', { what: 'account' });
        const result = await viaExchange(recovery.restoreEmail(staffActor(request), request.params.id, bodyOf(request).id));
        return result;
      },
      onSuccess: () => back(reply, request.params.id, 'emailRestored'),
      onRefusal: (lang, error) => again(request, reply, lang, error),
    }),
  );
}
