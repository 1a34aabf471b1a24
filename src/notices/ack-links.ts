import { randomBytes } from 'node:crypto';
import type { Db, Queryable } from '../store/db.ts';
import { sha256Hex } from '../domain/secrets.ts';
import { findTermsById, recordAcknowledgement, type TermsVersion } from './terms.ts';

/**
 * One-time acknowledgement links ("I agree" from the reminder email, without signing in). Only a hash of
 * the token is kept; opening the link (GET) shows the terms, only the confirm button (POST) acknowledges,
 * and a used or expired link is refused.
 */

export const ACK_LINK_DAYS = 14;
const TOKEN = /^[\w-]{40,64}$/;

export async function issueAckToken(tx: Queryable, input: { accountId: string; versionId: string; now: Date }): Promise<string> {
  const token = randomBytes(32).toString('base64url');
  await tx.query(
    `INSERT INTO terms_ack_tokens (token_hash, account_id, version_id, created_at, expires_at) VALUES ($1,$2,$3,$4,$5)`,
    [sha256Hex(token), input.accountId, input.versionId, input.now, new Date(input.now.getTime() + ACK_LINK_DAYS * 86_400_000)],
  );
  return token;
}

export interface AckLink {
  accountId: string;
  version: TermsVersion;
  expiresAt: Date;
}

/** The link's account and version while it is unused and unexpired; null otherwise. Changes nothing. */
export async function peekAckToken(db: Queryable, token: string, now: Date): Promise<AckLink | null> {
  if (!TOKEN.test(token)) return null;
  const [row] = await db.query<{ account_id: string; version_id: string; expires_at: Date }>(
    `SELECT account_id, version_id, expires_at FROM terms_ack_tokens WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2`,
    [sha256Hex(token), now],
  );
  if (!row) return null;
  const version = await findTermsById(db, row.version_id);
  return version ? { accountId: row.account_id, version, expiresAt: new Date(row.expires_at) } : null;
}

/**
 * Uses the link: claims it (once) and records the acknowledgement, in one transaction. 'invalid' for an
 * unknown, used or expired link; 'already' when the account had acknowledged this version before.
 */
export async function redeemAckToken(db: Db, token: string, input: { ip: string | null; now: Date }): Promise<{ outcome: 'acknowledged' | 'already' | 'invalid'; version?: TermsVersion }> {
  if (!TOKEN.test(token)) return { outcome: 'invalid' };
  return db.transaction(async (tx) => {
    const [claimed] = await tx.query<{ account_id: string; version_id: string }>(
      `UPDATE terms_ack_tokens SET used_at = $2 WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2 RETURNING account_id, version_id`,
      [sha256Hex(token), input.now],
    );
    if (!claimed) return { outcome: 'invalid' as const };
    const version = await findTermsById(tx, claimed.version_id);
    if (!version) return { outcome: 'invalid' as const };
    const recorded = await recordAcknowledgement(tx, {
      accountId: claimed.account_id, versionId: version.id, label: version.label, via: 'link', ip: input.ip, now: input.now,
    });
    return { outcome: recorded ? ('acknowledged' as const) : ('already' as const), version };
  });
}
