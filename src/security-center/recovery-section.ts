import { html, type SafeHtml } from '../web/html.ts';
import { formatDateTime, t, type Lang, type KeysUnder } from '../web/i18n.ts';
import type { RecoveryReview } from '../protection/recovery.ts';
import { changesList, removalsList } from '../protection/recovery-views.ts';

const r = (lang: Lang, key: KeysUnder<'recovery'>, params: Record<string, string | number> = {}) => t(lang, `recovery.${key}`, params);

/**
 * The security center's section after an unlock: the period the account may have been in someone else's hands,
 * what the unlock removed, and everything else changed then — with a button to remove what is still there.
 */
export function recoveryReviewSection(lang: Lang, timeZone: string, review: RecoveryReview, csrfField: SafeHtml): SafeHtml {
  const when = (d: Date) => formatDateTime(lang, d, timeZone);
  const action = (kind: string, id: string, label: string) => {
    const verb = r(lang, kind === 'withdrawal_address' ? 'remove' : kind === 'api_key' ? 'revoke' : 'endSession');
    return html`<form method="post" action="/account/recovery/remove" class="inline">${csrfField}<input type="hidden" name="kind" value="${kind}"><input type="hidden" name="id" value="${id}"><button type="submit" class="secondary" aria-label="${verb}: ${label}">${verb}</button></form>`;
  };
  const c = review.changes;
  const left = c.addresses.length + c.apiKeys.filter((k) => !k.revokedAt).length + c.sessions.filter((x) => !x.revokedAt).length;
  return html`<section class="notice" aria-labelledby="recovery-h" id="recovery"><h2 id="recovery-h">${r(lang, 'user.title')}</h2>
<p>${r(lang, 'user.lead', { start: when(review.startsAt), end: when(review.endsAt) })}</p>
${review.removals.length ? html`<h3>${r(lang, 'user.removed')}</h3>${removalsList(lang, timeZone, review.removals)}` : ''}
<p>${left ? r(lang, 'user.stillThere') : r(lang, 'user.nothingLeft')}</p>
<details${left ? html` open` : ''}><summary>${r(lang, 'changes')}</summary>
${changesList({ lang, timeZone, action }, c, 'recovery-h')}
</details>
</section>`;
}
