import { t, type Lang, type MessageKey } from '../web/i18n.ts';
import { html } from '../web/html.ts';

const REFUSALS = { expired: 'user.emailConfirm.expired', cannot: 'user.emailConfirm.cannot' } as const satisfies Record<string, MessageKey>;
export type EmailLinkRefusal = keyof typeof REFUSALS | 'rateLimited';

export const emailLinkRefusedPage = (lang: Lang, key: EmailLinkRefusal) => html`<h1>${t(lang, 'user.emailConfirm.title')}</h1>
<p class="error-box" role="alert">${key === 'rateLimited' ? t(lang, 'user.rateLimited', { minutes: 15 }) : t(lang, REFUSALS[key])}</p>
<p><a href="/account">${t(lang, 'user.back')}</a></p>`;

/** The link only shows a button: mail scanners open links, and opening one must not change anything. */
export const emailConfirmPage = (lang: Lang, o: { newEmail: string; holdHours: number; token: string; pre: string }) => html`<h1>${t(lang, 'user.emailConfirm.title')}</h1>
<p>${t(lang, 'user.emailConfirm.lead', { email: o.newEmail })}</p>
<p class="hint">${t(lang, 'user.emailConfirm.hold', { hours: o.holdHours })}</p>
<form method="post" action="/account/email/confirm/${o.token}" class="stack"><input type="hidden" name="_pre" value="${o.pre}">
<button type="submit">${t(lang, 'user.emailConfirm.submit')}</button></form>`;

export const emailChangedPage = (lang: Lang) => html`<h1>${t(lang, 'user.emailConfirm.doneTitle')}</h1>
<p class="flash" role="status">${t(lang, 'user.done.email')}</p>
<p><a href="/account">${t(lang, 'user.back')}</a></p>`;
