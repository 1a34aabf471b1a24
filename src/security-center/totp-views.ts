import { t, type Lang } from '../web/i18n.ts';
import { html, type SafeHtml } from '../web/html.ts';
import { errorBox, flash } from './center-views.ts';
import { totpQrDataUrl, totpUri } from './totp.ts';
import type { UserSession } from './user-session.ts';

/** Enrolling (or changing) the authenticator: the QR code and secret, and the form that confirms a code from it. */
export async function totpSetupPage(lang: Lang, s: UserSession, o: { secret: string; exchangeName: string; holdHours: number; csrf: SafeHtml; error: string | null; notice?: string | null }): Promise<SafeHtml> {
  const uri = totpUri(o.secret, o.exchangeName, s.email);
  const qr = await totpQrDataUrl(uri);
  const needsPassword = !s.mustReenrol2fa;
  return html`<h1>${t(lang, 'user.tfaSetup.title')}</h1>
${s.mustReenrol2fa ? html`<p class="notice" role="status">${t(lang, 'user.reset.tfaLead')}</p>` : ''}
${flash(o.notice)}
${errorBox(o.error)}
<ol class="steps"><li>${t(lang, 'user.tfaSetup.step1')}</li><li>${t(lang, 'user.tfaSetup.step2')}</li></ol>
<p><img src="${qr}" width="240" height="240" alt="${t(lang, 'user.tfaSetup.qrAlt')}"></p>
<p>${t(lang, 'user.tfaSetup.secret')} <code id="totp-secret">${o.secret.replace(/(.{4})/g, '$1 ').trim()}</code></p>
${s.totpEnabled ? html`<p class="hint">${t(lang, 'user.tfaSetup.holdHint', { hours: o.holdHours })}</p>` : ''}
<form method="post" action="/account/2fa" class="stack">${o.csrf}
${needsPassword ? html`<div><label for="current">${t(lang, 'user.password.current')}</label><input id="current" name="current" type="password" autocomplete="current-password" required></div>` : ''}
<div><label for="code">${t(lang, 'user.tfa.code')}</label><input id="code" name="code" inputmode="numeric" autocomplete="one-time-code" maxlength="7" required></div>
<button type="submit">${t(lang, 'user.tfaSetup.confirm')}</button></form>`;
}

export const recoveryCodesPage = (lang: Lang, codes: string[]) => html`<h1>${t(lang, 'user.recovery.title')}</h1>
<p class="notice" role="status">${t(lang, 'user.recovery.once')}</p>
<ol class="recovery-codes">${codes.map((c) => html`<li><code>${c}</code></li>`)}</ol>
<p><a href="/account?done=recovery">${t(lang, 'user.recovery.saved')}</a></p>`;
