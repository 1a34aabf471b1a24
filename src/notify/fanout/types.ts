import type { Lang } from '../../web/i18n.ts';
import type { PageSnapshot } from '../../status/page/snapshot.ts';
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
  /** Permanent failures in a row when claimed (hard bounces for email): a success resets a non-zero count. */
  permanentFailures?: number;
  /** Email: the anti-phishing code to open the mail with (the subscriber's own, else the account's at the address). */
  antiPhishingCode?: string | null;
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
  /**
   * The page as it is now (for rendering; the update's text is in it). For an update on an incident the page no
   * longer keeps at hand (an old one), the page with that incident read from the database added.
   */
  snapshot: PageSnapshot;
  /**
   * Confirms that this delivery is still this worker's and extends its lease. A sender that sends in several
   * steps (an X thread) calls it before each step and stops when it says false: another worker took the row.
   */
  keepLease?: () => Promise<boolean>;
}

/**
 * The result of one attempt. `skip`: nothing to send (e.g. the update is gone); counts as done. `failed`: the
 * receiver refused this delivery for good (an SMTP 5xx for the recipient); recorded as failed, never retried.
 */
export type DeliveryOutcome = AttemptOutcome | { kind: 'skip'; detail: string } | { kind: 'failed'; detail: string };

/**
 * One outbound channel. The fan-out worker claims due deliveries per channel and calls `send` at most
 * `concurrency` at a time and at most `perSecond` per second (the channel's rate limit).
 */
export interface ChannelSender {
  channel: Channel;
  concurrency: number;
  perSecond: number;
  /**
   * The longest one send may take (its request timeout). The fan-out's lease is raised to at least this plus a
   * margin, so that a send cut off by a stalled process is not claimed by another one while it may still go out.
   */
  timeoutMs?: number;
  send(delivery: Delivery): Promise<DeliveryOutcome>;
  /** Attempts before a delivery is marked failed (default: the fan-out's maxAttempts). */
  maxAttempts?: number;
  /**
   * Called after each attempt's outcome is recorded (e.g. to count an endpoint's failures and disable it).
   * Errors are logged, never retried.
   */
  afterAttempt?(delivery: Delivery, outcome: DeliveryOutcome): Promise<void>;
  /** Close pooled connections. */
  close?(): Promise<void>;
}

/** Deliveries of one update per channel, for the console. */
export interface ChannelProgress {
  sent: number;
  pending: number;
  failed: number;
  /** Not sent on purpose: unsubscribed or disabled meanwhile, or nothing to tell. */
  skipped: number;
}

export interface FanoutProgress {
  /** False when the update asked for no notifications (internal, or deliver_notifications off). */
  notified: boolean;
  /** False while the update's event is not yet expanded into deliveries (the counts are then incomplete). */
  expanded: boolean;
  channels: Partial<Record<Channel, ChannelProgress>>;
}
