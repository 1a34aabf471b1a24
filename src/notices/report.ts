import type { Queryable } from '../store/db.ts';
import type { ExchangeAccounts } from '../exchange/adapter.ts';
import { emailKeyOf } from '../exchange/reference-store.ts';
import type { TermsVersion } from './terms.ts';

/**
 * Who has not acknowledged a terms version (nor a later one): for compliance to chase before the deadline.
 * Users are the accounts with security-center credentials; their addresses come from the exchange through the
 * adapter (the reference store or the exchange core).
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

const PENDING = `FROM user_credentials c
 WHERE NOT EXISTS (SELECT 1 FROM terms_acknowledgements a JOIN terms_versions v ON v.id = a.version_id
                    WHERE a.account_id = c.account_id AND v.seq >= $1)`;

/** Ids per `accountEmails` call (the exchange core takes at most 500). */
const EMAIL_BATCH = 500;

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

/**
 * One page of them, by email address (accounts the exchange no longer has last). The addresses are the exchange's
 * (through the adapter), so the sorting is done here: every pending user is read, then the page cut.
 */
export async function pendingUsers(
  q: Queryable,
  accounts: ExchangeAccounts,
  version: TermsVersion,
  page: { offset: number; limit: number },
): Promise<PendingUser[]> {
  if (version.seq === null) return [];
  const rows = await q.query<{ account_id: string; lang: string; reminders: string | null; last_reminded: Date | null }>(
    `SELECT c.account_id, c.lang,
            (SELECT string_agg(r.stage, ' ' ORDER BY r.queued_at) FROM terms_reminders r WHERE r.account_id = c.account_id AND r.version_id = $2) AS reminders,
            (SELECT max(r.queued_at) FROM terms_reminders r WHERE r.account_id = c.account_id AND r.version_id = $2) AS last_reminded
       ${PENDING}
      ORDER BY c.account_id`,
    [version.seq, version.id],
  );
  const emails = new Map<string, string>();
  for (let i = 0; i < rows.length; i += EMAIL_BATCH) {
    for (const [id, email] of await accounts.accountEmails(rows.slice(i, i + EMAIL_BATCH).map((r) => r.account_id))) emails.set(id, email);
  }
  const keyOf = (id: string) => {
    const email = emails.get(id);
    return email === undefined ? null : emailKeyOf(email);
  };
  const byEmail = (a: string, b: string) => {
    const ka = keyOf(a);
    const kb = keyOf(b);
    if (ka !== kb) return ka === null ? 1 : kb === null ? -1 : ka < kb ? -1 : 1;
    return a < b ? -1 : a > b ? 1 : 0;
  };
  return rows
    .sort((a, b) => byEmail(a.account_id, b.account_id))
    .slice(page.offset, page.offset + page.limit)
    .map((r) => ({
      accountId: r.account_id,
      email: emails.get(r.account_id) ?? null,
      lang: r.lang,
      reminders: r.reminders ? r.reminders.split(' ') : [],
      lastRemindedAt: r.last_reminded === null ? null : new Date(r.last_reminded),
    }));
}
