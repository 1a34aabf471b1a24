import { html, type SafeHtml } from '../web/html.ts';
import { formatDateTime, t, type Lang, type MessageKey } from '../web/i18n.ts';
import type { RecoveryReview } from '../protection/recovery.ts';
import { changesList, removalsList } from '../protection/recovery-views.ts';

/** The button that removes one item, by the item's kind. */
const VERBS: Record<string, MessageKey> = { withdrawal_address: 'recovery.remove', api_key: 'recovery.revoke' };

/**
 * The security center's section after an unlock: the period the account may have been in someone else's hands,
 * what the unlock removed, and everything else changed then — with a button to remove what is still there.
 */
export function recoveryReviewSection(lang: Lang, timeZone: string, review: RecoveryReview, csrfField: SafeHtml): SafeHtml {
  const when = (d: Date) => formatDateTime(lang, d, timeZone);
  const action = (kind: string, id: string, label: string) => {
    const verb = t(lang, VERBS[kind] ?? 'recovery.endSession');
    return html`<form method="post" action="/account/recovery/remove" class="inline">${csrfField}<input type="hidden" name="kind" value="${kind}"><input type="hidden" name="id" value="${id}"><button type="submit" class="secondary" aria-label="${verb}: ${label}">${verb}</button></form>`;
  };
  const c = review.changes;
  const left = c.addresses.length + c.apiKeys.filter((k) => !k.revokedAt).length + c.sessions.filter((x) => !x.revokedAt).length;
  return html`<section class="notice" aria-labelledby="recovery-h" id="recovery"><h2 id="recovery-h">${t(lang, 'recovery.user.title')}</h2>
<p>${t(lang, 'recovery.user.lead', { start: when(review.startsAt), end: when(review.endsAt) })}</p>
${review.removals.length ? html`<h3>${t(lang, 'recovery.user.removed')}</h3>${removalsList(lang, timeZone, review.removals)}` : ''}
<p>${left ? t(lang, 'recovery.user.stillThere') : t(lang, 'recovery.user.nothingLeft')}</p>
<details${left ? html` open` : ''}><summary>${t(lang, 'recovery.changes')}</summary>
${changesList({ lang, timeZone, action }, c, 'recovery-h')}
</details>
</section>`;
}
