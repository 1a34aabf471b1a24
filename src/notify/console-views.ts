import type { ChannelCounts, PublicChannel, SubscriberRow } from './subscriptions/repository.ts';
import { PUBLIC_CHANNELS, stateOf } from './subscriptions/repository.ts';
import { html } from '../web/html.ts';
import { t } from '../web/i18n.ts';
import { csrf, shell, when, type ConsoleContext } from '../console/views.ts';

const STATES = ['active', 'pending', 'disabled', 'unsubscribed'] as const;

/** Counts per channel for every reader; the search, addresses and actions only with subscriber.manage. */
export function subscribersPage(
  c: ConsoleContext,
  data: { counts: Record<PublicChannel, ChannelCounts>; mayManage: boolean; q: string; results: SubscriberRow[] | null },
): string {
  const counts = html`<div class="table-scroll"><table class="subscriber-counts"><thead><tr><th scope="col">${t(c.lang, 'notify.channel')}</th>
${STATES.map((s) => html`<th scope="col">${t(c.lang, `notify.state.${s}`)}</th>`)}</tr></thead>
<tbody>${PUBLIC_CHANNELS.map((ch) => html`<tr><th scope="row">${t(c.lang, `notify.channel.${ch}`)}</th>${STATES.map((s) => html`<td>${data.counts[ch][s]}</td>`)}</tr>`)}</tbody></table></div>`;
  const search = data.mayManage
    ? html`<h2>${t(c.lang, 'notify.staff.search')}</h2>
<form method="get" action="/staff/subscribers" class="inline" role="search">
<div><label for="q">${t(c.lang, 'notify.staff.searchLabel')}</label><input type="text" id="q" name="q" maxlength="254" value="${data.q}"></div>
<button type="submit" class="secondary">${t(c.lang, 'notify.staff.searchButton')}</button></form>
${data.results === null ? '' : data.results.length === 0 ? html`<p>${t(c.lang, 'notify.staff.none')}</p>` : html`<div class="table-scroll"><table class="subscribers"><thead><tr>
<th scope="col">${t(c.lang, 'notify.staff.target')}</th><th scope="col">${t(c.lang, 'notify.channel')}</th><th scope="col">${t(c.lang, 'notify.staff.state')}</th><th scope="col">${t(c.lang, 'notify.staff.created')}</th><th scope="col">${t(c.lang, 'notify.staff.actions')}</th></tr></thead>
<tbody>${data.results.map((r) => row(c, r))}</tbody></table></div>`}`
    : html`<p class="hint">${t(c.lang, 'notify.staff.needManage')}</p>`;
  return shell(c, t(c.lang, 'notify.staff.title'), '/staff/subscribers', html`${counts}${search}`);
}

function row(c: ConsoleContext, r: SubscriberRow) {
  const state = stateOf(r);
  const live = state === 'active' || state === 'pending';
  return html`<tr><td><code>${r.channel === 'slack' ? maskedSlackUrl(r.target) : r.target}</code>${r.ownerEmail ? html`<p class="meta">${t(c.lang, 'notify.field.ownerEmail')}: ${r.ownerEmail}</p>` : ''}</td>
<td>${t(c.lang, `notify.channel.${r.channel as PublicChannel}`)}</td>
<td>${t(c.lang, `notify.state.${state}`)}${r.disabledReason ? html`<p class="meta">${r.disabledReason}</p>` : ''}</td>
<td>${when(c, r.createdAt)}</td>
<td>${live ? html`<form method="post" action="/staff/subscribers/${r.id}/disable" class="stack">${csrf(c)}
<div><label for="reason-${r.id}">${t(c.lang, 'notify.field.reason')}</label><input type="text" id="reason-${r.id}" name="reason" maxlength="200"></div>
<button type="submit" class="secondary">${t(c.lang, 'notify.staff.disable')}</button></form>` : ''}
${r.target === 'erased' ? '' : html`<form method="post" action="/staff/subscribers/${r.id}/erase" class="inline">${csrf(c)}<button type="submit" class="secondary">${t(c.lang, 'notify.staff.erase')}</button></form>`}</td></tr>`;
}

/**
 * A Slack incoming-webhook URL is a credential (whoever has it can post to the channel): staff see the host, the
 * kind of path and its last four characters, enough to tell two hooks apart. Webhook URLs are not secret (their
 * deliveries are signed) and are shown whole.
 */
export function maskedSlackUrl(target: string): string {
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    return '…';
  }
  const segments = url.pathname.split('/').filter(Boolean);
  const tail = url.pathname.replace(/\/+$/, '').slice(-4);
  const [kind, team] = segments;
  return segments.length >= 3 ? `${url.host}/${kind}/${team!.slice(0, 1)}…/…${tail}` : `${url.host}/…${tail}`;
}
