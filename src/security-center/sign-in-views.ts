import { t, type Lang } from '../web/i18n.ts';
import { html, type SafeHtml } from '../web/html.ts';
import { langHref } from '../web/links.ts';
import { errorBox, flash } from './center-views.ts';
import { passkeyLinks } from './passkey-links.ts';
import type { UserSession } from './user-session.ts';

export const loginPage = (lang: Lang, pre: string, error: string | null, email = '', notice: string | null = null) => html`<h1>${t(lang, 'user.login.title')}</h1>
${flash(notice)}
${errorBox(error)}
<form method="post" action="/account/login" class="stack">
<input type="hidden" name="_pre" value="${pre}">
<div><label for="email">${t(lang, 'user.login.email')}</label><input id="email" name="email" type="email" autocomplete="username" required value="${email}"></div>
<div><label for="password">${t(lang, 'user.login.password')}</label><input id="password" name="password" type="password" autocomplete="current-password" required></div>
<button type="submit">${t(lang, 'user.login.submit')}</button>
<p><a href="${langHref(lang, '/account/forgot')}">${t(lang, 'user.forgot.link')}</a></p>
</form>
${passkeyLinks.signIn(lang)}
<p class="hint">${t(lang, 'user.login.lockHint')} <a href="/help/lock">${t(lang, 'user.login.lockLink')}</a></p>`;

export const twoFactorPage = (lang: Lang, s: UserSession, csrf: SafeHtml, error: string | null, emailed = false) => html`<h1>${t(lang, 'user.tfa.title')}</h1>
${errorBox(error)}
${emailed ? html`<p class="notice" role="status">${t(lang, 'user.tfa.emailed')}</p>` : ''}
${s.passkeys ? passkeyLinks.secondFactor(lang) : ''}
${s.totpEnabled || emailed || !s.passkeys ? html`<form method="post" action="/account/login/2fa" class="stack">${csrf}
<div><label for="code">${t(lang, 'user.tfa.code')}</label><input id="code" name="code" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9 ]{6,7}" maxlength="7"></div>
<button type="submit">${t(lang, 'user.tfa.submit')}</button>
</form>` : ''}
<details><summary>${t(lang, 'user.tfa.useRecovery')}</summary>
<form method="post" action="/account/login/2fa" class="stack">${csrf}
<div><label for="recovery">${t(lang, 'user.tfa.recovery')}</label><input id="recovery" name="recovery" autocomplete="off" maxlength="20"></div>
<button type="submit">${t(lang, 'user.tfa.submit')}</button>
</form></details>`;
