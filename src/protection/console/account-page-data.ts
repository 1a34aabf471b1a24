import type { FastifyRequest } from 'fastify';
import type { Db } from '../../store/db.ts';
import type { AccountSummary, ExchangeAccounts } from '../../exchange/adapter.ts';
import { isKinkyuError, KinkyuError } from '../../domain/errors.ts';
import type { EmergencyLock } from '../emergency-lock.ts';
import type { Recovery } from '../recovery.ts';
import type { AccountPageData } from './account-views.ts';

export const ID = /^[\w-]{1,64}$/;

/**
 * The account from the exchange; `undefined` when the exchange could not be asked (its core is down): the pages
 * then show what kinkyu itself knows, and a staff lock is journalled and retried like any other.
 */
export async function accountOrUnreachable(accounts: ExchangeAccounts, id: string): Promise<AccountSummary | null | undefined> {
  if (!ID.test(id)) return null;
  try {
    return await accounts.findAccount({ accountId: id });
  } catch (err) {
    if (isKinkyuError(err)) throw err;
    return undefined;
  }
}

/** Everything the staff account page shows: the exchange's account, its locks, unlock requests, audit, recovery. */
export async function loadAccountPage(
  deps: { db: Db; accounts: ExchangeAccounts; lock: EmergencyLock; recovery: Recovery },
  request: FastifyRequest,
  id: string,
): Promise<Omit<AccountPageData, 'values'>> {
  const { db, accounts, lock, recovery } = deps;
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
}
