import type { SafeHtml } from '../web/html.ts';
import type { Lang } from '../web/i18n.ts';
import { todayIn } from './days.ts';
import { runTermsReminders, type ReminderContext, type ReminderRun } from './reminders.ts';
import { findTermsById, pendingTermsFor, recordAcknowledgement } from './terms.ts';
import { accountTermsPage } from './public-views.ts';

/** What the notice center needs is exactly what a reminder run needs. */
export type NoticeCenterOptions = ReminderContext;

/**
 * What the security center asks of the terms at sign-in: is an acknowledgement pending, the page that asks
 * for it, and recording it.
 */
export interface TermsGate {
  pending(accountId: string): Promise<{ id: string; label: string } | null>;
  page(lang: Lang, pending: { id: string }, form: { csrf: SafeHtml }): Promise<{ title: string; body: SafeHtml }>;
  acknowledge(accountId: string, versionId: string, ip: string | null): Promise<boolean>;
}

/** Notices and terms as the rest of the application sees them: the sign-in gate and the reminder runs. */
export class NoticeCenter {
  private running: Promise<ReminderRun> | null = null;
  readonly gate: TermsGate;

  constructor(private readonly opts: NoticeCenterOptions) {
    const { db, clock } = opts;
    this.gate = {
      pending: (accountId) => pendingTermsFor(db, accountId),
      page: async (lang, pending, form) => {
        const version = await findTermsById(db, pending.id);
        if (!version) throw new Error(`terms version ${pending.id} vanished`);
        return accountTermsPage(lang, version, form);
      },
      acknowledge: async (accountId, versionId, ip) => {
        const version = await findTermsById(db, versionId);
        if (!version || version.status !== 'published') return false;
        return db.transaction((tx) => recordAcknowledgement(tx, { accountId, versionId, label: version.label, via: 'sign_in', ip, now: clock() }));
      },
    };
  }

  today(): string {
    return todayIn(this.opts.clock(), this.opts.timeZone);
  }

  /**
   * Queues the reminders due now. Safe to call from any number of processes at once; within one process a
   * call while a run is in progress joins that run.
   */
  runReminders(): Promise<ReminderRun> {
    this.running ??= runTermsReminders(this.opts).finally(() => {
      this.running = null;
    });
    return this.running;
  }

  /** Resolves when no reminder run is in progress (for shutdown). */
  async settled(): Promise<void> {
    await this.running?.catch(() => undefined);
  }
}
