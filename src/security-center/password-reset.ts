import { randomBytes } from 'node:crypto';
import type { Db, Queryable } from '../store/db.ts';
import { enqueueMail } from '../mail/outbox.ts';
import type { EmergencyLock } from '../protection/emergency-lock.ts';

import { passwordResetMail } from './emails.ts';
import { sha256Hex } from '../domain/secrets.ts';

export const RESET_MINUTES = 30;

export interface PasswordResetDeps {
  db: Db;
  lock: EmergencyLock;
  publicUrl: string;
  exchangeName: (lang: 'ja' | 'en') => string;
  mailDomain: string;
  clock: () => Date;
}

/** Stores a one-time reset token (only its hash) valid for `minutes`; returns the link that carries it. */
export async function createPasswordResetLink(q: Queryable, publicUrl: string, accountId: string, now: Date, minutes = RESET_MINUTES): Promise<string> {
  const token = randomBytes(32).toString('base64url');
  await q.query(`INSERT INTO password_reset_tokens (token_hash, account_id, created_at, expires_at) VALUES ($1,$2,$3,$4)`, [
    sha256Hex(token), accountId, now, new Date(now.getTime() + minutes * 60_000),
  ]);
  return `${publicUrl}/account/forgot/${token}`;
}

/**
 * A one-time link to set a new password, mailed with a lock link beside it. Used by "forgot password"; after
 * a staff unlock the link goes in the unlock email instead (protection/recovery-email.ts).
 */
export async function issuePasswordResetLink(deps: PasswordResetDeps, account: { id: string; email: string }, lang: 'ja' | 'en', minutes = RESET_MINUTES): Promise<void> {
  const resetLink = await createPasswordResetLink(deps.db, deps.publicUrl, account.id, deps.clock(), minutes);
  const lockLink = await deps.lock.issueLockLink(account.id, account.email, 'password_reset');
  const mail = passwordResetMail({ lang, exchangeName: deps.exchangeName(lang), resetLink, lockLink, minutes });
  await deps.db.transaction((tx) => enqueueMail(tx, { to: account.email, subject: mail.subject, text: mail.text, lang }, { domain: deps.mailDomain }));
}
