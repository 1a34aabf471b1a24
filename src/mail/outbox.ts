/**
 * Durable email: a mail is a row in `mail_outbox`, written in the same transaction as the change that causes
 * it (so it exists iff that change committed), and a sender delivers due rows over SMTP afterwards, with
 * retries. SMTP trouble never loses or blocks the change, and a database that is down only delays mail.
 *
 * Delivery is at-least-once: a process that dies after the SMTP server accepted a mail but before `sent_at`
 * was written sends it again once its lease runs out. Every attempt carries the same stored Message-ID and
 * Date, so the copies are the same message to the receiving side.
 *
 * Several processes may run senders on one database: rows are claimed with `FOR UPDATE SKIP LOCKED` and a
 * lease (`locked_until`), so no two senders hold the same row at the same time.
 */
import { randomBytes } from 'node:crypto';
import nodemailer, { type SendMailOptions, type Transporter } from 'nodemailer';
import type { Db, Queryable } from '../store/db.ts';
import { originHeaders, type MailOrigin } from './automatic.ts';
import type { DkimOptions } from './dkim.ts';
import { fromHeader, type MailFrom, type MailLang } from './from.ts';

export interface OutgoingMail {
  /** One plain address (`user@example.com`). */
  to: string;
  /** UTF-8, Japanese fine; line breaks are folded into spaces. */
  subject: string;
  /** Plain text body, UTF-8. */
  text: string;
  /** The language it is written in: the sender's display name follows it. */
  lang: MailLang;
  /**
   * 'automatic' (the default): no person wrote it, so it carries `Auto-Submitted: auto-generated` and
   * `X-Auto-Response-Suppress` (src/mail/automatic.ts). 'staff': a person's reply, sent without them.
   */
  origin?: MailOrigin;
  /** Extra headers, e.g. `In-Reply-To`, `References`, `Reply-To`. */
  headers?: Record<string, string>;
  ticketId?: string | null;
  /** `<local@domain>`; generated when absent. */
  messageId?: string;
}

/** Headers the sender sets itself; a mail may not carry its own. */
const RESERVED_HEADERS = new Set([
  'from', 'to', 'cc', 'bcc', 'subject', 'message-id', 'date', 'mime-version', 'content-type', 'content-transfer-encoding',
]);
const ADDRESS = /^[^\s@<>,;:"()[\]\\]+@[A-Za-z0-9.-]+$/;
const MESSAGE_ID = /^<[^\s<>@]+@[^\s<>@]+>$/;
const HEADER_NAME = /^[A-Za-z0-9-]+$/;
const DOMAIN = /^[A-Za-z0-9.-]+$/;

/** A new RFC 5322 Message-ID `<time.random@domain>`: 128 random bits, unique without coordination. */
export function newMessageId(domain: string): string {
  if (!DOMAIN.test(domain)) throw new Error(`mail domain ${JSON.stringify(domain)} is not a host name`);
  return `<${Date.now().toString(36)}.${randomBytes(16).toString('hex')}@${domain.toLowerCase()}>`;
}

/** The domain of a From address (`"サポート <support@example.com>"` → `example.com`), for Message-IDs. */
export function mailDomain(from: string): string {
  const match = /@([A-Za-z0-9.-]+)>?\s*$/.exec(from.trim());
  if (!match?.[1]) throw new Error(`cannot find a domain in the address ${JSON.stringify(from)}`);
  return match[1].toLowerCase();
}

/** Wakes the senders of every process at commit (they also poll, so a lost notification only delays). */
export async function notifyMailQueued(tx: Queryable): Promise<void> {
  await tx.query(`SELECT pg_notify('kinkyu_mail', '')`);
}

/**
 * Queues a mail inside the caller's transaction and returns its Message-ID. Throws on an address or a
 * header that could not be sent as given (a caller bug), never because SMTP is unavailable.
 */
export async function enqueueMail(tx: Queryable, mail: OutgoingMail, opts: { domain: string }): Promise<string> {
  const to = mail.to.trim();
  if (to.length > 254 || !ADDRESS.test(to)) throw new Error(`not a plain email address: ${JSON.stringify(mail.to)}`);
  const subject = mail.subject.replace(/[\r\n]+\s*/g, ' ').trim();
  const headers: Record<string, string> = originHeaders(mail.origin ?? 'automatic');
  for (const [name, value] of Object.entries(mail.headers ?? {})) {
    if (!HEADER_NAME.test(name) || RESERVED_HEADERS.has(name.toLowerCase())) throw new Error(`header ${JSON.stringify(name)} cannot be set on a mail`);
    if (/[\r\n]/.test(value)) throw new Error(`header ${name} holds a line break`);
    headers[name] = value;
  }
  let messageId = mail.messageId?.trim();
  if (messageId !== undefined) {
    if (!messageId.startsWith('<')) messageId = `<${messageId}>`;
    if (!MESSAGE_ID.test(messageId)) throw new Error(`not a Message-ID: ${JSON.stringify(mail.messageId)}`);
  } else {
    messageId = newMessageId(opts.domain);
  }
  await tx.query(
    `INSERT INTO mail_outbox (message_id, to_address, subject, text_body, headers, ticket_id, lang)
     VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7)`,
    [messageId, to, subject, mail.text, JSON.stringify(headers), mail.ticketId ?? null, mail.lang],
  );
  await notifyMailQueued(tx);
  return messageId;
}

export interface OutboxStats {
  /** Waiting to be sent, including those waiting for a retry. */
  queued: number;
  sent: number;
  /** Gave up after the last attempt; staff should look. */
  failed: number;
  /** Of the queued ones, the oldest creation time: mail stuck for long means SMTP trouble. */
  oldestQueuedAt: Date | null;
}

export async function outboxStats(db: Queryable): Promise<OutboxStats> {
  const [row] = await db.query<{ queued: number; sent: number; failed: number; oldest: Date | null }>(
    `SELECT count(*) FILTER (WHERE sent_at IS NULL AND failed_at IS NULL) AS queued,
            count(*) FILTER (WHERE sent_at IS NOT NULL) AS sent,
            count(*) FILTER (WHERE failed_at IS NOT NULL AND sent_at IS NULL) AS failed,
            min(created_at) FILTER (WHERE sent_at IS NULL AND failed_at IS NULL) AS oldest
       FROM mail_outbox`,
  );
  return {
    queued: Number(row?.queued ?? 0),
    sent: Number(row?.sent ?? 0),
    failed: Number(row?.failed ?? 0),
    oldestQueuedAt: row?.oldest ? new Date(row.oldest) : null,
  };
}

// ---------------------------------------------------------------------------------------------------------
// Transport

/** What the sender needs of a transport; a nodemailer `Transporter` is one. */
export interface MailTransport {
  sendMail(mail: SendMailOptions): Promise<unknown>;
  close?(): void;
}

export interface SmtpTransportOptions {
  /** Connections kept open at most; match the sender's concurrency. Default 4. */
  maxConnections?: number;
  /** Default 10 s each. */
  connectionTimeoutMs?: number;
  greetingTimeoutMs?: number;
  socketTimeoutMs?: number;
  /** Transport-level errors outside a send (a pooled connection failing). */
  log?: (msg: string, err?: unknown) => void;
  /** Sign every message with DKIM (src/mail/dkim.ts). */
  dkim?: DkimOptions | undefined;
}

/**
 * A pooled SMTP transport for `smtp://[user:pass@]host:port` (STARTTLS when offered) or `smtps://…` (TLS).
 * Query parameters in the URL are nodemailer options and win over these (e.g. `?requireTLS=true`).
 *
 * An empty URL returns null: no SMTP configured. Then start no real sender — `startMailWorker(db, null, …)`
 * warns once and leaves every mail queued in `mail_outbox` (visible in `outboxStats`), to be delivered by
 * the first process started with SMTP configured. Nothing is ever marked sent that was not handed to an
 * SMTP server.
 */
export function createSmtpTransport(smtpUrl: string | undefined, opts: SmtpTransportOptions = {}): Transporter | null {
  const url = (smtpUrl ?? '').trim();
  if (url === '') return null;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error('SMTP URL is not a URL (expected smtp://host:port or smtps://host:port)');
  }
  if (parsed.protocol !== 'smtp:' && parsed.protocol !== 'smtps:') {
    throw new Error(`SMTP URL must start with smtp:// or smtps://, not ${parsed.protocol}//`);
  }
  const transport = nodemailer.createTransport({
    url,
    pool: true,
    maxConnections: opts.maxConnections ?? 4,
    connectionTimeout: opts.connectionTimeoutMs ?? 10_000,
    greetingTimeout: opts.greetingTimeoutMs ?? 10_000,
    socketTimeout: opts.socketTimeoutMs ?? 10_000,
    ...(opts.dkim ? { dkim: { ...opts.dkim } } : {}),
  });
  // An 'error' event without a listener would take the process down.
  transport.on('error', (err) => opts.log?.('SMTP transport error', err));
  return transport;
}

// ---------------------------------------------------------------------------------------------------------
// Sender

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
  /** Look for due mail now (e.g. right after enqueuing in this process). */
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

/** The delay before retry number `attempts` (1 = after the first failure). */
export function retryDelayMs(attempts: number, baseMs: number, maxMs: number, random: () => number = Math.random): number {
  const exp = Math.min(maxMs, baseMs * 2 ** Math.min(Math.max(attempts - 1, 0), 30));
  return Math.round(Math.min(maxMs, exp * (0.8 + 0.4 * random())));
}

function describeError(err: unknown): string {
  if (!(err instanceof Error)) return String(err).slice(0, 1000);
  const e = err as Error & { code?: string; responseCode?: number; response?: string };
  const parts = [e.message];
  if (e.code && !e.message.includes(e.code)) parts.push(`(${e.code})`);
  if (e.response && !e.message.includes(e.response)) parts.push(`server: ${e.response}`);
  return parts.join(' ').slice(0, 1000);
}

export class MailSender implements MailWorker {
  private readonly from: MailFrom | string;
  private readonly concurrency: number;
  private readonly maxAttempts: number;
  private readonly backoffBaseMs: number;
  private readonly backoffMaxMs: number;
  private readonly pollMs: number;
  private readonly leaseMs: number;
  private readonly closeTransport: boolean;
  private readonly log: (msg: string, err?: unknown) => void;
  private readonly prefix: MailSenderOptions['prefix'];

  private readonly inFlight = new Set<Promise<void>>();
  /** Sent, but `sent_at` could not be written yet (database down): retried before claiming more. */
  private readonly unrecordedSent = new Set<number>();
  private pumping: Promise<void> | null = null;
  private pumpAgain = false;
  private claimed = 0;
  private claimErrors = 0;
  private lastClaimError: unknown = null;
  private timer: NodeJS.Timeout | null = null;
  private unlisten: (() => Promise<void>) | null = null;
  private listening: Promise<void> | null = null;
  private dbWasDown = false;
  private listenWarned = false;
  private started = false;
  private stopped = false;

  constructor(
    private readonly db: Db,
    private readonly transport: MailTransport,
    opts: MailSenderOptions,
  ) {
    this.from = opts.from;
    this.concurrency = Math.max(1, opts.concurrency ?? 4);
    this.maxAttempts = Math.max(1, opts.maxAttempts ?? 200);
    this.backoffBaseMs = opts.backoffBaseMs ?? 5_000;
    this.backoffMaxMs = opts.backoffMaxMs ?? 15 * 60_000;
    this.pollMs = opts.pollMs ?? 1_000;
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
  }

  /** Subscribes to `kinkyu_mail`, starts polling, and sends what is already due. */
  start(): this {
    if (this.started || this.stopped) return this;
    this.started = true;
    this.timer = setInterval(() => {
      if (!this.unlisten) this.subscribe();
      this.kick();
    }, this.pollMs);
    this.timer.unref();
    this.subscribe();
    this.kick();
    return this;
  }

  private subscribe(): void {
    if (this.listening || this.unlisten || this.stopped) return;
    this.listening = this.db
      .listen('kinkyu_mail', () => this.kick())
      .then(async (unlisten) => {
        if (this.stopped) await unlisten().catch(() => undefined);
        else this.unlisten = unlisten;
      })
      .catch((err) => {
        if (!this.listenWarned) this.log('mail: cannot listen for kinkyu_mail, polling only for now', err);
        this.listenWarned = true;
      })
      .finally(() => {
        this.listening = null;
      });
  }

  kick(): void {
    if (this.stopped) return;
    if (this.pumping) {
      this.pumpAgain = true;
      return;
    }
    this.pumping = this.pump().finally(() => {
      this.pumping = null;
      if (this.pumpAgain && !this.stopped) this.kick();
    });
  }

  async drain(): Promise<void> {
    for (;;) {
      const claimedBefore = this.claimed;
      const errorsBefore = this.claimErrors;
      this.kick();
      // A finished send kicks another pump, which may start more sends: wait until all is quiet.
      while (this.pumping || this.inFlight.size > 0) {
        if (this.pumping) await this.pumping;
        else await Promise.all(this.inFlight);
      }
      if (this.claimErrors !== errorsBefore) throw this.lastClaimError;
      if (this.claimed === claimedBefore || this.stopped) {
        if (this.unrecordedSent.size > 0 && !this.stopped) await this.recordUnrecorded();
        return;
      }
    }
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    if (this.listening) await this.listening;
    const unlisten = this.unlisten;
    this.unlisten = null;
    await unlisten?.().catch(() => undefined);
    while (this.pumping) await this.pumping;
    while (this.inFlight.size > 0) await Promise.all(this.inFlight);
    await this.recordUnrecorded().catch(() => undefined);
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

  /** Claims due rows while there is room, and starts sending them. Never throws. */
  private async pump(): Promise<void> {
    do {
      this.pumpAgain = false;
      try {
        await this.recordUnrecorded();
        while (!this.stopped && this.inFlight.size < this.concurrency) {
          const room = this.concurrency - this.inFlight.size;
          const rows = await this.db.query<ClaimedRow>(CLAIM_SQL, [room, this.leaseMs]);
          if (this.dbWasDown) {
            this.dbWasDown = false;
            this.log('mail: database reachable again');
          }
          this.claimed += rows.length;
          for (const row of rows) this.track(this.send(row));
          if (rows.length < room) break;
        }
      } catch (err) {
        this.claimErrors++;
        this.lastClaimError = err;
        // Logged once per outage, not once per poll.
        if (!this.dbWasDown) this.log('mail: cannot read the outbox; will retry', err);
        this.dbWasDown = true;
        return;
      }
    } while (this.pumpAgain && !this.stopped);
  }

  private track(p: Promise<void>): void {
    const tracked = p.finally(() => {
      this.inFlight.delete(tracked);
      this.kick();
    });
    this.inFlight.add(tracked);
  }

  private async send(row: ClaimedRow): Promise<void> {
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
      await this.db.query('UPDATE mail_outbox SET sent_at = now(), locked_until = NULL WHERE id = $1 AND sent_at IS NULL', [row.id]);
    } catch (err) {
      this.unrecordedSent.add(row.id);
      this.log(`mail ${row.message_id}: sent, but marking it sent failed; will retry`, err);
    }
  }

  private async recordFailure(row: ClaimedRow, err: unknown): Promise<void> {
    const error = describeError(err);
    const giveUp = row.attempts >= this.maxAttempts;
    try {
      if (giveUp) {
        await this.db.query(
          'UPDATE mail_outbox SET failed_at = now(), locked_until = NULL, last_error = $2 WHERE id = $1 AND sent_at IS NULL',
          [row.id, error],
        );
        this.log(`mail ${row.message_id} to ${row.to_address}: giving up after ${row.attempts} attempts: ${error}`);
      } else {
        const delay = retryDelayMs(row.attempts, this.backoffBaseMs, this.backoffMaxMs);
        await this.db.query(
          `UPDATE mail_outbox
              SET next_attempt_at = now() + $2::double precision * interval '1 millisecond', locked_until = NULL, last_error = $3
            WHERE id = $1 AND sent_at IS NULL`,
          [row.id, delay, error],
        );
      }
    } catch (dbErr) {
      // The lease runs out and the row is tried again: nothing is lost.
      this.log(`mail ${row.message_id}: send failed (${error}) and recording it failed too`, dbErr);
    }
  }

  private async recordUnrecorded(): Promise<void> {
    for (const id of [...this.unrecordedSent]) {
      await this.db.query('UPDATE mail_outbox SET sent_at = now(), locked_until = NULL WHERE id = $1 AND sent_at IS NULL', [id]);
      this.unrecordedSent.delete(id);
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
