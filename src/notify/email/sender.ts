import type { MailTransport } from '../../mail/outbox.ts';
import { AUTOMATIC_MAIL_HEADERS } from '../../mail/automatic.ts';
import { fromHeader, type MailFrom } from '../../mail/from.ts';
import type { Lang } from '../../web/i18n.ts';
import type { PageSnapshot } from '../../status/page/snapshot.ts';
import type { SubscriberLinks } from '../subscriptions/links.ts';
import type { ChannelSender, Delivery, DeliveryOutcome } from '../fanout/types.ts';
import type { EmailBounces } from '../senders/endpoint-health.ts';
import { personalize, renderUpdateEmail, type UpdateEmail } from './render.ts';

export interface EmailSenderOptions {
  /** A pooled SMTP transport (createSmtpTransport); closed by `close()`. */
  transport: MailTransport;
  /** The sender; its display name follows the subscriber's language. A string: one From header for all. */
  from: MailFrom | string;
  /** For Message-IDs: `<eventId.subscriberId@mailDomain>`. */
  mailDomain: string;
  links: SubscriberLinks;
  exchangeName: Record<Lang, string>;
  /** Sends in flight at most; a little above the pool's connections keeps every connection busy. */
  concurrency: number;
  /** Messages per second at most (the relay's limit); 0 for none. */
  perSecond: number;
  maxAttempts?: number;
  /** Counts hard bounces per subscriber and disables an address that keeps bouncing. */
  bounces?: EmailBounces;
}

/** The same for every attempt, so a copy sent again after a crash is recognisably the same message. */
export function updateMessageId(eventId: string, subscriberId: string, mailDomain: string): string {
  return `<${eventId}.${subscriberId}@${mailDomain.toLowerCase()}>`;
}

/**
 * An SMTP refusal of this recipient or this message (5xx to RCPT TO or to the data) is final: sending again
 * will not change the answer. Everything else — 4xx, a refused or dropped connection, a timeout, a 5xx to the
 * greeting or AUTH (our configuration, not the subscriber) — is tried again later.
 */
export function classifySmtpError(err: unknown): DeliveryOutcome {
  const e = (err ?? {}) as { code?: string; responseCode?: number; message?: string; response?: string };
  const detail = `${e.response ?? e.message ?? String(err)}`.slice(0, 200);
  const code = typeof e.responseCode === 'number' ? e.responseCode : null;
  if (code !== null && code >= 500 && code < 600 && (e.code === 'EENVELOPE' || e.code === 'EMESSAGE')) {
    return { kind: 'failed', detail: `SMTP ${code}: ${detail}` };
  }
  return {
    kind: 'retry',
    status: null,
    reason: code === null ? 'network' : 'server_error',
    permanent: false,
    gone: false,
    retryAfterMs: null,
    detail: code === null ? detail : `SMTP ${code}: ${detail}`,
  };
}

/**
 * A hard bounce: the server refused this recipient (5xx to RCPT TO). Not when the enhanced status says the
 * refusal is about us rather than the address — 5.3 (system), 5.4 (network/routing), 5.5 (protocol), 5.7
 * (policy, e.g. "relay access denied") — so a misconfigured relay cannot disable every subscriber at once.
 */
export function isHardBounce(err: unknown): boolean {
  const e = (err ?? {}) as { code?: string; responseCode?: number; response?: string };
  if (e.code !== 'EENVELOPE' || typeof e.responseCode !== 'number' || e.responseCode < 500 || e.responseCode >= 600) return false;
  const enhanced = /^\d{3}[ -]5\.(\d{1,3})\./.exec(e.response ?? '')?.[1];
  return enhanced === undefined || !['3', '4', '5', '7'].includes(enhanced);
}

/** The email channel of the fan-out: one update email per subscriber, in the subscriber's language. */
export function createEmailSender(opts: EmailSenderOptions): ChannelSender {
  // Rendering per (snapshot version, event, language), not per subscriber: a fan-out to 100,000 renders twice.
  const rendered = new Map<string, UpdateEmail | null>();
  const render = (snapshot: PageSnapshot, incidentId: string, updateId: string, lang: Lang) => {
    const key = `${snapshot.version}|${incidentId}|${updateId}|${lang}`;
    if (!rendered.has(key)) {
      if (rendered.size > 64) rendered.clear();
      rendered.set(key, renderUpdateEmail(snapshot, incidentId, updateId, lang, opts.exchangeName[lang]));
    }
    return rendered.get(key) ?? null;
  };

  return {
    channel: 'email',
    concurrency: opts.concurrency,
    perSecond: opts.perSecond,
    ...(opts.maxAttempts !== undefined ? { maxAttempts: opts.maxAttempts } : {}),
    async send(delivery: Delivery): Promise<DeliveryOutcome> {
      const { event, subscriber } = delivery;
      // Component changes go to webhooks only; an email subscriber never gets one.
      if (event.kind !== 'incident_update') return { kind: 'skip', detail: 'not an email event' };
      const mail = render(delivery.snapshot, event.incidentId, event.updateId, subscriber.lang);
      if (!mail) return { kind: 'skip', detail: 'update not on the page' };
      const unsubscribeUrl = opts.links.unsubscribeUrl(subscriber.id);
      const body = personalize(mail, { manageUrl: opts.links.manageUrl(subscriber.id), unsubscribeUrl }, subscriber.lang, opts.exchangeName[subscriber.lang], subscriber.antiPhishingCode ?? null);
      try {
        await opts.transport.sendMail({
          from: typeof opts.from === 'string' ? opts.from : fromHeader(opts.from, subscriber.lang),
          to: subscriber.target,
          subject: body.subject,
          text: body.text,
          html: body.html,
          messageId: updateMessageId(event.id, subscriber.id, opts.mailDomain),
          date: event.createdAt,
          headers: {
            'List-Unsubscribe': `<${unsubscribeUrl}>`,
            // RFC 8058: a POST to the URL unsubscribes, without a page to click through.
            'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
            ...AUTOMATIC_MAIL_HEADERS,
          },
        });
        // Most subscribers never bounced: no write on the hot path unless there is a count to reset.
        if (subscriber.permanentFailures !== 0) await opts.bounces?.record(subscriber.id, 'delivered');
        return { kind: 'delivered', status: 250 };
      } catch (err) {
        const outcome = classifySmtpError(err);
        if (outcome.kind === 'failed' && isHardBounce(err)) await opts.bounces?.record(subscriber.id, 'bounced', outcome.detail);
        return outcome;
      }
    },
    async close() {
      opts.transport.close?.();
    },
  };
}
