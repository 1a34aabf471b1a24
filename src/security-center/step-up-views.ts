import { t, type Lang } from '../web/i18n.ts';
import { html, type SafeHtml } from '../web/html.ts';
import { errorBox } from './center-views.ts';
import { passkeyLinks } from './passkey-links.ts';
import { STEP_UP_CODE_MINUTES, type StepUpAction } from './step-up.ts';
import type { UserSession } from './user-session.ts';

/** The step-up page: a passkey, the authenticator's code or an emailed one, or a recovery code, then back to the action. */
export const stepUpPage = (lang: Lang, s: UserSession, action: StepUpAction, csrf: SafeHtml, o: { error?: string | null; notice?: string | null; demoMailbox?: boolean } = {}) => html`<h1>${t(lang, 'user.stepUp.title')}</h1>
${errorBox(o.error)}
${o.notice ? html`<p class="notice" role="status">${o.notice}</p>` : ''}
<p>${t(lang, 'user.stepUp.lead')}</p>
${s.passkeys ? passkeyLinks.stepUp(lang, action) : ''}
${s.totpEnabled || s.passkeys ? '' : html`<p class="notice">${t(lang, 'user.stepUp.emailed', { minutes: STEP_UP_CODE_MINUTES })}${o.demoMailbox ? html` <a href="/account/mailbox" target="_blank">${t(lang, 'mailbox.stepUpLink')}</a>` : ''}</p>`}
${s.totpEnabled || !s.passkeys ? html`<form method="post" action="/account/step-up" class="stack">${csrf}<input type="hidden" name="action" value="${action}">
<div><label for="code">${s.totpEnabled ? t(lang, 'user.tfa.code') : t(lang, 'user.stepUp.emailCode')}</label><input id="code" name="code" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9 ]{6,7}" maxlength="7"></div>
<button type="submit">${t(lang, 'user.tfa.submit')}</button></form>` : ''}
${s.totpEnabled || s.passkeys ? '' : html`<form method="post" action="/account/step-up/send">${csrf}<input type="hidden" name="action" value="${action}"><button type="submit" class="secondary">${t(lang, 'user.stepUp.resend')}</button></form>`}
<details><summary>${t(lang, 'user.tfa.useRecovery')}</summary>
<form method="post" action="/account/step-up" class="stack">${csrf}<input type="hidden" name="action" value="${action}">
<div><label for="recovery">${t(lang, 'user.tfa.recovery')}</label><input id="recovery" name="recovery" autocomplete="off" maxlength="20"></div>
<button type="submit">${t(lang, 'user.tfa.submit')}</button></form></details>
<p><a href="/account">${t(lang, 'user.back')}</a></p>
<p class="hint">${t(lang, 'user.stepUp.notYou')} <a href="/account/lock">${t(lang, 'user.lock.button')}</a></p>`;
