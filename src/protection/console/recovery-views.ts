import { html, type SafeHtml } from '../../web/html.ts';
import { t, type Lang, type KeysUnder, known } from '../../web/i18n.ts';
import { isoInZone } from '../../domain/iso-time.ts';
import type { EmailRevert, RecoveryOverview, UnlockPlan, PlanItem } from '../recovery.ts';
import { itemKey } from '../recovery.ts';
import { changesList, keyLabel, removalsList } from '../recovery-views.ts';
import { csrf, when, type ConsoleContext } from '../../console/views.ts';

const ruleLabel = (lang: Lang, rule: string): string => known(lang, `detection.rule.${rule}`, rule);

const r = (lang: Lang, key: KeysUnder<'recovery'>, params: Record<string, string | number> = {}) => t(lang, `recovery.${key}`, params);

/** The basis of a window in words: the alert's rules or the event's kind translated, staff's reason as given. */
export function basisText(lang: Lang, basis: string, detail: string): string {
  const translated =
    basis === 'alert'
      ? detail.split(', ').map((rule) => ruleLabel(lang, rule)).join(', ')
      : basis === 'security_change'
        ? known(lang, `recovery.kind.${detail}`, detail)
        : detail;
  return known(lang, `recovery.basis.${basis}`, basis, { detail: translated });
}

const itemText = (c: ConsoleContext, i: PlanItem) => `${r(c.lang, `item.${i.kind}`)}: ${i.kind === 'api_key' ? keyLabel(c.lang, i.label) : i.label}`;

export interface RecoveryFormValues {
  windowStart?: string;
  windowReason?: string;
  keep?: Record<string, string>;
}

/**
 * The account page's recovery section: the compromise window and why it starts where it does (with staff's
 * change of it), every change made in it with its remove / revoke button, and what was removed so far.
 */
export function recoverySection(c: ConsoleContext, base: string, o: RecoveryOverview, can: { lock: boolean; unlock: boolean }, values: RecoveryFormValues = {}): SafeHtml {
  const end = o.endsAt ? when(c, o.endsAt) : r(c.lang, 'untilNow');
  const w = o.open;
  const action = (kind: string, id: string, label: string) =>
    can.lock
      ? html`<form method="post" action="${base}/recovery/remove" class="inline">${csrf(c)}<input type="hidden" name="kind" value="${kind}"><input type="hidden" name="id" value="${id}">
<button type="submit" class="secondary" aria-label="${r(c.lang, kind === 'withdrawal_address' ? 'remove' : kind === 'api_key' ? 'revoke' : 'endSession')}: ${label}">${r(c.lang, kind === 'withdrawal_address' ? 'remove' : kind === 'api_key' ? 'revoke' : 'endSession')}</button></form>`
      : '';
  const adjust =
    w && can.unlock
      ? html`<details${values.windowStart !== undefined ? html` open` : ''}><summary>${r(c.lang, 'adjust')}</summary>
<form method="post" action="${base}/recovery/window" class="stack">${csrf(c)}
<p class="hint" id="window-hint">${r(c.lang, 'adjustHint')}</p>
<div><label for="windowStart">${r(c.lang, 'adjustStart', { zone: c.timeZone })}</label><input id="windowStart" name="windowStart" type="datetime-local" required aria-describedby="window-hint" value="${values.windowStart ?? isoInZone(w.startsAt, c.timeZone).slice(0, 16)}"></div>
<div><label for="windowReason">${r(c.lang, 'adjustReason')}</label><input id="windowReason" name="windowReason" type="text" required maxlength="500" value="${values.windowReason ?? ''}"></div>
<div><button type="submit">${r(c.lang, 'adjust')}</button></div>
</form></details>`
      : '';
  const restoreEmail = (revert: EmailRevert) =>
    can.unlock
      ? html`<form method="post" action="${base}/recovery/restore-email" class="inline">${csrf(c)}<input type="hidden" name="id" value="${revert.id}">
<button type="submit" class="secondary" aria-label="${r(c.lang, 'restoreEmail')}: ${revert.previous}">${r(c.lang, 'restoreEmail')}</button></form>`
      : '';
  return html`<section aria-labelledby="recovery-h" id="recovery"><h2 id="recovery-h">${r(c.lang, 'title')}</h2>
<p id="recovery-window"><strong>${r(c.lang, 'period', { start: when(c, o.startsAt), end })}</strong>${w ? html` · ${r(c.lang, 'lockedAt', { time: when(c, w.lockedAt) })}` : ''}</p>
<p class="meta" id="recovery-basis">${basisText(c.lang, o.basis, o.detail)}</p>
${w?.adjustment ? html`<p class="meta">${r(c.lang, 'adjustedBy', { name: w.adjustment.byName ?? w.adjustment.by, time: when(c, w.adjustment.at) })} · ${r(c.lang, 'suggested', { time: when(c, w.suggested.startsAt) })} (${basisText(c.lang, w.suggested.basis, w.suggested.detail)})</p>` : ''}
${adjust}
<h2 id="recovery-changes-h">${r(c.lang, 'changes')}</h2>
${changesList({ lang: c.lang, timeZone: c.timeZone, action, restoreEmail }, o.changes, 'recovery-changes-h')}
${o.removals.length ? html`<h3>${r(c.lang, 'removed')}</h3>${removalsList(c.lang, c.timeZone, o.removals)}` : ''}
</section>`;
}

/** Inside the unlock request form: what approval will remove, each with a "reason to keep" field. */
export function planForRequest(c: ConsoleContext, plan: UnlockPlan, keep: Record<string, string> = {}): SafeHtml {
  const items = [...plan.remove, ...plan.keep];
  return html`<fieldset id="unlock-plan"><legend>${r(c.lang, 'plan')}</legend>
<p class="hint">${r(c.lang, 'planHint')}</p>
${items.length
    ? html`<ul class="history">${items.map((i, n) => html`<li><p>${itemText(c, i)} · ${when(c, i.createdAt)}${i.active ? '' : html` · ${r(c.lang, 'alreadyRevoked')}`}</p>
${i.active ? html`<div><label for="keep-${n}">${r(c.lang, 'keepReason')} (${itemText(c, i)})</label><input id="keep-${n}" name="keep:${itemKey(i.kind, i.id)}" type="text" maxlength="500" value="${keep[itemKey(i.kind, i.id)] ?? ''}"></div>` : ''}</li>`)}</ul>`
    : html`<p>${r(c.lang, 'planEmpty')}</p>`}
${plan.email ? emailForRequest(c, plan.email.revert, keep) : ''}
</fieldset>`;
}

/**
 * The email change in the request form: approval sets the previous address back and the unlock email goes
 * there — the address the checklist's contact check is about — unless the requester keeps the new one.
 */
function emailForRequest(c: ConsoleContext, revert: EmailRevert, keep: Record<string, string>): SafeHtml {
  const key = itemKey('email', revert.id);
  return html`<div id="unlock-plan-email"><p><strong>${r(c.lang, 'emailPlan', { previous: revert.previous, current: revert.current })}</strong></p>
${revert.previousTaken ? html`<p class="error-box" role="note">${r(c.lang, 'emailTakenNote', { previous: revert.previous })}</p>` : ''}
<p class="hint" id="keep-email-hint">${r(c.lang, 'emailPlanHint', { previous: revert.previous, current: revert.current })}</p>
<div><label for="keep-email">${r(c.lang, 'keepEmailReason', { current: revert.current })}</label><input id="keep-email" name="keep:${key}" type="text" maxlength="500" aria-describedby="keep-email-hint" value="${keep[key] ?? ''}"></div></div>`;
}

/** Above a pending request's approve button: what approval removes and what the requester kept, and why. */
export function planForApproval(c: ConsoleContext, plan: UnlockPlan): SafeHtml {
  return html`<div id="approval-plan"><p>${plan.remove.length ? r(c.lang, 'planPending') : r(c.lang, 'planEmpty')}</p>
${plan.remove.length ? html`<ul class="history">${plan.remove.map((i) => html`<li>${itemText(c, i)} · ${when(c, i.createdAt)}${i.active ? '' : html` · ${r(c.lang, 'alreadyRevoked')}`}</li>`)}</ul>` : ''}
${plan.email && !plan.email.keep ? html`<p id="approval-plan-email">${r(c.lang, 'emailPlanPending', { previous: plan.email.revert.previous, current: plan.email.revert.current })}</p>` : ''}
${plan.keep.length || plan.email?.keep
    ? html`<p>${r(c.lang, 'kept')}</p><ul class="history">${plan.keep.map((i) => html`<li>${r(c.lang, 'keptRow', { what: itemText(c, i), reason: i.reason, name: i.keptByName ?? '' })}</li>`)}
${plan.email?.keep ? html`<li>${r(c.lang, 'keptRow', { what: `${r(c.lang, 'item.email')}: ${plan.email.revert.current}`, reason: plan.email.keep.reason, name: plan.email.keep.keptByName ?? '' })}</li>` : ''}</ul>`
    : ''}
</div>`;
}

/** The approve form's hidden field: the plan the approver saw (refused if it changed since). */
export const planFingerprintField = (plan: UnlockPlan | null) => (plan ? html`<input type="hidden" name="plan" value="${plan.fingerprint}">` : '');
