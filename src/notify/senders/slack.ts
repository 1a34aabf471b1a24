import { DEFAULT_TIMEOUT_MS } from '../channels/http-outcome.ts';
import { sendSlack, slackMessage } from '../channels/slack.ts';
import { updateNotice } from '../channels/update-notice.ts';
import type { ChannelSender, Delivery, DeliveryOutcome } from '../fanout/types.ts';
import { countedOutcome, endpointSenderLimits, type EndpointHealth } from './endpoint-health.ts';
import type { EndpointPolicy } from '../subscriptions/endpoint-check.ts';

/**
 * Slack allows about one message per second per incoming webhook. One event goes to each webhook once, so the
 * channel-wide pace only has to keep bursts of successive updates apart; a 429 is honoured via Retry-After.
 */
export const SLACK_DEFAULTS = { concurrency: 4, perSecond: 10 } as const;

export interface SlackSenderOptions {
  health: EndpointHealth;
  concurrency?: number;
  perSecond?: number;
  timeoutMs?: number;
  /** Address rules checked on the address each POST connects to (see pinned-post.ts). */
  endpointPolicy?: EndpointPolicy;
  fetch?: typeof fetch;
}

/** Block Kit messages to Slack incoming webhooks; incident and maintenance updates only (no component changes). */
export function slackSender(opts: SlackSenderOptions): ChannelSender {
  return {
    channel: 'slack',
    ...endpointSenderLimits(opts, SLACK_DEFAULTS),
    async send(d: Delivery): Promise<DeliveryOutcome> {
      const e = d.event;
      if (e.kind !== 'incident_update') return { kind: 'skip', detail: 'Slack subscribers hear incident updates only' };
      if ((await opts.health.state(d.subscriber.id)) === 'inactive') return { kind: 'skip', detail: 'subscriber disabled or unsubscribed' };
      const notice = updateNotice(d.snapshot, e.incidentId, e.updateId, d.subscriber.lang);
      if (!notice) return { kind: 'skip', detail: 'update no longer on the page' };
      const outcome = await sendSlack(d.subscriber.target, slackMessage(notice), {
        timeoutMs: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS,
        ...(opts.endpointPolicy ? { endpointPolicy: opts.endpointPolicy } : {}),
        ...(opts.fetch ? { fetch: opts.fetch } : {}),
      });
      return countedOutcome(opts.health, d.subscriber.id, outcome);
    },
  };
}
