import { randomBytes } from 'node:crypto';
import { isIncidentOpen, type Incident } from '../domain/incident.ts';
import { TICKET_TYPES, type TicketType } from '../domain/ticket.ts';
import { SUGGESTED_ITEMS, type ChecklistEntry } from './checklist.ts';
import type { Ticket, TicketMessage } from './ticket-repository.ts';
import { html, multiline, type SafeHtml } from '../web/html.ts';
import { formatDateTime, t, type Lang, localized } from '../web/i18n.ts';
import { layout } from '../web/layout.ts';
import { langHref, langQuery } from '../web/links.ts';
import { phoneLineBlock, type PhoneLine } from '../web/phone-line.ts';

/** What every user-facing desk page needs to know about the exchange. */
export interface ContactContext {
  lang: Lang;
  exchangeName: string;
  timeZone: string;
  officialXUrl: string;
  faqUrl: string;
  /** The emergency line at the request's instant. */
  line: PhoneLine;
  /** Open incidents right now, for "is it down?" context. */
  openIncidents: Incident[];
}

export type ContactValues = Partial<Record<'body' | 'email' | 'orderId' | 'transactionId' | 'asset' | 'amount' | 'category' | 'submission', string>>;

const header = (c: ContactContext) => html`<p class="site-name"><a href="/">${c.exchangeName}</a></p>`;
const incidentName = (c: ContactContext, i: Incident) => localized(c.lang, i.nameJa, i.nameEn);

function page(c: ContactContext, title: string, path: string, body: SafeHtml, robots?: 'noindex'): string {
  return layout({ lang: c.lang, title: `${title} · ${c.exchangeName}`, path, header: header(c), body, ...(robots ? { robots } : {}) }).value;
}

function incidentBanner(c: ContactContext): SafeHtml {
  const open = c.openIncidents.filter((i) => i.kind === 'incident' && isIncidentOpen(i.status));
  if (!open.length) return html``;
  return html`<div class="banner impact-${open[0]!.impact}" role="status">${open.map(
    (i) => html`<p>${t(c.lang, 'contact.statusNow', { name: incidentName(c, i) })} <a href="/incidents/${i.id}">${t(c.lang, 'page.viewDetails')}</a></p>`,
  )}</div>`;
}

/**
 * Posts the form to /contact/suggest, which shows this page again with articles for the message and fills every field in
 * again; no ticket is filed. After the send button, so Enter in a field still sends; no validation, so an
 * empty email does not stop a search. Works without JavaScript.
 */
const searchWithMessageButton = (lang: Lang) =>
  html`<button type="submit" class="secondary" formaction="/contact/suggest" formnovalidate>${t(lang, 'contact.searchWithMessage')}</button>`;

/** `suggestions`: help articles that may answer the question, shown above the form (src/help/guide). */
export function contactFormPage(c: ContactContext, values: ContactValues = {}, error: string | null = null, suggestions: SafeHtml | null = null, notice: SafeHtml | null = null): string {
  const v = (k: keyof ContactValues) => values[k] ?? '';
  const body = html`<h1>${t(c.lang, 'contact.title')}</h1>
${incidentBanner(c)}
${error ? html`<p class="error-box" role="alert" id="form-error">${error}</p>` : ''}${notice ?? ''}
<p>${t(c.lang, 'contact.intro')}</p>
<p class="hint"><strong>${t(c.lang, 'contact.noSecrets')}</strong></p>
<p class="lock-first">${t(c.lang, 'contact.lockFirst')} <a href="/help/lock${langQuery(c.lang)}">${t(c.lang, 'contact.lockFirstLink')}</a></p>
${suggestions ?? ''}
<form method="post" action="/contact" class="stack" accept-charset="utf-8">
<div><label for="body">${t(c.lang, 'contact.message')}</label>
<p class="hint" id="body-hint">${t(c.lang, 'contact.messageHint')}</p>
<textarea id="body" name="body" required maxlength="20000" rows="8" aria-describedby="body-hint"${error ? html` aria-invalid="true"` : ''}>${v('body')}</textarea></div>
<div><label for="email">${t(c.lang, 'contact.email')}</label>
<p class="hint" id="email-hint">${t(c.lang, 'contact.emailHint')}</p>
<input type="email" id="email" name="email" required maxlength="254" autocomplete="email" inputmode="email" aria-describedby="email-hint" value="${v('email')}"></div>
<div><label for="category">${t(c.lang, 'contact.category')}</label>
<select id="category" name="category"><option value="">${t(c.lang, 'contact.categoryUnknown')}</option>
${TICKET_TYPES.map((type) => html`<option value="${type}"${v('category') === type ? html` selected` : ''}>${t(c.lang, `type.${type}`)}</option>`)}
</select></div>
<fieldset><legend>${t(c.lang, 'contact.details')}</legend>
<div><label for="orderId">${t(c.lang, 'contact.orderId')}</label><input type="text" id="orderId" name="orderId" maxlength="100" autocomplete="off" value="${v('orderId')}"></div>
<div><label for="transactionId">${t(c.lang, 'contact.transactionId')}</label><input type="text" id="transactionId" name="transactionId" maxlength="200" autocomplete="off" value="${v('transactionId')}"></div>
<div><label for="asset">${t(c.lang, 'contact.asset')}</label><input type="text" id="asset" name="asset" maxlength="20" autocomplete="off" value="${v('asset')}"></div>
<div><label for="amount">${t(c.lang, 'contact.amount')}</label><input type="text" id="amount" name="amount" maxlength="40" inputmode="decimal" autocomplete="off" value="${v('amount')}"></div>
</fieldset>
<input type="hidden" name="lang" value="${c.lang}">
<input type="hidden" name="submission" value="${v('submission') || randomBytes(18).toString('base64url')}">
<button type="submit">${t(c.lang, 'contact.submit')}</button>
${suggestions ? searchWithMessageButton(c.lang) : ''}
</form>`;
  return page(c, t(c.lang, 'contact.title'), '/contact', body);
}

/**
 * The emergency line (src/web/phone-line.ts). The user has just written to us, so while it is closed the steps
 * are the lock and the police.
 */
export function contactPhoneLine(c: ContactContext): SafeHtml {
  return phoneLineBlock(c.lang, c.line, { instead: ['lock', 'police'] });
}

/** An open incident and what was last said about it publicly. */
function latestUpdate(c: ContactContext, i: Incident): SafeHtml {
  const update = i.updates.filter((u) => u.visibility === 'public').sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime())[0];
  const body = update ? (localized(c.lang, update.bodyJa, update.bodyEn)) : null;
  return html`<div class="incident-now"><h3><a href="/incidents/${i.id}">${incidentName(c, i)}</a></h3>
${update && body ? html`<p class="meta">${t(c.lang, 'contact.latestUpdate')} · <time datetime="${update.createdAt.toISOString()}">${formatDateTime(c.lang, update.createdAt, c.timeZone)}</time></p><p>${multiline(body)}</p>` : ''}</div>`;
}

/** What the user should do now, chosen by the ticket's triage (seed §3). */
export function nextSteps(c: ContactContext, ticket: Pick<Ticket, 'type' | 'number'>): SafeHtml {
  let steps: SafeHtml;
  switch (ticket.type as TicketType) {
    case 'security': {
      // Lock first (seed §3.2, "lock first, ask questions later"): every step is a link that does it.
      const href = (path: string) => langHref(c.lang, path);
      const step = (link: SafeHtml, hint: SafeHtml | string) => html`<li>${link}<p class="hint">${hint}</p></li>`;
      steps = html`<p class="urgent">${t(c.lang, 'next.security.lead')}</p>
<ol class="steps">
${step(html`<a class="next-lock" href="${href('/help/lock')}">${t(c.lang, 'next.security.lock')}</a>`, t(c.lang, 'next.security.lockHint'))}
${step(html`<a href="${href('/account#password')}">${t(c.lang, 'next.security.password')}</a>`, t(c.lang, 'next.security.passwordHint'))}
${step(html`<a href="${href('/account/2fa')}">${t(c.lang, 'next.security.twoFactor')}</a>`, t(c.lang, 'next.security.twoFactorHint'))}
<li>${t(c.lang, 'next.security.call', { number: ticket.number })}${contactPhoneLine(c)}</li>
${step(html`<a href="${c.line.policeUrl}" rel="noopener">${t(c.lang, 'next.security.police')}</a>`, t(c.lang, 'next.security.policeHint'))}
</ol>`;
      break;
    }
    case 'outage': {
      const open = c.openIncidents.filter((i) => i.kind === 'incident' && isIncidentOpen(i.status));
      steps = html`<p class="urgent">${t(c.lang, 'next.outage.lead')}</p>
${open.length ? open.map((i) => latestUpdate(c, i)) : html`<p>${t(c.lang, 'next.outage.allOk')}</p>`}
<ul class="steps"><li><a href="/">${t(c.lang, 'next.outage.status')}</a></li><li><a href="${c.officialXUrl}" rel="noopener">${t(c.lang, 'next.outage.x')}</a></li></ul>`;
      break;
    }
    case 'trading':
      steps = html`<p>${t(c.lang, 'next.trading.lead')}</p>
<ul class="steps">${SUGGESTED_ITEMS.trading.map((item) => html`<li>${t(c.lang, `checklist.${item}`)}</li>`)}</ul>`;
      break;
    case 'regulatory':
      steps = html`<p>${t(c.lang, 'next.regulatory.lead')}</p><p><a href="${c.faqUrl}" rel="noopener">${t(c.lang, 'next.faq')}</a></p>`;
      break;
    default:
      steps = html`<p>${t(c.lang, 'next.other.lead')}</p><p><a href="${c.faqUrl}" rel="noopener">${t(c.lang, 'next.faq')}</a></p>`;
  }
  return html`<section aria-labelledby="next-h" class="next-steps next-${ticket.type}"><h2 id="next-h">${t(c.lang, 'next.title')}</h2>${steps}</section>`;
}

const fromLabel = (lang: Lang, m: TicketMessage) => t(lang, `ticket.from.${m.kind}`);

function checklistSection(c: ContactContext, checklist: ChecklistEntry[]): SafeHtml {
  if (!checklist.length) return html``;
  return html`<section aria-labelledby="req-h"><h2 id="req-h">${t(c.lang, 'ticket.requested')}</h2><ul class="checklist">${checklist.map(
    (e) => html`<li>${t(c.lang, `checklist.${e.item}`)}${e.receivedAt ? html` — ${t(c.lang, 'ticket.itemReceived')}` : ''}</li>`,
  )}</ul></section>`;
}

/** The user's own ticket, reached by the secret link. Only their thread: never notes, never other tickets. */
export function ticketPage(
  c: ContactContext,
  data: { ticket: Ticket; messages: TicketMessage[]; path: string; justFiled: boolean; replied: boolean; error?: string | null; notice?: SafeHtml | null; replyValue?: string },
): string {
  const { ticket } = data;
  const when = (d: Date) => formatDateTime(c.lang, d, c.timeZone);
  const received = data.justFiled
    ? html`<section class="received" aria-labelledby="received-h"><h2 id="received-h">${t(c.lang, 'contact.received')}</h2>
<p class="ticket-number">${t(c.lang, 'contact.number')}: <strong>${ticket.number}</strong></p>
<p>${t(c.lang, 'contact.linkHint')}</p>
<p>${t(c.lang, 'contact.emailSent', { email: ticket.email })}</p>
${ticket.incidentId ? html`<p>${t(c.lang, 'contact.linkedIncident')} <a href="/incidents/${ticket.incidentId}">${t(c.lang, 'page.viewDetails')}</a></p>` : ''}
</section>${nextSteps(c, ticket)}`
    : '';
  const closed = ticket.status === 'closed';
  const body = html`<h1>${t(c.lang, 'ticket.title', { number: ticket.number })}</h1>
${data.replied ? html`<p class="flash" role="status">${t(c.lang, 'ticket.replied')}</p>` : ''}
${data.error ? html`<p class="error-box" role="alert">${data.error}</p>` : ''}${data.notice ?? ''}
${received}
<p>${t(c.lang, 'ticket.status')}: <strong>${t(c.lang, `ticket.status.${ticket.status}`)}</strong></p>
${checklistSection(c, ticket.checklist)}
<section aria-labelledby="thread-h"><h2 id="thread-h">${t(c.lang, 'ticket.thread')}</h2>
<ol class="thread">${data.messages.map(
    (m) => html`<li class="message m-${m.kind}"><p class="meta">${fromLabel(c.lang, m)} · <time datetime="${m.createdAt.toISOString()}">${when(m.createdAt)}</time></p><div class="message-body">${multiline(m.body)}</div></li>`,
  )}</ol></section>
${closed
    ? html`<p>${t(c.lang, 'ticket.closedHint')} <a href="/contact">${t(c.lang, 'ticket.newRequest')}</a></p>`
    : html`<form method="post" action="${data.path}" class="stack" accept-charset="utf-8">
<div><label for="reply">${t(c.lang, 'ticket.reply')}</label><p class="hint" id="reply-hint">${t(c.lang, 'ticket.replyHint')}</p>
<textarea id="reply" name="body" required maxlength="20000" aria-describedby="reply-hint">${data.replyValue ?? ''}</textarea></div>
<button type="submit">${t(c.lang, 'ticket.reply')}</button></form>`}`;
  return page(c, t(c.lang, 'ticket.title', { number: ticket.number }), data.path, body, 'noindex');
}

export function ticketNotFoundPage(c: ContactContext): string {
  return page(c, '404', '/contact', html`<h1>404</h1><p>${t(c.lang, 'ticket.notFound')}</p><p><a href="/contact">${t(c.lang, 'ticket.newRequest')}</a></p>`, 'noindex');
}
