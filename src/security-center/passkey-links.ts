import { t, type Lang } from '../web/i18n.ts';
import { html } from '../web/html.ts';
import { langHref } from '../web/links.ts';
import type { StepUpAction } from './step-up.ts';

/** For the security center's pages: links to the passkey ways in, where the account has a passkey. */
export const passkeyLinks = {
  signIn: (lang: Lang) => html`<p><a href="${langHref(lang, '/account/login/passkey')}">${t(lang, 'passkey.signInLink')}</a></p>`,
  secondFactor: (lang: Lang) => html`<p><a class="button" href="${langHref(lang, '/account/login/2fa/passkey')}">${t(lang, 'passkey.useLink')}</a></p>`,
  stepUp: (lang: Lang, action: StepUpAction) => html`<p><a class="button" href="${langHref(lang, `/account/step-up/passkey?action=${action}`)}">${t(lang, 'passkey.useLink')}</a></p>`,
  /** The security center's line: how many, and the page to manage them. */
  center: (lang: Lang, n: number) => html`<p>${t(lang, 'passkey.centerCount', { n })}</p><p><a href="${langHref(lang, '/account/passkeys')}">${t(lang, 'passkey.manage')}</a></p>`,
};
