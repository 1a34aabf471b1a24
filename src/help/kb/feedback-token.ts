import { createHash, createHmac, randomBytes } from 'node:crypto';
import { sameSecret } from '../../domain/secrets.ts';
import type { Lang } from '../../web/i18n.ts';

/** How long an article page's "did this help?" form can be answered. */
export const FEEDBACK_TOKEN_TTL_MS = 24 * 60 * 60_000;

/** What a feedback token vouches for: one page view of one version of one article. */
export interface FeedbackTicket {
  slug: string;
  lang: Lang;
  version: number;
  issuedAt: Date;
}

/**
 * The token an article page puts in its "did this help?" form: lang.version.issued-at.nonce.mac, the MAC an
 * HMAC of those and the slug. Nothing is stored when a page is served; the vote stores the token's hash
 * (unique), so a token counts once however often it is sent, and a reader who wants to answer again has to
 * load the page again.
 */
export class FeedbackTokens {
  readonly #key: Buffer;

  /** `serverKey`: an existing server secret; the key used here is derived from it, for this purpose only. */
  constructor(serverKey: Buffer, private readonly clock: () => Date = () => new Date()) {
    this.#key = createHmac('sha256', serverKey).update('kinkyu kb feedback token v1').digest();
  }

  issue(slug: string, lang: Lang, version: number): string {
    const head = `${lang}.${version}.${this.clock().getTime().toString(36)}.${randomBytes(9).toString('base64url')}`;
    return `${head}.${this.mac(slug, head)}`;
  }

  /** The page view the token was issued for, or why not: 'invalid' (forged, altered, another article) or 'expired'. */
  verify(slug: string, token: unknown): FeedbackTicket | 'invalid' | 'expired' {
    if (typeof token !== 'string' || token.length > 200) return 'invalid';
    const m = /^(ja|en)\.([1-9]\d{0,8})\.([0-9a-z]{1,12})\.([A-Za-z0-9_-]{12})\.([A-Za-z0-9_-]{43})$/.exec(token);
    if (!m) return 'invalid';
    const [, lang, version, issued, , mac] = m as unknown as [string, Lang, string, string, string, string];
    if (!sameSecret(mac, this.mac(slug, token.slice(0, token.length - mac.length - 1)))) return 'invalid';
    const issuedAt = new Date(parseInt(issued, 36));
    const age = this.clock().getTime() - issuedAt.getTime();
    // A little slack for clocks of several processes that disagree.
    if (age > FEEDBACK_TOKEN_TTL_MS || age < -60_000) return 'expired';
    return { slug, lang, version: Number(version), issuedAt };
  }

  private mac(slug: string, head: string): string {
    return createHmac('sha256', this.#key).update(`${slug}\n${head}`).digest('base64url');
  }
}

/** What is stored of a used token: enough to refuse it a second time, nothing to rebuild it from. */
export const feedbackTokenHash = (token: string): string => createHash('sha256').update(token).digest('base64url');
