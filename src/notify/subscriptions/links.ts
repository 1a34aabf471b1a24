import { createHmac } from 'node:crypto';
import { sameSecret } from '../../domain/secrets.ts';

/** What a link lets its holder do. */
export type LinkPurpose = 'unsubscribe' | 'manage';

/**
 * A subscriber's own links: unsubscribe (one click, RFC 8058) and manage. The token is an HMAC of the purpose
 * and the subscriber's id, so every email of a fan-out carries it without a database read, and nothing secret
 * is stored. Each purpose has its own token: the unsubscribe URL travels in every List-Unsubscribe header (and
 * gets forwarded and scanned), and must not open the manage page.
 */
export class SubscriberLinks {
  readonly #key: Buffer;
  readonly #publicUrl: string;

  constructor(serverKey: Buffer, publicUrl: string) {
    // A key of its own, derived from the server key: a subscriber link can never open a ticket, nor the reverse.
    this.#key = createHmac('sha256', serverKey).update('kinkyu subscriber links v1').digest();
    this.#publicUrl = publicUrl.replace(/\/+$/, '');
  }

  token(subscriberId: string, purpose: LinkPurpose): string {
    return createHmac('sha256', this.#key).update(`${purpose}:${subscriberId}`).digest('base64url');
  }

  verify(subscriberId: string, token: unknown, purpose: LinkPurpose): boolean {
    return typeof token === 'string' && token.length < 100 && sameSecret(this.token(subscriberId, purpose), token);
  }

  /** GET shows a one-button page; POST (also the mail client's List-Unsubscribe-Post) unsubscribes. */
  unsubscribeUrl(subscriberId: string): string {
    return `${this.#publicUrl}/subscriptions/${encodeURIComponent(subscriberId)}/unsubscribe/${this.token(subscriberId, 'unsubscribe')}`;
  }

  manageUrl(subscriberId: string): string {
    return `${this.#publicUrl}/subscriptions/${encodeURIComponent(subscriberId)}/manage/${this.token(subscriberId, 'manage')}`;
  }
}
