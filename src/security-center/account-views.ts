/** The security center's main page, section by section. */
import { t, type Lang, type MessageKey } from '../web/i18n.ts';
import { html, type SafeHtml } from '../web/html.ts';
import { passkeyLinks } from './passkey-links.ts';
import { preparednessLabel, type CenterPreparedness } from './preparedness.ts';
import type { ActiveSession } from './user-sessions-repository.ts';
import type { SignInHistoryRow } from './user-credentials-repository.ts';
import type { UserSession } from './user-session.ts';

/** `?done=…` after a change: the line that says it was done. */
const DONE = {
  revoked: 'user.done.revoked', revokedAll: 'user.done.revokedAll', password: 'user.done.password', totp: 'user.done.totp', recovery: 'user.done.recovery',
  declared: 'user.done.declared', allowlist: 'user.done.allowlist', contactSent: 'user.done.contactSent', contactVerified: 'user.done.contactVerified',
  email: 'user.done.email', address: 'user.done.address', withdrawal: 'user.done.withdrawal', emailSent: 'user.done.emailSent',
  steppedUp: 'user.done.steppedUp', recoveryRemoved: 'user.done.recoveryRemoved',
} as const satisfies Record<string, MessageKey>;
export const doneMessage = (lang: Lang, done: unknown): string | null =>
  typeof done === 'string' && Object.hasOwn(DONE, done) ? t(lang, DONE[done as keyof typeof DONE]) : null;

type When = (d: Date | string) => string;

export const lockSection = (lang: Lang) => html`<section class="lock-box" aria-labelledby="lock-h"><h2 id="lock-h">${t(lang, 'user.lock.heading')}</h2>
<p>${t(lang, 'user.lock.lead')}</p>
<p><a class="button danger" href="/account/lock">${t(lang, 'user.lock.button')}</a></p></section>`;

export const preparednessSection = (lang: Lang, prep: CenterPreparedness) => html`<section aria-labelledby="prep-h"><h2 id="prep-h">${t(lang, 'user.prep.title')}</h2>
<p class="score"><strong id="prep-score">${t(lang, 'user.prep.score', { score: prep.score, total: prep.items.length })}</strong></p>
<meter min="0" max="${prep.items.length}" value="${prep.score}" aria-labelledby="prep-score">${prep.score}/${prep.items.length}</meter>
<ul class="checklist prep">${prep.items.map((i) => html`<li class="${i.done ? 'done' : 'todo'}"><span>${i.done ? '✓ ' : '□ '}${preparednessLabel(lang, i.key)}</span>${i.done ? '' : html` <span class="fix">${i.fix}</span>`}</li>`)}</ul>
</section>`;

export const sessionsSection = (lang: Lang, s: UserSession, sessions: ActiveSession[], csrf: SafeHtml, when: When) => html`<section aria-labelledby="sessions-h"><h2 id="sessions-h">${t(lang, 'user.sessions.title')}</h2>
<ul class="sessions">${sessions.map((x) => html`<li><strong>${x.device ?? '?'}</strong>${x.token_hash === s.tokenHash ? html` <em>(${t(lang, 'user.sessions.this')})</em>` : ''}<br>
<span class="meta">${x.ip ?? '-'} · ${x.country ?? t(lang, 'user.sessions.unknownCountry')} · ${t(lang, 'user.sessions.lastSeen', { time: when(x.last_seen_at) })}</span>
${x.token_hash === s.tokenHash ? '' : html`<form method="post" action="/account/sessions/revoke" class="inline">${csrf}<input type="hidden" name="session" value="${x.token_hash}"><button type="submit" class="secondary">${t(lang, 'user.sessions.revoke')}</button></form>`}</li>`)}</ul>
<form method="post" action="/account/sessions/revoke-others">${csrf}<button type="submit" class="secondary">${t(lang, 'user.sessions.revokeOthers')}</button></form>
</section>`;

export const passwordSection = (lang: Lang, csrf: SafeHtml, holdHours: number) => html`<section aria-labelledby="password-h" id="password"><h2 id="password-h">${t(lang, 'user.password.title')}</h2>
<p class="hint">${t(lang, 'user.password.holdHint', { hours: holdHours })}</p>
<form method="post" action="/account/password" class="stack">${csrf}
<div><label for="current">${t(lang, 'user.password.current')}</label><input id="current" name="current" type="password" autocomplete="current-password" required></div>
<div><label for="new-password">${t(lang, 'user.password.new')}</label><input id="new-password" name="password" type="password" autocomplete="new-password" minlength="10" required></div>
<button type="submit">${t(lang, 'user.password.submit')}</button></form></section>`;

export const twoFactorSection = (lang: Lang, prep: CenterPreparedness, csrf: SafeHtml) => html`<section aria-labelledby="tfa-h"><h2 id="tfa-h">${t(lang, 'user.tfaSetup.heading')}</h2>
<p>${prep.totpEnabled ? t(lang, 'user.tfaSetup.on') : t(lang, 'user.tfaSetup.off')}</p>
<p><a href="/account/2fa">${prep.totpEnabled ? t(lang, 'user.tfaSetup.change') : t(lang, 'user.tfaSetup.enable')}</a></p>
${passkeyLinks.center(lang, prep.passkeys)}
<form method="post" action="/account/recovery-codes">${csrf}<button type="submit" class="secondary">${t(lang, 'user.recovery.generate')}</button></form></section>`;

export const contactSection = (lang: Lang, prep: CenterPreparedness, csrf: SafeHtml) => html`<section aria-labelledby="contact-h" id="contact"><h2 id="contact-h">${t(lang, 'user.contact.title')}</h2>
<p class="hint">${t(lang, 'user.contact.hint')}</p>
${prep.contact ? html`<p>${prep.contact} — ${prep.contactVerified ? t(lang, 'user.contact.verified') : t(lang, 'user.contact.unverified')}</p>` : ''}
${prep.contact && !prep.contactVerified ? html`<form method="post" action="/account/contact/verify" class="stack">${csrf}
<div><label for="contact-code">${t(lang, 'user.contact.code')}</label><input id="contact-code" name="code" inputmode="numeric" maxlength="8" required></div>
<button type="submit">${t(lang, 'user.contact.verify')}</button></form>` : ''}
<form method="post" action="/account/contact" class="stack">${csrf}
<div><label for="contact-email">${t(lang, 'user.contact.email')}</label><input id="contact-email" name="email" type="email" required></div>
<button type="submit" class="secondary">${t(lang, 'user.contact.submit')}</button></form></section>`;

export const emailSection = (lang: Lang, csrf: SafeHtml) => html`<section aria-labelledby="email-h"><h2 id="email-h">${t(lang, 'user.email.title')}</h2>
<p class="hint">${t(lang, 'user.email.hint')}</p>
<form method="post" action="/account/email" class="stack">${csrf}
<div><label for="new-email">${t(lang, 'user.email.new')}</label><input id="new-email" name="email" type="email" required></div>
<div><label for="email-password">${t(lang, 'user.password.current')}</label><input id="email-password" name="current" type="password" autocomplete="current-password" required></div>
<button type="submit" class="secondary">${t(lang, 'user.email.submit')}</button></form></section>`;

export const withdrawalSection = (lang: Lang, addresses: Array<{ asset: string; address: string; usableAfter: string }>, csrf: SafeHtml, now: number, when: When) => html`<section aria-labelledby="wd-h"><h2 id="wd-h">${t(lang, 'user.withdraw.title')}</h2>
<p class="hint">${t(lang, 'user.withdraw.demo')}</p>
<ul>${addresses.map((a) => html`<li>${a.asset} <code>${a.address}</code> — ${new Date(a.usableAfter).getTime() > now ? t(lang, 'user.withdraw.usableAfter', { time: when(a.usableAfter) }) : t(lang, 'user.withdraw.usable')}</li>`)}</ul>
<form method="post" action="/account/addresses" class="stack">${csrf}
<div><label for="addr-asset">${t(lang, 'user.withdraw.asset')}</label><input id="addr-asset" name="asset" value="BTC" required maxlength="10"></div>
<div><label for="addr">${t(lang, 'user.withdraw.address')}</label><input id="addr" name="address" required maxlength="120"></div>
<button type="submit" class="secondary">${t(lang, 'user.withdraw.addAddress')}</button></form>
<form method="post" action="/account/withdrawals" class="stack">${csrf}
<div><label for="wd-asset">${t(lang, 'user.withdraw.asset')}</label><input id="wd-asset" name="asset" value="BTC" required maxlength="10"></div>
<div><label for="wd-amount">${t(lang, 'user.withdraw.amount')}</label><input id="wd-amount" name="amount" inputmode="decimal" required maxlength="30"></div>
<div><label for="wd-address">${t(lang, 'user.withdraw.address')}</label><input id="wd-address" name="address" required maxlength="120"></div>
<button type="submit" class="secondary">${t(lang, 'user.withdraw.request')}</button></form></section>`;

export const historySection = (lang: Lang, history: SignInHistoryRow[], when: When) => html`<section aria-labelledby="hist-h"><h2 id="hist-h">${t(lang, 'user.history.title')}</h2>
<ul class="history">${history.map((h) => html`<li>${h.kind === 'sign_in' ? t(lang, 'user.history.ok') : t(lang, 'user.history.failed')} · ${when(h.at)} · ${h.device ?? '-'} · ${h.ip ?? '-'} · ${h.country ?? '-'}</li>`)}</ul></section>`;
