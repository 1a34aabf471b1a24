import { html, SafeHtml, escapeHtml } from '../web/html.ts';
import { formatDateTime, t, type Lang } from '../web/i18n.ts';
import { layout } from '../web/layout.ts';
import { shell, type ConsoleContext } from '../console/views.ts';
import type { DemoMail, DemoMailSummary } from './mailbox.ts';

const URL_IN_TEXT = /https?:\/\/[^\s<>"'「」『』（）【】、。]+/g;
/** Sentence punctuation that ends a URL written at the end of a sentence. */
const TRAILING = /[.,;:!?)\]}]+$/;

/** Plain text, escaped, with every http(s) address a link (links in mail are followed as a mail client would). */
export function linkedText(text: string): SafeHtml {
  let out = '';
  let last = 0;
  for (const m of text.matchAll(URL_IN_TEXT)) {
    const url = m[0].replace(TRAILING, '');
    const index = m.index ?? 0;
    out += escapeHtml(text.slice(last, index)) + html`<a href="${url}" rel="noreferrer">${url}</a>`.value;
    last = index + url.length;
  }
  return new SafeHtml(out + escapeHtml(text.slice(last)));
}

const subjectOf = (lang: Lang, m: DemoMailSummary) => m.subject.trim() || t(lang, 'mailbox.noSubject');

/** One mail: who, when, the text with its links, then every header as received. */
function message(lang: Lang, timeZone: string, m: DemoMail): SafeHtml {
  return html`<dl class="facts mail-facts">
<dt>${t(lang, 'mailbox.from')}</dt><dd>${m.from}</dd>
<dt>${t(lang, 'mailbox.to')}</dt><dd>${m.to}</dd>
<dt>${t(lang, 'mailbox.received')}</dt><dd>${formatDateTime(lang, m.receivedAt, timeZone)}</dd>
</dl>
<h2>${t(lang, 'mailbox.body')}</h2>
<pre class="mail-text">${linkedText(m.text)}</pre>
<h2>${t(lang, 'mailbox.headers')}</h2>
<table class="mail-headers"><thead><tr><th scope="col">${t(lang, 'mailbox.headerName')}</th><th scope="col">${t(lang, 'mailbox.headerValue')}</th></tr></thead>
<tbody>${m.headers.map(([name, value]) => html`<tr><th scope="row">${name}</th><td>${value}</td></tr>`)}</tbody></table>`;
}

const pageLinks = (lang: Lang, base: string, more: boolean, last: DemoMailSummary | undefined, paged: boolean) =>
  html`${more && last ? html`<p><a href="${base}?before=${last.id}">${t(lang, 'mailbox.older')}</a></p>` : ''}${paged ? html`<p><a href="${base}">${t(lang, 'mailbox.newest')}</a></p>` : ''}`;

export function staffMailboxPage(c: ConsoleContext, data: { mails: DemoMailSummary[]; more: boolean; paged: boolean }): string {
  const rows = data.mails.map(
    (m) => html`<tr><td>${formatDateTime(c.lang, m.receivedAt, c.timeZone)}</td><td>${m.to}</td><td><a href="/staff/mailbox/${m.id}">${subjectOf(c.lang, m)}</a></td></tr>`,
  );
  const body = html`<p class="hint">${t(c.lang, 'mailbox.staffLead')}</p>
${data.mails.length
    ? html`<table class="mailbox"><thead><tr><th scope="col">${t(c.lang, 'mailbox.received')}</th><th scope="col">${t(c.lang, 'mailbox.to')}</th><th scope="col">${t(c.lang, 'mailbox.subject')}</th></tr></thead>
<tbody>${rows}</tbody></table>`
    : html`<p>${t(c.lang, 'mailbox.none')}</p>`}
${pageLinks(c.lang, '/staff/mailbox', data.more, data.mails[data.mails.length - 1], data.paged)}`;
  return shell(c, t(c.lang, 'mailbox.title'), '/staff/mailbox', body);
}

export function staffMailPage(c: ConsoleContext, m: DemoMail): string {
  const body = html`${message(c.lang, c.timeZone, m)}
<p><a href="/staff/mailbox/${m.id}/source">${t(c.lang, 'mailbox.source')}</a></p>
<p><a href="/staff/mailbox">${t(c.lang, 'mailbox.back')}</a></p>`;
  return shell(c, subjectOf(c.lang, m), `/staff/mailbox/${m.id}`, body);
}

export interface UserPageContext {
  lang: Lang;
  timeZone: string;
  exchangeName: string;
  /** The signed-in user's address: the only one whose mail they see. */
  address: string;
}

const userPage = (u: UserPageContext, title: string, path: string, body: SafeHtml) =>
  layout({ lang: u.lang, title, path, body, robots: 'noindex', header: html`<p class="site-name"><a href="/">${u.exchangeName}</a></p>` }).value;

export function userMailboxPage(u: UserPageContext, data: { mails: DemoMailSummary[]; more: boolean; paged: boolean }): string {
  const items = data.mails.map(
    (m) => html`<li><a href="/account/mailbox/${m.id}">${subjectOf(u.lang, m)}</a><p class="meta">${formatDateTime(u.lang, m.receivedAt, u.timeZone)} · ${m.from}</p></li>`,
  );
  const body = html`<h1>${t(u.lang, 'mailbox.title')}</h1>
<p class="hint">${t(u.lang, 'mailbox.userLead', { address: u.address })}</p>
${data.mails.length ? html`<ul class="history mailbox">${items}</ul>` : html`<p>${t(u.lang, 'mailbox.none')}</p>`}
${pageLinks(u.lang, '/account/mailbox', data.more, data.mails[data.mails.length - 1], data.paged)}
<p><a href="/account">${t(u.lang, 'mailbox.backToCenter')}</a></p>`;
  return userPage(u, t(u.lang, 'mailbox.title'), '/account/mailbox', body);
}

export function userMailPage(u: UserPageContext, m: DemoMail): string {
  const title = subjectOf(u.lang, m);
  const body = html`<h1>${title}</h1>
${message(u.lang, u.timeZone, m)}
<p><a href="/account/mailbox">${t(u.lang, 'mailbox.back')}</a></p>
<p><a href="/account">${t(u.lang, 'mailbox.backToCenter')}</a></p>`;
  return userPage(u, title, `/account/mailbox/${m.id}`, body);
}
