import { mailFromOf, type Config } from '../../config.ts';
import { createSmtpTransport, mailDomain, type MailTransport } from '../../mail/outbox.ts';
import type { SubscriberLinks } from '../subscriptions/links.ts';
import type { ChannelSender } from '../fanout/types.ts';
import type { EmailBounces } from '../senders/endpoint-health.ts';
import { createEmailSender } from './sender.ts';

/**
 * The email channel as configured: its own pooled SMTP transport (FANOUT_SMTP_URL, else SMTP_URL), so a fan-out
 * to every subscriber never queues the support desk's mail behind it. Without SMTP, `withoutSmtp` (the demo
 * mailbox) when given; else null: update emails then wait as pending deliveries for a process that has SMTP.
 */
export function emailSenderFromConfig(
  config: Config,
  links: SubscriberLinks,
  log: (msg: string, err?: unknown) => void,
  bounces?: EmailBounces,
  withoutSmtp?: () => MailTransport,
): ChannelSender | null {
  const transport = createSmtpTransport(config.fanout.smtpUrl ?? config.smtpUrl ?? '', {
    maxConnections: config.fanout.emailConnections,
    log,
    dkim: config.dkim,
  }) ?? withoutSmtp?.() ?? null;
  if (!transport) {
    log('fanout: no SMTP configured; update emails stay pending until a process with SMTP runs');
    return null;
  }
  return createEmailSender({
    transport,
    from: mailFromOf(config),
    mailDomain: mailDomain(config.mailFrom),
    links,
    exchangeName: { ja: config.exchangeNameJa, en: config.exchangeNameEn },
    concurrency: config.fanout.emailConcurrency,
    perSecond: config.fanout.emailPerSecond,
    ...(bounces ? { bounces } : {}),
  });
}
