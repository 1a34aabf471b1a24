/**
 * Live context for the help center: when an incident or a maintenance is active, what it means for the user
 * ("trading is degraded — don't place orders now"), with its latest public update. Read from the public
 * site's in-memory snapshot, so a surge of frightened users costs the database nothing.
 */
import type { Incident } from '../../domain/incident.ts';
import type { PageSnapshot } from '../../status/page/snapshot.ts';
import { activeMaintenances, openIncidents } from '../../status/page/snapshot.ts';
import { html, multiline, type SafeHtml } from '../../web/html.ts';
import { formatDateTime, t, type Lang, type MessageKey, localized } from '../../web/i18n.ts';
import { langQuery } from '../../web/links.ts';

const MAX_COMPONENT_NAMES = 6;

/** Open incidents first (worst impact first), then maintenances under way. */
export function activeTroubles(snapshot: PageSnapshot | null): Incident[] {
  if (!snapshot) return [];
  const rank = { critical: 0, major: 1, minor: 2, none: 3, maintenance: 4 } as const;
  const incidents = openIncidents(snapshot).sort((a, b) => rank[a.impact] - rank[b.impact]);
  return [...incidents, ...activeMaintenances(snapshot)];
}

/** The one line that says what the trouble means for the user. */
function meaningKey(i: Incident): MessageKey {
  if (i.kind === 'maintenance') return 'help.live.maintenance';
  const severe = i.impact === 'critical' || i.impact === 'major';
  switch (i.type) {
    case 'outage':
      return severe ? 'help.live.outage.major' : 'help.live.outage.minor';
    case 'trading':
      return severe ? 'help.live.trading.major' : 'help.live.trading.minor';
    case 'security':
      return 'help.live.security';
    case 'regulatory':
      return 'help.live.regulatory';
    default:
      return 'help.live.other';
  }
}

/** Updates come newest first (by display time), as the status page lists them. */
function latestPublicUpdate(i: Incident) {
  return i.updates.find((u) => u.visibility === 'public');
}

function trouble(lang: Lang, timeZone: string, snapshot: PageSnapshot, i: Incident): SafeHtml {
  const name = localized(lang, i.nameJa, i.nameEn);
  const components = snapshot.components.filter((c) => i.componentIds.includes(c.id)).slice(0, MAX_COMPONENT_NAMES);
  const names = components.map((c) => (localized(lang, c.nameJa, c.nameEn))).join(t(lang, 'list.separator'));
  const update = latestPublicUpdate(i);
  const body = update ? (localized(lang, update.bodyJa, update.bodyEn)) : null;
  return html`<div class="help-live-item impact-${i.impact}">
<p class="help-live-meaning"><strong>${t(lang, meaningKey(i))}</strong></p>
<p class="help-live-name">${name}</p>
${names ? html`<p class="meta">${t(lang, 'help.live.affected', { names })}</p>` : ''}
${update && body
    ? html`<p class="meta">${t(lang, 'help.live.latest', { time: formatDateTime(lang, update.createdAt, timeZone) })}</p><p class="help-live-update">${multiline(body)}</p>`
    : ''}
<p><a href="/incidents/${i.id}${langQuery(lang)}">${t(lang, 'help.live.details')}</a></p>
</div>`;
}

/** The banner every help page starts with while something is wrong; empty when all is well. */
export function liveBanner(lang: Lang, timeZone: string, snapshot: PageSnapshot | null): SafeHtml {
  const troubles = activeTroubles(snapshot);
  const worst = troubles[0];
  if (!snapshot || !worst) return html``;
  const level = worst.kind === 'maintenance' ? 'maintenance' : worst.impact === 'critical' || worst.impact === 'major' ? 'major' : 'minor';
  return html`<section class="banner help-live ind-${level}" aria-labelledby="help-live-h">
<h2 id="help-live-h" class="banner-title">${t(lang, 'help.live.heading')}</h2>
${troubles.map((i) => trouble(lang, timeZone, snapshot, i))}
<p><a href="/${langQuery(lang)}">${t(lang, 'help.live.statusPage')}</a></p>
</section>`;
}
