import type { Db } from '../store/db.ts';
import type { ExchangeAccounts } from '../exchange/adapter.ts';
import { appendAudit } from '../audit/audit-log.ts';
import { enqueueMail } from '../mail/outbox.ts';
import type { Lang } from '../web/i18n.ts';
import { issueAckToken, ACK_LINK_DAYS } from './ack-links.ts';
import { endOfDay } from './days.ts';
import { termsReminderMail } from './emails.ts';
import { requiredTerms } from './terms.ts';
import { localized } from '../web/i18n.ts';
import { langQuery } from '../web/links.ts';

/**
 * Reminder emails before the acknowledgement deadline of the required terms: one 7 days before and one the
 * day before, to every user who has not acknowledged. Any number of processes may run this at once: the
 * (user, version, stage) primary key of terms_reminders lets exactly one of them queue each mail, in the same
 * transaction as the mail itself.
 */

export type ReminderStage = '7d' | '1d';

export interface ReminderContext {
  db: Db;
  accounts: ExchangeAccounts;
  clock: () => Date;
  timeZone: string;
  publicUrl: string;
  mailDomain: string;
  exchangeName: { ja: string; en: string };
  onMailQueued?: () => void;
  log?: (msg: string, err?: unknown) => void;
}

export interface ReminderRun {
  version: string | null;
  stage: ReminderStage | null;
  queued: number;
  /** Users without a usable email address (recorded, so they are not retried every run). */
  skipped: number;
}

const STAGE_MS: Record<ReminderStage, number> = { '7d': 7 * 86_400_000, '1d': 86_400_000 };
const BATCH = 100;
/** Bounds one run's work; the next run carries on where this one stopped. */
const MAX_PER_RUN = 2000;
// What the outbox accepts as an address; anything else is recorded as unreachable instead of failing the run.
const PLAIN_ADDRESS = /^[^\s@<>,;:"()[\]\\]+@[A-Za-z0-9.-]+$/;

/** The stage due at `now` for a deadline, or null (too early, or the deadline has passed). */
export function dueStage(now: Date, deadlineEnd: Date): ReminderStage | null {
  const left = deadlineEnd.getTime() - now.getTime();
  if (left <= 0) return null;
  if (left <= STAGE_MS['1d']) return '1d';
  if (left <= STAGE_MS['7d']) return '7d';
  return null;
}

export async function runTermsReminders(ctx: ReminderContext): Promise<ReminderRun> {
  const { db } = ctx;
  const version = await requiredTerms(db);
  if (!version || !version.ackDeadline || version.seq === null) return { version: version?.label ?? null, stage: null, queued: 0, skipped: 0 };
  const stage = dueStage(ctx.clock(), endOfDay(version.ackDeadline, ctx.timeZone));
  if (!stage) return { version: version.label, stage: null, queued: 0, skipped: 0 };
  const run: ReminderRun = { version: version.label, stage, queued: 0, skipped: 0 };
  const base = ctx.publicUrl;
  let seen = 0;
  let stopped = false;
  while (seen < MAX_PER_RUN && !stopped) {
    const batch = await db.query<{ account_id: string; lang: string }>(
      `SELECT c.account_id, c.lang FROM user_credentials c
        WHERE NOT EXISTS (SELECT 1 FROM terms_acknowledgements a JOIN terms_versions v ON v.id = a.version_id
                           WHERE a.account_id = c.account_id AND v.seq >= $2)
          AND NOT EXISTS (SELECT 1 FROM terms_reminders r WHERE r.account_id = c.account_id AND r.version_id = $1 AND r.stage = $3)
        ORDER BY c.account_id LIMIT $4`,
      [version.id, version.seq, stage, BATCH],
    );
    if (batch.length === 0) break;
    for (const user of batch) {
      seen++;
      // The exchange core may be unreachable: stop here; the next run carries on (nothing was half-done).
      const account = await ctx.accounts.findAccount({ accountId: user.account_id }).catch((err: unknown) => {
        ctx.log?.('terms reminders: account lookup failed; will retry on the next run', err);
        return undefined;
      });
      if (account === undefined) {
        stopped = true;
        break;
      }
      const address = account?.email.trim() ?? '';
      const reachable = address.length <= 254 && PLAIN_ADDRESS.test(address);
      const lang: Lang = user.lang === 'en' ? 'en' : 'ja';
      const now = ctx.clock();
      const queued = await db.transaction(async (tx) => {
        const [claimed] = await tx.query(
          `INSERT INTO terms_reminders (account_id, version_id, stage, queued_at, outcome) VALUES ($1,$2,$3,$4,$5)
           ON CONFLICT (account_id, version_id, stage) DO NOTHING RETURNING 1`,
          [user.account_id, version.id, stage, now, reachable ? 'queued' : 'no_address'],
        );
        if (!claimed) return null;
        if (!reachable) return false;
        const token = await issueAckToken(tx, { accountId: user.account_id, versionId: version.id, now });
        const q = langQuery(lang);
        const mail = termsReminderMail({
          lang,
          exchangeName: ctx.exchangeName[lang],
          label: version.label,
          effectiveFrom: version.effectiveFrom,
          deadline: version.ackDeadline as string,
          summary: localized(lang, version.summaryJa, version.summaryEn),
          diffUrl: `${base}/terms/versions/${encodeURIComponent(version.label)}/diff${q}`,
          ackUrl: `${base}/terms/ack/${token}${q}`,
          loginUrl: `${base}/account/login${q}`,
          linkExpires: new Date(now.getTime() + ACK_LINK_DAYS * 86_400_000),
          timeZone: ctx.timeZone,
        });
        await enqueueMail(tx, { to: address, subject: mail.subject, text: mail.text, lang }, { domain: ctx.mailDomain });
        return true;
      });
      if (queued === true) run.queued++;
      if (queued === false) run.skipped++;
    }
  }
  if (run.queued + run.skipped > 0) {
    await db.transaction((tx) =>
      appendAudit(tx, {
        actorType: 'system', actorId: null, action: 'terms.reminders', targetType: 'terms', targetId: version.label,
        data: { stage, queued: run.queued, skipped: run.skipped },
      }, ctx.clock()),
    );
    if (run.queued > 0) ctx.onMailQueued?.();
  }
  return run;
}
