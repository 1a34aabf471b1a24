import { randomBytes } from 'node:crypto';
import type { Db, Queryable } from '../store/db.ts';
import { newId } from '../store/ids.ts';
import { appendAudit } from '../audit/audit-log.ts';
import type { Actor } from '../domain/actor.ts';
import { KinkyuError } from '../domain/errors.ts';
import { enqueueMail } from '../mail/outbox.ts';
import type { ExchangeAccounts, LockEffects } from '../accounts/adapter.ts';

import { parseContact, type SupportDesk } from '../support/desk.ts';
import { lockedMail, lockLinkMail } from './emails.ts';
import { sha256Hex } from '../security/secrets.ts';

export type LockSource = 'self' | 'email_link' | 'help_center' | 'detection' | 'staff';

export interface LockResult {
  lockId: string;
  effects: LockEffects;
  ticketNumber: number | null;
}

export interface EmergencyLockOptions {
  publicUrl: string;
  mailDomain: string;
  exchangeName: { ja: string; en: string };
  /** How long a "this wasn't me" link works. Default 7 days. */
  lockLinkTtlMs?: number;
  clock?: () => Date;
  log?: (msg: string, err?: unknown) => void;
}

/** Lock links sent from the help center to one account per hour, over all its addresses. */
const HELP_CENTER_LINKS_PER_HOUR = 9;

/** An unlock being approved: which request, for which lock and account, asked for by whom, approved by whom, when. */
export interface UnlockApproval {
  requestId: string;
  lockId: string;
  accountId: string;
  requestedBy: string;
  approvedBy: string;
  at: Date;
}

/** What the recovery after a takeover (recovery.ts) adds to an approval. */
export interface ApproveUnlockHooks {
  /**
   * After the four-eyes checks pass, before anything is recorded: work at the exchange that must be done before
   * the account opens again (removing what the attacker added). If it throws, nothing is approved.
   */
  before?(approval: UnlockApproval): Promise<void>;
  /** Inside the approval's transaction, before its audit entry: records and mail that commit with it. */
  within?(tx: Queryable, approval: UnlockApproval): Promise<void>;
}

export const UNLOCK_CHECKLIST = ['identity_document', 'selfie_match', 'registered_phone', 'recent_activity', 'contact_channel'] as const;
export type UnlockCheck = (typeof UNLOCK_CHECKLIST)[number];

/**
 * The emergency lock: lock first, ask questions later. The exchange-side lock (sessions, API keys, trading,
 * withdrawals, pending withdrawals) takes effect before anything else happens and before the caller answers;
 * the record, the email and the security ticket follow, and their failure never undoes or delays the lock.
 * It never asks for the password.
 */
export class EmergencyLock {
  private readonly clock: () => Date;
  private readonly ttl: number;

  constructor(
    private readonly db: Db,
    private readonly accounts: ExchangeAccounts,
    private readonly desk: SupportDesk,
    private readonly opts: EmergencyLockOptions,
  ) {
    this.clock = opts.clock ?? (() => new Date());
    this.ttl = opts.lockLinkTtlMs ?? 7 * 86_400_000;
  }

  async lock(accountId: string, input: { source: LockSource; reason: string; actor: Actor; lang?: 'ja' | 'en' }): Promise<LockResult> {
    const lockId = newId();
    const effects = await this.accounts.lock(accountId, { lockId, reason: input.reason });
    const now = this.clock();
    // The lock holds from here on: nothing after it may throw before it is recorded.
    const account = await this.accounts.findAccount({ accountId }).catch((err: unknown) => {
      this.opts.log?.('the locked account could not be read back (recorded without mail or ticket)', err);
      return null;
    });
    const lang = input.lang ?? 'ja';
    // The urgent security ticket first (one statement), so the lock record can name it; its failure never
    // undoes the lock.
    let ticket: { ticketId: string; number: number } | null = null;
    if (account) {
      try {
        const body =
          lang === 'ja'
            ? `[自動] アカウントの緊急ロック (${sourceLabel(input.source)})\n理由: ${input.reason}\nセッション・APIキーを無効化し、取引と出金を停止しました (処理待ちの出金 ${effects.withdrawalsCancelled} 件を取り消し)。本人確認のうえ対応してください。`
            : `[automatic] Emergency account lock (${input.source})\nReason: ${input.reason}\nSessions and API keys revoked, trading and withdrawals stopped (${effects.withdrawalsCancelled} pending withdrawals cancelled). Verify identity before anything else.`;
        ticket = await this.desk.submitParsed(parseContact({ body, email: account.email, category: 'security' }), {
          lang, ip: input.actor.ip ?? null, sendConfirmation: false,
          triage: { type: 'security', priority: 'urgent', reasons: [{ rule: 'lock.account_locked', matched: input.source, effect: 'type security, priority urgent (emergency lock)' }] },
        });
      } catch (err) {
        this.opts.log?.('the security ticket for a lock could not be opened (the lock holds)', err);
      }
    }
    const local = await this.db.transaction(async (tx) => {
      // kinkyu's own sessions for this account (the security center) end as well, whatever the adapter.
      const revoked = await tx.query(`UPDATE user_sessions SET revoked_at = $2 WHERE account_id = $1 AND revoked_at IS NULL RETURNING 1`, [accountId, now]);
      await tx.query(
        `INSERT INTO account_locks (id, account_id, source, reason, actor_type, actor_id, ip, locked_at, sessions_revoked, api_keys_revoked, withdrawals_cancelled, ticket_id)
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12)`,
        [lockId, accountId, input.source, input.reason.slice(0, 2000), input.actor.type, input.actor.id, input.actor.ip ?? null, now,
          effects.sessionsRevoked + revoked.length, effects.apiKeysRevoked, effects.withdrawalsCancelled, ticket?.ticketId ?? null],
      );
      await tx.query(`INSERT INTO account_events (account_id, kind, at, ip, data) VALUES ($1, 'account_locked', $2, $3, $4::jsonb)`, [
        accountId, now, input.actor.ip ?? null, JSON.stringify({ lockId, source: input.source }),
      ]);
      if (account) {
        const mail = lockedMail({ lang, exchangeName: this.opts.exchangeName[lang], at: now, effects: { ...effects, sessionsRevoked: effects.sessionsRevoked + revoked.length }, source: input.source, ticketNumber: ticket?.number ?? null });
        await enqueueMail(tx, { to: account.email, subject: mail.subject, text: mail.text, messageId: `<lock-${lockId}@${this.opts.mailDomain}>` }, { domain: this.opts.mailDomain });
      }
      // Last: the audit chain's head row is locked until commit, so every lock holds it as briefly as possible.
      await appendAudit(tx, {
        actorType: input.actor.type, actorId: input.actor.id, ip: input.actor.ip ?? null, action: 'account.lock', targetType: 'account', targetId: accountId,
        data: { lockId, source: input.source, reason: input.reason.slice(0, 500), ...effects },
      });
      return revoked.length;
    });
    const ticketNumber = ticket?.number ?? null;
    return { lockId, effects: { ...effects, sessionsRevoked: effects.sessionsRevoked + local }, ticketNumber };
  }

  /** A one-time lock link for `sentTo`; the token is returned once and only its hash is kept. */
  async issueLockLink(accountId: string, sentTo: string, reason: string): Promise<string> {
    const token = randomBytes(24).toString('base64url');
    const now = this.clock();
    await this.db.query(`INSERT INTO lock_tokens (token_hash, account_id, reason, sent_to, created_at, expires_at) VALUES ($1,$2,$3,$4,$5,$6)`, [
      sha256Hex(token), accountId, reason, sentTo, now, new Date(now.getTime() + this.ttl),
    ]);
    return `${this.opts.publicUrl}/lock/${token}`;
  }

  /** Whether a lock link is still good (for the confirmation page); does not use it. */
  async lockLinkValid(token: string): Promise<boolean> {
    if (!/^[\w-]{20,64}$/.test(token)) return false;
    const [row] = await this.db.query(`SELECT 1 FROM lock_tokens WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2`, [sha256Hex(token), this.clock()]);
    return !!row;
  }

  /** "This wasn't me": the link works once, before it expires, without signing in. */
  async lockByLink(token: string, actor: Actor, lang: 'ja' | 'en'): Promise<LockResult> {
    if (!/^[\w-]{20,64}$/.test(token)) throw new KinkyuError('NOT_FOUND', { what: 'lock_link' });
    const [row] = await this.db.query<{ account_id: string; reason: string }>(
      `UPDATE lock_tokens SET used_at = $2 WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2 RETURNING account_id, reason`,
      [sha256Hex(token), this.clock()],
    );
    if (!row) throw new KinkyuError('NOT_FOUND', { what: 'lock_link' });
    try {
      return await this.lock(row.account_id, { source: 'email_link', reason: `lock link (${row.reason})`, actor, lang });
    } catch (err) {
      // The exchange could not be reached: the link stays usable for another try.
      await this.db.query(`UPDATE lock_tokens SET used_at = NULL WHERE token_hash = $1`, [sha256Hex(token)]).catch(() => undefined);
      throw err;
    }
  }

  /**
   * From the help center, without signing in: lock links go to the current address, to addresses replaced in
   * the last 30 days and to a verified emergency contact. The caller answers the same whether or not the
   * account exists, and should not wait for this (its duration would tell).
   */
  async sendLockLinks(identifier: string, lang: 'ja' | 'en', requester: Actor = { type: 'user', id: null }): Promise<number> {
    const id = identifier.trim();
    if (!id || id.length > 254) return 0;
    const account = id.includes('@') ? await this.accounts.findAccount({ email: id }) : await this.accounts.findAccount({ accountId: id });
    // Every request is on record (who asked, from where, for which account if any), never the identifier itself.
    await this.db.transaction((tx) =>
      appendAudit(tx, {
        actorType: requester.type, actorId: requester.id, ip: requester.ip ?? null, action: 'account.lock_links_requested',
        targetType: account ? 'account' : null, targetId: account?.id ?? null, data: { identifierHash: sha256Hex(id.toLowerCase()).slice(0, 16) },
      }),
    );
    if (!account) return 0;
    // However many addresses and identifiers ask, one account gets at most a few rounds of links an hour
    // (silently: the answer is the same whatever happens here).
    const [recent] = await this.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM lock_tokens WHERE account_id = $1 AND reason = 'help_center' AND created_at > $2`,
      [account.id, new Date(this.clock().getTime() - 3_600_000)],
    );
    if ((recent?.n ?? 0) >= HELP_CENTER_LINKS_PER_HOUR) return 0;
    const [credentials] = await this.db.query<{ emergency_contact: string | null; emergency_contact_verified_at: Date | null }>(
      `SELECT emergency_contact, emergency_contact_verified_at FROM user_credentials WHERE account_id = $1`,
      [account.id],
    );
    const recipients = new Set([account.email, ...account.previousEmails]);
    if (credentials?.emergency_contact && credentials.emergency_contact_verified_at) recipients.add(credentials.emergency_contact);
    for (const to of recipients) {
      const link = await this.issueLockLink(account.id, to, 'help_center');
      const mail = lockLinkMail({ lang, exchangeName: this.opts.exchangeName[lang], link, reason: 'help_center' });
      await this.db.transaction((tx) => enqueueMail(tx, { to, subject: mail.subject, text: mail.text }, { domain: this.opts.mailDomain }));
    }
    return recipients.size;
  }

  /** Unlock, step 1: one staff member records the identity checks done and asks for approval (`within`: in the same transaction). */
  async requestUnlock(
    actor: Actor,
    accountId: string,
    input: { checklist: unknown; note?: unknown },
    hooks: { within?(tx: Queryable, request: { requestId: string; lockId: string; accountId: string }): Promise<void> } = {},
  ): Promise<string> {
    if (actor.type !== 'staff' || !actor.id) throw new KinkyuError('FORBIDDEN');
    const checks = Array.isArray(input.checklist) ? input.checklist : input.checklist === undefined ? [] : [input.checklist];
    const missing = UNLOCK_CHECKLIST.filter((c) => !checks.includes(c));
    if (missing.length) throw new KinkyuError('VALIDATION', { field: 'checklist', rule: 'unlock_checks' });
    const note = typeof input.note === 'string' ? input.note.slice(0, 2000) : '';
    return this.db.transaction(async (tx) => {
      const [lock] = await tx.query<{ id: string }>(`SELECT id FROM account_locks WHERE account_id = $1 AND unlocked_at IS NULL ORDER BY locked_at DESC LIMIT 1 FOR UPDATE`, [accountId]);
      if (!lock) throw new KinkyuError('CONFLICT', { rule: 'not_locked' });
      const id = newId();
      await tx.query(`INSERT INTO unlock_requests (id, lock_id, account_id, requested_by, checklist, note, requested_at) VALUES ($1,$2,$3,$4,$5::jsonb,$6,$7)`, [
        id, lock.id, accountId, actor.id, JSON.stringify([...UNLOCK_CHECKLIST]), note, this.clock(),
      ]);
      await hooks.within?.(tx, { requestId: id, lockId: lock.id, accountId });
      await appendAudit(tx, { actorType: 'staff', actorId: actor.id, ip: actor.ip ?? null, action: 'account.unlock_request', targetType: 'account', targetId: accountId, data: { requestId: id, lockId: lock.id } });
      return id;
    });
  }

  /**
   * Unlock, step 2: a different staff member approves (four eyes). The user must reset password and 2FA. With
   * `hooks.before` the checks run once more first, without holding anything, so the exchange-side work happens
   * only for an approval that would pass; they are checked again under lock before anything is recorded.
   */
  async approveUnlock(actor: Actor, requestId: string, hooks: ApproveUnlockHooks = {}): Promise<void> {
    if (actor.type !== 'staff' || !actor.id) throw new KinkyuError('FORBIDDEN');
    if (hooks.before) {
      const approval = await this.db.transaction((tx) => this.approvable(tx, actor.id!, requestId));
      await hooks.before(approval);
    }
    const request = await this.db.transaction(async (tx) => {
      const approval = await this.approvable(tx, actor.id!, requestId);
      const now = approval.at;
      const row = { id: approval.requestId, lock_id: approval.lockId, account_id: approval.accountId, requested_by: approval.requestedBy };
      await tx.query(`UPDATE unlock_requests SET decided_by = $2, decided_at = $3, decision = 'approved' WHERE id = $1`, [row.id, actor.id, now]);
      // Every open lock of the account ends together: kinkyu and the exchange agree on "unlocked".
      await tx.query(`UPDATE account_locks SET unlocked_at = $2 WHERE account_id = $1 AND unlocked_at IS NULL`, [row.account_id, now]);
      await tx.query(`UPDATE unlock_requests SET decision = 'rejected', decided_at = $2 WHERE account_id = $1 AND decision IS NULL AND id <> $3`, [row.account_id, now, row.id]);
      // Whoever held the account before the lock may know the password and may have set the second factor and
      // recovery codes: none of them count any more. The verified owner sets a new password from a one-time link
      // sent to the address staff confirmed, then enrols 2FA again.
      await tx.query(
        `UPDATE user_credentials SET password_hash = '!reset-after-unlock', totp_secret = NULL, totp_enabled_at = NULL, totp_last_step = NULL,
                must_reset_password = true, must_reenrol_2fa = true WHERE account_id = $1`,
        [row.account_id],
      );
      await tx.query(`DELETE FROM user_recovery_codes WHERE account_id = $1`, [row.account_id]);
      await hooks.within?.(tx, approval);
      await appendAudit(tx, {
        actorType: 'staff', actorId: actor.id, ip: actor.ip ?? null, action: 'account.unlock', targetType: 'account', targetId: row.account_id,
        data: { requestId: row.id, lockId: row.lock_id, requestedBy: row.requested_by, approvedBy: actor.id },
      });
      return row;
    });
    await this.accounts.unlock(request.account_id, { lockId: request.lock_id });
  }

  /** The four-eyes checks of an approval, holding the request and the account's open locks until `tx` ends. */
  private async approvable(tx: Queryable, approverId: string, requestId: string): Promise<UnlockApproval> {
    const [row] = await tx.query<{ id: string; lock_id: string; account_id: string; requested_by: string; decision: string | null; requested_at: Date }>(
      `SELECT id, lock_id, account_id, requested_by, decision, requested_at FROM unlock_requests WHERE id = $1 FOR UPDATE`,
      [requestId],
    );
    if (!row) throw new KinkyuError('NOT_FOUND', { what: 'unlock_request' });
    if (row.decision) throw new KinkyuError('CONFLICT', { rule: 'already_decided' });
    if (row.requested_by === approverId) throw new KinkyuError('FORBIDDEN', { rule: 'four_eyes' });
    // An approval answers the lock it was asked for: if that lock is over, or the account was locked again
    // after the identity checks were recorded, it unlocks nothing.
    const open = await tx.query<{ id: string; locked_at: Date }>(
      `SELECT id, locked_at FROM account_locks WHERE account_id = $1 AND unlocked_at IS NULL FOR UPDATE`,
      [row.account_id],
    );
    if (!open.some((l) => l.id === row.lock_id)) throw new KinkyuError('CONFLICT', { rule: 'not_locked' });
    if (open.some((l) => new Date(l.locked_at) > new Date(row.requested_at))) throw new KinkyuError('CONFLICT', { rule: 'newer_lock' });
    return { requestId: row.id, lockId: row.lock_id, accountId: row.account_id, requestedBy: row.requested_by, approvedBy: approverId, at: this.clock() };
  }
}

function sourceLabel(source: LockSource): string {
  return { self: '本人 (ログイン中)', email_link: 'メールのロックリンク', help_center: 'ヘルプセンター', detection: '不審な操作の検知', staff: 'スタッフ' }[source];
}
