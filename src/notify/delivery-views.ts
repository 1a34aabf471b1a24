import type { Incident } from '../domain/incident.ts';
import { html, type SafeHtml } from '../web/html.ts';
import { t, type Lang } from '../web/i18n.ts';
import type { Channel, ChannelProgress, FanoutProgress } from './fanout/types.ts';

const CHANNEL_ORDER: readonly Channel[] = ['email', 'webhook', 'slack', 'x'];
const COUNTS: ReadonlyArray<keyof ChannelProgress> = ['sent', 'pending', 'failed', 'skipped'];

export type DeliveryProgressLookup = (updateId: string) => Promise<FanoutProgress>;

/** Progress of every public update of an incident (internal notes are never delivered). */
export async function deliveryProgressFor(incident: Incident, lookup: DeliveryProgressLookup | undefined): Promise<Map<string, FanoutProgress>> {
  const out = new Map<string, FanoutProgress>();
  if (!lookup) return out;
  for (const u of incident.updates) {
    if (u.visibility === 'public') out.set(u.id, await lookup(u.id));
  }
  return out;
}

/** Sent / pending / failed / not sent per channel for one update, under that update on the staff incident page. */
export function deliveryProgressView(lang: Lang, updateId: string, p: FanoutProgress | undefined): SafeHtml | '' {
  if (!p) return '';
  const title = t(lang, 'delivery.title');
  if (!p.notified) return html`<p class="meta delivery-progress">${title}: ${t(lang, 'delivery.notNotified')}</p>`;
  const channels = CHANNEL_ORDER.filter((ch) => p.channels[ch]);
  const note = !p.expanded
    ? html`<p class="meta" role="status">${t(lang, 'delivery.expanding')}</p>`
    : channels.length === 0
    ? html`<p class="meta">${t(lang, 'delivery.none')}</p>`
    : '';
  const table = channels.length
    ? html`<div class="table-scroll"><table class="delivery-progress" aria-labelledby="delivery-${updateId}">
<thead><tr><th scope="col">${t(lang, 'delivery.channel')}</th>${COUNTS.map((k) => html`<th scope="col">${t(lang, `delivery.${k}`)}</th>`)}</tr></thead>
<tbody>${channels.map((ch) => {
        const row = p.channels[ch] as ChannelProgress;
        return html`<tr><th scope="row">${t(lang, `delivery.channel.${ch}`)}</th>${COUNTS.map(
          (k) => html`<td class="${k === 'failed' && row.failed > 0 ? 'delivery-failed' : ''}" data-count="${k}">${row[k]}</td>`,
        )}</tr>`;
      })}</tbody></table></div>`
    : '';
  return html`<section class="delivery"><p class="meta" id="delivery-${updateId}">${title}</p>${note}${table}</section>`;
}
