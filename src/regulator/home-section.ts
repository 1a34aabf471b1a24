import type { Queryable } from '../store/db.ts';
import { when } from '../console/views.ts';
import type { HomeSection } from '../incident-room/home.ts';
import { html } from '../web/html.ts';
import { t } from '../web/i18n.ts';
import { openRegulatoryObligations } from './service.ts';

/** The staff home's "regulatory deadlines": report stages this person owns (or commands the incident of), due first. */
export function regulatoryDeadlinesSection(db: Queryable): HomeSection {
  return {
    id: 'regulatory',
    slot: 'regulatory-deadlines',
    async load(c, now) {
      const open = (await openRegulatoryObligations(db, c.staff.id, now)).filter((o) => !o.drill).sort((a, b) => a.dueAt.getTime() - b.dueAt.getTime());
      if (open.length === 0) return null;
      const pick = (l: { ja: string; en: string }) => l[c.lang];
      return {
        title: t(c.lang, 'regulator.obligationsHeading'),
        count: open.length,
        urgent: open.some((o) => o.overdue),
        body: html`<ul class="home-list">${open.map((o) => html`<li${o.overdue ? html` class="overdue"` : ''}>
<p><a href="${o.href}">${pick(o.title)} (${pick(o.stageTitle)})</a>${o.overdue ? html` <strong class="badge-overdue">${t(c.lang, 'regulator.state.overdue')}</strong>` : ''}</p>
<p class="meta">${pick(o.incidentName)} · ${pick(o.authority)} · ${t(c.lang, 'regulator.col.due')}: ${when(c, o.dueShownAt)}</p></li>`)}</ul>`,
      };
    },
  };
}
