import { html, type SafeHtml } from '../web/html.ts';
import { t, type Lang } from '../web/i18n.ts';
import { ceremonyForm } from '../webauthn/page.ts';
import type { StaffPrincipal } from './accounts.ts';
import type { StaffFactor } from './factors.ts';
import { MAX_PASSKEY_NAME } from './passkey-factor.ts';
import { csrf, shell, when, type ConsoleContext } from '../console/views.ts';

/**
 * The passkey parts of the staff factor pages: the forms src/webauthn/browser.js drives (the page answering with
 * one allows that script), and the member's passkeys on their own factors page.
 */

/** Fields the fresh-factor step's passkey form fills (another form's fields are carried along with them). */
export const FRESH_PASSKEY_FIELDS = { response: '_factor_passkey', failure: '_factor_passkey_failure' } as const;

const nameField = (lang: Lang, value = '') => html`<div><label for="passkey-name">${t(lang, 'staffPasskey.name')}</label>
<input id="passkey-name" name="name" type="text" maxlength="${MAX_PASSKEY_NAME}" autocomplete="off" value="${value}" aria-describedby="passkey-name-hint">
<p class="hint" id="passkey-name-hint">${t(lang, 'staffPasskey.nameHint')}</p></div>`;

const ceremonyTexts = (lang: Lang, button: 'staffPasskey.enrol.submit' | 'staffPasskey.use' | 'staffPasskey.register') => ({
  button: t(lang, button), waiting: t(lang, 'staffPasskey.waiting'), noScript: t(lang, 'staffPasskey.noScript'),
});

/** The enrolment's other way: a passkey of this device or a security key, named. */
export function enrolPasskeySection(lang: Lang, staff: StaffPrincipal, o: { next: string; options: object }): SafeHtml {
  return html`<h2 id="enrol-passkey-h">${t(lang, 'staffPasskey.enrol.heading')}</h2>
<p>${t(lang, 'staffPasskey.enrol.lead')}</p>
${ceremonyForm({
  mode: 'create', action: '/staff/mfa/enrol/passkey', options: o.options, id: 'staff-passkey-enrol',
  hidden: html`<input type="hidden" name="_csrf" value="${staff.csrfToken}"><input type="hidden" name="next" value="${o.next}">`,
  fields: nameField(lang), ...ceremonyTexts(lang, 'staffPasskey.enrol.submit'),
})}`;
}

/** The sign-in's second step with a passkey (`lead`: the member has no authenticator app, so this comes first). */
export function factorPasskeySection(lang: Lang, staff: StaffPrincipal, o: { next: string; options: object; lead: boolean }): SafeHtml {
  return html`${o.lead ? '' : html`<h2>${t(lang, 'staffPasskey.factor.heading')}</h2>`}
<p>${t(lang, 'staffPasskey.factor.lead')}</p>
${ceremonyForm({
  mode: 'get', action: '/staff/login/factor/passkey', options: o.options, id: 'staff-passkey-factor',
  hidden: html`<input type="hidden" name="_csrf" value="${staff.csrfToken}"><input type="hidden" name="next" value="${o.next}">`,
  ...ceremonyTexts(lang, 'staffPasskey.use'),
})}`;
}

/** The fresh-factor step with a passkey: the action's own fields carried along, posted to the action again. */
export function freshPasskeySection(lang: Lang, o: { action: string; carried: SafeHtml[]; options: object }): SafeHtml {
  return html`<h2>${t(lang, 'staffPasskey.factor.heading')}</h2>
${ceremonyForm({
  mode: 'get', action: o.action, options: o.options, id: 'staff-passkey-fresh', names: FRESH_PASSKEY_FIELDS,
  hidden: html`${o.carried}`, ...ceremonyTexts(lang, 'staffPasskey.use'),
})}`;
}

/** A member's passkeys on their own factors page: name, added, last used, turned off, remove. */
export function passkeyItems(c: ConsoleContext, factors: StaffFactor[]): SafeHtml[] {
  return factors.filter((f) => f.kind === 'passkey').map((f) => {
    const name = f.name ?? '';
    return html`<li id="passkey-${f.id}"><strong>${t(c.lang, 'staffPasskey.item', { name })}</strong>
<p class="meta">${t(c.lang, 'staffPasskey.created', { time: when(c, f.createdAt) })} · ${f.lastUsedAt ? t(c.lang, 'staffAuth.mfa.lastUsed', { time: when(c, f.lastUsedAt) }) : t(c.lang, 'staffPasskey.neverUsed')}</p>
${f.disabledAt ? html`<p class="error-box">${t(c.lang, 'staffPasskey.disabled')}</p>` : ''}
<form method="post" action="/staff/mfa/passkeys/remove" class="inline">${csrf(c)}<input type="hidden" name="id" value="${f.id}"><button type="submit" class="secondary" aria-label="${t(c.lang, 'staffPasskey.removeLabel', { name })}">${t(c.lang, 'staffPasskey.remove')}</button></form></li>`;
  });
}

/** Adding another passkey from the factors page: its name first (the ceremony comes after a fresh factor). */
export function addPasskeyForm(c: ConsoleContext): SafeHtml {
  return html`<h2 id="passkey-add-h">${t(c.lang, 'staffPasskey.addHeading')}</h2>
<form method="post" action="/staff/mfa/passkeys/new" class="stack" aria-labelledby="passkey-add-h">${csrf(c)}
${nameField(c.lang)}
<div><button type="submit" class="secondary">${t(c.lang, 'staffPasskey.add')}</button></div>
</form>
<p class="hint">${t(c.lang, 'staffPasskey.removeHint')}</p>`;
}

/** The registration of another passkey, in the console. */
export function registerPasskeyPage(c: ConsoleContext, o: { name: string; options: object }): string {
  const body = html`<p>${t(c.lang, 'staffPasskey.registerLead', { name: o.name })}</p>
${ceremonyForm({
  mode: 'create', action: '/staff/mfa/passkeys/register', options: o.options, id: 'staff-passkey-register',
  hidden: html`${csrf(c)}<input type="hidden" name="name" value="${o.name}">`, ...ceremonyTexts(c.lang, 'staffPasskey.register'),
})}
<p><a href="/staff/mfa">${t(c.lang, 'staffAuth.fresh.cancel')}</a></p>`;
  return shell(c, t(c.lang, 'staffPasskey.registerTitle'), '/staff/mfa', body);
}
