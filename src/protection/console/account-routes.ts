import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../../config.ts';
import type { Db } from '../../store/db.ts';
import type { AccountSummary, ExchangeAccounts } from '../../exchange/adapter.ts';
import { ExchangeCoreError } from '../../exchange/http-adapter.ts';
import { isKinkyuError, KinkyuError } from '../../domain/errors.ts';
import type { EmergencyLock } from '../emergency-lock.ts';
import type { Recovery } from '../recovery.ts';
import type { Lang, MessageKey } from '../../web/i18n.ts';
import { accountPage, accountSearchPage, type AccountPageData } from './account-views.ts';
import { bodyOf, consoleContext, formAction, sendPage, staffActor } from '../../console/form-action.ts';

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

const ID = /^[\w-]{1,64}$/;
/** The request form's "reason to keep" fields, `keep:<kind>:<id>`, as `{'<kind>:<id>': reason}`. */
const keepsOf = (body: Record<string, unknown>): Record<string, string> =>
  Object.fromEntries(Object.entries(body).filter(([k, v]) => k.startsWith('keep:') && typeof v === 'string').map(([k, v]) => [k.slice(5), (v as string).slice(0, 1000)]));
/**
 * The account from the exchange; `undefined` when the exchange could not be asked (its core is down): the pages
 * then show what kinkyu itself knows, and a staff lock is journalled and retried like any other.
 */
async function accountOrUnreachable(accounts: ExchangeAccounts, id: string): Promise<AccountSummary | null | undefined> {
  if (!ID.test(id)) return null;
  try {
    return await accounts.findAccount({ accountId: id });
  } catch (err) {
    if (isKinkyuError(err)) throw err;
    return undefined;
  }
}

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

  const load = async (request: FastifyRequest, id: string): Promise<Omit<AccountPageData, 'values'>> => {
    const found = await accountOrUnreachable(accounts, id);
    if (found === null) throw new KinkyuError('NOT_FOUND', { what: 'account' });
    if (found === undefined) request.log.warn('the account page could not read the account from the exchange');
    const account = found ?? null;
    const accountId = account?.id ?? id;
    const [locks, requests, audit, signIns, withdrawals, inProgress] = await Promise.all([
      db.query<{ id: string; source: string; reason: string; actor_name: string | null; locked_at: Date; sessions_revoked: number; api_keys_revoked: number; withdrawals_cancelled: number; unlocked_at: Date | null }>(
        `SELECT l.id, l.source, l.reason, s.name AS actor_name, l.locked_at, l.sessions_revoked, l.api_keys_revoked, l.withdrawals_cancelled, l.unlocked_at
         FROM account_locks l LEFT JOIN staff s ON l.actor_type = 'staff' AND s.id = l.actor_id
         WHERE l.account_id = $1 ORDER BY l.locked_at DESC LIMIT 50`,
        [accountId],
      ),
      db.query<{ id: string; requested_by: string; requester: string; requested_at: Date; note: string; decision: string | null; decider: string | null; decided_at: Date | null }>(
        `SELECT r.id, r.requested_by, a.name AS requester, r.requested_at, r.note, r.decision, b.name AS decider, r.decided_at
         FROM unlock_requests r JOIN staff a ON a.id = r.requested_by LEFT JOIN staff b ON b.id = r.decided_by
         WHERE r.account_id = $1 ORDER BY r.requested_at DESC LIMIT 50`,
        [accountId],
      ),
      db.query<{ at: Date; action: string; actor_type: string; actor_id: string | null; actor_name: string | null; data: unknown }>(
        `SELECT g.at, g.action, g.actor_type, g.actor_id, s.name AS actor_name, g.data
         FROM audit_log g LEFT JOIN staff s ON g.actor_type = 'staff' AND s.id = g.actor_id
         WHERE g.target_type = 'account' AND g.target_id = $1 ORDER BY g.seq DESC LIMIT 50`,
        [accountId],
      ),
      account ? accounts.recentSignIns(accountId, 20).catch(() => []) : [],
      account ? accounts.recentWithdrawals(accountId, 20).catch(() => []) : [],
      lock.locksInProgress(accountId),
    ]);
    // An exchange core that cannot list addresses or keys must not take the account page down with it (the
    // approval, which needs them, is refused instead).
    const recoveryView = account
      ? await recovery.overview(accountId).catch((err: unknown) => {
          request.log.warn({ err }, 'the recovery view could not be read from the exchange');
          return null;
        })
      : null;
    return {
      accountId,
      account,
      exchangeUnavailable: found === undefined,
      locksInProgress: inProgress.map((i) => ({
        id: i.id, source: i.source, reason: i.reason, requestedAt: i.createdAt, confirmedAt: i.effectiveAt, attempts: i.attempts,
        lastError: i.lastError, nextAttemptAt: i.nextAttemptAt, ticketNumber: i.ticketNumber,
      })),
      locks: locks.map((l) => ({
        id: l.id, source: l.source, reason: l.reason, actorName: l.actor_name, lockedAt: new Date(l.locked_at),
        sessionsRevoked: l.sessions_revoked, apiKeysRevoked: l.api_keys_revoked, withdrawalsCancelled: l.withdrawals_cancelled,
        unlockedAt: l.unlocked_at ? new Date(l.unlocked_at) : null,
      })),
      requests: requests.map((r) => ({
        id: r.id, requestedBy: r.requested_by, requestedByName: r.requester, requestedAt: new Date(r.requested_at), note: r.note,
        decision: r.decision, decidedByName: r.decider, decidedAt: r.decided_at ? new Date(r.decided_at) : null,
      })),
      audit: audit.map((e) => ({ at: new Date(e.at), action: e.action, actor: e.actor_name ?? `${e.actor_type}${e.actor_id ? ` ${e.actor_id}` : ''}`, data: e.data })),
      signIns,
      withdrawals,
      recovery: recoveryView,
    };
  };

  app.get('/staff/accounts', { config: { permission: 'account.lock' } }, async (request, reply) => {
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

  app.get<{ Params: { id: string } }>('/staff/accounts/:id', { config: { permission: 'account.lock' } }, async (request, reply) => {
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

  app.post<{ Params: { id: string } }>('/staff/accounts/:id/lock', { config: { permission: 'account.lock' } }, async (request, reply) =>
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

  app.post<{ Params: { id: string } }>('/staff/accounts/:id/unlock-requests', { config: { permission: 'account.unlock' } }, async (request, reply) =>
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
    { config: { permission: 'account.unlock', freshFactor: true } },
    async (request, reply) =>
      formAction(request, reply, {
        run: async () => {
          if (!ID.test(request.params.requestId)) throw new KinkyuError('NOT_FOUND', { what: 'unlock_request' });
          const [row] = await db.query<{ account_id: string }>(`SELECT account_id FROM unlock_requests WHERE id = $1`, [request.params.requestId]);
          if (!row || row.account_id !== request.params.id) throw new KinkyuError('NOT_FOUND', { what: 'unlock_request' });
          // Removes what was added in the compromise window, then unlocks; the unlock email carries the new-password link.
          const result = await viaExchange(recovery.approveUnlock(staffActor(request), request.params.requestId, { fingerprint: bodyOf(request).plan }));
          return { removed: result.removed.map((i) => ({ kind: i.kind, id: i.itemId })), kept: result.kept.map((i) => ({ kind: i.kind, id: i.id })) };
        },
        onSuccess: () => back(reply, request.params.id, 'unlocked'),
        onRefusal: (lang, error) => again(request, reply, lang, error),
      }),
  );

  app.post<{ Params: { id: string } }>('/staff/accounts/:id/recovery/window', { config: { permission: 'account.unlock' } }, async (request, reply) =>
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

  app.post<{ Params: { id: string } }>('/staff/accounts/:id/recovery/remove', { config: { permission: 'account.lock' } }, async (request, reply) =>
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

  app.post<{ Params: { id: string } }>('/staff/accounts/:id/recovery/restore-email', { config: { permission: 'account.unlock' } }, async (request, reply) =>
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
