import type { Component } from '../domain/component.ts';
import { COMPONENT_STATUSES } from '../domain/component.ts';
import {
  INCIDENT_STATUSES,
  INCIDENT_TYPES,
  MAINTENANCE_STATUSES,
  SEVERITIES,
  isIncidentOpen,
  type Incident,
} from '../domain/incident.ts';
import { html, multiline, type SafeHtml } from '../web/html.ts';
import { t } from '../web/i18n.ts';
import { can } from '../staff/permissions.ts';
import type { FanoutProgress } from '../notify/fanout/types.ts';
import { deliveryProgressView } from '../notify/delivery-views.ts';
import { csrf, shell, when, type ConsoleContext } from '../console/views.ts';

type FormValues = Record<string, unknown>;
const val = (v: FormValues | undefined, key: string): string => {
  const x = v?.[key];
  return typeof x === 'string' ? x : '';
};

const cname = (c: ConsoleContext, comp: Component) => (c.lang === 'en' ? comp.nameEn : comp.nameJa);
const componentLabel = (c: ConsoleContext, all: Component[], id: string, fallback: string) => {
  const comp = all.find((x) => x.id === id);
  return comp ? cname(c, comp) : fallback;
};
const iname = (c: ConsoleContext, i: Incident) => (c.lang === 'en' ? i.nameEn ?? i.nameJa : i.nameJa);
const statusText = (c: ConsoleContext, i: Incident, status: string) =>
  t(c.lang, (i.kind === 'maintenance' ? `maintenance.${status}` : `incident.${status}`) as never);

/** One select per component: "leave unchanged" plus every Statuspage status. */
function componentStatusFields(c: ConsoleContext, components: Component[], values: FormValues | undefined, first: Set<string>): SafeHtml {
  const leaves = components.filter((x) => !x.isGroup);
  const ordered = [...leaves.filter((x) => first.has(x.id)), ...leaves.filter((x) => !first.has(x.id))];
  const field = (comp: Component) => {
    const current = val(values, `cs.${comp.id}`);
    return html`<div><label for="cs-${comp.id}">${t(c.lang, 'staff.newStatusFor', { component: cname(c, comp) })}
<span class="meta">(${t(c.lang, `component.${comp.status}`)})</span></label>
<select id="cs-${comp.id}" name="cs.${comp.id}"><option value="">${t(c.lang, 'staff.unchanged')}</option>
${COMPONENT_STATUSES.map((s) => html`<option value="${s}"${current === s ? html` selected` : ''}>${t(c.lang, `component.${s}`)}</option>`)}
</select></div>`;
  };
  return html`<fieldset><legend>${t(c.lang, 'field.componentStatuses')}</legend><div class="grid-2">${ordered.map(field)}</div></fieldset>`;
}

/**
 * What the staff home shows below "what needs me now" (src/incident-room/): maintenances, services not
 * operational, and the recently closed incidents (their postmortems are published from there).
 */
export function overviewSections(c: ConsoleContext, data: { incidents: Incident[]; components: Component[] }): SafeHtml {
  const maint = data.incidents.filter((i) => i.kind === 'maintenance' && isIncidentOpen(i.status));
  const row = (i: Incident) => html`<li><a href="/staff/${i.kind === 'maintenance' ? 'maintenances' : 'incidents'}/${i.id}">${iname(c, i)}</a>
<p class="meta">${i.kind === 'incident' ? html`${i.severity} · ${t(c.lang, `type.${i.type}`)} · ` : ''}${statusText(c, i, i.status)} · ${when(c, i.kind === 'maintenance' && i.scheduledFor ? i.scheduledFor : i.startedAt)}</p></li>`;
  const closed = data.incidents.filter((i) => i.kind === 'incident' && !isIncidentOpen(i.status)).slice(0, 10);
  const degraded = data.components.filter((x) => !x.isGroup && x.status !== 'operational');
  return html`<h2>${t(c.lang, 'staff.maintenances')}</h2>
${maint.length ? html`<ul class="history">${maint.map(row)}</ul>` : html`<p>${t(c.lang, 'staff.noMaintenances')}</p>`}
<h2>${t(c.lang, 'staff.components')}</h2>
${degraded.length ? html`<ul class="history">${degraded.map((x) => html`<li>${cname(c, x)}: <span class="status s-${x.status}">${t(c.lang, `component.${x.status}`)}</span></li>`)}</ul>` : html`<p><span class="status s-operational">${t(c.lang, 'indicator.none')}</span></p>`}
<h2>${t(c.lang, 'staff.recentlyClosed')}</h2>
${closed.length ? html`<ul class="history">${closed.map(row)}</ul>` : html`<p>${t(c.lang, 'page.noRecentIncidents')}</p>`}
<p class="hint">${t(c.lang, 'staff.postmortemHint')}</p>`;
}

export function newIncidentPage(c: ConsoleContext, components: Component[], values?: FormValues): string {
  const sel = (name: string, options: readonly string[], label: (o: string) => string, fallback: string) => {
    const current = val(values, name) || fallback;
    return html`<select id="${name}" name="${name}">${options.map((o) => html`<option value="${o}"${o === current ? html` selected` : ''}>${label(o)}</option>`)}</select>`;
  };
  const body = html`<form method="post" action="/staff/incidents" class="stack">${csrf(c)}
<div class="grid-2">
<div><label for="type">${t(c.lang, 'field.type')}</label>${sel('type', INCIDENT_TYPES, (o) => t(c.lang, `type.${o as Incident['type']}`), 'outage')}</div>
<div><label for="severity">${t(c.lang, 'field.severity')}</label>${sel('severity', SEVERITIES, (o) => o, 'SEV2')}</div>
</div>
<div><label for="status">${t(c.lang, 'field.status')}</label>${sel('status', ['investigating', 'identified', 'monitoring'], (o) => t(c.lang, `incident.${o}` as never), 'investigating')}</div>
<div><label for="nameJa">${t(c.lang, 'field.nameJa')}</label><input id="nameJa" name="nameJa" type="text" required maxlength="200" value="${val(values, 'nameJa')}"></div>
<div><label for="nameEn">${t(c.lang, 'field.nameEn')}</label><input id="nameEn" name="nameEn" type="text" maxlength="200" value="${val(values, 'nameEn')}"></div>
<div><label for="bodyJa">${t(c.lang, 'field.bodyJa')}</label><textarea id="bodyJa" name="bodyJa" required maxlength="20000">${val(values, 'bodyJa')}</textarea></div>
<div><label for="bodyEn">${t(c.lang, 'field.bodyEn')}</label><textarea id="bodyEn" name="bodyEn" maxlength="20000">${val(values, 'bodyEn')}</textarea></div>
${componentStatusFields(c, components, values, new Set())}
<p class="hint">${t(c.lang, 'staff.updateHint')}</p>
<div><button type="submit">${t(c.lang, 'staff.declareIncident')}</button></div>
</form>`;
  return shell(c, t(c.lang, 'staff.declareIncident'), '/staff/incidents/new', body);
}

/** `deliveries`: fan-out progress per public update (sent / pending / failed per channel), when known. */
export function incidentPage(
  c: ConsoleContext, i: Incident, components: Component[], values?: FormValues, deliveries?: ReadonlyMap<string, FanoutProgress>,
): string {
  const isMaint = i.kind === 'maintenance';
  const statuses: readonly string[] = isMaint ? MAINTENANCE_STATUSES : INCIDENT_STATUSES;
  const currentStatus = val(values, 'status') || i.status;
  const base = isMaint ? 'maintenances' : 'incidents';
  const canWrite = can(c.staff.role, isMaint ? 'maintenance.write' : 'incident.write');
  const visibility = val(values, 'visibility') || 'public';
  const form = canWrite
    ? html`<h2>${t(c.lang, 'staff.postUpdate')}</h2>
<form method="post" action="/staff/${base}/${i.id}/updates" class="stack">${csrf(c)}
<div><label for="status">${t(c.lang, 'field.status')}</label><select id="status" name="status">
${statuses.map((s) => html`<option value="${s}"${s === currentStatus ? html` selected` : ''}>${statusText(c, i, s)}</option>`)}</select></div>
<fieldset><legend>${t(c.lang, 'field.visibility')}</legend>
<label class="radio"><input type="radio" name="visibility" value="public"${visibility === 'public' ? html` checked` : ''}> ${t(c.lang, 'staff.visibility.public')}</label>
<label class="radio"><input type="radio" name="visibility" value="internal"${visibility === 'internal' ? html` checked` : ''}> ${t(c.lang, 'staff.visibility.internal')}</label>
</fieldset>
<div><label for="bodyJa">${t(c.lang, 'field.bodyJa')}</label><textarea id="bodyJa" name="bodyJa" required maxlength="20000">${val(values, 'bodyJa')}</textarea></div>
<div><label for="bodyEn">${t(c.lang, 'field.bodyEn')}</label><textarea id="bodyEn" name="bodyEn" maxlength="20000">${val(values, 'bodyEn')}</textarea></div>
${componentStatusFields(c, components, values, new Set(i.componentIds))}
${!isMaint && can(c.staff.role, 'ticket.write') ? html`<label class="radio"><input type="checkbox" name="solveLinked" value="true"> ${t(c.lang, 'desk.solveLinked')}</label>` : ''}
<p class="hint">${t(c.lang, 'staff.updateHint')}</p>
<div><button type="submit">${t(c.lang, 'staff.postUpdate')}</button></div>
</form>`
    : '';
  const affected = components.filter((x) => i.componentIds.includes(x.id));
  const body = html`<p class="meta">${isMaint ? '' : html`${i.severity} · ${t(c.lang, `type.${i.type}`)} · `}${statusText(c, i, i.status)} · ${t(c.lang, `impact.${i.impact}`)}</p>
${isMaint && i.scheduledFor && i.scheduledUntil ? html`<p class="meta">${when(c, i.scheduledFor)} – ${when(c, i.scheduledUntil)}</p>` : ''}
${affected.length ? html`<p>${t(c.lang, 'page.affected')}: ${affected.map((x) => html`${cname(c, x)} (<span class="status s-${x.status}">${t(c.lang, `component.${x.status}`)}</span>) `)}</p>` : ''}
${i.drillId ? html`<p class="notice" role="note">${t(c.lang, 'drill.banner')} <a href="/staff/drills/${i.drillId}">${t(c.lang, 'drill.open')}</a></p>` : ''}
<p>${isMaint ? '' : html`<a href="/staff/incidents/${i.id}/room">${t(c.lang, 'room.open')}</a> · `}${i.drillId ? '' : html`<a href="/incidents/${i.id}">${t(c.lang, 'staff.viewPublic')}</a>`}${!isMaint && can(c.staff.role, 'ticket.view') ? html` · <a href="/staff/incidents/${i.id}/tickets">${t(c.lang, 'desk.linkedTickets')}</a>` : ''}${isMaint ? '' : html` · <a href="/staff/incidents/${i.id}/review">${t(c.lang, 'review.link')}</a> · <a href="/staff/incidents/${i.id}/regulator">${t(c.lang, 'regulator.link')}</a>`}</p>
${form}
<h2>${t(c.lang, 'staff.timeline')}</h2>
<ol class="updates" reversed>${i.updates.map((u) => html`<li class="${u.visibility === 'internal' ? 'note-internal' : ''}">
<p><span class="state">${u.visibility === 'internal' ? t(c.lang, 'staff.internalNote') : statusText(c, i, u.status)}</span>
<time class="meta" datetime="${u.createdAt.toISOString()}">${when(c, u.createdAt)}</time></p>
<p>${multiline(u.bodyJa)}</p>${u.bodyEn ? html`<p lang="en">${multiline(u.bodyEn)}</p>` : ''}
${u.editedAt ? html`<p class="meta">${t(c.lang, 'staff.editedAt', { time: when(c, u.editedAt) })}</p>` : ''}
${canWrite ? html`<details><summary>${t(c.lang, 'staff.editUpdate')}</summary>
<form method="post" action="/staff/${base}/${i.id}/updates/${u.id}/edit" class="stack">${csrf(c)}
<div><label for="edit-ja-${u.id}">${t(c.lang, 'staff.editBodyJa')}</label><textarea id="edit-ja-${u.id}" name="bodyJa" required maxlength="20000">${u.bodyJa}</textarea></div>
<div><label for="edit-en-${u.id}">${t(c.lang, 'staff.editBodyEn')}</label><textarea id="edit-en-${u.id}" name="bodyEn" maxlength="20000">${u.bodyEn ?? ''}</textarea></div>
<p class="hint">${t(c.lang, 'staff.editHint')}</p>
<div><button type="submit" class="secondary">${t(c.lang, 'staff.save')}</button></div>
</form></details>` : ''}
${u.affectedComponents.length ? html`<p class="meta">${u.affectedComponents.map((a) => `${componentLabel(c, components, a.code, a.name)}: ${t(c.lang, `component.${a.old_status}`)} → ${t(c.lang, `component.${a.new_status}`)}`).join(' / ')}</p>` : ''}
${deliveryProgressView(c.lang, u.id, deliveries?.get(u.id))}
</li>`)}</ol>`;
  return shell(c, iname(c, i), `/staff/${base}/${i.id}`, body);
}

export function componentsPage(c: ConsoleContext, components: Component[]): string {
  const canWrite = can(c.staff.role, 'component.write');
  const rows = components.filter((x) => !x.isGroup).map((comp) => {
    const group = components.find((g) => g.id === comp.groupId);
    return html`<tr><th scope="row">${group ? html`<span class="meta">${cname(c, group)} / </span>` : ''}${cname(c, comp)}</th>
<td><span class="status s-${comp.status}">${t(c.lang, `component.${comp.status}`)}</span></td>
<td>${canWrite ? html`<form method="post" action="/staff/components/${comp.id}/status" class="inline">${csrf(c)}
<label class="visually-hidden" for="st-${comp.id}">${t(c.lang, 'staff.newStatusFor', { component: cname(c, comp) })}</label>
<select id="st-${comp.id}" name="status">${COMPONENT_STATUSES.map((s) => html`<option value="${s}"${s === comp.status ? html` selected` : ''}>${t(c.lang, `component.${s}`)}</option>`)}</select>
<button type="submit" class="secondary">${t(c.lang, 'staff.change')}</button></form>` : ''}</td></tr>`;
  });
  const body = html`<p class="hint">${t(c.lang, 'staff.componentsHint')}</p>
<table><tbody>${rows}</tbody></table>`;
  return shell(c, t(c.lang, 'staff.components'), '/staff/components', body);
}

export function newMaintenancePage(c: ConsoleContext, components: Component[], values?: FormValues): string {
  const chosen = new Set(([] as unknown[]).concat(values?.componentIds ?? []).filter((x): x is string => typeof x === 'string'));
  const body = html`<form method="post" action="/staff/maintenances" class="stack">${csrf(c)}
<div><label for="nameJa">${t(c.lang, 'field.nameJa')}</label><input id="nameJa" name="nameJa" type="text" required maxlength="200" value="${val(values, 'nameJa')}"></div>
<div><label for="nameEn">${t(c.lang, 'field.nameEn')}</label><input id="nameEn" name="nameEn" type="text" maxlength="200" value="${val(values, 'nameEn')}"></div>
<div class="grid-2">
<div><label for="scheduledFor">${t(c.lang, 'field.scheduledFor')} (${c.timeZone})</label><input id="scheduledFor" name="scheduledFor" type="datetime-local" required value="${val(values, 'scheduledFor')}"></div>
<div><label for="scheduledUntil">${t(c.lang, 'field.scheduledUntil')} (${c.timeZone})</label><input id="scheduledUntil" name="scheduledUntil" type="datetime-local" required value="${val(values, 'scheduledUntil')}"></div>
</div>
<div><label for="bodyJa">${t(c.lang, 'field.bodyJa')}</label><textarea id="bodyJa" name="bodyJa" required maxlength="20000">${val(values, 'bodyJa')}</textarea></div>
<div><label for="bodyEn">${t(c.lang, 'field.bodyEn')}</label><textarea id="bodyEn" name="bodyEn" maxlength="20000">${val(values, 'bodyEn')}</textarea></div>
<fieldset><legend>${t(c.lang, 'field.componentIds')}</legend>
${components.filter((x) => !x.isGroup).map((x) => html`<label class="radio"><input type="checkbox" name="componentIds" value="${x.id}"${chosen.has(x.id) ? html` checked` : ''}> ${cname(c, x)}</label>`)}
</fieldset>
<label class="radio"><input type="checkbox" name="autoTransition" value="on"${!values || values.autoTransition ? html` checked` : ''}> ${t(c.lang, 'staff.autoTransition')}</label>
<div><button type="submit">${t(c.lang, 'staff.scheduleMaintenance')}</button></div>
</form>`;
  return shell(c, t(c.lang, 'staff.scheduleMaintenance'), '/staff/maintenances/new', body);
}
