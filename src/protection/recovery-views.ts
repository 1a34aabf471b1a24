import { html, type SafeHtml } from '../web/html.ts';
import { formatDateTime, t, type Lang, type KeysUnder, known } from '../web/i18n.ts';
import type { RemovalRow } from './recovery-repository.ts';
import type { EmailRevert, RemovableKind, WindowChanges } from './recovery.ts';

/**
 * The parts of the recovery pages that staff (account page) and the user (security center) share: the list of
 * changes made in the window, and what was removed. `action` renders the remove / revoke button of an item that
 * the viewer may act on ('' for none).
 */
export interface ViewContext {
  lang: Lang;
  timeZone: string;
  action: (kind: RemovableKind, id: string, label: string) => SafeHtml | '';
  /** Staff only: the "restore the previous address" button of an email change that can be set back. */
  restoreEmail?: (revert: EmailRevert) => SafeHtml | '';
}

const r = (lang: Lang, key: KeysUnder<'recovery'>, params: Record<string, string | number> = {}) => t(lang, `recovery.${key}`, params);

export function keyLabel(lang: Lang, label: string): string {
  return label || r(lang, 'noLabel');
}

function group(c: ViewContext, heading: string, rows: SafeHtml[], extra: SafeHtml | '' = ''): SafeHtml {
  return html`<h3>${heading}</h3>${extra}${rows.length ? html`<ul class="history">${rows}</ul>` : html`<p>${r(c.lang, 'none')}</p>`}`;
}

/** Everything changed in the window, group by group, with each item's state and its action. */
export function changesList(c: ViewContext, changes: WindowChanges, headingId: string): SafeHtml {
  const when = (d: Date | string) => formatDateTime(c.lang, new Date(d), c.timeZone);
  const addresses = changes.addresses.map(
    (a) => html`<li><p>${when(a.createdAt)} · ${a.asset} <code>${a.address}</code> · ${r(c.lang, 'usableAfter', { time: when(a.usableAfter) })}</p>${c.action('withdrawal_address', a.id, `${a.asset} ${a.address}`)}</li>`,
  );
  const keys = changes.apiKeys.map(
    (k) => html`<li><p>${when(k.createdAt)} · ${keyLabel(c.lang, k.label)} · ${k.revokedAt ? r(c.lang, 'revokedAt', { time: when(k.revokedAt) }) : r(c.lang, 'active')}</p>${k.revokedAt ? '' : c.action('api_key', k.id, keyLabel(c.lang, k.label))}</li>`,
  );
  const contact = changes.contactChanges.map((e) => {
    const from = typeof e.data.from === 'string' ? e.data.from : null;
    const to = typeof e.data.to === 'string' ? e.data.to : null;
    return html`<li><p>${when(e.at)} · ${known(c.lang, `recovery.kind.${e.kind}`, e.kind)}${from && to ? html` · ${from} → ${to}` : ''}</p></li>`;
  });
  const credentials = changes.credentialChanges.map((e) => html`<li><p>${when(e.at)} · ${known(c.lang, `recovery.kind.${e.kind}`, e.kind)}</p></li>`);
  const signIns = changes.signIns.map(
    (e) => html`<li><p>${when(e.at)} · ${e.kind === 'sign_in' ? r(c.lang, 'signInOk') : r(c.lang, 'signInFailed')} · ${e.device ?? '-'} · ${e.ip ?? '-'} · ${e.country ?? '-'}${e.data.newDevice === true ? html` · <strong>${r(c.lang, 'newDevice')}</strong>` : ''}</p></li>`,
  );
  const sessions = changes.sessions.map(
    (s) => html`<li><p>${when(s.createdAt)} · ${s.device ?? '-'} · ${s.ip ?? '-'} · ${s.country ?? '-'} · ${s.revokedAt ? r(c.lang, 'ended') : r(c.lang, 'active')}</p>${s.revokedAt ? '' : c.action('session', s.id, s.device ?? '')}</li>`,
  );
  const withdrawals = changes.withdrawals.map((w) => html`<li><p>${when(w.createdAt)} · ${w.amount} ${w.asset} → <code>${w.address}</code> · ${w.status}</p></li>`);
  return html`<section aria-labelledby="${headingId}" class="recovery-changes">
${group(c, r(c.lang, 'addresses'), addresses)}
${group(c, r(c.lang, 'apiKeys'), keys)}
${group(c, r(c.lang, 'contact'), contact, html`<p class="hint">${r(c.lang, 'noPhone')}</p>`)}
${changes.emailRevert ? emailRevertLine(c, changes.emailRevert) : ''}
${group(c, r(c.lang, 'credentials'), credentials)}
${group(c, r(c.lang, 'signIns'), signIns)}
${group(c, r(c.lang, 'sessions'), sessions)}
${group(c, r(c.lang, 'withdrawals'), withdrawals)}
</section>`;
}

/** The address before the window and now; for staff, the restore button (or why it cannot be restored). */
function emailRevertLine(c: ViewContext, revert: EmailRevert): SafeHtml {
  const action = c.restoreEmail
    ? revert.previousTaken ? html`<p class="error-box" role="note">${r(c.lang, 'emailTakenNote', { previous: revert.previous })}</p>` : c.restoreEmail(revert)
    : '';
  return html`<div id="email-revert"><p>${r(c.lang, 'emailBefore', { previous: revert.previous, current: revert.current })}</p>${action}</div>`;
}

/** What a recovery removed or revoked, with when and by whom (staff, the user, or at the unlock). */
export function removalsList(lang: Lang, timeZone: string, removals: RemovalRow[]): SafeHtml {
  const when = (d: Date) => formatDateTime(lang, d, timeZone);
  return html`<ul class="history" id="recovery-removed">${removals.map((x) => {
    const what = x.kind === 'email'
      ? r(lang, 'emailRestoredRow', { replaced: x.label })
      : `${r(lang, `item.${x.kind}`)}: ${x.kind === 'api_key' ? keyLabel(lang, x.label) : x.label || '-'}`;
    const by = x.atUnlock ? r(lang, 'removedBy.unlock') : r(lang, `removedBy.${x.removedByType}`);
    return html`<li>${r(lang, 'removedRow', { time: when(x.removedAt), what, by })}</li>`;
  })}</ul>`;
}
