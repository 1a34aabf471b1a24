import { ANTI_PHISHING_MAX, ANTI_PHISHING_MIN } from '../domain/anti-phishing.ts';
import type { Component } from '../domain/component.ts';
import { html, type SafeHtml } from '../web/html.ts';
import { t, type Lang, localized } from '../web/i18n.ts';
import { layout } from '../web/layout.ts';
import { langHref, langQuery } from '../web/links.ts';
import { SIGNATURE_HEADER } from './channels/webhook-signature.ts';
import { WEBHOOK_DOCUMENTATION_PATH } from './channels/webhook-payload.ts';
import type { PublicChannel, SubscriberRow } from './subscriptions/repository.ts';
import type { ComponentChoiceGroup, ConfirmState, SubscribeResult } from './subscriptions/subscriptions.ts';

/** The subscriber's pages: the form, its answers, confirmation, unsubscribe and manage. No scripts anywhere. */
export interface SubscribeContext {
  lang: Lang;
  exchangeName: string;
  officialXUrl: string;
}

export interface SubscribeValues {
  channel: PublicChannel;
  email?: string;
  url?: string;
  ownerEmail?: string;
  lang?: Lang;
  /** null: every component (the default). */
  components?: Set<string> | null;
}

const channelLabel = (lang: Lang, channel: PublicChannel) => t(lang, `notify.channel.${channel}`);
const componentName = (lang: Lang, c: Component) => localized(lang, c.nameJa, c.nameEn);

function page(c: SubscribeContext, title: string, path: string, body: SafeHtml, noindex = false): string {
  return layout({
    lang: c.lang,
    title: `${title} · ${c.exchangeName}`,
    path,
    header: html`<p class="site-name"><a href="${langHref(c.lang, '/')}">${c.exchangeName}</a></p>`,
    body,
    ...(noindex ? { robots: 'noindex' as const } : {}),
  }).value;
}

const errorBox = (error: string | null | undefined) => (error ? html`<p class="error-box" role="alert" id="form-error">${error}</p>` : '');
const backToStatus = (c: SubscribeContext) => html`<p><a href="${langHref(c.lang, '/')}">${t(c.lang, 'site.backToStatus')}</a></p>`;

/** Every component as a checkbox, under its group as on the status page; all ticked unless a choice was made. */
function componentFieldset(c: SubscribeContext, choices: ComponentChoiceGroup[], chosen: Set<string> | null | undefined): SafeHtml {
  const box = (comp: Component) =>
    html`<label class="radio"><input type="checkbox" name="components" value="${comp.id}"${!chosen || chosen.has(comp.id) ? html` checked` : ''}> ${componentName(c.lang, comp)}</label>`;
  return html`<fieldset class="component-choices" aria-describedby="components-hint"><legend>${t(c.lang, 'notify.components')}</legend>
<p class="hint" id="components-hint">${t(c.lang, 'notify.componentsHint')}</p>
${choices.map((g) => (g.group
    ? html`<fieldset><legend>${componentName(c.lang, g.group)}</legend>${g.components.map(box)}</fieldset>`
    : html`<div>${g.components.map(box)}</div>`))}
</fieldset>`;
}

function langFieldset(c: SubscribeContext, chosen: Lang): SafeHtml {
  return html`<fieldset><legend>${t(c.lang, 'notify.lang')}</legend>
<label class="radio"><input type="radio" name="lang" value="ja"${chosen === 'ja' ? html` checked` : ''}> <span lang="ja">日本語</span></label>
<label class="radio"><input type="radio" name="lang" value="en"${chosen === 'en' ? html` checked` : ''}> <span lang="en">English</span></label>
</fieldset>`;
}

function channelTabs(c: SubscribeContext, current: PublicChannel): SafeHtml {
  return html`<nav aria-label="${t(c.lang, 'notify.channel')}"><ul class="channel-tabs">${(['email', 'webhook', 'slack'] as const).map(
    (ch) => html`<li><a href="${langHref(c.lang, '/subscribe', ch === 'email' ? {} : { channel: ch })}"${ch === current ? html` aria-current="page"` : ''}>${channelLabel(c.lang, ch)}</a></li>`,
  )}</ul></nav>`;
}

function channelFields(c: SubscribeContext, v: SubscribeValues, invalidField: string | null): SafeHtml {
  const aria = (field: string) => (invalidField === field ? html` aria-invalid="true" aria-errormessage="form-error"` : '');
  if (v.channel === 'email') {
    return html`<div><label for="email">${t(c.lang, 'notify.field.email')}</label>
<p class="hint" id="email-hint">${t(c.lang, 'notify.emailHint')}</p>
<input type="email" id="email" name="email" required maxlength="254" autocomplete="email" inputmode="email" aria-describedby="email-hint" value="${v.email ?? ''}"${aria('email')}></div>`;
  }
  const isSlack = v.channel === 'slack';
  return html`<div><label for="url">${t(c.lang, isSlack ? 'notify.slackUrl' : 'notify.webhookUrl')}</label>
<p class="hint" id="url-hint">${t(c.lang, isSlack ? 'notify.slackUrlHint' : 'notify.webhookUrlHint', { header: SIGNATURE_HEADER })}${isSlack ? '' : html` <a href="${langHref(c.lang, WEBHOOK_DOCUMENTATION_PATH)}">${t(c.lang, 'webhooks.docsLink')}</a>`}</p>
<input type="url" id="url" name="url" required maxlength="2048" autocomplete="off" inputmode="url" aria-describedby="url-hint" value="${v.url ?? ''}"${aria('url')}></div>
<div><label for="ownerEmail">${t(c.lang, 'notify.field.ownerEmail')}</label>
<p class="hint" id="owner-hint">${t(c.lang, 'notify.ownerEmailHint')}</p>
<input type="email" id="ownerEmail" name="ownerEmail" maxlength="254" autocomplete="email" inputmode="email" aria-describedby="owner-hint" value="${v.ownerEmail ?? ''}"${aria('ownerEmail')}></div>`;
}

/** `error`: the refusal's message; `invalidField`: the field it is about, marked for assistive technology. */
export function subscribePage(c: SubscribeContext, choices: ComponentChoiceGroup[], v: SubscribeValues, error: string | null = null, invalidField: string | null = null): string {
  const query: Record<string, string> = v.channel === 'email' ? {} : { channel: v.channel };
  const body = html`<h1>${t(c.lang, 'notify.title')}</h1>
${errorBox(error)}
<p>${t(c.lang, 'notify.intro')}</p>
${channelTabs(c, v.channel)}
<form method="post" action="${langHref(c.lang, '/subscribe')}" class="stack subscribe-form" accept-charset="utf-8">
<h2>${channelLabel(c.lang, v.channel)}</h2>
<input type="hidden" name="channel" value="${v.channel}">
${channelFields(c, v, error ? invalidField : null)}
${componentFieldset(c, choices, v.components)}
${langFieldset(c, v.lang ?? c.lang)}
<div><button type="submit">${t(c.lang, 'notify.submit')}</button></div>
</form>
<p class="hint">${t(c.lang, 'notify.alsoX')} <a href="${c.officialXUrl}" rel="noopener">X</a></p>
${backToStatus(c)}`;
  return page(c, t(c.lang, 'notify.title'), langHref('ja', '/subscribe', query), body);
}

/** The answer to an email subscription: the same page whatever the address's history. */
export function checkInboxPage(c: SubscribeContext): string {
  const body = html`<h1>${t(c.lang, 'notify.checkInbox')}</h1>
<p class="flash" role="status">${t(c.lang, 'notify.checkInboxBody')}</p>
<p>${t(c.lang, 'notify.checkInboxHint')}</p>
${backToStatus(c)}`;
  return page(c, t(c.lang, 'notify.checkInbox'), '/subscribe', body, true);
}

/** A webhook or Slack subscription was made: the manage link, and the signing secret this once. */
export function endpointCreatedPage(c: SubscribeContext, r: Extract<SubscribeResult, { channel: 'webhook' | 'slack' }>): string {
  const body = html`<h1>${t(c.lang, 'notify.endpointCreated', { channel: channelLabel(c.lang, r.channel) })}</h1>
<p class="flash" role="status">${t(c.lang, r.pending ? 'notify.endpointPending' : 'notify.endpointActive')}</p>
${r.secret ? html`<section class="secret-box" aria-labelledby="secret-h"><h2 id="secret-h">${t(c.lang, 'notify.secret')}</h2>
<p><strong>${t(c.lang, 'notify.secretOnce')}</strong></p>
<p><code id="webhook-secret">${r.secret}</code></p>
<p class="hint">${t(c.lang, 'notify.secretHint', { header: SIGNATURE_HEADER })}</p>
${r.channel === 'webhook' ? html`<p><a href="${langHref(c.lang, WEBHOOK_DOCUMENTATION_PATH)}">${t(c.lang, 'webhooks.docsLink')}</a></p>` : ''}</section>` : ''}
<section aria-labelledby="manage-h"><h2 id="manage-h">${t(c.lang, 'notify.manageTitle')}</h2>
<p>${t(c.lang, 'notify.manageKeep')}</p>
<p class="secret-link"><a href="${r.manageUrl}">${r.manageUrl}</a></p></section>
${backToStatus(c)}`;
  return page(c, t(c.lang, 'notify.endpointCreated', { channel: channelLabel(c.lang, r.channel) }), '/subscribe', body, true);
}

export function confirmPage(c: SubscribeContext, input: { state: ConfirmState; token: string; manageUrl: string | null }): string {
  let body: SafeHtml;
  switch (input.state) {
    case 'ready':
      body = html`<h1>${t(c.lang, 'notify.confirmTitle')}</h1>
<p>${t(c.lang, 'notify.confirmLead')}</p>
<form method="post" action="/subscriptions/confirm/${input.token}${langQuery(c.lang)}"><button type="submit">${t(c.lang, 'notify.confirmButton')}</button></form>`;
      break;
    case 'confirmed':
      body = html`<h1>${t(c.lang, 'notify.confirmedTitle')}</h1>
<p class="flash" role="status">${t(c.lang, 'notify.confirmedBody')}</p>
${input.manageUrl ? html`<p><a href="${input.manageUrl}">${t(c.lang, 'notify.manageLink')}</a></p>` : ''}`;
      break;
    case 'expired':
      body = html`<h1>${t(c.lang, 'notify.expiredTitle')}</h1>
<p class="error-box" role="alert">${t(c.lang, 'notify.expiredBody')}</p>
<p><a href="${langHref(c.lang, '/subscribe')}">${t(c.lang, 'notify.subscribeAgain')}</a></p>`;
      break;
    default:
      body = html`<h1>${t(c.lang, 'notify.linkInvalidTitle')}</h1><p>${t(c.lang, 'notify.linkInvalid')}</p>
<p><a href="${langHref(c.lang, '/subscribe')}">${t(c.lang, 'notify.subscribeAgain')}</a></p>`;
  }
  return page(c, t(c.lang, 'notify.confirmTitle'), `/subscriptions/confirm/${input.token}`, html`${body}${backToStatus(c)}`, true);
}

/** A wrong token and an unknown id get this same page. */
export function linkNotFoundPage(c: SubscribeContext): string {
  const body = html`<h1>${t(c.lang, 'notify.linkInvalidTitle')}</h1><p>${t(c.lang, 'notify.linkInvalid')}</p>
<p><a href="${langHref(c.lang, '/subscribe')}">${t(c.lang, 'notify.subscribeAgain')}</a></p>${backToStatus(c)}`;
  return page(c, t(c.lang, 'notify.linkInvalidTitle'), '/subscribe', body, true);
}

const describe = (c: SubscribeContext, row: SubscriberRow) =>
  html`<p>${channelLabel(c.lang, row.channel as PublicChannel)}: <strong class="target">${row.channel === 'email' ? row.target : new URL(row.target).host}</strong></p>`;

export function unsubscribePage(c: SubscribeContext, row: SubscriberRow, action: string, done: boolean): string {
  const body = done
    ? html`<h1>${t(c.lang, 'notify.unsubscribedTitle')}</h1>
<p class="flash" role="status">${t(c.lang, 'notify.unsubscribedBody')}</p>
${describe(c, row)}
<p><a href="${langHref(c.lang, '/subscribe')}">${t(c.lang, 'notify.subscribeAgain')}</a></p>`
    : html`<h1>${t(c.lang, 'notify.unsubscribeTitle')}</h1>
${describe(c, row)}
<p>${t(c.lang, 'notify.unsubscribeLead')}</p>
<form method="post" action="${action}"><button type="submit">${t(c.lang, 'notify.unsubscribeButton')}</button></form>`;
  return page(c, t(c.lang, done ? 'notify.unsubscribedTitle' : 'notify.unsubscribeTitle'), action, html`${body}${backToStatus(c)}`, true);
}

export function managePage(
  c: SubscribeContext,
  input: {
    row: SubscriberRow; choices: ComponentChoiceGroup[]; action: string; unsubscribeAction: string; saved: boolean; error?: string | null; values?: { lang?: Lang; components?: Set<string> | null };
    /** Email subscribers: where the anti-phishing code form posts, and the outcome of the last post. */
    antiPhishing?: { action: string; sent: boolean; error: string | null; value?: string };
  },
): string {
  const { row } = input;
  if (row.unsubscribedAt) return unsubscribePage(c, row, input.unsubscribeAction, true);
  const chosen = input.values?.components !== undefined ? input.values.components : row.components ? new Set(row.components) : null;
  const body = html`<h1>${t(c.lang, 'notify.manageTitle')}</h1>
${input.saved ? html`<p class="flash" role="status">${t(c.lang, 'notify.saved')}</p>` : ''}
${errorBox(input.error)}
${describe(c, row)}
${row.disabledAt ? html`<p class="notice">${t(c.lang, 'notify.disabledNotice')}</p>` : ''}
${!row.confirmedAt ? html`<p class="notice">${t(c.lang, 'notify.pendingNotice')}</p>` : ''}
<form method="post" action="${input.action}" class="stack subscribe-form" accept-charset="utf-8">
${componentFieldset(c, input.choices, chosen)}
${langFieldset(c, input.values?.lang ?? row.lang)}
<div><button type="submit">${t(c.lang, 'notify.save')}</button></div>
</form>
${row.channel === 'email' && input.antiPhishing ? antiPhishingSection(c, row, input.antiPhishing) : ''}
<h2>${t(c.lang, 'notify.unsubscribeTitle')}</h2>
<form method="post" action="${input.unsubscribeAction}"><button type="submit" class="secondary">${t(c.lang, 'notify.unsubscribeButton')}</button></form>
${backToStatus(c)}`;
  return page(c, t(c.lang, 'notify.manageTitle'), input.action, body, true);
}

/**
 * The subscriber's anti-phishing code on the manage page. The page opens with the manage link alone (it travels in
 * every status mail), so it says whether a code is set but never shows it; a change is confirmed from the mailbox.
 */
function antiPhishingSection(c: SubscribeContext, row: SubscriberRow, ap: { action: string; sent: boolean; error: string | null; value?: string }): SafeHtml {
  return html`<section aria-labelledby="ap-h" id="anti-phishing"><h2 id="ap-h">${t(c.lang, 'notify.ap.title')}</h2>
${ap.sent ? html`<p class="flash" role="status">${t(c.lang, 'notify.ap.sent')}</p>` : ''}
${ap.error ? html`<p class="error-box" role="alert" id="ap-error">${ap.error}</p>` : ''}
<p>${t(c.lang, 'notify.ap.lead')}</p>
<p>${row.antiPhishingSet ? t(c.lang, 'notify.ap.isSet') : t(c.lang, 'notify.ap.notSet')}</p>
<form method="post" action="${ap.action}" class="stack" accept-charset="utf-8">
<div><label for="ap-code">${t(c.lang, 'notify.ap.field')}</label>
<p class="hint" id="ap-rules">${t(c.lang, 'guard.ap.rules', { min: ANTI_PHISHING_MIN, max: ANTI_PHISHING_MAX })}</p>
<input id="ap-code" name="code" required maxlength="60" autocomplete="off" spellcheck="false" aria-describedby="ap-rules${ap.error ? ' ap-error' : ''}"${ap.error ? html` aria-invalid="true"` : ''} value="${ap.value ?? ''}"></div>
<div><button type="submit">${t(c.lang, 'notify.ap.submit')}</button></div></form>
${row.antiPhishingSet ? html`<form method="post" action="${ap.action}"><input type="hidden" name="remove" value="1"><button type="submit" class="secondary">${t(c.lang, 'notify.ap.remove')}</button></form>` : ''}
</section>`;
}

/** Behind the link mailed to the subscriber: a button (mail scanners open links), then the outcome. Never the code. */
export function antiPhishingConfirmPage(c: SubscribeContext, input: { state: 'ready' | 'confirmed' | 'invalid'; remove: boolean; action: string }): string {
  const body = input.state === 'ready'
    ? html`<h1>${t(c.lang, 'notify.ap.confirmTitle')}</h1>
<p>${t(c.lang, input.remove ? 'notify.ap.confirmRemove' : 'notify.ap.confirmSet')}</p>
<form method="post" action="${input.action}"><button type="submit">${t(c.lang, 'notify.ap.confirmButton')}</button></form>`
    : input.state === 'confirmed'
      ? html`<h1>${t(c.lang, 'notify.ap.confirmTitle')}</h1><p class="flash" role="status">${t(c.lang, 'notify.ap.confirmed')}</p>`
      : html`<h1>${t(c.lang, 'notify.ap.confirmTitle')}</h1><p class="error-box" role="alert">${t(c.lang, 'notify.ap.invalid')}</p>`;
  return page(c, t(c.lang, 'notify.ap.confirmTitle'), input.action, html`${body}${backToStatus(c)}`, true);
}
