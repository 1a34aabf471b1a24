import { randomBytes } from 'node:crypto';
import type { Db, Queryable } from '../store/db.ts';
import { newId } from '../store/ids.ts';
import { appendAudit } from '../audit/audit-log.ts';
import type { Actor } from '../domain/actor.ts';
import { isKinkyuError, KinkyuError } from '../domain/errors.ts';
import { enqueueMail } from '../mail/outbox.ts';
import type { ExchangeAccounts, LockEffects } from '../exchange/adapter.ts';
import { faultPoint } from '../faults/fault-points.ts';
import { type SupportDesk } from '../desk/desk.ts';
import { parseContact } from '../desk/contact-form.ts';
import { lockedMail, lockLinkMail } from './emails.ts';
import { sha256Hex } from '../domain/secrets.ts';
import { LockIntents, type LockIntent, type OpenLockIntent } from './lock-intents.ts';
import { LockLinkRequests, type LockLinkRequest } from './lock-link-requests.ts';
import { AccountLocks } from './account-locks.ts';
import { errorText, LockReconciler } from './lock-reconciler.ts';
import type { LockSource } from './lock-source.ts';
import { t } from '../web/i18n.ts';


export interface LockResult {
  lockId: string;
  effects: LockEffects;
  /** The urgent security ticket's number (taken when the lock was journalled; the ticket row may follow). */
  ticketNumber: number | null;
}

export interface EmergencyLockOptions {
  publicUrl: string;
  mailDomain: string;
  exchangeName: { ja: string; en: string };
  /** The zone times in the lock's email are shown in (TIME_ZONE). */
  timeZone?: string;
  /** How long a "this wasn't me" link works. Default 7 days. */
  lockLinkTtlMs?: number;
  clock?: () => Date;
  log?: (msg: string, err?: unknown) => void;
}

/** Lock links sent from the help center to one account per hour, over all its addresses. */
const HELP_CENTER_LINKS_PER_HOUR = 9;
/** Background records of one process running at once (see recordSoon). */
const RECORDS_AT_ONCE = 2;
const LINK_TOKEN = /^[\w-]{20,64}$/;

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

function ticketBody(intent: LockIntent, effects: LockEffects): string {
  const lang = intent.lang;
  return t(lang, 'lockTicket.body', { source: t(lang, `lockTicket.source.${intent.source}`), reason: intent.reason, withdrawals: effects.withdrawalsCancelled });
}

/**
 * The emergency lock: lock first, ask questions later, never a password. Every lock is journalled before the
 * exchange is asked (`lock_intents`), takes effect at the exchange before the caller answers, and is recorded
 * exactly once afterwards — by this process, or after a crash by the reconciler of any process.
 */
export class EmergencyLock {
  private readonly clock: () => Date;
  private readonly ttl: number;
  private readonly intents: LockIntents;
  private readonly linkRequests: LockLinkRequests;
  private readonly locks: AccountLocks;
  private readonly reconciler: LockReconciler;
  private readonly inFlight = new Set<Promise<void>>();
  private recording = 0;
  private readonly slotWaiters: Array<() => void> = [];

  constructor(
    private readonly db: Db,
    private readonly accounts: ExchangeAccounts,
    private readonly desk: SupportDesk,
    private readonly opts: EmergencyLockOptions,
  ) {
    this.clock = opts.clock ?? (() => new Date());
    this.ttl = opts.lockLinkTtlMs ?? 7 * 86_400_000;
    this.intents = new LockIntents(db);
    this.linkRequests = new LockLinkRequests(db);
    this.locks = new AccountLocks();
    this.reconciler = new LockReconciler(db, this.intents, this.linkRequests, {
      record: (id) => this.record(id),
      processLinkRequest: (request) => this.processLinkRequest(request),
      clock: this.clock,
      log: opts.log,
    });
  }

  /**
   * Locks the account: the intent is journalled first, then the exchange locks (sessions, API keys, trading,
   * withdrawals, pending withdrawals) and the intent is marked effective; only then does this return. The
   * record — lock row, account event, email, urgent ticket, audit entry — is written in one transaction after
   * that, here or by the reconciler if this process dies first. `awaitRecord: false` answers without waiting
   * for it (the user's ways in, where every millisecond is the user's); staff and detection wait.
   * Throws EXCHANGE_UNAVAILABLE when the exchange did not confirm: the intent stays and is retried.
   */
  async lock(accountId: string, input: { source: LockSource; reason: string; actor: Actor; lang?: 'ja' | 'en' }, opts: { awaitRecord?: boolean } = {}): Promise<LockResult> {
    const intent = await this.intents.open({
      id: newId(), accountId, source: input.source, reason: input.reason, actorType: input.actor.type, actorId: input.actor.id,
      ip: input.actor.ip ?? null, lang: input.lang ?? 'ja',
    }, this.clock());
    faultPoint('lock.after_intent');
    return this.carryOut(intent, opts.awaitRecord ?? true);
  }

  /** "This wasn't me": the link works once, before it expires, without signing in. Spending it journals the lock. */
  async lockByLink(token: string, actor: Actor, lang: 'ja' | 'en', opts: { awaitRecord?: boolean } = {}): Promise<LockResult> {
    if (!LINK_TOKEN.test(token)) throw new KinkyuError('NOT_FOUND', { what: 'lock_link' });
    const intent = await this.intents.openFromLink(token, {
      id: newId(), source: 'email_link', actorType: actor.type, actorId: actor.id, ip: actor.ip ?? null, lang,
    }, this.clock());
    if (!intent) throw new KinkyuError('NOT_FOUND', { what: 'lock_link' });
    faultPoint('lock.after_link_spent');
    return this.carryOut(intent, opts.awaitRecord ?? true);
  }

  private async carryOut(intent: LockIntent, awaitRecord: boolean): Promise<LockResult> {
    let effects: LockEffects;
    try {
      effects = await this.accounts.lock(intent.accountId, { lockId: intent.id, reason: intent.reason });
    } catch (err) {
      if (isKinkyuError(err) && err.code === 'NOT_FOUND') {
        await this.intents.abandon(intent.id, 'account not found at the exchange', this.clock()).catch((e: unknown) => this.opts.log?.('a lock intent could not be closed', e));
        throw err;
      }
      // Not confirmed: the intent stays journalled and the reconciler asks again until the exchange answers.
      await this.intents.postpone(intent.id, 1, errorText(err), this.clock()).catch((e: unknown) => this.opts.log?.('a lock intent could not be postponed (the reconciler will retry it)', e));
      this.opts.log?.('the exchange did not confirm a lock (journalled; retried automatically)', err);
      throw new KinkyuError('EXCHANGE_UNAVAILABLE', { rule: 'lock_pending' });
    }
    faultPoint('lock.after_adapter_lock');
    let local = 0;
    let marked = false;
    try {
      local = await this.intents.markEffective(intent.id, intent.accountId, effects, this.clock());
      marked = true;
    } catch (err) {
      // The exchange has locked; the journal says so as soon as the database answers again (reconciler).
      this.opts.log?.('a lock took effect but could not be marked effective yet (the reconciler finishes it)', err);
    }
    faultPoint('lock.after_effective');
    const recording = this.recordSoon(intent.id, marked ? { accountId: intent.accountId } : undefined);
    if (awaitRecord) await recording;
    return { lockId: intent.id, effects: { ...effects, sessionsRevoked: effects.sessionsRevoked + local }, ticketNumber: intent.ticketNumber };
  }

  /**
   * Records an intent soon, in the background of this process; failures leave it to the reconciler. At most
   * RECORDS_AT_ONCE run together: each holds the audit chain's head until it commits, and a burst of them would
   * otherwise take every pooled connection from the locks still waiting to be answered.
   */
  private recordSoon(intentId: string, effectiveFor?: { accountId: string }): Promise<void> {
    return this.inBackground(
      this.recordSlot().then(() => this.record(intentId, effectiveFor).finally(() => this.releaseRecordSlot())),
      'a lock could not be recorded yet (the reconciler finishes it)',
    );
  }

  /** Work this process does after answering: tracked for `settled()`, a failure logged (the reconciler retries). */
  private inBackground(work: Promise<unknown>, failure: string): Promise<void> {
    const p: Promise<void> = work
      .then(() => undefined)
      .catch((err: unknown) => this.opts.log?.(failure, err))
      .finally(() => this.inFlight.delete(p));
    this.inFlight.add(p);
    return p;
  }

  private async recordSlot(): Promise<void> {
    if (this.recording < RECORDS_AT_ONCE) {
      this.recording++;
      return;
    }
    await new Promise<void>((resolve) => this.slotWaiters.push(resolve));
  }

  private releaseRecordSlot(): void {
    const next = this.slotWaiters.shift();
    if (next) next();
    else this.recording--;
  }

  /** Resolves when every record started by this process has finished (tests, shutdown). */
  async settled(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
  }

  /**
   * Finishes one intent: makes sure the exchange has locked (again, with the same lock id: idempotent), then
   * writes the lock row, the account event, the email, the urgent ticket and the audit entry in one
   * transaction that also marks the intent recorded. False when someone else recorded it (or is doing so).
   * `effectiveFor`: this process has just marked the intent effective (its state need not be read first).
   */
  async record(intentId: string, effectiveFor?: { accountId: string }): Promise<boolean> {
    let accountId = effectiveFor?.accountId;
    if (!accountId) {
      let intent = await this.intents.get(intentId);
      if (!intent || intent.recordedAt) return false;
      if (!intent.effectiveAt || !intent.effects) {
        const effects = await this.accounts.lock(intent.accountId, { lockId: intent.id, reason: intent.reason });
        await this.intents.markEffective(intent.id, intent.accountId, effects, this.clock());
        intent = (await this.intents.get(intentId))!;
        if (intent.recordedAt) return false;
      }
      accountId = intent.accountId;
    }
    const account = await this.accounts.findAccount({ accountId });
    const now = this.clock();
    const recorded = await this.db.transaction(async (tx) => {
      const claimed = await this.intents.claimForRecord(tx, intentId);
      // Not effective yet (the exchange has not confirmed): nothing to record; the reconciler asks it again.
      if (!claimed?.effects) return false;
      const fx = claimed.effects;
      const effects: LockEffects = { ...fx, sessionsRevoked: fx.sessionsRevoked + (fx.localSessionsRevoked ?? 0) };
      const lockedAt = claimed.effectiveAt ?? now;
      faultPoint('lock.before_ticket');
      let ticketId: string | null = null;
      if (account) {
        const ticket = await this.desk.submitParsed(parseContact({ body: ticketBody(claimed, effects), email: account.email, category: 'security' }), {
          lang: claimed.lang, ip: claimed.ip, sendConfirmation: false, within: tx, number: claimed.ticketNumber,
          triage: { type: 'security', priority: 'urgent', reasons: [{ rule: 'lock.account_locked', matched: claimed.source, effect: 'type security, priority urgent (emergency lock)', code: 'lock', params: {} }] },
        });
        ticketId = ticket.ticketId;
      }
      await this.locks.insert(tx, { intent: claimed, effects, lockedAt, ticketId });
      faultPoint('lock.after_record');
      await tx.query(`INSERT INTO account_events (account_id, kind, at, ip, data) VALUES ($1, 'account_locked', $2, $3, $4::jsonb)`, [
        claimed.accountId, lockedAt, claimed.ip, JSON.stringify({ lockId: claimed.id, source: claimed.source }),
      ]);
      faultPoint('lock.before_email');
      if (account) {
        const mail = lockedMail({ lang: claimed.lang, exchangeName: this.opts.exchangeName[claimed.lang], at: lockedAt, timeZone: this.opts.timeZone ?? 'Asia/Tokyo', effects, source: claimed.source, ticketNumber: claimed.ticketNumber });
        await enqueueMail(tx, { to: account.email, subject: mail.subject, text: mail.text, lang: claimed.lang, messageId: `<lock-${claimed.id}@${this.opts.mailDomain}>` }, { domain: this.opts.mailDomain });
      }
      faultPoint('lock.before_audit');
      await this.intents.markRecorded(tx, claimed.id, now);
      // Last: the audit chain's head row is locked until commit, so every lock holds it as briefly as possible.
      await appendAudit(tx, {
        actorType: claimed.actorType, actorId: claimed.actorId, ip: claimed.ip, action: 'account.lock', targetType: 'account', targetId: claimed.accountId,
        data: { lockId: claimed.id, source: claimed.source, reason: claimed.reason.slice(0, 500), ...effects },
      }, lockedAt);
      return true;
    });
    faultPoint('lock.after_commit');
    return recorded;
  }

  /**
   * One pass over the journal: every intent not yet recorded (and due) is finished — the exchange asked again,
   * the record written once — and every due help-center request carried out (src/protection/lock-reconciler.ts).
   * Runs at start and in the background of every process; `graceMs` leaves alone intents so fresh that the
   * process that opened them is probably still carrying them out. Returns how many it recorded.
   */
  reconcile(opts: { graceMs?: number; limit?: number } = {}): Promise<number> {
    return this.reconciler.reconcile(opts);
  }

  /** The reconciler in the background (the job mechanism: woken, polled every `everyMs`) until `stop()`. */
  startReconciler(everyMs = 5000): void {
    this.reconciler.start(everyMs);
  }

  /** Whether the reconciler keeps working (readiness); wall-clock time, not the injectable business clock. */
  reconcilerHealthy(withinMs: number): boolean {
    return this.reconciler.healthy(withinMs);
  }

  async stop(): Promise<void> {
    await this.reconciler.stop();
    await this.settled();
  }

  /** Locks of the account journalled but not yet recorded: asked for, waiting for the exchange or the record. */
  locksInProgress(accountId: string): Promise<OpenLockIntent[]> {
    return this.intents.openFor(accountId);
  }

  /** A one-time lock link for `sentTo`; the token is returned once and only its hash is kept. */
  async issueLockLink(accountId: string, sentTo: string, reason: string, q: Queryable = this.db): Promise<string> {
    const token = randomBytes(24).toString('base64url');
    const now = this.clock();
    await q.query(`INSERT INTO lock_tokens (token_hash, account_id, reason, sent_to, created_at, expires_at) VALUES ($1,$2,$3,$4,$5,$6)`, [
      sha256Hex(token), accountId, reason, sentTo, now, new Date(now.getTime() + this.ttl),
    ]);
    return `${this.opts.publicUrl}/lock/${token}`;
  }

  /** Whether a lock link is still good (for the confirmation page); does not use it. */
  async lockLinkValid(token: string): Promise<boolean> {
    if (!LINK_TOKEN.test(token)) return false;
    const [row] = await this.db.query(`SELECT 1 FROM lock_tokens WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2`, [sha256Hex(token), this.clock()]);
    return !!row;
  }

  /**
   * From the help center, without signing in: the request is committed (durable) and carried out after the
   * answer, so the answer is the same, and takes the same time, whether or not the account exists. Throws when
   * the request could not be stored (the database is away): the caller must then not say "sent".
   */
  async requestLockLinks(identifier: string, lang: 'ja' | 'en', requester: Actor = { type: 'user', id: null }): Promise<void> {
    const id = identifier.trim();
    if (!id || id.length > 254) return;
    await this.linkRequests.add({ id: newId(), identifier: id, lang, ip: requester.ip ?? null }, this.clock());
    faultPoint('lock.help_request_accepted');
    this.linkRequestsSoon();
  }

  /** Carries out the help center's requests now, in the background of this process. */
  private linkRequestsSoon(): void {
    void this.inBackground(this.processLinkRequests(50), 'lock links from the help center could not be sent yet (retried)');
  }

  /** Sends the lock links of every due help-center request, each exactly once. Returns how many requests it did. */
  processLinkRequests(limit: number): Promise<number> {
    return this.reconciler.processLinkRequests(limit);
  }

  /**
   * Lock links go to the current address, to addresses replaced in the last 30 days and to a verified
   * emergency contact. Every request is on record (who asked, from where, for which account if any), never the
   * identifier itself; the identifier is blanked in the request once it is done.
   */
  private async processLinkRequest(request: LockLinkRequest): Promise<boolean> {
    const id = request.identifier;
    const account = id.includes('@') ? await this.accounts.findAccount({ email: id }) : await this.accounts.findAccount({ accountId: id });
    const now = this.clock();
    let mailed = 0;
    const done = await this.db.transaction(async (tx) => {
      if (!(await this.linkRequests.claim(tx, request.id))) return false;
      await appendAudit(tx, {
        actorType: 'user', actorId: null, ip: request.ip, action: 'account.lock_links_requested',
        targetType: account ? 'account' : null, targetId: account?.id ?? null, data: { identifierHash: sha256Hex(id.toLowerCase()).slice(0, 16), requestId: request.id },
      }, now);
      let recipients: string[] = [];
      if (account) {
        // However many addresses and identifiers ask, one account gets at most a few rounds of links an hour
        // (silently: the answer was the same whatever happens here).
        const [recent] = await tx.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM lock_tokens WHERE account_id = $1 AND reason = 'help_center' AND created_at > $2`,
          [account.id, new Date(now.getTime() - 3_600_000)],
        );
        if ((recent?.n ?? 0) < HELP_CENTER_LINKS_PER_HOUR) {
          const [credentials] = await tx.query<{ emergency_contact: string | null; emergency_contact_verified_at: Date | null }>(
            `SELECT emergency_contact, emergency_contact_verified_at FROM user_credentials WHERE account_id = $1`,
            [account.id],
          );
          const set = new Set([account.email, ...account.previousEmails]);
          if (credentials?.emergency_contact && credentials.emergency_contact_verified_at) set.add(credentials.emergency_contact);
          recipients = [...set];
        }
      }
      for (const to of recipients) {
        const link = await this.issueLockLink(account!.id, to, 'help_center', tx);
        const mail = lockLinkMail({ lang: request.lang, exchangeName: this.opts.exchangeName[request.lang], link, reason: 'help_center' });
        await enqueueMail(tx, { to, subject: mail.subject, text: mail.text, lang: request.lang, messageId: `<lock-links-${request.id}-${mailed}@${this.opts.mailDomain}>` }, { domain: this.opts.mailDomain });
        mailed++;
      }
      await this.linkRequests.markDone(tx, request.id, recipients.length, now);
      return true;
    });
    return done;
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
      // Passkeys too: one added while the account was in the wrong hands would sign in alone.
      await tx.query(`DELETE FROM user_passkeys WHERE account_id = $1`, [row.account_id]);
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

