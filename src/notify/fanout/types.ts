import type { Lang } from '../../web/i18n.ts';
import type { PageSnapshot } from '../../public/snapshot.ts';
import type { AttemptOutcome } from '../channels/http-outcome.ts';

export type Channel = 'email' | 'webhook' | 'slack' | 'x';

/** A subscriber as the fan-out sees it (an active row of `subscribers`). */
export interface Subscriber {
  id: string;
  channel: Channel;
  target: string;
  lang: Lang;
  secret: string | null;
  ownerEmail: string | null;
}

/** What is being told: one public incident (or maintenance) update, or a component status change. */
export type NotificationEvent =
  | { id: string; kind: 'incident_update'; incidentId: string; updateId: string; createdAt: Date }
  | { id: string; kind: 'component_update'; componentId: string; oldStatus: string; newStatus: string; createdAt: Date };

/** One delivery: an event to one subscriber. Its key `${eventId}:${subscriberId}` is the idempotency key. */
export interface Delivery {
  event: NotificationEvent;
  subscriber: Subscriber;
  /** 1 for the first attempt. */
  attempt: number;
  /** Stable across retries and crashes: the same Message-ID / Idempotency-Key every time. */
  idempotencyKey: string;
  /** The page as it is now (for rendering; the update's text is in it). */
  snapshot: PageSnapshot;
}

/** The result of one attempt. `skip`: nothing to send (e.g. the update is gone); counts as done. */
export type DeliveryOutcome = AttemptOutcome | { kind: 'skip'; detail: string };

/**
 * One outbound channel. The fan-out worker claims due deliveries per channel and calls `send` at most
 * `concurrency` at a time and at most `perSecond` per second (the channel's rate limit).
 */
export interface ChannelSender {
  channel: Channel;
  concurrency: number;
  perSecond: number;
  send(delivery: Delivery): Promise<DeliveryOutcome>;
  /** Close pooled connections. */
  close?(): Promise<void>;
}
