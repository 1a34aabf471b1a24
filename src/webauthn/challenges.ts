import type { Queryable } from '../store/db.ts';
import { sha256Hex } from '../domain/secrets.ts';

/** Whose ceremony: a user's (the security center) or, later, a staff member's. */
export type WebAuthnRealm = 'user' | 'staff';
export type WebAuthnPurpose = 'register' | 'authenticate';

/**
 * What a challenge was issued for: one browser (`binding`, its session or pre-sign-in token, hashed again here),
 * one ceremony, one account (`subject`; null for a sign-in with a passkey alone, where the account is not known
 * until the passkey answers).
 */
export interface ChallengeScope {
  realm: WebAuthnRealm;
  purpose: WebAuthnPurpose;
  binding: string;
  subject: string | null;
}

/** How long a ceremony may take, from the page being shown to the answer arriving (also the browser's timeout). */
export const CHALLENGE_MINUTES = 5;

/**
 * WebAuthn challenges, server-side: stored (as a hash) when the options are sent, spent by the one answer that
 * carries it (compare-and-set in SQL, so two answers racing with the same challenge cannot both pass), refused
 * after CHALLENGE_MINUTES, and never accepted for another browser, ceremony or account. A replayed response
 * therefore fails before its signature is even looked at.
 */
export class WebAuthnChallenges {
  constructor(
    private readonly db: Queryable,
    private readonly clock: () => Date,
  ) {}

  async issue(scope: ChallengeScope, challenge: string): Promise<void> {
    const now = this.clock();
    // Old rows go as new ones come (by the expiry index): the table holds a few minutes of ceremonies.
    await this.db.query(`DELETE FROM webauthn_challenges WHERE expires_at < $1`, [new Date(now.getTime() - 24 * 3_600_000)]);
    await this.db.query(
      `INSERT INTO webauthn_challenges (challenge_hash, realm, purpose, binding, subject, created_at, expires_at) VALUES ($1,$2,$3,$4,$5,$6,$7)`,
      [sha256Hex(challenge), scope.realm, scope.purpose, sha256Hex(scope.binding), scope.subject, now, new Date(now.getTime() + CHALLENGE_MINUTES * 60_000)],
    );
  }

  /** Spends the challenge if it was issued for exactly this scope, is unused and has not expired. */
  async consume(scope: ChallengeScope, challenge: string): Promise<boolean> {
    if (typeof challenge !== 'string' || challenge.length === 0 || challenge.length > 512) return false;
    const rows = await this.db.query(
      `UPDATE webauthn_challenges SET used_at = $6
        WHERE challenge_hash = $1 AND realm = $2 AND purpose = $3 AND binding = $4 AND subject IS NOT DISTINCT FROM $5
          AND used_at IS NULL AND expires_at > $6
        RETURNING 1`,
      [sha256Hex(challenge), scope.realm, scope.purpose, sha256Hex(scope.binding), scope.subject, this.clock()],
    );
    return rows.length === 1;
  }
}
