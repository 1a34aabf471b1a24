/**
 * The mail outbox's worker, on the one job mechanism (src/jobs): due `mail_outbox` rows are claimed with
 * `FOR UPDATE SKIP LOCKED` under a lease (`locked_until`), sent over the transport, and marked sent — or retried
 * with back-off, or failed after the last attempt. A process that dies after the SMTP server accepted a mail
 * but before `sent_at` was written sends it again once its lease runs out, with the same Message-ID and Date.
 */
import type { Db } from '../store/db.ts';
import { JobWorker, type JobHandler } from '../jobs/worker.ts';
import { afterFailure } from '../jobs/retry.ts';
import { fromHeader, type MailFrom, type MailLang } from './from.ts';
import type { MailTransport } from './outbox.ts';

/** The queue's name for wakes (`wakeAfterCommit`) and its NOTIFY channel. */
export const MAIL_QUEUE = 'mail';
export const MAIL_CHANNEL = 'kinkyu_mail';

export interface MailSenderOptions {
  /**
   * The sender: a MailFrom (one address, a display name per language, chosen by each mail's `lang`), or one
   * From header for every mail, e.g. `"bitbank サポート <support@example.com>"`.
   */
  from: MailFrom | string;
  /** Sends in flight at most (and rows claimed at once). Default 4. */
  concurrency?: number;
  /** Attempts before a mail is marked failed. Default 200: about two days at the 15-minute cap, so an SMTP outage during a surge loses nothing. */
  maxAttempts?: number;
  /** First retry delay; doubles per attempt, ±20 % jitter. Default 5 s. */
  backoffBaseMs?: number;
  /** Retry delay cap. Default 15 min. */
  backoffMaxMs?: number;
  /** Poll for due mail (retries, missed notifies, other processes' mail) this often. Default 1 s. */
  pollMs?: number;
  /**
   * How long a claimed row belongs to this sender. Must exceed the longest send (SMTP timeouts); a row of a
   * sender that died is sent again after it. Default 2 min.
   */
  leaseMs?: number;
  /** Close the transport in `stop()`. Default true. */
  closeTransport?: boolean;
  /** Warnings and errors; the sender never throws out of its loop. */
  log?: (msg: string, err?: unknown) => void;
  /**
   * Text to put at the top of a mail's body when it is sent, by recipient (the anti-phishing code of the account or
   * subscriber the address belongs to: src/security-center/anti-phishing.ts). Asked at every attempt, so the outbox keeps the
   * text without it and a code changed meanwhile is the one sent. A failure fails the attempt (retried later).
   */
  prefix?: (mail: { to: string; lang: MailLang | null }) => Promise<string | null>;
}

export interface MailWorker {
  /** Look for due mail now. Nobody needs to: queueing a mail wakes the worker once its transaction commits. */
  kick(): void;
  /**
   * Sends everything due now and waits for those sends, also mail that becomes due meanwhile; mail waiting
   * for a later retry is left. Rejects when the database could not be read.
   */
  drain(): Promise<void>;
  /** Stops claiming, waits for sends in flight and records them, closes the transport (see options). */
  stop(): Promise<void>;
}

interface ClaimedRow {
  id: number;
  message_id: string;
  to_address: string;
  subject: string;
  text_body: string;
  headers: Record<string, string> | string | null;
  attempts: number;
  created_at: Date | string;
  lang: string | null;
}

const CLAIM_SQL = `
  UPDATE mail_outbox
     SET locked_until = now() + $2::double precision * interval '1 millisecond', attempts = attempts + 1
   WHERE id IN (SELECT id FROM mail_outbox
                 WHERE sent_at IS NULL AND failed_at IS NULL AND next_attempt_at <= now()
                   AND (locked_until IS NULL OR locked_until < now())
                 ORDER BY id
                 LIMIT $1
                 FOR UPDATE SKIP LOCKED)
  RETURNING id, message_id, to_address, subject, text_body, headers, attempts, created_at, lang`;
const MARK_SENT_SQL = 'UPDATE mail_outbox SET sent_at = now(), locked_until = NULL WHERE id = $1 AND sent_at IS NULL';

function describeError(err: unknown): string {
  if (!(err instanceof Error)) return String(err).slice(0, 1000);
  const e = err as Error & { code?: string; responseCode?: number; response?: string };
  const parts = [e.message];
  if (e.code && !e.message.includes(e.code)) parts.push(`(${e.code})`);
  if (e.response && !e.message.includes(e.response)) parts.push(`server: ${e.response}`);
  return parts.join(' ').slice(0, 1000);
}

export class MailSender implements MailWorker, JobHandler<ClaimedRow> {
  private readonly from: MailFrom | string;
  private readonly retry: { maxAttempts: number; backoffBaseMs: number; backoffMaxMs: number };
  private readonly leaseMs: number;
  private readonly closeTransport: boolean;
  private readonly log: (msg: string, err?: unknown) => void;
  private readonly prefix: MailSenderOptions['prefix'];
  private readonly worker: JobWorker<ClaimedRow>;
  /** Sent, but `sent_at` could not be written yet (database down): retried before claiming more. */
  private readonly unrecordedSent = new Set<number>();

  constructor(
    private readonly db: Db,
    private readonly transport: MailTransport,
    opts: MailSenderOptions,
  ) {
    this.from = opts.from;
    this.retry = { maxAttempts: Math.max(1, opts.maxAttempts ?? 200), backoffBaseMs: opts.backoffBaseMs ?? 5_000, backoffMaxMs: opts.backoffMaxMs ?? 15 * 60_000 };
    this.leaseMs = opts.leaseMs ?? 120_000;
    this.closeTransport = opts.closeTransport ?? true;
    this.prefix = opts.prefix;
    const log = opts.log;
    this.log = (msg, err) => {
      try {
        log?.(msg, err);
      } catch {
        /* a failing logger must not stop mail */
      }
    };
    this.worker = new JobWorker(db, this, {
      queue: MAIL_QUEUE, channel: MAIL_CHANNEL, concurrency: opts.concurrency ?? 4, pollMs: opts.pollMs ?? 1_000, log: this.log,
      claimFailedMessage: 'mail: cannot read the outbox; will retry',
    });
  }

  /** Registers for wakes, subscribes to `kinkyu_mail`, starts polling, and sends what is already due. */
  start(): this {
    this.worker.start();
    return this;
  }

  kick(): void {
    this.worker.kick();
  }

  async drain(): Promise<void> {
    await this.worker.drain();
  }

  async stop(): Promise<void> {
    await this.worker.stop();
  }

  claim(limit: number): Promise<ClaimedRow[]> {
    return this.db.query<ClaimedRow>(CLAIM_SQL, [limit, this.leaseMs]);
  }

  async beforeClaim(): Promise<void> {
    for (const id of [...this.unrecordedSent]) {
      await this.db.query(MARK_SENT_SQL, [id]);
      this.unrecordedSent.delete(id);
    }
  }

  async afterStop(): Promise<void> {
    await this.beforeClaim().catch(() => undefined);
    if (this.unrecordedSent.size > 0) {
      this.log(`mail: ${this.unrecordedSent.size} sent mail(s) could not be marked sent; they will be sent again after the lease`);
    }
    if (this.closeTransport) {
      try {
        this.transport.close?.();
      } catch (err) {
        this.log('mail: closing the transport failed', err);
      }
    }
  }

  async run(row: ClaimedRow): Promise<void> {
    const headers = typeof row.headers === 'string' ? (JSON.parse(row.headers) as Record<string, string>) : (row.headers ?? {});
    try {
      const lang = row.lang === 'ja' || row.lang === 'en' ? row.lang : null;
      const top = this.prefix ? await this.prefix({ to: row.to_address, lang }) : null;
      await this.transport.sendMail({
        from: typeof this.from === 'string' ? this.from : fromHeader(this.from, lang),
        to: row.to_address,
        subject: row.subject,
        text: top ? top + row.text_body : row.text_body,
        headers,
        messageId: row.message_id,
        date: new Date(row.created_at),
      });
    } catch (err) {
      await this.recordFailure(row, err);
      return;
    }
    try {
      await this.db.query(MARK_SENT_SQL, [row.id]);
    } catch (err) {
      this.unrecordedSent.add(row.id);
      this.log(`mail ${row.message_id}: sent, but marking it sent failed; will retry`, err);
    }
  }

  private async recordFailure(row: ClaimedRow, err: unknown): Promise<void> {
    const error = describeError(err);
    const next = afterFailure(row.attempts, this.retry);
    try {
      if ('fail' in next) {
        await this.db.query(
          'UPDATE mail_outbox SET failed_at = now(), locked_until = NULL, last_error = $2 WHERE id = $1 AND sent_at IS NULL',
          [row.id, error],
        );
        this.log(`mail ${row.message_id} to ${row.to_address}: giving up after ${row.attempts} attempts: ${error}`);
      } else {
        await this.db.query(
          `UPDATE mail_outbox
              SET next_attempt_at = now() + $2::double precision * interval '1 millisecond', locked_until = NULL, last_error = $3
            WHERE id = $1 AND sent_at IS NULL`,
          [row.id, next.retryInMs, error],
        );
      }
    } catch (dbErr) {
      // The lease runs out and the row is tried again: nothing is lost.
      this.log(`mail ${row.message_id}: send failed (${error}) and recording it failed too`, dbErr);
    }
  }
}

/**
 * Starts a sender on `db`. With a null transport (no SMTP configured) nothing is sent: it warns once and
 * mail stays queued for a process that has SMTP.
 */
export function startMailWorker(db: Db, transport: MailTransport | null, opts: MailSenderOptions): MailWorker {
  if (!transport) {
    opts.log?.('mail: no SMTP configured (SMTP_URL empty); mail is kept queued in mail_outbox and not sent');
    return { kick() {}, async drain() {}, async stop() {} };
  }
  return new MailSender(db, transport, opts).start();
}
