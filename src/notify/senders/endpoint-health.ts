import { enqueueMail } from '../../mail/outbox.ts';
import type { Db } from '../../store/db.ts';
import type { Lang } from '../../web/i18n.ts';
import { DEFAULT_TIMEOUT_MS, type AttemptOutcome } from '../channels/http-outcome.ts';
import { DEFAULT_DISABLE_POLICY, shouldDisable, type DisablePolicy } from '../channels/webhook-delivery.ts';
import { endpointDisabledMail } from './disabled-mail.ts';
import type { ChannelSender, DeliveryOutcome } from '../fanout/types.ts';

export interface EndpointHealthOptions {
  db: Db;
  mailDomain: string;
  exchangeName: { ja: string; en: string };
  /** Where an owner subscribes again (the public subscription page). */
  subscribeUrl: string;
  policy?: DisablePolicy;
  clock?: () => Date;
  log?: (msg: string, err?: unknown) => void;
}

export type EndpointState = 'active' | 'inactive';

/** Pace and attempts of a sender to endpoints that are disabled after repeated failures (webhooks, Slack). */
export function endpointSenderLimits(
  opts: { timeoutMs?: number; concurrency?: number; perSecond?: number },
  defaults: { concurrency: number; perSecond: number },
): Required<Pick<ChannelSender, 'timeoutMs' | 'concurrency' | 'perSecond' | 'maxAttempts'>> {
  return {
    // The fan-out keeps a delivery's lease longer than one attempt can take.
    timeoutMs: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    concurrency: opts.concurrency ?? defaults.concurrency,
    perSecond: opts.perSecond ?? defaults.perSecond,
    // The endpoint is disabled (and its owner mailed) before a delivery would run out of attempts.
    maxAttempts: DEFAULT_DISABLE_POLICY.maxConsecutiveFailures + 1,
  };
}

/** Counts an attempt toward disabling the endpoint; the attempt that disables it ends the delivery as failed. */
export async function countedOutcome(health: Pick<EndpointHealth, 'record'>, subscriberId: string, outcome: AttemptOutcome): Promise<DeliveryOutcome> {
  if (await health.record(subscriberId, outcome)) {
    return { kind: 'failed', detail: `endpoint disabled after repeated failure; last: ${outcome.kind === 'retry' ? outcome.detail : ''}`.slice(0, 290) };
  }
  return outcome;
}

/**
 * Keeps `subscribers.consecutive_failures` for webhook and Slack endpoints: reset by a 2xx, counted up by every
 * failed attempt except rate limiting (429); when `shouldDisable` says so the endpoint is disabled and its owner mailed, in one
 * transaction, by whichever attempt disabled it (the `disabled_at IS NULL` guard makes that exactly one).
 * The fan-out engine stays generic: the senders call this themselves.
 */
export class EndpointHealth {
  constructor(private readonly opts: EndpointHealthOptions) {}

  /** Whether deliveries may still go to this subscriber (not disabled or unsubscribed since the fan-out). */
  async state(subscriberId: string): Promise<EndpointState> {
    const [row] = await this.opts.db.query<{ live: boolean }>(
      `SELECT (disabled_at IS NULL AND unsubscribed_at IS NULL) AS live FROM subscribers WHERE id = $1`,
      [subscriberId],
      { name: 'endpoint_health_state' },
    );
    return row?.live ? 'active' : 'inactive';
  }

  /**
   * Returns true when this attempt disabled the endpoint. Never throws: the attempt already happened, and a
   * database hiccup here must not make the fan-out send it again.
   */
  async record(subscriberId: string, outcome: AttemptOutcome): Promise<boolean> {
    try {
      return await this.#record(subscriberId, outcome);
    } catch (err) {
      this.opts.log?.('could not record a delivery attempt for the endpoint', err);
      return false;
    }
  }

  async #record(subscriberId: string, outcome: AttemptOutcome): Promise<boolean> {
    if (outcome.kind === 'delivered') {
      await this.opts.db.query(
        `UPDATE subscribers SET consecutive_failures = 0, consecutive_permanent_failures = 0
          WHERE id = $1 AND (consecutive_failures > 0 OR consecutive_permanent_failures > 0)`,
        [subscriberId],
        { name: 'endpoint_health_ok' },
      );
      return false;
    }
    // A 429 says the endpoint is alive and busy: retried after Retry-After, never a step toward disabling it.
    if (outcome.reason === 'rate_limited') return false;
    const disabledNow = await this.opts.db.transaction(async (tx) => {
      const [row] = await tx.query<{ failures: number; permanent: number; live: boolean }>(
        `UPDATE subscribers
            SET consecutive_failures = consecutive_failures + 1,
                consecutive_permanent_failures = CASE WHEN $2 THEN consecutive_permanent_failures + 1 ELSE 0 END
          WHERE id = $1
          RETURNING consecutive_failures AS failures, consecutive_permanent_failures AS permanent,
                    (disabled_at IS NULL AND unsubscribed_at IS NULL) AS live`,
        [subscriberId, outcome.permanent],
      );
      if (!row || !row.live) return false;
      const record = { consecutive: Number(row.failures), consecutivePermanent: Number(row.permanent), gone: outcome.gone };
      if (!shouldDisable(record, this.opts.policy ?? DEFAULT_DISABLE_POLICY)) return false;
      const reason = outcome.gone ? `gone: ${outcome.detail}` : `${record.consecutive} consecutive failures; last: ${outcome.detail}`;
      const now = (this.opts.clock ?? (() => new Date()))();
      const [disabled] = await tx.query<{ channel: 'webhook' | 'slack'; target: string; lang: Lang; owner_email: string | null }>(
        `UPDATE subscribers SET disabled_at = $2, disabled_reason = $3
          WHERE id = $1 AND disabled_at IS NULL
          RETURNING channel, target, lang, owner_email`,
        [subscriberId, now, reason.slice(0, 500)],
      );
      if (!disabled) return false;
      if (disabled.owner_email) {
        const mail = endpointDisabledMail({
          lang: disabled.lang,
          exchangeName: this.opts.exchangeName[disabled.lang],
          channel: disabled.channel,
          target: disabled.target,
          failures: record.consecutive,
          lastError: outcome.detail,
          gone: outcome.gone,
          subscribeUrl: this.opts.subscribeUrl,
        });
        // One Message-ID per disabling: should this transaction run twice, the receiver sees one message.
        const messageId = `<disabled.${subscriberId}@${this.opts.mailDomain}>`;
        await enqueueMail(tx, { to: disabled.owner_email, subject: mail.subject, text: mail.text, lang: disabled.lang, messageId }, {
          domain: this.opts.mailDomain,
        });
      }
      return true;
    });
    return disabledNow;
  }
}

export interface EmailBouncesOptions {
  db: Db;
  /** Hard bounces in a row that disable an email subscriber. Default 3. */
  limit?: number;
  clock?: () => Date;
  log?: (msg: string, err?: unknown) => void;
}

/**
 * The email side of the same bookkeeping: a hard bounce (the receiving server refused the address with a 5xx)
 * counts up `consecutive_permanent_failures`, a delivered message resets it, and at `limit` the subscriber is
 * disabled with the reason 'bounced'. Temporary failures (our relay down, a 4xx) neither count nor reset. No
 * mail: the only address to tell is the one that bounces.
 */
export class EmailBounces {
  constructor(private readonly opts: EmailBouncesOptions) {}

  /** Returns true when this bounce disabled the subscriber. Never throws (the attempt already happened). */
  async record(subscriberId: string, result: 'delivered' | 'bounced', detail = ''): Promise<boolean> {
    try {
      if (result === 'delivered') {
        await this.opts.db.query(
          'UPDATE subscribers SET consecutive_permanent_failures = 0 WHERE id = $1 AND consecutive_permanent_failures > 0',
          [subscriberId],
          { name: 'email_bounces_ok' },
        );
        return false;
      }
      return await this.opts.db.transaction(async (tx) => {
        const [row] = await tx.query<{ bounces: number }>(
          `UPDATE subscribers SET consecutive_permanent_failures = consecutive_permanent_failures + 1
            WHERE id = $1 RETURNING consecutive_permanent_failures AS bounces`,
          [subscriberId],
        );
        if (!row || Number(row.bounces) < (this.opts.limit ?? 3)) return false;
        const now = (this.opts.clock ?? (() => new Date()))();
        const disabled = await tx.query(
          `UPDATE subscribers SET disabled_at = $2, disabled_reason = 'bounced'
            WHERE id = $1 AND disabled_at IS NULL AND unsubscribed_at IS NULL RETURNING id`,
          [subscriberId, now],
        );
        if (disabled.length) this.opts.log?.(`email subscriber ${subscriberId} disabled after ${row.bounces} hard bounces; last: ${detail.slice(0, 200)}`);
        return disabled.length > 0;
      });
    } catch (err) {
      this.opts.log?.('could not record a bounce for the email subscriber', err);
      return false;
    }
  }
}
