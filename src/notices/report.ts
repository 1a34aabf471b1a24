import type { Queryable } from '../store/db.ts';
import type { ExchangeAccounts } from '../exchange/adapter.ts';
import type { TermsVersion } from './terms.ts';

/**
 * Who has not acknowledged a terms version (nor a later one): for compliance to chase before the deadline.
 * Users are the accounts with security-center credentials; their addresses come from the reference store's
 * table when it is in use, otherwise from the exchange core through the adapter.
 */

export interface PendingUser {
  accountId: string;
  email: string | null;
  lang: string;
  /** Reminder stages already sent ("7d", "1d"). */
  reminders: string[];
  lastRemindedAt: Date | null;
}

export interface TermsCounts {
  users: number;
  acknowledged: number;
  pending: number;
}

const PENDING = `FROM user_credentials c LEFT JOIN xch_accounts x ON x.id = c.account_id
 WHERE NOT EXISTS (SELECT 1 FROM terms_acknowledgements a JOIN terms_versions v ON v.id = a.version_id
                    WHERE a.account_id = c.account_id AND v.seq >= $1)`;

export async function termsCounts(q: Queryable, version: TermsVersion): Promise<TermsCounts> {
  if (version.seq === null) return { users: 0, acknowledged: 0, pending: 0 };
  const [row] = await q.query<{ users: string; pending: string }>(
    `SELECT (SELECT count(*) FROM user_credentials) AS users, (SELECT count(*) ${PENDING}) AS pending`,
    [version.seq],
  );
  const users = Number(row?.users ?? 0);
  const pending = Number(row?.pending ?? 0);
  return { users, acknowledged: users - pending, pending };
}

export async function pendingUsers(
  q: Queryable,
  accounts: ExchangeAccounts,
  version: TermsVersion,
  page: { offset: number; limit: number },
): Promise<PendingUser[]> {
  if (version.seq === null) return [];
  const rows = await q.query<{ account_id: string; email: string | null; lang: string; reminders: string | null; last_reminded: Date | null }>(
    `SELECT c.account_id, x.email, c.lang,
            (SELECT string_agg(r.stage, ' ' ORDER BY r.queued_at) FROM terms_reminders r WHERE r.account_id = c.account_id AND r.version_id = $2) AS reminders,
            (SELECT max(r.queued_at) FROM terms_reminders r WHERE r.account_id = c.account_id AND r.version_id = $2) AS last_reminded
       ${PENDING}
      ORDER BY x.email_key NULLS LAST, c.account_id LIMIT $3 OFFSET $4`,
    [version.seq, version.id, page.limit, page.offset],
  );
  const out: PendingUser[] = [];
  for (const r of rows) {
    const email = r.email ?? (await accounts.findAccount({ accountId: r.account_id }))?.email ?? null;
    out.push({
      accountId: r.account_id,
      email,
      lang: r.lang,
      reminders: r.reminders ? r.reminders.split(' ') : [],
      lastRemindedAt: r.last_reminded === null ? null : new Date(r.last_reminded),
    });
  }
  return out;
}
