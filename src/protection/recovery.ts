import type { Db } from '../store/db.ts';
import type { Actor } from '../domain/actor.ts';
import { KinkyuError } from '../domain/errors.ts';
import { appendAudit } from '../audit/audit-log.ts';
import { enqueueMail } from '../mail/outbox.ts';
import { sha256Hex } from '../domain/secrets.ts';
import { createPasswordResetLink } from '../security-center/password-reset.ts';
import type { ApiKeyRecord, ExchangeAccounts, WithdrawalAddressRecord, WithdrawalRecord } from '../exchange/adapter.ts';
import { emailKeyOf } from '../exchange/reference-store.ts';
import type { EmergencyLock } from './emergency-lock.ts';
import { emailReplacedMail, emailRestoredMail, unlockMail } from './recovery-email.ts';
import {
  eventsBetween, insertKeep, insertRemoval, keepsFor, latestApprovedUnlock, pendingUnlockRequest, recordUnlockWindow, revokeSession,
  sessionsCreatedBetween, staffRole, userMailSettings, removalsSince, removalsForRequest, type EventRow, type RemovalRow, type SessionRow,
} from './recovery-repository.ts';
import { adjustWindow, openWindow, type CompromiseWindow, type WindowBasis } from './recovery-window.ts';


/** How long after an unlock the user's security center shows what happened in the window. */
export const USER_REVIEW_DAYS = 30;
/** The new-password link in the unlock email works this long (as before: the owner may read it the next day). */
export const UNLOCK_RESET_HOURS = 24;

export type RemovableKind = 'withdrawal_address' | 'api_key' | 'session';
export const REMOVABLE_KINDS: readonly RemovableKind[] = ['withdrawal_address', 'api_key', 'session'];

/**
 * An email address change in the window that can still be set back: the account has the address the window's
 * last change gave it, not the one it had before. The unlock restores it unless the requester keeps it.
 */
export interface EmailRevert {
  /** The account event of the window's last email change: what a keep and the staff action name (`email:<id>`). */
  id: string;
  /** The address before the window's first change: the one restored. */
  previous: string;
  /** The account's address now, given in the window: the one replaced. */
  current: string;
  /** The window's first email change. */
  changedAt: Date;
  /** Another account has the previous address now: it cannot be restored. */
  previousTaken: boolean;
}

/** Everything done to the account in a window, oldest first. */
export interface WindowChanges {
  addresses: WithdrawalAddressRecord[];
  apiKeys: ApiKeyRecord[];
  /** Email address and emergency contact changes (this system holds no phone numbers). */
  contactChanges: EventRow[];
  /** Password and two-factor changes. */
  credentialChanges: EventRow[];
  signIns: EventRow[];
  /** The security center's own sessions begun in the window. */
  sessions: SessionRow[];
  withdrawals: WithdrawalRecord[];
  /** The email change that can be set back; null when there was none or it is already undone. */
  emailRevert: EmailRevert | null;
}

export interface PlanItem {
  kind: 'withdrawal_address' | 'api_key';
  id: string;
  label: string;
  createdAt: Date;
  /** False for a key the lock already revoked: the unlock revokes it for good, it cannot be kept. */
  active: boolean;
}

/** What approving the unlock will remove, and what the requester chose to keep. */
export interface UnlockPlan {
  window: CompromiseWindow;
  remove: PlanItem[];
  keep: Array<PlanItem & { reason: string; keptByName: string | null }>;
  /**
   * The email address changed in the window: restored at approval (`keep` null) — the unlock email and the
   * new-password link then go to the restored address — or kept by the requester, with a reason.
   */
  email: { revert: EmailRevert; keep: { reason: string; keptByName: string | null } | null } | null;
  /** Changes whenever the window or the list does: an approval is refused if it differs from what was shown. */
  fingerprint: string;
  pendingRequestId: string | null;
}

/** The recovery as the user sees it in the security center after the unlock. */
export interface RecoveryReview {
  startsAt: Date;
  endsAt: Date;
  basis: WindowBasis;
  removals: RemovalRow[];
  changes: WindowChanges;
}

/** For the staff account page: the window (open, or the last unlock's), its changes, removals and plan. */
export interface RecoveryOverview {
  /** The open lock's window with its basis and any staff adjustment; null after the unlock. */
  open: CompromiseWindow | null;
  startsAt: Date;
  /** The unlock; null while locked. */
  endsAt: Date | null;
  basis: WindowBasis;
  detail: string;
  changes: WindowChanges;
  removals: RemovalRow[];
  plan: UnlockPlan | null;
}

export interface RecoveryOptions {
  publicUrl: string;
  mailDomain: string;
  exchangeName: { ja: string; en: string };
  timeZone: string;
  clock?: () => Date;
}

export const itemKey = (kind: string, id: string) => `${kind}:${id}`;
/** What the exchange is told when an address is set back (it may log it). */
const RESTORE_REASON = 'account takeover recovery: the address before the compromise window';
const addressLabel = (a: WithdrawalAddressRecord) => `${a.asset} ${a.address}`;
const within = (at: string | Date, from: Date, to: Date) => {
  const t = new Date(at).getTime();
  return t >= from.getTime() && t <= to.getTime();
};

/**
 * The recovery after a takeover: the compromise window of a lock (recovery-window.ts), everything changed in it,
 * and the unlock that removes the attacker's foothold by default — withdrawal addresses and API keys created in
 * the window — unless the staff member who asks for the unlock keeps one, with a reason. The unlock email tells
 * the owner what was removed and what to do next. Staff remove items one by one before the unlock; the owner
 * does after it, from the security center.
 */
export class Recovery {
  private readonly clock: () => Date;

  constructor(
    private readonly db: Db,
    private readonly accounts: ExchangeAccounts,
    private readonly lock: EmergencyLock,
    private readonly opts: RecoveryOptions,
  ) {
    this.clock = opts.clock ?? (() => new Date());
  }

  /** The open lock's window, or null when the account is not locked. */
  window(accountId: string): Promise<CompromiseWindow | null> {
    return openWindow(this.db, accountId);
  }

  adjustWindow(actor: Actor, accountId: string, input: { startsAt: unknown; reason: unknown }): Promise<CompromiseWindow> {
    return adjustWindow(this.db, actor, accountId, input, { timeZone: this.opts.timeZone, clock: this.clock });
  }

  async changes(accountId: string, from: Date, to: Date): Promise<WindowChanges> {
    const [addresses, apiKeys, events, sessions, withdrawals, account] = await Promise.all([
      this.accounts.listWithdrawalAddresses(accountId),
      this.accounts.listApiKeys(accountId),
      eventsBetween(this.db, accountId, ['email_changed', 'emergency_contact_changed', 'password_changed', 'totp_enabled', 'totp_reset', 'passkey_added', 'passkey_removed', 'sign_in', 'sign_in_failed'], from, to),
      sessionsCreatedBetween(this.db, accountId, from, to),
      this.accounts.recentWithdrawals(accountId, 200),
      this.accounts.findAccount({ accountId }),
    ]);
    const oldestFirst = <T extends { createdAt: string }>(xs: T[]) => xs.filter((x) => within(x.createdAt, from, to)).sort((a, b) => a.createdAt.localeCompare(b.createdAt));
    return {
      emailRevert: await this.emailRevert(accountId, events, account?.email ?? null),
      addresses: oldestFirst(addresses),
      apiKeys: oldestFirst(apiKeys),
      contactChanges: events.filter((e) => e.kind === 'email_changed' || e.kind === 'emergency_contact_changed'),
      credentialChanges: events.filter((e) => ['password_changed', 'totp_enabled', 'totp_reset', 'passkey_added', 'passkey_removed'].includes(e.kind)),
      signIns: events.filter((e) => e.kind === 'sign_in' || e.kind === 'sign_in_failed'),
      sessions,
      withdrawals: oldestFirst(withdrawals),
    };
  }

  /**
   * The window's email change, if the account still has the address it gave: the address before the window's
   * first change is the one to go back to (a hijacker may change it twice). Null when there was no change, the
   * account is back at that address already, or the address was changed again after the window.
   */
  private async emailRevert(accountId: string, events: EventRow[], current: string | null): Promise<EmailRevert | null> {
    const changes = events.filter((e) => e.kind === 'email_changed' && typeof e.data.from === 'string' && typeof e.data.to === 'string');
    const first = changes[0];
    const last = changes.at(-1);
    if (!first || !last || !current) return null;
    const previous = first.data.from as string;
    if (emailKeyOf(current) === emailKeyOf(previous) || emailKeyOf(current) !== emailKeyOf(last.data.to as string)) return null;
    const holder = await this.accounts.findAccount({ email: previous });
    return { id: String(last.id), previous, current, changedAt: first.at, previousTaken: !!holder && holder.id !== accountId };
  }

  /**
   * What the unlock would remove now: every withdrawal address and API key created in the open lock's window,
   * less those kept, and the email address it would set back — kept by `keeps` as the request form has them
   * (a request being made), else by the given request, else by the pending one.
   */
  async plan(accountId: string, choice: { requestId?: string; keeps?: Record<string, string> } = {}): Promise<UnlockPlan | null> {
    const window = await this.window(accountId);
    if (!window) return null;
    return this.planFor(window, await this.changes(accountId, window.startsAt, this.clock()), choice);
  }

  private async planFor(window: CompromiseWindow, changes: WindowChanges, choice: { requestId?: string; keeps?: Record<string, string> }): Promise<UnlockPlan> {
    // `keeps` (the request being made) stands on its own; otherwise the given request's, or the pending one's.
    const requestId = choice.keeps ? null : choice.requestId ?? (await pendingUnlockRequest(this.db, window.accountId))?.id ?? null;
    const chosen = new Map<string, { reason: string; keptByName: string | null }>();
    if (requestId) for (const k of await keepsFor(this.db, requestId)) chosen.set(itemKey(k.kind, k.itemId), { reason: k.reason, keptByName: k.keptByName });
    else for (const [key, reason] of Object.entries(choice.keeps ?? {})) if (reason.trim()) chosen.set(key, { reason: reason.trim(), keptByName: null });
    const items: PlanItem[] = [
      ...changes.addresses.map((a) => ({ kind: 'withdrawal_address' as const, id: a.id, label: addressLabel(a), createdAt: new Date(a.createdAt), active: true })),
      ...changes.apiKeys.map((k) => ({ kind: 'api_key' as const, id: k.id, label: k.label, createdAt: new Date(k.createdAt), active: k.revokedAt === null })),
    ];
    const remove: PlanItem[] = [];
    const keep: UnlockPlan['keep'] = [];
    for (const item of items) {
      const kept = item.active ? chosen.get(itemKey(item.kind, item.id)) : undefined;
      if (kept) keep.push({ ...item, ...kept });
      else remove.push(item);
    }
    const revert = changes.emailRevert;
    const email = revert ? { revert, keep: chosen.get(itemKey('email', revert.id)) ?? null } : null;
    const fingerprint = sha256Hex(JSON.stringify([
      window.startsAt.toISOString(), remove.map((i) => itemKey(i.kind, i.id)).sort(), keep.map((i) => itemKey(i.kind, i.id)).sort(),
      email ? [email.revert.id, emailKeyOf(email.revert.previous), emailKeyOf(email.revert.current), email.keep ? 'keep' : 'restore'] : null,
    ])).slice(0, 32);
    return { window, remove, keep, email, fingerprint, pendingRequestId: requestId };
  }

  /**
   * The staff account page's view: the open lock's window, its changes, what recoveries removed and the unlock
   * plan; after an unlock, the window it acted on (no plan). Null when the account was never locked under recovery.
   */
  async overview(accountId: string): Promise<RecoveryOverview | null> {
    const open = await this.window(accountId);
    if (open) {
      const changes = await this.changes(accountId, open.startsAt, this.clock());
      const [removals, plan] = await Promise.all([removalsSince(this.db, accountId, open.startsAt), this.planFor(open, changes, {})]);
      return { open, startsAt: open.startsAt, endsAt: null, basis: open.basis, detail: open.detail, changes, removals, plan };
    }
    const unlock = await latestApprovedUnlock(this.db, accountId);
    if (!unlock) return null;
    const [removals, changes] = await Promise.all([
      removalsSince(this.db, accountId, unlock.windowStartsAt),
      this.changes(accountId, unlock.windowStartsAt, unlock.windowEndsAt),
    ]);
    return { open: null, startsAt: unlock.windowStartsAt, endsAt: unlock.windowEndsAt, basis: unlock.windowBasis as WindowBasis, detail: '', changes, removals, plan: null };
  }

  /**
   * Unlock, step 1, with the requester's choice of what to keep: `keep` maps `kind:id` to a reason (an empty
   * reason keeps nothing). Only addresses and still-active keys created in the window can be kept; anything else
   * is refused and nothing is recorded.
   */
  async requestUnlock(actor: Actor, accountId: string, input: { checklist: unknown; note?: unknown; keep?: Record<string, string> }): Promise<string> {
    const wanted = Object.entries(input.keep ?? {}).map(([key, reason]) => [key, reason.trim()] as const).filter(([, reason]) => reason);
    for (const [, reason] of wanted) if (reason.length > 500) throw new KinkyuError('VALIDATION', { field: 'keepReason', rule: 'max', max: '500' });
    // Without a window (not locked) there is nothing to keep: the lock's own check refuses the request below.
    const plan = await this.plan(accountId, { keeps: Object.fromEntries(wanted) });
    const keepable = new Map<string, { kind: PlanItem['kind'] | 'email'; id: string; label: string }>((plan?.keep ?? []).map((i) => [itemKey(i.kind, i.id), i]));
    if (plan?.email?.keep) keepable.set(itemKey('email', plan.email.revert.id), { kind: 'email', id: plan.email.revert.id, label: plan.email.revert.current });
    if (wanted.some(([key]) => !keepable.has(key))) throw new KinkyuError('VALIDATION', { field: 'keep', rule: 'keep_unknown' });
    // The previous address cannot come back: an unlock would send the new-password link to the new one, so it
    // can be asked for only by someone who confirmed that the new one is the owner's (and says so).
    if (plan?.email && !plan.email.keep && plan.email.revert.previousTaken) {
      throw new KinkyuError('VALIDATION', { field: 'keep', rule: 'email_restore_taken', previous: plan.email.revert.previous, current: plan.email.revert.current });
    }
    return this.lock.requestUnlock(actor, accountId, input, {
      within: async (tx, request) => {
        for (const [key, reason] of wanted) {
          const item = keepable.get(key)!;
          await insertKeep(tx, { requestId: request.requestId, kind: item.kind, itemId: item.id, reason, keptBy: actor.id!, at: this.clock() });
          await appendAudit(tx, {
            actorType: 'staff', actorId: actor.id, ip: actor.ip ?? null, action: 'account.recovery_keep', targetType: 'account', targetId: accountId,
            data: { requestId: request.requestId, kind: item.kind, itemId: item.id, label: item.label, reason },
          }, this.clock());
        }
      },
    });
  }

  /**
   * Unlock, step 2: the four-eyes approval, which first removes at the exchange what the plan says (before the
   * account opens again; if the exchange fails, nothing is approved and a retry removes the rest), then records
   * the removals, the window and the unlock email (with the new-password link) in the approval's transaction.
   * `fingerprint`: the plan the approver was shown; refused if the plan has changed since.
   */
  async approveUnlock(actor: Actor, requestId: string, input: { fingerprint?: unknown } = {}): Promise<{ removed: RemovalRow[]; kept: UnlockPlan['keep'] }> {
    let plan: UnlockPlan | null = null;
    let account: { id: string; email: string } | null = null;
    let lockLink: string | null = null;
    let removed: RemovalRow[] = [];
    await this.lock.approveUnlock(actor, requestId, {
      before: async (approval) => {
        plan = await this.plan(approval.accountId, { requestId: approval.requestId });
        if (!plan) throw new KinkyuError('CONFLICT', { rule: 'not_locked' });
        if (typeof input.fingerprint === 'string' && input.fingerprint !== plan.fingerprint) throw new KinkyuError('CONFLICT', { rule: 'recovery_plan_changed' });
        // One item at a time, each recorded as soon as it is gone: if the exchange fails half-way nothing is
        // approved, and the next attempt removes the rest while the email still lists everything.
        const done = new Set((await removalsForRequest(this.db, approval.requestId)).map((x) => itemKey(x.kind, x.itemId)));
        // The address first: if it cannot come back (another account has it now), nothing else is done either.
        const email = plan.email;
        if (email && !email.keep && !done.has(itemKey('email', email.revert.id))) {
          const revert = email.revert;
          if (revert.previousTaken) throw new KinkyuError('CONFLICT', { rule: 'email_taken', email: revert.previous });
          const { changed } = await this.accounts.restoreEmail(approval.accountId, { email: revert.previous, reason: RESTORE_REASON });
          if (changed) {
            await this.db.transaction((tx) => insertRemoval(tx, {
              accountId: approval.accountId, lockId: plan!.window.lockId, kind: 'email', itemId: revert.id, label: revert.current, itemCreatedAt: revert.changedAt,
              removedAt: this.clock(), removedByType: 'staff', removedBy: approval.approvedBy, requestId: approval.requestId,
            }));
          }
        }
        for (const item of plan.remove) {
          if (done.has(itemKey(item.kind, item.id))) continue;
          const gone = item.kind === 'withdrawal_address'
            ? await this.accounts.removeWithdrawalAddress(approval.accountId, item.id)
            : (await this.accounts.revokeApiKey(approval.accountId, item.id)) || !item.active;
          // false for an address: someone removed it meanwhile, and recorded it then.
          if (!gone) continue;
          await this.db.transaction((tx) => insertRemoval(tx, {
            accountId: approval.accountId, lockId: plan!.window.lockId, kind: item.kind, itemId: item.id, label: item.label, itemCreatedAt: item.createdAt,
            removedAt: this.clock(), removedByType: 'staff', removedBy: approval.approvedBy, requestId: approval.requestId,
          }));
        }
        account = await this.accounts.findAccount({ accountId: approval.accountId });
        if (account) lockLink = await this.lock.issueLockLink(approval.accountId, account.email, 'unlock');
      },
      within: async (tx, approval) => {
        const p = plan!;
        removed = await removalsForRequest(tx, approval.requestId);
        await recordUnlockWindow(tx, approval.requestId, { startsAt: p.window.startsAt, endsAt: approval.at, basis: p.window.basis });
        await appendAudit(tx, {
          actorType: 'staff', actorId: approval.approvedBy, ip: actor.ip ?? null, action: 'account.recovery_unlock_removed', targetType: 'account', targetId: approval.accountId,
          data: {
            requestId: approval.requestId, windowStartsAt: p.window.startsAt.toISOString(), windowBasis: p.window.basis,
            removed: removed.map((i) => ({ kind: i.kind, id: i.itemId, label: i.label })), kept: p.keep.map((i) => ({ kind: i.kind, id: i.id, label: i.label, reason: i.reason })),
          },
        }, approval.at);
        const to = account as { id: string; email: string } | null;
        if (!to) return;
        const settings = await userMailSettings(tx, approval.accountId);
        const lang = settings?.lang ?? 'ja';
        // Read back from the exchange after the restore: the unlock email and its links go to the owner's address.
        const replaced = removed.find((i) => i.kind === 'email')?.label ?? null;
        const mail = unlockMail({
          lang, exchangeName: this.opts.exchangeName[lang], timeZone: this.opts.timeZone, unlockedAt: approval.at,
          approverRole: await staffRole(tx, approval.approvedBy), windowStartsAt: p.window.startsAt, lockedAt: p.window.lockedAt,
          removed: removed.filter((i) => i.kind === 'withdrawal_address' || i.kind === 'api_key').map((i) => ({ kind: i.kind as 'withdrawal_address' | 'api_key', label: i.label, createdAt: i.itemCreatedAt })),
          kept: p.keep.map((i) => ({ kind: i.kind, label: i.label, createdAt: i.createdAt })),
          emailRestoredFrom: replaced, emailKept: p.email?.keep ? p.email.revert.current : null,
          resetLink: settings ? await createPasswordResetLink(tx, this.opts.publicUrl, approval.accountId, approval.at, UNLOCK_RESET_HOURS * 60) : null,
          resetHours: UNLOCK_RESET_HOURS, lockLink,
        });
        await enqueueMail(tx, { to: to.email, subject: mail.subject, text: mail.text, lang, messageId: `<unlock-${approval.requestId}@${this.opts.mailDomain}>` }, { domain: this.opts.mailDomain });
        // The address taken off the account hears of it, without any link: it was most likely the attacker's.
        if (replaced && emailKeyOf(replaced) !== emailKeyOf(to.email)) {
          const notice = emailReplacedMail({ lang, exchangeName: this.opts.exchangeName[lang], timeZone: this.opts.timeZone, at: approval.at });
          await enqueueMail(tx, { to: replaced, subject: notice.subject, text: notice.text, lang, messageId: `<unlock-replaced-${approval.requestId}@${this.opts.mailDomain}>` }, { domain: this.opts.mailDomain });
        }
      },
    });
    return { removed, kept: (plan as UnlockPlan | null)?.keep ?? [] };
  }

  /**
   * The recovery of the newest unlock, for the user's security center: shown for 30 days after it, then the
   * security center is back to normal. Null when there is none.
   */
  async review(accountId: string): Promise<RecoveryReview | null> {
    const unlock = await latestApprovedUnlock(this.db, accountId);
    if (!unlock || this.clock().getTime() - unlock.decidedAt.getTime() > USER_REVIEW_DAYS * 86_400_000) return null;
    const [removals, changes] = await Promise.all([
      removalsSince(this.db, accountId, unlock.windowStartsAt),
      this.changes(accountId, unlock.windowStartsAt, unlock.windowEndsAt),
    ]);
    return { startsAt: unlock.windowStartsAt, endsAt: unlock.windowEndsAt, basis: unlock.windowBasis as WindowBasis, removals, changes };
  }

  /**
   * One item made in the window, removed (an address) or revoked (an API key, a session): by staff while the
   * account is locked or after, by the user only after the unlock and within the review period. Audited. An item
   * that is not among the window's changes, or already gone, is refused and nothing changes.
   */
  async removeItem(actor: Actor, accountId: string, kind: unknown, itemId: unknown): Promise<void> {
    if (actor.type !== 'staff' && actor.type !== 'user') throw new KinkyuError('FORBIDDEN');
    if (actor.type === 'staff' && !actor.id) throw new KinkyuError('FORBIDDEN');
    if (typeof kind !== 'string' || !(REMOVABLE_KINDS as readonly string[]).includes(kind)) throw new KinkyuError('VALIDATION', { field: 'kind', rule: 'enum' });
    if (typeof itemId !== 'string' || !/^[\w-]{1,128}$/.test(itemId)) throw new KinkyuError('NOT_FOUND', { rule: 'recovery_item' });
    const range = await this.rangeFor(actor, accountId);
    if (!range) throw new KinkyuError('NOT_FOUND', { rule: 'recovery_item' });
    const changes = await this.changes(accountId, range.from, range.to);
    const now = this.clock();
    let label = '';
    let createdAt: Date | null = null;
    let done = false;
    if (kind === 'withdrawal_address') {
      const address = changes.addresses.find((a) => a.id === itemId);
      if (!address) throw new KinkyuError('NOT_FOUND', { rule: 'recovery_item' });
      [label, createdAt] = [addressLabel(address), new Date(address.createdAt)];
      done = await this.accounts.removeWithdrawalAddress(accountId, itemId);
    } else if (kind === 'api_key') {
      const key = changes.apiKeys.find((k) => k.id === itemId && k.revokedAt === null);
      if (!key) throw new KinkyuError('NOT_FOUND', { rule: 'recovery_item' });
      [label, createdAt] = [key.label, new Date(key.createdAt)];
      done = await this.accounts.revokeApiKey(accountId, itemId);
    } else {
      const session = changes.sessions.find((x) => x.id === itemId && x.revokedAt === null);
      if (!session) throw new KinkyuError('NOT_FOUND', { rule: 'recovery_item' });
      [label, createdAt] = [session.device ?? '', session.createdAt];
    }
    await this.db.transaction(async (tx) => {
      if (kind === 'session') done = await revokeSession(tx, accountId, itemId, now);
      if (!done) throw new KinkyuError('NOT_FOUND', { rule: 'recovery_item' });
      await insertRemoval(tx, {
        accountId, lockId: range.lockId, kind: kind as RemovableKind, itemId, label, itemCreatedAt: createdAt, removedAt: now,
        removedByType: actor.type as 'staff' | 'user', removedBy: actor.id, requestId: null,
      });
      await appendAudit(tx, {
        actorType: actor.type, actorId: actor.id, ip: actor.ip ?? null, action: actor.type === 'staff' ? 'account.recovery_remove' : 'user.recovery_remove',
        targetType: 'account', targetId: accountId, data: { kind, itemId, label },
      }, now);
    });
  }

  /**
   * Staff set the account's email address back to the one before the window (while locked, or after the unlock
   * within the last unlock's window). `eventId` names the window's email change as shown. Audited; the address
   * replaced is told (without any link), the restored one too. Refused, changing nothing, when there is no such
   * change to undo (NOT_FOUND) or another account has the previous address now (CONFLICT `email_taken`).
   */
  async restoreEmail(actor: Actor, accountId: string, eventId: unknown): Promise<{ restored: string; replaced: string }> {
    if (actor.type !== 'staff' || !actor.id) throw new KinkyuError('FORBIDDEN');
    if (typeof eventId !== 'string' || !/^\d{1,18}$/.test(eventId)) throw new KinkyuError('NOT_FOUND', { rule: 'recovery_item' });
    const range = await this.rangeFor(actor, accountId);
    if (!range) throw new KinkyuError('NOT_FOUND', { rule: 'recovery_item' });
    const revert = (await this.changes(accountId, range.from, range.to)).emailRevert;
    if (!revert || revert.id !== eventId) throw new KinkyuError('NOT_FOUND', { rule: 'recovery_item' });
    if (revert.previousTaken) throw new KinkyuError('CONFLICT', { rule: 'email_taken', email: revert.previous });
    const { changed } = await this.accounts.restoreEmail(accountId, { email: revert.previous, reason: RESTORE_REASON });
    // Someone else set it back a moment ago (and recorded it).
    if (!changed) throw new KinkyuError('NOT_FOUND', { rule: 'recovery_item' });
    const now = this.clock();
    await this.db.transaction(async (tx) => {
      await insertRemoval(tx, {
        accountId, lockId: range.lockId, kind: 'email', itemId: revert.id, label: revert.current, itemCreatedAt: revert.changedAt, removedAt: now,
        removedByType: 'staff', removedBy: actor.id, requestId: null,
      });
      await appendAudit(tx, {
        actorType: 'staff', actorId: actor.id, ip: actor.ip ?? null, action: 'account.recovery_email_restore', targetType: 'account', targetId: accountId,
        data: { eventId: revert.id, from: revert.current, to: revert.previous },
      }, now);
      const lang = (await userMailSettings(tx, accountId))?.lang ?? 'ja';
      const mails = [
        { to: revert.current, mail: emailReplacedMail({ lang, exchangeName: this.opts.exchangeName[lang], timeZone: this.opts.timeZone, at: now }), tag: 'replaced' },
        { to: revert.previous, mail: emailRestoredMail({ lang, exchangeName: this.opts.exchangeName[lang], timeZone: this.opts.timeZone, at: now, replaced: revert.current }), tag: 'restored' },
      ];
      for (const m of mails) {
        await enqueueMail(tx, { to: m.to, subject: m.mail.subject, text: m.mail.text, lang, messageId: `<email-${m.tag}-${revert.id}-${now.getTime()}@${this.opts.mailDomain}>` }, { domain: this.opts.mailDomain });
      }
    });
    return { restored: revert.previous, replaced: revert.current };
  }

  /** The window an actor may remove items from: staff the open lock's (or the last unlock's), the user the last unlock's. */
  private async rangeFor(actor: Actor, accountId: string): Promise<{ from: Date; to: Date; lockId: string } | null> {
    if (actor.type === 'staff') {
      const open = await this.window(accountId);
      if (open) return { from: open.startsAt, to: this.clock(), lockId: open.lockId };
    }
    const unlock = await latestApprovedUnlock(this.db, accountId);
    if (!unlock) return null;
    if (actor.type === 'user' && this.clock().getTime() - unlock.decidedAt.getTime() > USER_REVIEW_DAYS * 86_400_000) return null;
    return { from: unlock.windowStartsAt, to: unlock.windowEndsAt, lockId: unlock.lockId };
  }
}
