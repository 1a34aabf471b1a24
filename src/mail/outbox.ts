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
 * lease (`locked_until`), so no two senders hold the same row at the same time (src/mail/sender.ts, on the job
 * mechanism of src/jobs). Queueing a mail wakes the senders once its transaction commits: nobody wakes them by hand.
 */
import { randomBytes } from 'node:crypto';
import nodemailer, { type SendMailOptions, type Transporter } from 'nodemailer';
import type { Queryable } from '../store/db.ts';
import { jobQueued, wakeAfterCommit } from '../jobs/wake.ts';
import { originHeaders, type MailOrigin } from './automatic.ts';
import type { DkimOptions } from './dkim.ts';
import type { MailLang } from './from.ts';
import { MAIL_CHANNEL, MAIL_QUEUE } from './sender.ts';


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

/**
 * For mail inserted into `mail_outbox` by the caller's own SQL: wakes the senders of every process at commit
 * (this process's directly, the others by NOTIFY; they also poll, so a lost notification only delays).
 */
export async function notifyMailQueued(tx: Queryable): Promise<void> {
  await jobQueued(tx, MAIL_QUEUE, MAIL_CHANNEL);
}

/** Like `notifyMailQueued` for this process's senders only, without a statement (a hot path; others poll). */
export function wakeMailAfterCommit(q: Queryable): void {
  wakeAfterCommit(q, MAIL_QUEUE);
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
