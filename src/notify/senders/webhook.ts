import { isComponentStatus } from '../../domain/component.ts';
import { componentWebhookPayload, incidentWebhookPayload, type WebhookPayload } from '../channels/webhook-payload.ts';
import { sendWebhook } from '../channels/webhook-delivery.ts';
import { DEFAULT_TIMEOUT_MS } from '../channels/http-outcome.ts';
import type { SubscriberLinks } from '../subscriptions/links.ts';
import type { ChannelSender, Delivery, DeliveryOutcome } from '../fanout/types.ts';
import { countedOutcome, endpointSenderLimits, type EndpointHealth } from './endpoint-health.ts';
import type { EndpointPolicy } from '../subscriptions/endpoint-check.ts';

export const WEBHOOK_DEFAULTS = { concurrency: 8, perSecond: 20 } as const;

export interface WebhookSenderOptions {
  links: SubscriberLinks;
  /** Failure counting and disabling (with the owner's mail). */
  health: EndpointHealth;
  concurrency?: number;
  perSecond?: number;
  /** A 2xx must arrive within this time (30 s, as Statuspage). */
  timeoutMs?: number;
  clock?: () => Date;
  fetch?: typeof fetch;
  /**
   * The address rules of subscription, applied again at every send, to the very address the request connects to
   * (see pinned-post.ts): a name that resolved to a public address when the hook was registered may point inside
   * our network today. A refused address disables the endpoint at once.
   */
  endpointPolicy?: EndpointPolicy;
}

/** The Statuspage-shaped body for a delivery; null when the snapshot no longer holds what it is about. */
export function webhookPayloadFor(d: Delivery, links: SubscriberLinks, now: Date): WebhookPayload | null {
  const meta = { unsubscribeUrl: links.unsubscribeUrl(d.subscriber.id), generatedAt: now };
  const e = d.event;
  if (e.kind === 'incident_update') return incidentWebhookPayload(d.snapshot, e.incidentId, d.subscriber.lang, meta);
  if (!isComponentStatus(e.oldStatus) || !isComponentStatus(e.newStatus)) return null;
  return componentWebhookPayload(
    d.snapshot,
    { id: e.id, componentId: e.componentId, oldStatus: e.oldStatus, newStatus: e.newStatus, createdAt: e.createdAt },
    d.subscriber.lang,
    meta,
  );
}

/**
 * Signed webhook deliveries. The Idempotency-Key is the delivery's (the same on every retry and after a crash),
 * the signature is fresh per attempt. Every attempt's result is counted toward disabling the endpoint.
 */
export function webhookSender(opts: WebhookSenderOptions): ChannelSender {
  const clock = opts.clock ?? (() => new Date());
  return {
    channel: 'webhook',
    ...endpointSenderLimits(opts, WEBHOOK_DEFAULTS),
    async send(d: Delivery): Promise<DeliveryOutcome> {
      if ((await opts.health.state(d.subscriber.id)) === 'inactive') return { kind: 'skip', detail: 'subscriber disabled or unsubscribed' };
      if (!d.subscriber.secret) return { kind: 'skip', detail: 'webhook subscriber without a signing secret' };
      const payload = webhookPayloadFor(d, opts.links, clock());
      if (!payload) return { kind: 'skip', detail: `${d.event.kind} no longer on the page` };
      const outcome = await sendWebhook({
        url: d.subscriber.target,
        body: JSON.stringify(payload),
        secret: d.subscriber.secret,
        updateId: d.event.id,
        subscriberId: d.subscriber.id,
        idempotencyKey: d.idempotencyKey,
        timeoutMs: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS,
        now: clock,
        ...(opts.endpointPolicy ? { endpointPolicy: opts.endpointPolicy } : {}),
        ...(opts.fetch ? { fetch: opts.fetch } : {}),
      });
      return countedOutcome(opts.health, d.subscriber.id, outcome);
    },
  };
}
