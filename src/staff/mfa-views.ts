import { html, type SafeHtml } from '../web/html.ts';
import { t, type Lang } from '../web/i18n.ts';
import { layout } from '../web/layout.ts';
import type { StaffPrincipal } from './accounts.ts';
import type { StaffFactor } from './factors.ts';
import { shell, when, csrf, type ConsoleContext } from '../console/views.ts';
import { addPasskeyForm, FRESH_PASSKEY_FIELDS, passkeyItems } from './passkey-views.ts';

/**
 * The pages of staff multi-factor sign-in. Before the factor is passed there is no console yet (no navigation):
 * the page has the console's name, a sign-out button and one task. No JavaScript but the passkey forms' one script.
 */
function preFactorPage(lang: Lang, staff: StaffPrincipal | null, title: string, path: string, body: SafeHtml): string {
  const header = html`<p class="site-name">${t(lang, 'staff.console')}</p>
${staff ? html`<form method="post" action="/staff/logout" class="inline"><input type="hidden" name="_csrf" value="${staff.csrfToken}"><button class="secondary" type="submit">${t(lang, 'staff.signOut')}</button></form>` : ''}`;
  return layout({ lang, title: `${title} · ${t(lang, 'staff.console')}`, path, header, robots: 'noindex', body }).value;
}

const errorBox = (error: string | null | undefined) => (error ? html`<p class="error-box" role="alert">${error}</p>` : '');
const codeField = (lang: Lang, id: string, name: string, required: boolean) =>
  html`<div><label for="${id}">${t(lang, 'staffAuth.code')}</label><input id="${id}" name="${name}" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9 ]{6,7}" maxlength="7"${required ? html` required` : ''}></div>`;

/**
 * The enrolment every member passes before anything else: an authenticator app (QR code, the key as text, one code
 * to confirm) or a passkey (`passkey`, its section).
 */
export function enrolPage(lang: Lang, staff: StaffPrincipal, opts: { secret: string; qr: string; next: string; passkey: SafeHtml; error?: string | null }): string {
  const title = t(lang, 'staffAuth.enrol.title');
  const body = html`${errorBox(opts.error)}<h1>${title}</h1>
<p class="notice" role="status">${t(lang, 'staffAuth.enrol.lead')}</p>
<ol class="steps"><li>${t(lang, 'staffAuth.enrol.step1')}</li><li>${t(lang, 'staffAuth.enrol.step2')}</li></ol>
<p><img src="${opts.qr}" width="240" height="240" alt="${t(lang, 'staffAuth.enrol.qrAlt')}"></p>
<p>${t(lang, 'staffAuth.enrol.secret')} <code id="totp-secret">${opts.secret.replace(/(.{4})/g, '$1 ').trim()}</code></p>
<form method="post" action="/staff/mfa/enrol" class="stack">
<input type="hidden" name="_csrf" value="${staff.csrfToken}">
<input type="hidden" name="next" value="${opts.next}">
${codeField(lang, 'code', 'code', true)}
<div><button type="submit">${t(lang, 'staffAuth.enrol.submit')}</button></div>
</form>
${opts.passkey}`;
  return preFactorPage(lang, staff, title, '/staff/mfa/enrol', body);
}

/** Recovery codes, shown once: the answer to the POST that made them. */
export function recoveryCodesPage(lang: Lang, staff: StaffPrincipal | null, codes: string[], next: string): string {
  const title = t(lang, 'staffAuth.codes.title');
  const body = html`<h1>${title}</h1>
<p class="error-box" role="note">${t(lang, 'staffAuth.codes.once')}</p>
<ol class="recovery-codes" aria-label="${t(lang, 'staffAuth.codes.listLabel', { count: codes.length })}">${codes.map((c) => html`<li><code>${c}</code></li>`)}</ol>
<p><a href="${next}">${t(lang, 'staffAuth.codes.continue')}</a></p>`;
  return preFactorPage(lang, staff, title, '/staff/mfa', body);
}

/**
 * The second step of the sign-in: a code from the app (`totp`: the member has one), a passkey (`passkey`: its
 * section, when the member has one), or a recovery code.
 */
export function factorPage(lang: Lang, staff: StaffPrincipal, opts: { next: string; totp: boolean; passkey: SafeHtml | null; error?: string | null }): string {
  const title = t(lang, 'staffAuth.factor.title');
  const hidden = html`<input type="hidden" name="_csrf" value="${staff.csrfToken}"><input type="hidden" name="next" value="${opts.next}">`;
  const body = html`${errorBox(opts.error)}<h1>${title}</h1>
${opts.totp ? html`<p>${t(lang, 'staffAuth.factor.lead')}</p>
<form method="post" action="/staff/login/factor" class="stack">${hidden}
${codeField(lang, 'code', 'code', true)}
<div><button type="submit">${t(lang, 'staffAuth.factor.submit')}</button></div>
</form>` : ''}
${opts.passkey ?? ''}
<h2>${t(lang, 'staffAuth.factor.useRecovery')}</h2>
<form method="post" action="/staff/login/factor" class="stack">${hidden}
<div><label for="recovery">${t(lang, 'staffAuth.recovery')}</label><input id="recovery" name="recovery" autocomplete="off" autocapitalize="off" spellcheck="false" maxlength="20" required></div>
<div><button type="submit" class="secondary">${t(lang, 'staffAuth.recovery.submit')}</button></div>
</form>
<p class="hint">${t(lang, 'staffAuth.lostAll')}</p>`;
  return preFactorPage(lang, staff, title, '/staff/login/factor', body);
}

const FACTOR_FIELDS = new Set(['_factor_code', '_factor_recovery', FRESH_PASSKEY_FIELDS.response, FRESH_PASSKEY_FIELDS.failure]);

/** Form fields as hidden inputs, so the action continues once the code is in (repeated fields stay repeated). */
export function carriedFields(fields: Record<string, unknown>): SafeHtml[] {
  const out: SafeHtml[] = [];
  for (const [name, value] of Object.entries(fields)) {
    if (FACTOR_FIELDS.has(name)) continue;
    for (const v of Array.isArray(value) ? value : [value]) {
      if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') out.push(html`<input type="hidden" name="${name}" value="${String(v)}">`);
    }
  }
  return out;
}

/**
 * The re-enter-your-code step of a sensitive action: the same form posted again to the same address, with the
 * fields it had, plus a code. The action then runs as if it had been sent once.
 */
export function freshFactorPage(c: ConsoleContext, opts: { action: string; fields: Record<string, unknown>; minutes: number; back: string; totp: boolean; passkey: SafeHtml | null }): string {
  const title = t(c.lang, 'staffAuth.fresh.title');
  const carried = carriedFields(opts.fields);
  const body = html`<p>${t(c.lang, 'staffAuth.fresh.lead', { minutes: opts.minutes })}</p>
${opts.totp ? html`<form method="post" action="${opts.action}" class="stack">${carried}
${codeField(c.lang, 'factor-code', '_factor_code', true)}
<div><button type="submit">${t(c.lang, 'staffAuth.fresh.submit')}</button></div>
</form>` : ''}
${opts.passkey ?? ''}
<h2>${t(c.lang, 'staffAuth.factor.useRecovery')}</h2>
<form method="post" action="${opts.action}" class="stack">${carried}
<div><label for="factor-recovery">${t(c.lang, 'staffAuth.recovery')}</label><input id="factor-recovery" name="_factor_recovery" autocomplete="off" autocapitalize="off" spellcheck="false" maxlength="20" required></div>
<div><button type="submit" class="secondary">${t(c.lang, 'staffAuth.recovery.submit')}</button></div>
</form>
<p><a href="${opts.back}">${t(c.lang, 'staffAuth.fresh.cancel')}</a></p>`;
  return shell(c, title, opts.back, body);
}

/** The member's own factors: what is enrolled, recovery codes left, new recovery codes. */
export function myFactorsPage(c: ConsoleContext, data: { factors: StaffFactor[]; codesLeft: number; oidcLinked: boolean; oidcEnabled: boolean }): string {
  const m = c.staff.authMethod;
  const method = m === 'totp' || m === 'passkey' || m === 'recovery_code' || m === 'oidc' ? t(c.lang, `staffAuth.method.${m}`) : '';
  const body = html`<ul class="history">${data.factors.filter((f) => f.kind === 'totp').map((f) => html`<li>${t(c.lang, 'staffAuth.mfa.totp', { time: when(c, f.createdAt) })}
${f.lastUsedAt ? html`<p class="meta">${t(c.lang, 'staffAuth.mfa.lastUsed', { time: when(c, f.lastUsedAt) })}</p>` : ''}</li>`)}
${passkeyItems(c, data.factors)}</ul>
${addPasskeyForm(c)}
<p>${t(c.lang, 'staffAuth.mfa.codesLeft', { count: data.codesLeft })}</p>
${method ? html`<p class="meta">${t(c.lang, 'staffAuth.mfa.session', { method })}</p>` : ''}
${data.oidcEnabled ? html`<p>${t(c.lang, data.oidcLinked ? 'staffAuth.mfa.oidcLinked' : 'staffAuth.mfa.oidcNone')}</p>` : ''}
<form method="post" action="/staff/mfa/recovery-codes" class="stack">${csrf(c)}
<p class="hint">${t(c.lang, 'staffAuth.mfa.regenerateHint')}</p>
<div><button type="submit" class="secondary">${t(c.lang, 'staffAuth.mfa.regenerate')}</button></div>
</form>`;
  return shell(c, t(c.lang, 'staffAuth.mfa.title'), '/staff/mfa', body);
}

/** The page that explains a refused SSO sign-in (nothing was changed). */
export function oidcFailedPage(lang: Lang, message: string): string {
  const title = t(lang, 'staffAuth.oidc.failedTitle');
  const body = html`<h1>${title}</h1><p class="error-box" role="alert">${message}</p>
<p><a href="/staff/login">${t(lang, 'staffAuth.oidc.back')}</a></p>`;
  return preFactorPage(lang, null, title, '/staff/login', body);
}
