import { t, type Lang } from '../web/i18n.ts';
import { html, type SafeHtml } from '../web/html.ts';
import { langHref } from '../web/links.ts';
import { errorBox, flash } from './center-views.ts';

export const forgotPage = (lang: Lang, pre: string, notice: string | null, error: string | null) => html`<h1>${t(lang, 'user.forgot.title')}</h1>
${flash(notice)}
${errorBox(error)}
<p>${t(lang, 'user.forgot.lead')}</p>
<form method="post" action="/account/forgot" class="stack"><input type="hidden" name="_pre" value="${pre}">
<div><label for="email">${t(lang, 'user.login.email')}</label><input id="email" name="email" type="email" autocomplete="username" required></div>
<button type="submit">${t(lang, 'user.forgot.submit')}</button></form>
<p><a href="${langHref(lang, '/help/lock')}">${t(lang, 'user.forgot.lockInstead')}</a></p>`;

export const newPasswordPage = (lang: Lang, pre: string, token: string, needsCode: boolean, error: string | null) => html`<h1>${t(lang, 'user.forgot.newTitle')}</h1>
${errorBox(error)}
<form method="post" action="/account/forgot/${token}" class="stack"><input type="hidden" name="_pre" value="${pre}">
<div><label for="new-password">${t(lang, 'user.password.new')}</label><input id="new-password" name="password" type="password" autocomplete="new-password" minlength="10" required></div>
${needsCode ? html`<div><label for="code">${t(lang, 'user.tfa.code')}</label><input id="code" name="code" inputmode="numeric" autocomplete="one-time-code" maxlength="7" required></div>` : ''}
<button type="submit">${t(lang, 'user.password.submit')}</button></form>`;

/** After an unlock: a new password, then 2FA again, before anything else. */
export const forcedResetPage = (lang: Lang, csrf: SafeHtml, error: string | null) => html`<h1>${t(lang, 'user.reset.title')}</h1>
<p>${t(lang, 'user.reset.lead')}</p>
${errorBox(error)}
<form method="post" action="/account/reset" class="stack">${csrf}
<div><label for="new-password">${t(lang, 'user.password.new')}</label><input id="new-password" name="password" type="password" autocomplete="new-password" minlength="10" required></div>
<button type="submit">${t(lang, 'user.password.submit')}</button></form>`;
