import type { deliveryJa } from './delivery.ja.ts';

/** Fan-out delivery progress on the staff incident page, in English. */
export const deliveryEn: Record<keyof typeof deliveryJa, string> = {
  'delivery.title': 'Delivery',
  'delivery.channel': 'Channel',
  'delivery.channel.email': 'Email',
  'delivery.channel.webhook': 'Webhook',
  'delivery.channel.slack': 'Slack',
  'delivery.channel.x': 'X',
  'delivery.sent': 'Sent',
  'delivery.pending': 'Pending',
  'delivery.failed': 'Failed',
  'delivery.skipped': 'Not sent',
  'delivery.notNotified': 'Posted without notifications.',
  'delivery.expanding': 'Preparing the recipient list; reload in a moment.',
  'delivery.none': 'No subscriber to deliver this update to.',
};
