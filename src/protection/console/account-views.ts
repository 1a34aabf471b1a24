import type { AccountSummary, SignInRecord, WithdrawalRecord } from '../../exchange/adapter.ts';
import { UNLOCK_CHECKLIST } from '../emergency-lock.ts';
import { can } from '../../staff/permissions.ts';
import { html } from '../../web/html.ts';
import { t, type Lang, known } from '../../web/i18n.ts';
import { csrf, shell, when, type ConsoleContext } from '../../console/views.ts';
import type { RecoveryOverview } from '../recovery.ts';
import { planFingerprintField, planForApproval, planForRequest, recoverySection, type RecoveryFormValues } from './recovery-views.ts';

export interface LockRecord {
  id: string;
  source: string;
  reason: string;
  actorName: string | null;
  lockedAt: Date;
  sessionsRevoked: number;
  apiKeysRevoked: number;
  withdrawalsCancelled: number;
  unlockedAt: Date | null;
}

export interface UnlockRequestRecord {
  id: string;
  requestedBy: string;
  requestedByName: string;
  requestedAt: Date;
  note: string;
  decision: string | null;
  decidedByName: string | null;
  decidedAt: Date | null;
}

export interface AuditRecord {
  at: Date;
  action: string;
  actor: string;
  data: unknown;
}

/** A lock journalled but not yet recorded (protection/lock-intents.ts): asked for, not yet confirmed or written. */
export interface LockInProgress {
  id: string;
  source: string;
  reason: string;
  requestedAt: Date;
  /** When the exchange confirmed it; null while it has not (its core down, or refusing). */
  confirmedAt: Date | null;
  attempts: number;
  lastError: string | null;
  nextAttemptAt: Date;
  ticketNumber: number;
}

export interface AccountPageData {
  accountId: string;
  /** Null when the exchange could not be asked (`exchangeUnavailable`): the page shows kinkyu's own records. */
  account: AccountSummary | null;
  exchangeUnavailable: boolean;
  locksInProgress: LockInProgress[];
  locks: LockRecord[];
  requests: UnlockRequestRecord[];
  signIns: SignInRecord[];
  withdrawals: WithdrawalRecord[];
  audit: AuditRecord[];
  /** The compromise window, its changes and the unlock plan (protection/recovery.ts); null when never locked. */
  recovery?: RecoveryOverview | null;
  /** The form values to show again after a refusal. */
  values?: { checklist?: string[]; note?: string; reason?: string } & RecoveryFormValues;
}

const lockSourceWords = (lang: Lang, source: string): string => known(lang, `acct.source.${source}`, source);

const sourceLabel = (c: ConsoleContext, source: string) => lockSourceWords(c.lang, source);

/**
 * Locks asked for but not yet recorded: either the exchange has not confirmed them (its core down or refusing:
 * how many attempts, the last error, when the next one is) or it has and the record is still to be written.
 */
function locksInProgressSection(c: ConsoleContext, intents: LockInProgress[]) {
  return html`<section aria-labelledby="in-progress-h" id="lock-in-progress" role="status"><h2 id="in-progress-h">${t(c.lang, 'acct.inProgress')}</h2>
<ul class="history">${intents.map((i) => html`<li><p><strong>${i.confirmedAt
    ? t(c.lang, 'acct.inProgress.recording', { time: when(c, i.confirmedAt), attempts: i.attempts, next: when(c, i.nextAttemptAt) })
    : t(c.lang, 'acct.inProgress.unconfirmed', { attempts: i.attempts, next: when(c, i.nextAttemptAt) })}</strong></p>
${i.lastError ? html`<p class="meta">${t(c.lang, 'acct.inProgress.lastError')} <code>${i.lastError}</code></p>` : ''}
<p class="meta">${t(c.lang, 'acct.inProgress.meta', { time: when(c, i.requestedAt), source: sourceLabel(c, i.source), reason: i.reason, ticket: i.ticketNumber })}</p></li>`)}</ul>
<p class="hint">${t(c.lang, 'acct.inProgress.hint')}</p>
</section>`;
}

/** `/staff/accounts`: find an account by email or account ID. */
export function accountSearchPage(c: ConsoleContext, q: string, notFound: boolean): string {
  const body = html`<form method="get" action="/staff/accounts" class="stack" role="search">
<div><label for="q">${t(c.lang, 'acct.search')}</label>
<input id="q" name="q" type="search" required maxlength="254" autocomplete="off" autocapitalize="off" spellcheck="false" value="${q}"></div>
<div><button type="submit">${t(c.lang, 'acct.searchButton')}</button></div>
</form>
${notFound ? html`<p role="status">${t(c.lang, 'acct.notFound')}</p>` : ''}`;
  return shell(c, t(c.lang, 'acct.title'), '/staff/accounts', body);
}

/** One account: lock state and history, recent activity, staff lock, the four-eyes unlock, audit entries. */
export function accountPage(c: ConsoleContext, d: AccountPageData): string {
  const a = d.account;
  const base = `/staff/accounts/${encodeURIComponent(d.accountId)}`;
  const canLock = can(c.staff.role, 'account.lock');
  const canUnlock = can(c.staff.role, 'account.unlock');
  const openLock = d.locks.find((l) => !l.unlockedAt);
  const pending = d.requests.filter((r) => !r.decision);
  const decided = d.requests.filter((r) => r.decision);
  const checked = new Set(d.values?.checklist ?? []);
  const plan = d.recovery?.plan ?? null;

  const inProgress = d.locksInProgress;
  const state = a?.locked || openLock ? 'acct.locked' : inProgress.length ? 'acct.lockInProgress' : a ? 'acct.notLocked' : 'acct.statusUnknown';
  const status = html`${d.exchangeUnavailable ? html`<p class="error-box" role="alert" id="exchange-unavailable">${t(c.lang, 'acct.exchangeUnavailable')}</p>` : ''}
<dl class="facts">
${a ? html`<dt>${t(c.lang, 'acct.email')}</dt><dd>${a.email}</dd>` : ''}
${a?.previousEmails.length ? html`<dt>${t(c.lang, 'acct.previousEmails')}</dt><dd>${a.previousEmails.join(', ')}</dd>` : ''}
<dt>${t(c.lang, 'acct.status')}</dt><dd><strong>${t(c.lang, state)}</strong>
${a?.tradingBlocked ? html` · ${t(c.lang, 'acct.tradingBlocked')}` : ''}${a?.withdrawalsBlocked ? html` · ${t(c.lang, 'acct.withdrawalsBlocked')}` : ''}
${a?.withdrawalHoldUntil ? html` · ${t(c.lang, 'acct.holdUntil', { time: when(c, new Date(a.withdrawalHoldUntil)) })}` : ''}</dd>
</dl>
${inProgress.length ? locksInProgressSection(c, inProgress) : ''}`;

  const lockForm = canLock
    ? html`<h2>${t(c.lang, 'acct.lockNow')}</h2>
<form method="post" action="${base}/lock" class="stack">${csrf(c)}
<p class="hint" id="lock-hint">${t(c.lang, 'acct.lockHint')}</p>
<div><label for="reason">${t(c.lang, 'acct.lockReason')}</label><input id="reason" name="reason" type="text" maxlength="500" aria-describedby="lock-hint" value="${d.values?.reason ?? ''}"></div>
<div><button type="submit" class="danger">${t(c.lang, 'acct.lockNow')}</button></div>
</form>`
    : '';

  const lockHistory = html`<h2>${t(c.lang, 'acct.locks')}</h2>
${d.locks.length
    ? html`<ul class="history">${d.locks.map(
        (l) => html`<li><p>${t(c.lang, 'acct.lockRow', { time: when(c, l.lockedAt), source: sourceLabel(c, l.source), sessions: l.sessionsRevoked, keys: l.apiKeysRevoked, withdrawals: l.withdrawalsCancelled })}</p>
<p class="meta">${l.reason}${l.actorName ? html` · ${l.actorName}` : ''}</p>
${l.unlockedAt ? html`<p class="meta">${t(c.lang, 'acct.unlockedAt', { time: when(c, l.unlockedAt) })}</p>` : ''}</li>`,
      )}</ul>`
    : html`<p>${t(c.lang, 'acct.noLocks')}</p>`}`;

  const pendingList = html`<h2>${t(c.lang, 'acct.pending')}</h2>
${pending.length
    ? html`<ul class="history">${pending.map(
        (r) => html`<li><p>${t(c.lang, 'acct.requestedBy', { time: when(c, r.requestedAt), name: r.requestedByName })}</p>
${r.note ? html`<p class="meta">${r.note}</p>` : ''}
${plan && plan.pendingRequestId === r.id ? planForApproval(c, plan) : ''}
${canUnlock
    ? html`${r.requestedBy === c.staff.id ? html`<p class="hint">${t(c.lang, 'acct.ownRequest')}</p>` : ''}
<form method="post" action="${base}/unlock-requests/${encodeURIComponent(r.id)}/approve" class="inline">${csrf(c)}${plan && plan.pendingRequestId === r.id ? planFingerprintField(plan) : ''}<button type="submit">${t(c.lang, 'acct.approve')}</button></form>`
    : ''}</li>`,
      )}</ul>`
    : html`<p>${t(c.lang, 'acct.noPending')}</p>`}
${decided.length ? html`<ul class="history">${decided.map((r) => html`<li><p class="meta">${t(c.lang, 'acct.requestedBy', { time: when(c, r.requestedAt), name: r.requestedByName })} → ${t(c.lang, 'acct.decided', { time: r.decidedAt ? when(c, r.decidedAt) : '', decision: r.decision ?? '', name: r.decidedByName ?? '' })}</p></li>`)}</ul>` : ''}`;

  const unlockForm =
    canUnlock && openLock && !pending.length
      ? html`<h2>${t(c.lang, 'acct.unlock')}</h2>
<form method="post" action="${base}/unlock-requests" class="stack">${csrf(c)}
<p class="hint">${t(c.lang, 'acct.unlockHint')}</p>
<fieldset><legend>${t(c.lang, 'acct.unlockChecklist')}</legend>
${UNLOCK_CHECKLIST.map((item) => html`<label class="radio"><input type="checkbox" name="checklist" value="${item}"${checked.has(item) ? html` checked` : ''}> ${t(c.lang, `acct.check.${item}`)}</label>`)}
</fieldset>
<div><label for="note">${t(c.lang, 'acct.unlockNote')}</label><textarea id="note" name="note" maxlength="2000" rows="3">${d.values?.note ?? ''}</textarea></div>
${plan ? planForRequest(c, plan, d.values?.keep) : ''}
<div><button type="submit">${t(c.lang, 'acct.requestUnlock')}</button></div>
</form>`
      : '';

  const signIns = html`<h2>${t(c.lang, 'acct.signIns')}</h2>
${d.signIns.length
    ? html`<table><tbody>${d.signIns.map((s) => html`<tr><td>${when(c, new Date(s.at))}</td><td>${s.ip ?? ''}</td><td>${s.country ?? ''}</td><td>${s.device ?? ''}</td><td>${s.success ? t(c.lang, 'acct.signInOk') : t(c.lang, 'acct.signInFailed')}</td></tr>`)}</tbody></table>`
    : html`<p>${t(c.lang, 'acct.noSignIns')}</p>`}`;

  const withdrawals = html`<h2>${t(c.lang, 'acct.withdrawals')}</h2>
${d.withdrawals.length
    ? html`<table><tbody>${d.withdrawals.map((w) => html`<tr><td>${when(c, new Date(w.createdAt))}</td><td>${w.amount} ${w.asset}</td><td><code>${w.address}</code></td><td>${w.status}</td></tr>`)}</tbody></table>`
    : html`<p>${t(c.lang, 'acct.noWithdrawals')}</p>`}`;

  const audit = html`<h2>${t(c.lang, 'acct.audit')}</h2>
${d.audit.length
    ? html`<ul class="history">${d.audit.map((e) => html`<li><p><code>${e.action}</code> · ${e.actor} · <time datetime="${e.at.toISOString()}">${when(c, e.at)}</time></p><p class="meta"><code>${JSON.stringify(e.data)}</code></p></li>`)}</ul>`
    : html`<p>${t(c.lang, 'acct.noAudit')}</p>`}`;

  const recovery = d.recovery ? recoverySection(c, base, d.recovery, { lock: canLock, unlock: canUnlock }, d.values) : '';
  return shell(c, t(c.lang, 'acct.page', { id: d.accountId }), base, html`${status}${lockForm}${pendingList}${unlockForm}${recovery}${lockHistory}${signIns}${withdrawals}${audit}`);
}
