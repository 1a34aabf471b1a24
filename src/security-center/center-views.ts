/** Views the security center's flows share: the locked account's page and the steps after a lock. */
import type { Config } from '../config.ts';
import type { BusinessCalendar } from '../domain/business-calendar.ts';
import { t, type Lang } from '../web/i18n.ts';
import { html, type SafeHtml } from '../web/html.ts';
import { langHref } from '../web/links.ts';
import { phoneLine, phoneLineBlock } from '../web/phone-line.ts';

/** After a lock: what happens next, and the emergency line (open now or not; while closed: the form, the police). */
export const afterLockSteps = (lang: Lang, config: Config, calendar: BusinessCalendar, at: Date): SafeHtml => html`<ol class="steps"><li>${t(lang, 'user.locked.step1')}</li><li>${t(lang, 'user.locked.step2')}</li><li>${t(lang, 'user.locked.step3')}</li></ol>
${phoneLineBlock(lang, phoneLine(config, calendar, at), { instead: ['form', 'police'] })}`;

export const lockedBody = (lang: Lang, config: Config, calendar: BusinessCalendar, at: Date): SafeHtml => html`<h1>${t(lang, 'user.locked.title')}</h1>
<div class="lock-box" role="alert"><p>${t(lang, 'user.locked.lead')}</p></div>
${afterLockSteps(lang, config, calendar, at)}
<p><a href="${langHref(lang, '/contact')}">${t(lang, 'user.locked.contact')}</a></p>`;

/** An error line at the top of a form, when there is one. */
export const errorBox = (message: string | null | undefined): SafeHtml | '' => (message ? html`<p class="error-box" role="alert">${message}</p>` : '');
/** A notice that something was done, when there is one. */
export const flash = (message: string | null | undefined): SafeHtml | '' => (message ? html`<p class="flash" role="status">${message}</p>` : '');
