import { html, type SafeHtml } from '../web/html.ts';
import { t } from '../web/i18n.ts';
import { shell, type ConsoleContext } from '../console/views.ts';
import type { HomeSectionView } from './home.ts';
import { timeEl } from './view-helpers.ts';

export interface LoadedSection {
  id: string;
  view: HomeSectionView;
}

/**
 * The staff home: a summary of what waits (each a link to its section), the sections side by side on a desktop
 * and one after the other on a phone, then the overview. Without JavaScript it refreshes by its link.
 */
export function homePage(c: ConsoleContext, data: { now: Date; sections: LoadedSection[]; overview: SafeHtml }): string {
  const summary = html`<nav aria-label="${t(c.lang, 'room.home.summary')}"><ul class="room-summary">
${data.sections.map((s) => html`<li><a href="#home-${s.id}"${s.view.urgent && s.view.count ? html` class="summary-urgent"` : ''}>${s.view.title}
<strong>${s.view.count}</strong>${s.view.urgent && s.view.count ? html` <span class="summary-flag">${t(c.lang, 'room.home.needsAction')}</span>` : ''}</a></li>`)}
</ul></nav>`;
  const sections = data.sections.map((s) => html`<section id="home-${s.id}" class="home-section${s.view.urgent && s.view.count ? ' home-urgent' : ''}" aria-labelledby="home-${s.id}-h">
<h2 id="home-${s.id}-h">${s.view.title} <span class="count">(${s.view.count})</span></h2>
${s.view.body}
</section>`);
  const body = html`<p class="lede">${t(c.lang, 'room.home.lede')}</p>
<p class="meta">${t(c.lang, 'room.home.asOf')} ${timeEl(c, data.now)} · <a href="/staff">${t(c.lang, 'room.home.refresh')}</a></p>
${summary}
<div class="home-grid">${sections}</div>
<div class="home-overview">${data.overview}</div>`;
  return shell(c, t(c.lang, 'staff.dashboard'), '/staff', body, { wide: true });
}
