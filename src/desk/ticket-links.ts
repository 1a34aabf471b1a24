import { createHmac, randomBytes } from 'node:crypto';
import { sameSecret } from '../domain/secrets.ts';
import type { Queryable } from '../store/db.ts';

/**
 * The secret link a user follows their ticket with: /tickets/<id>/<token>, the token an HMAC of the ticket id.
 * Nothing secret is stored per ticket, so every later email can carry the same link, and a copy of the
 * database alone does not open any ticket when the key is configured outside it (KINKYU_SECRET).
 */
export class TicketLinks {
  readonly #key: Buffer;

  constructor(
    key: Buffer,
    /** The public URL the paths are appended to. */
    readonly base: string,
  ) {
    if (key.length < 32) throw new Error('the ticket link key must be at least 32 bytes');
    this.#key = key;
  }

  token(ticketId: string): string {
    return createHmac('sha256', this.#key).update(`ticket-link:${ticketId}`).digest('base64url').slice(0, 32);
  }

  /** Constant-time: a wrong token takes as long as a right one. */
  verify(ticketId: string, token: string): boolean {
    return sameSecret(token, this.token(ticketId));
  }

  path(ticketId: string): string {
    return `/tickets/${ticketId}/${this.token(ticketId)}`;
  }

  url(ticketId: string): string {
    return this.base + this.path(ticketId);
  }
}

/** The configured secret, or one made at random on first start and kept in the database. */
export async function loadLinkKey(db: Queryable, configured: string | undefined): Promise<Buffer> {
  if (configured) return Buffer.from(configured, 'utf8');
  await db.query('INSERT INTO app_secrets (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING', [
    'ticket_links',
    randomBytes(32).toString('base64'),
  ]);
  const [row] = await db.query<{ value: string }>('SELECT value FROM app_secrets WHERE name = $1', ['ticket_links']);
  return Buffer.from(row!.value, 'base64');
}
