import { mailFromOf, type Config } from '../../config.ts';
import { createSmtpTransport, mailDomain } from '../../mail/outbox.ts';
import type { SubscriberLinks } from '../subscriptions/links.ts';
import type { ChannelSender } from '../fanout/types.ts';
import type { EmailBounces } from '../senders/endpoint-health.ts';
import { createEmailSender } from './sender.ts';

/**
 * The email channel as configured: its own pooled SMTP transport (FANOUT_SMTP_URL, else SMTP_URL), so a fan-out
 * to every subscriber never queues the support desk's mail behind it. Null without SMTP: update emails then
 * wait as pending deliveries for a process that has it.
 */
export function emailSenderFromConfig(config: Config, links: SubscriberLinks, log: (msg: string, err?: unknown) => void, bounces?: EmailBounces): ChannelSender | null {
  const transport = createSmtpTransport(config.fanout.smtpUrl ?? config.smtpUrl ?? '', {
    maxConnections: config.fanout.emailConnections,
    log,
    dkim: config.dkim,
  });
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
