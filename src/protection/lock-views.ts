import type { LockEffects } from '../exchange/adapter.ts';
import { html, type SafeHtml } from '../web/html.ts';
import { t, type Lang } from '../web/i18n.ts';
import { layout } from '../web/layout.ts';
import { phoneLineBlock, type InsteadStep, type PhoneLine } from '../web/phone-line.ts';

/** What the public lock pages need to know about the exchange. */
export interface LockPageContext {
  lang: Lang;
  exchangeName: string;
  /** The emergency line at the request's instant. */
  line: PhoneLine;
}

/** `path` is where the language switch goes: the same page, or the help center where the same page cannot be shown again. */
function page(c: LockPageContext, title: string, path: string, body: SafeHtml): string {
  return layout({ lang: c.lang, title: `${title} · ${c.exchangeName}`, path, header: html`<p class="site-name"><a href="/">${c.exchangeName}</a></p>`, body, robots: 'noindex' }).value;
}

/**
 * The emergency line. These pages are the lock (or follow it), so while the line is closed they offer the form
 * and the police; a page that shows a "could not be done" notice has the line in that notice already.
 */
const phoneLine = (c: LockPageContext, notice: SafeHtml | null = null, instead: readonly InsteadStep[] = ['form', 'police']) =>
  notice ? '' : phoneLineBlock(c.lang, c.line, { instead });

/** `GET /lock/<token>`: what the lock does, and one button. No password, no sign-in. */
export function lockConfirmPage(c: LockPageContext, action: string, error: string | null = null, notice: SafeHtml | null = null): string {
  const body = html`<h1>${t(c.lang, 'lock.confirm.title')}</h1>
${error ? html`<p class="error-box" role="alert">${error}</p>` : ''}${notice ?? ''}
<p>${t(c.lang, 'lock.confirm.intro')}</p>
<p>${t(c.lang, 'lock.confirm.what')}</p>
<ul>
<li>${t(c.lang, 'lock.confirm.sessions')}</li>
<li>${t(c.lang, 'lock.confirm.apiKeys')}</li>
<li>${t(c.lang, 'lock.confirm.trading')}</li>
<li>${t(c.lang, 'lock.confirm.withdrawals')}</li>
</ul>
<p class="hint">${t(c.lang, 'lock.confirm.unlockNote')}</p>
<form method="post" action="${action}" class="stack">
<input type="hidden" name="lang" value="${c.lang}">
<div><button type="submit" class="danger">${t(c.lang, 'lock.confirm.button')}</button></div>
</form>
${phoneLine(c, notice)}`;
  return page(c, t(c.lang, 'lock.confirm.title'), action, body);
}

/** A used, expired or unknown link: one page for all three (it tells nothing about the account). */
export function lockInvalidPage(c: LockPageContext): string {
  const body = html`<h1>${t(c.lang, 'lock.invalid.title')}</h1>
<p>${t(c.lang, 'lock.invalid.body')}</p>
<p>${t(c.lang, 'lock.invalid.already')}</p>
<p>${t(c.lang, 'lock.invalid.help')}</p>
<p><a href="/help/lock?lang=${c.lang}">${t(c.lang, 'lock.invalid.helpLink')}</a></p>
${phoneLine(c, null, ['lock', 'form', 'police'])}`;
  return page(c, t(c.lang, 'lock.invalid.title'), '/help/lock', body);
}

/** After the lock: what was done, the case number, what comes next. */
export function lockDonePage(c: LockPageContext, r: { effects: LockEffects; ticketNumber: number | null }): string {
  const e = r.effects;
  const body = html`<h1>${t(c.lang, 'lock.done.title')}</h1>
<div class="flash" role="status"><p>${t(c.lang, 'lock.done.intro')}</p>
<ul>
<li>${t(c.lang, 'lock.done.sessions', { count: e.sessionsRevoked })}</li>
<li>${t(c.lang, 'lock.done.apiKeys', { count: e.apiKeysRevoked })}</li>
<li>${t(c.lang, 'lock.done.trading')}</li>
<li>${t(c.lang, 'lock.done.withdrawals', { count: e.withdrawalsCancelled })}</li>
</ul></div>
<p><strong>${r.ticketNumber !== null ? t(c.lang, 'lock.done.ticket', { number: r.ticketNumber }) : t(c.lang, 'lock.done.ticketPending')}</strong></p>
<h2>${t(c.lang, 'lock.done.next')}</h2>
<ol>
<li>${t(c.lang, 'lock.done.next.identity')}</li>
<li>${t(c.lang, 'lock.done.next.police')}</li>
<li>${t(c.lang, 'lock.done.next.phone')}${phoneLine(c)}</li>
</ol>
<p class="hint">${t(c.lang, 'lock.done.next.email')}</p>`;
  return page(c, t(c.lang, 'lock.done.title'), '/help/lock', body);
}

/** `GET /help/lock`: email or account ID, nothing else. */
export function lockHelpPage(c: LockPageContext, values: { identifier?: string } = {}, error: string | null = null, notice: SafeHtml | null = null): string {
  const body = html`<h1>${t(c.lang, 'lock.help.title')}</h1>
${error ? html`<p class="error-box" role="alert" id="form-error">${error}</p>` : ''}${notice ?? ''}
<p>${t(c.lang, 'lock.help.intro')}</p>
<form method="post" action="/help/lock" class="stack" accept-charset="utf-8">
<div><label for="identifier">${t(c.lang, 'lock.help.identifier')}</label>
<p class="hint" id="identifier-hint">${t(c.lang, 'lock.help.identifierHint')}</p>
<input type="text" id="identifier" name="identifier" required maxlength="254" autocomplete="email" autocapitalize="off" spellcheck="false" aria-describedby="identifier-hint${error ? ' form-error' : ''}"${error ? html` aria-invalid="true"` : ''} value="${values.identifier ?? ''}"></div>
<input type="hidden" name="lang" value="${c.lang}">
<div><button type="submit">${t(c.lang, 'lock.help.submit')}</button></div>
</form>
${phoneLine(c, notice)}`;
  return page(c, t(c.lang, 'lock.help.title'), '/help/lock', body);
}

/** The one answer to every help-center request, whether or not the account exists. */
export function lockHelpSentPage(c: LockPageContext): string {
  const body = html`<h1>${t(c.lang, 'lock.help.sent.title')}</h1>
<p role="status">${t(c.lang, 'lock.help.sent.body')}</p>
<p>${t(c.lang, 'lock.help.sent.noMail')}</p>
${phoneLine(c)}
<p>${t(c.lang, 'lock.help.sent.police')}</p>`;
  return page(c, t(c.lang, 'lock.help.sent.title'), '/help/lock', body);
}
