/**
 * The demo's built-in mailbox: with `kinkyu start --demo` and no SMTP_URL, the mail worker (outbox) and the
 * fan-out's email channel send through this transport instead of SMTP. Everything before the hand-over is the
 * production path — the outbox's claim, lease, Message-ID, retries and `sent_at`; the fan-out's deliveries — and
 * nodemailer composes the message exactly as for SMTP (headers, encoding, DKIM when configured). Where an SMTP
 * server would receive it, the message is stored in `demo_mailbox` (one row per recipient), to be read at
 * /staff/mailbox and, for one's own address, at /account/mailbox. Nothing is stored without the demo flag: the
 * transport is only made when `config.demoMailbox` is on and SMTP_URL is empty (src/server.ts).
 */
import nodemailer, { type SendMailOptions } from 'nodemailer';
import type { Db, Queryable } from '../store/db.ts';
import type { MailTransport } from '../mail/outbox.ts';
import type { DkimOptions } from '../mail/dkim.ts';
import { parseMessage } from './mime.ts';

export interface DemoMailSummary {
  id: string;
  to: string;
  from: string;
  subject: string;
  receivedAt: Date;
}

export interface DemoMail extends DemoMailSummary {
  messageId: string;
  /** In the message's order, unfolded and decoded. */
  headers: Array<[string, string]>;
  /** The text/plain body as received. */
  text: string;
}

export interface DemoMailboxTransportOptions {
  /** The received time of each message (tests inject theirs). */
  clock?: () => Date;
  /** Signed as the SMTP transports sign (src/mail/dkim.ts). */
  dkim?: DkimOptions | undefined;
}

/** A nodemailer-composed message delivered into `demo_mailbox` instead of an SMTP server. */
export function createDemoMailboxTransport(db: Db, opts: DemoMailboxTransportOptions = {}): MailTransport {
  const clock = opts.clock ?? (() => new Date());
  const composer = nodemailer.createTransport({ streamTransport: true, buffer: true, ...(opts.dkim ? { dkim: { ...opts.dkim } } : {}) });
  return {
    async sendMail(mail: SendMailOptions) {
      const info = await composer.sendMail(mail);
      if (!Buffer.isBuffer(info.message)) throw new Error('demo mailbox: the composed message is not a buffer');
      const raw = info.message;
      const parsed = parseMessage(raw);
      const header = (name: string) => parsed.headers.find(([n]) => n.toLowerCase() === name)?.[1] ?? '';
      const recipients = [...new Set(info.envelope.to ?? [])];
      if (recipients.length === 0) throw new Error('demo mailbox: a mail without a recipient');
      const receivedAt = clock();
      await db.transaction(async (tx) => {
        for (const to of recipients) {
          await tx.query(
            `INSERT INTO demo_mailbox (message_id, to_address, from_header, subject, headers, text_body, raw, received_at)
             VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7, $8)
             ON CONFLICT (message_id, to_address) DO NOTHING`,
            [info.messageId, to, header('from'), header('subject'), JSON.stringify(parsed.headers), parsed.text, raw, receivedAt],
          );
        }
      });
      return { messageId: info.messageId, accepted: recipients, response: '250 stored in the demo mailbox' };
    },
    close() {
      composer.close();
    },
  };
}

const ID = /^[1-9]\d{0,17}$/;
/** Mail listed per page. */
export const PAGE_SIZE = 50;

interface Row {
  id: string | number;
  to_address: string;
  from_header: string;
  subject: string;
  received_at: Date | string;
}

const summary = (r: Row): DemoMailSummary => ({
  id: String(r.id), to: r.to_address, from: r.from_header, subject: r.subject, receivedAt: new Date(r.received_at),
});

/**
 * The newest mail first, `PAGE_SIZE` at a time (`before`: the id of the last one shown). `to`: only mail to that
 * address (case does not matter), as a user sees their own mailbox.
 */
export async function listDemoMail(db: Queryable, opts: { to?: string; before?: string | null } = {}): Promise<{ mails: DemoMailSummary[]; more: boolean }> {
  const before = opts.before && ID.test(opts.before) ? opts.before : null;
  const rows = await db.query<Row>(
    `SELECT id, to_address, from_header, subject, received_at FROM demo_mailbox
      WHERE ($1::text IS NULL OR lower(to_address) = lower($1)) AND ($2::bigint IS NULL OR id < $2::bigint)
      ORDER BY id DESC LIMIT $3`,
    [opts.to ?? null, before, PAGE_SIZE + 1],
  );
  return { mails: rows.slice(0, PAGE_SIZE).map(summary), more: rows.length > PAGE_SIZE };
}

/** One mail, or null (no such id, or — with `to` — not to that address). */
export async function getDemoMail(db: Queryable, id: string, opts: { to?: string } = {}): Promise<DemoMail | null> {
  if (!ID.test(id)) return null;
  const [row] = await db.query<Row & { message_id: string; headers: unknown; text_body: string }>(
    `SELECT id, message_id, to_address, from_header, subject, headers, text_body, received_at FROM demo_mailbox
      WHERE id = $1::bigint AND ($2::text IS NULL OR lower(to_address) = lower($2))`,
    [id, opts.to ?? null],
  );
  if (!row) return null;
  const headers = (typeof row.headers === 'string' ? JSON.parse(row.headers) : row.headers) as Array<[string, string]>;
  return { ...summary(row), messageId: row.message_id, headers, text: row.text_body };
}

/** The message exactly as composed (what an SMTP server would have received), or null. */
export async function rawDemoMail(db: Queryable, id: string): Promise<Buffer | null> {
  if (!ID.test(id)) return null;
  const [row] = await db.query<{ raw: Uint8Array }>(`SELECT raw FROM demo_mailbox WHERE id = $1::bigint`, [id]);
  return row ? Buffer.from(row.raw) : null;
}
