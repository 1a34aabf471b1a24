/** Operator settings for public subscriptions (read once from the environment by src/config.ts). */
export interface SubscriptionConfig {
  /**
   * Tests and demos only: webhook URLs may be http:// on a loopback host (localhost, 127.0.0.1, [::1]) and may
   * resolve to loopback addresses. Private, link-local and metadata addresses stay refused. WEBHOOK_ALLOW_LOCAL.
   */
  allowLocalWebhooks: boolean;
  /** A Slack incoming webhook must start with this. SLACK_WEBHOOK_PREFIX (tests point it at the stand-in). */
  slackWebhookPrefix: string;
  /** How long an email confirmation link works. SUBSCRIBE_CONFIRM_HOURS, default 48. */
  confirmHours: number;
  /** Subscribe attempts per client address per 10 minutes. SUBSCRIBE_RATE_LIMIT, default 10. */
  rateLimitPerIp: number;
  /** Confirmation (or "already subscribed") mails per recipient address per hour. SUBSCRIBE_MAILS_PER_ADDRESS, default 3. */
  mailsPerAddress: number;
}

export const DEFAULT_SLACK_WEBHOOK_PREFIX = 'https://hooks.slack.com/services/';

function positive(value: string | undefined, fallback: number): number {
  const n = Number(value);
  return value !== undefined && value !== '' && Number.isFinite(n) && n > 0 ? n : fallback;
}

export function parseSubscriptionConfig(env: Record<string, string | undefined>): SubscriptionConfig {
  return {
    allowLocalWebhooks: env.WEBHOOK_ALLOW_LOCAL === 'true',
    slackWebhookPrefix: env.SLACK_WEBHOOK_PREFIX || DEFAULT_SLACK_WEBHOOK_PREFIX,
    confirmHours: positive(env.SUBSCRIBE_CONFIRM_HOURS, 48),
    rateLimitPerIp: positive(env.SUBSCRIBE_RATE_LIMIT, 10),
    mailsPerAddress: positive(env.SUBSCRIBE_MAILS_PER_ADDRESS, 3),
  };
}
