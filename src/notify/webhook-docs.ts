import type { Component } from '../domain/component.ts';
import type { Incident } from '../domain/incident.ts';
import { buildSnapshot, type PageSnapshot } from '../status/page/snapshot.ts';
import { html, type SafeHtml } from '../web/html.ts';
import { t, type Lang, type MessageKey } from '../web/i18n.ts';
import { layout } from '../web/layout.ts';
import { langHref } from '../web/links.ts';
import { DEFAULT_TIMEOUT_MS } from './channels/http-outcome.ts';
import { DEFAULT_DISABLE_POLICY, WEBHOOK_USER_AGENT } from './channels/webhook-delivery.ts';
import { componentWebhookPayload, incidentWebhookPayload, WEBHOOK_DOCUMENTATION_PATH } from './channels/webhook-payload.ts';
import { DEFAULT_TOLERANCE_SECONDS, IDEMPOTENCY_HEADER, SIGNATURE_HEADER } from './channels/webhook-signature.ts';
import { NODE_RECEIVER, PYTHON_RECEIVER } from './webhook-samples.ts';

/**
 * /help/webhooks: what a webhook receiver needs to know (events, body, signature, retries, duplicates), in the
 * reader's language, without JavaScript. Every `meta.documentation` points here. The examples are made by the
 * same code that makes real deliveries, and the numbers come from the delivery code and its settings.
 */
export interface WebhookDocsContext {
  lang: Lang;
  exchangeName: string;
  page: PageSnapshot['page'];
  /** Retries of one delivery (the fan-out's settings). */
  retry: { baseMs: number; maxMs: number };
}

const EXAMPLE_AT = new Date('2026-03-02T01:00:00Z');
const minutes = (ms: number) => Math.round(ms / 60_000);

/** A made-up page with one incident and one component, for the examples. */
function exampleSnapshot(page: PageSnapshot['page']): PageSnapshot {
  const at = (m: number) => new Date(EXAMPLE_AT.getTime() + m * 60_000);
  const component: Component = {
    id: 'wdbtc0000001', groupId: null, isGroup: false, nameJa: 'BTC 出金', nameEn: 'BTC withdrawals', descriptionJa: null, descriptionEn: null,
    position: 1, status: 'degraded_performance', showcase: true, onlyShowIfDegraded: false, startDate: null, createdAt: at(-60 * 24 * 30), updatedAt: at(0),
  };
  const update = (id: string, status: 'investigating' | 'identified', m: number, bodyJa: string, bodyEn: string) => ({
    id, incidentId: 'inc7q2w9xk3m', status, visibility: 'public' as const, bodyJa, bodyEn,
    affectedComponents: [{ code: component.id, name: component.nameEn, old_status: 'operational' as const, new_status: 'degraded_performance' as const }],
    deliverNotifications: true, authorId: null, createdAt: at(m), displayAt: at(m), editedAt: null,
  });
  const incident: Incident = {
    id: 'inc7q2w9xk3m', kind: 'incident', type: 'outage', severity: 'SEV3', nameJa: 'BTC 出金の遅延', nameEn: 'Delayed BTC withdrawals',
    status: 'identified', impact: 'minor', componentIds: [component.id], createdAt: at(0), updatedAt: at(20), startedAt: at(0),
    monitoringAt: null, resolvedAt: null, scheduledFor: null, scheduledUntil: null, autoTransition: false,
    updates: [
      update('upd8m2c4v6b1', 'identified', 20, '送金ノードの同期遅れが原因と特定しました。復旧作業を進めています。', 'We found the cause, a lagging node, and are fixing it.'),
      update('upd3n5k7p9q2', 'investigating', 0, 'BTC の出金に遅れが出ています。原因を調査しています。', 'BTC withdrawals are delayed. We are investigating.'),
    ],
  };
  return buildSnapshot({ version: 1, changedAt: at(20), loadedAt: at(20), page, components: [component], incidents: [incident], history: new Map() });
}

function examples(c: WebhookDocsContext): { incident: string; component: string } {
  const s = exampleSnapshot(c.page);
  const meta = { unsubscribeUrl: `${c.page.url}/subscriptions/sub5d7e3k9q1w2/unsubscribe/Yk3v9Qm2xL7pR4tZ8aN1cE6uJ0sH5wDf`, generatedAt: new Date(EXAMPLE_AT.getTime() + 20 * 60_000 + 1_200) };
  const incident = incidentWebhookPayload(s, 'inc7q2w9xk3m', c.lang, meta);
  const component = componentWebhookPayload(s, {
    id: 'chg4t6y8u0i2', componentId: 'wdbtc0000001', oldStatus: 'operational', newStatus: 'degraded_performance', createdAt: EXAMPLE_AT,
  }, c.lang, { ...meta, generatedAt: new Date(EXAMPLE_AT.getTime() + 1_120) });
  return { incident: JSON.stringify(incident, null, 2), component: JSON.stringify(component, null, 2) };
}

const code = (text: string) => html`<code>${text}</code>`;

function section(id: string, title: string, body: SafeHtml): SafeHtml {
  return html`<section aria-labelledby="${id}"><h2 id="${id}">${title}</h2>
${body}</section>`;
}

const SECTIONS: Array<[string, MessageKey]> = [
  ['events', 'webhooks.events.title'],
  ['request', 'webhooks.request.title'],
  ['body', 'webhooks.body.title'],
  ['signature', 'webhooks.signature.title'],
  ['retries', 'webhooks.retries.title'],
  ['duplicates', 'webhooks.idempotency.title'],
  ['unsubscribe', 'webhooks.unsubscribe.title'],
];

export function webhookDocsPage(c: WebhookDocsContext): string {
  const { lang } = c;
  const m = (key: MessageKey, params: Record<string, string | number> = {}) => t(lang, key, params);
  const ex = examples(c);
  const headers: Array<[string, string, MessageKey]> = [
    ['Content-Type', 'application/json; charset=utf-8', 'webhooks.header.contentType'],
    ['User-Agent', WEBHOOK_USER_AGENT, 'webhooks.header.userAgent'],
    [SIGNATURE_HEADER, 't=1772413212,v1=5257a869…', 'webhooks.header.signature'],
    [IDEMPOTENCY_HEADER, 'ev91f0c2:sub5d7e3', 'webhooks.header.idempotency'],
  ];
  const fields: Array<[string, MessageKey]> = [
    ['meta.unsubscribe', 'webhooks.field.unsubscribe'],
    ['meta.documentation', 'webhooks.field.documentation'],
    ['meta.generated_at', 'webhooks.field.generatedAt'],
    ['page.id', 'webhooks.field.pageId'],
    ['page.status_indicator', 'webhooks.field.indicator'],
    ['page.status_description', 'webhooks.field.description'],
    ['incident', 'webhooks.field.incident'],
    ['component_update', 'webhooks.field.componentUpdate'],
    ['component', 'webhooks.field.component'],
  ];
  const body = html`<h1>${m('webhooks.title')}</h1>
<p>${m('webhooks.intro', { exchange: c.exchangeName })}</p>
<p><a href="${langHref(lang, '/subscribe', { channel: 'webhook' })}">${m('webhooks.subscribe')}</a></p>
<nav aria-labelledby="toc"><h2 id="toc">${m('webhooks.toc')}</h2>
<ol>${SECTIONS.map(([id, key]) => html`<li><a href="#${id}">${m(key)}</a></li>`)}</ol></nav>
${section('events', m('webhooks.events.title'), html`<ul>
<li>${m('webhooks.events.incident')}</li>
<li>${m('webhooks.events.component')}</li>
</ul>
<p>${m('webhooks.events.filter')}</p>
<p>${m('webhooks.events.lang')}</p>`)}
${section('request', m('webhooks.request.title'), html`<p>${m('webhooks.request.intro')}</p>
<div class="table-scroll"><table>
<thead><tr><th scope="col">${m('webhooks.header.name')}</th><th scope="col">${m('webhooks.header.value')}</th><th scope="col">${m('webhooks.field.meaning')}</th></tr></thead>
<tbody>${headers.map(([name, value, key]) => html`<tr><th scope="row">${code(name)}</th><td>${code(value)}</td><td>${m(key)}</td></tr>`)}</tbody>
</table></div>
<p>${m('webhooks.request.network')}</p>`)}
${section('body', m('webhooks.body.title'), html`<p>${m('webhooks.body.intro', { timeZone: c.page.timeZone })}</p>
<div class="table-scroll"><table>
<thead><tr><th scope="col">${m('webhooks.field.name')}</th><th scope="col">${m('webhooks.field.meaning')}</th></tr></thead>
<tbody>${fields.map(([name, key]) => html`<tr><th scope="row">${code(name)}</th><td>${m(key)}</td></tr>`)}</tbody>
</table></div>
<h3>${m('webhooks.example.incident')}</h3>
<pre class="code-sample" tabindex="0"><code>${ex.incident}</code></pre>
<h3>${m('webhooks.example.component')}</h3>
<pre class="code-sample" tabindex="0"><code>${ex.component}</code></pre>`)}
${section('signature', m('webhooks.signature.title'), html`<p>${m('webhooks.signature.intro', { header: SIGNATURE_HEADER })}</p>
<ol>
<li>${m('webhooks.signature.step1')}</li>
<li>${m('webhooks.signature.step2')}</li>
<li>${m('webhooks.signature.step3')}</li>
<li>${m('webhooks.signature.step4', { minutes: DEFAULT_TOLERANCE_SECONDS / 60 })}</li>
</ol>
<p>${m('webhooks.signature.reject')}</p>
<h3>${m('webhooks.sample.node')}</h3>
<pre class="code-sample" tabindex="0"><code>${NODE_RECEIVER}</code></pre>
<h3>${m('webhooks.sample.python')}</h3>
<pre class="code-sample" tabindex="0"><code>${PYTHON_RECEIVER}</code></pre>`)}
${section('retries', m('webhooks.retries.title'), html`<p>${m('webhooks.retries.success', { seconds: DEFAULT_TIMEOUT_MS / 1000 })}</p>
<p>${m('webhooks.retries.backoff', {
    base: Math.round(c.retry.baseMs / 1000),
    max: minutes(c.retry.maxMs),
    attempts: DEFAULT_DISABLE_POLICY.maxConsecutiveFailures + 1,
  })}</p>
<p>${m('webhooks.retries.disable', { permanent: DEFAULT_DISABLE_POLICY.maxConsecutivePermanentFailures, any: DEFAULT_DISABLE_POLICY.maxConsecutiveFailures })}</p>`)}
${section('duplicates', m('webhooks.idempotency.title'), html`<p>${m('webhooks.idempotency.key', { header: IDEMPOTENCY_HEADER })}</p>
<p>${m('webhooks.idempotency.fresh')}</p>
<p>${m('webhooks.idempotency.order')}</p>`)}
${section('unsubscribe', m('webhooks.unsubscribe.title'), html`<p>${m('webhooks.unsubscribe.body')}</p>`)}`;
  return layout({
    lang,
    title: `${m('webhooks.title')} · ${c.exchangeName}`,
    path: WEBHOOK_DOCUMENTATION_PATH,
    header: html`<p class="site-name"><a href="${langHref(lang, '/')}">${c.exchangeName}</a></p>`,
    body,
  }).value;
}
