/**
 * The incident room: roles, tasks and the one timeline of an incident, with the way into the composer. Every
 * action is a plain form; on a desktop the tasks and the timeline stand side by side.
 */
import type { Component } from '../domain/component.ts';
import { isIncidentType } from '../domain/incident.ts';
import { html, multiline, type SafeHtml } from '../web/html.ts';
import { t, type Lang } from '../web/i18n.ts';
import { can } from '../staff/permissions.ts';
import { csrf, shell, type ConsoleContext } from '../console/views.ts';
import type { Assignment, StaffRow } from './role-repository.ts';
import type { RoomEvent } from './room-repository.ts';
import type { Task } from './task-repository.ts';
import type { UpdateTemplate } from './template-repository.ts';
import type { IncidentRoleDefinition } from './roles.ts';
import type { RoomState } from './service.ts';
import { TIMELINE_KINDS, type TimelineEntry, type TimelineKind } from './timeline.ts';
import { dueLabel, incidentName, roleLabel, statusLabel, timeEl, titleOf, when, whoLabel } from './view-helpers.ts';

type FormValues = Record<string, unknown>;
const val = (v: FormValues | undefined, key: string): string => {
  const x = v?.[key];
  return typeof x === 'string' ? x : '';
};

export function channelLabel(lang: Lang, channel: string): string {
  switch (channel) {
    case 'email':
      return t(lang, 'delivery.channel.email');
    case 'webhook':
      return t(lang, 'delivery.channel.webhook');
    case 'slack':
      return t(lang, 'delivery.channel.slack');
    case 'x':
      return t(lang, 'delivery.channel.x');
    default:
      return channel;
  }
}

function healthLabel(lang: Lang, health: string): string {
  switch (health) {
    case 'up':
      return t(lang, 'monitor.health.up');
    case 'degraded':
      return t(lang, 'monitor.health.degraded');
    case 'maintenance':
      return t(lang, 'monitor.health.maintenance');
    case 'down':
      return t(lang, 'monitor.health.down');
    default:
      return health;
  }
}

function kindLabel(lang: Lang, kind: TimelineKind): string {
  return t(lang, `room.timeline.kind.${kind}`);
}

/** A `datetime-local` value in the page's zone for a stored time. */
export function localInput(d: Date | null, timeZone: string): string {
  if (!d) return '';
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23',
  }).formatToParts(d);
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? '00';
  return `${get('year')}-${get('month')}-${get('day')}T${get('hour')}:${get('minute')}`;
}

export interface RoomPageData {
  state: RoomState;
  roles: readonly IncidentRoleDefinition[];
  components: Component[];
  timeline: TimelineEntry[];
  /** The kinds the timeline is narrowed to (empty: all). */
  shown: ReadonlySet<TimelineKind>;
  templates: UpdateTemplate[];
  now: Date;
  /** The form that was refused, to show again with what was typed. */
  values?: { form: 'assign' | 'task-add' | `task-${string}`; fields: FormValues };
}

function ownerText(c: ConsoleContext, task: Task, roles: readonly IncidentRoleDefinition[], assignments: Assignment[]): SafeHtml | string {
  if (task.ownerName) return task.ownerName;
  if (task.ownerRole) {
    const holders = assignments.filter((a) => a.role === task.ownerRole).map((a) => a.staffName);
    return html`${roleLabel(c.lang, roles, task.ownerRole)} (${holders.length ? holders.join(c.lang === 'en' ? ', ' : '、') : t(c.lang, 'room.role.nobody')})`;
  }
  return html`<span class="unassigned">${t(c.lang, 'room.task.noOwner')}</span>`;
}

function ownerSelect(c: ConsoleContext, id: string, current: string, roles: readonly IncidentRoleDefinition[], staff: StaffRow[]): SafeHtml {
  return html`<select id="${id}" name="owner">
<option value="">${t(c.lang, 'room.task.noOwner')}</option>
<optgroup label="${t(c.lang, 'room.task.ownerByRole')}">${roles.map((r) => html`<option value="role:${r.key}"${current === `role:${r.key}` ? html` selected` : ''}>${roleLabel(c.lang, roles, r.key)}</option>`)}</optgroup>
<optgroup label="${t(c.lang, 'room.task.ownerByName')}">${staff.map((s) => html`<option value="${s.id}"${current === s.id ? html` selected` : ''}>${s.name} (${t(c.lang, `staff.role.${s.role}`)})</option>`)}</optgroup>
</select>`;
}

function taskFields(c: ConsoleContext, prefix: string, values: { titleJa: string; titleEn: string; owner: string; dueAt: string }, data: RoomPageData): SafeHtml {
  return html`<div><label for="${prefix}-titleJa">${t(c.lang, 'room.field.titleJa')}</label><input id="${prefix}-titleJa" name="titleJa" type="text" required maxlength="300" value="${values.titleJa}"></div>
<div><label for="${prefix}-titleEn">${t(c.lang, 'room.field.titleEn')}</label><input id="${prefix}-titleEn" name="titleEn" type="text" maxlength="300" value="${values.titleEn}"></div>
<div class="grid-2">
<div><label for="${prefix}-owner">${t(c.lang, 'room.field.owner')}</label>${ownerSelect(c, `${prefix}-owner`, values.owner, data.roles, data.state.staff)}</div>
<div><label for="${prefix}-dueAt">${t(c.lang, 'room.field.dueAt')} (${c.timeZone})</label><input id="${prefix}-dueAt" name="dueAt" type="datetime-local" value="${values.dueAt}"></div>
</div>`;
}

function rolesPanel(c: ConsoleContext, data: RoomPageData): SafeHtml {
  const { incident, assignments, staff } = data.state;
  const canWrite = can(c.staff.role, 'incident.write');
  const base = `/staff/incidents/${incident.id}/room`;
  const values = data.values?.form === 'assign' ? data.values.fields : undefined;
  const rows = data.roles.map((r) => {
    const holders = assignments.filter((a) => a.role === r.key);
    const takeIt = canWrite && !holders.some((h) => h.staffId === c.staff.id) && (r.multiple || holders.length === 0);
    return html`<div class="role-row">
<dt>${roleLabel(c.lang, data.roles, r.key)}${r.multiple ? html` <span class="meta">${t(c.lang, 'room.role.several')}</span>` : ''}</dt>
<dd>${holders.length ? html`<ul class="holders">${holders.map((h) => html`<li>${h.staffName} <span class="meta">${t(c.lang, 'room.role.since')} ${timeEl(c, h.assignedAt)}</span>
${canWrite ? html`<form method="post" action="${base}/roles/release" class="inline">${csrf(c)}<input type="hidden" name="assignmentId" value="${h.id}">
<button type="submit" class="secondary" aria-label="${t(c.lang, 'room.role.release')}: ${h.staffName} (${roleLabel(c.lang, data.roles, r.key)})">${t(c.lang, 'room.role.release')}</button></form>` : ''}</li>`)}</ul>`
      : html`<p class="unassigned">${t(c.lang, 'room.role.nobody')}</p>`}
${takeIt ? html`<form method="post" action="${base}/roles" class="inline">${csrf(c)}<input type="hidden" name="role" value="${r.key}"><input type="hidden" name="staffId" value="${c.staff.id}">
<button type="submit" class="secondary" aria-label="${t(c.lang, 'room.role.takeIt')}: ${roleLabel(c.lang, data.roles, r.key)}">${t(c.lang, 'room.role.takeIt')}</button></form>` : ''}</dd>
</div>`;
  });
  const form = canWrite
    ? html`<form method="post" action="${base}/roles" class="stack">${csrf(c)}
<div class="grid-2">
<div><label for="assign-role">${t(c.lang, 'room.field.role')}</label><select id="assign-role" name="role">${data.roles.map((r) => html`<option value="${r.key}"${val(values, 'role') === r.key ? html` selected` : ''}>${roleLabel(c.lang, data.roles, r.key)}</option>`)}</select></div>
<div><label for="assign-staff">${t(c.lang, 'room.field.staffId')}</label><select id="assign-staff" name="staffId" required>
<option value="">${t(c.lang, 'room.role.choose')}</option>
${staff.map((s) => html`<option value="${s.id}"${val(values, 'staffId') === s.id ? html` selected` : ''}>${s.name} (${t(c.lang, `staff.role.${s.role}`)})</option>`)}</select></div>
</div>
<p class="hint">${t(c.lang, 'room.role.hint')}</p>
<div><button type="submit">${t(c.lang, 'room.role.assign')}</button></div>
</form>`
    : '';
  return html`<section id="roles" class="room-panel" aria-labelledby="roles-h"><h2 id="roles-h">${t(c.lang, 'room.roles')}</h2>
<dl class="roles">${rows}</dl>
${form}
</section>`;
}

function tasksPanel(c: ConsoleContext, data: RoomPageData): SafeHtml {
  const { incident, tasks, assignments } = data.state;
  const canWrite = can(c.staff.role, 'incident.write');
  const base = `/staff/incidents/${incident.id}/room/tasks`;
  const open = tasks.filter((x) => !x.doneAt).length;
  const items = tasks.map((x) => {
    const late = !x.doneAt && x.dueAt !== null && x.dueAt.getTime() < data.now.getTime();
    const refused = data.values?.form === `task-${x.id}` ? data.values.fields : undefined;
    const cls = ['task', late ? 'overdue' : '', x.doneAt ? 'task-done' : ''].filter(Boolean).join(' ');
    return html`<li class="${cls}" id="task-${x.id}">
<p class="task-title">${x.doneAt ? html`<span class="task-state">${t(c.lang, 'room.task.doneLabel')}</span> ` : ''}${titleOf(c.lang, x)}</p>
<p class="meta">${t(c.lang, 'room.field.owner')}: ${ownerText(c, x, data.roles, assignments)} · ${dueLabel(c, x.dueAt, data.now, x.doneAt !== null)}</p>
${x.doneAt ? html`<p class="meta">${t(c.lang, 'room.task.doneBy', { name: x.doneByName ?? t(c.lang, 'room.who.system'), time: when(c, x.doneAt) })}</p>` : ''}
${canWrite ? html`<form method="post" action="${base}/${x.id}/done" class="inline">${csrf(c)}<input type="hidden" name="done" value="${x.doneAt ? 'false' : 'true'}">
<button type="submit"${x.doneAt ? html` class="secondary"` : ''} aria-label="${x.doneAt ? t(c.lang, 'room.task.reopen') : t(c.lang, 'room.task.markDone')}: ${titleOf(c.lang, x)}">${x.doneAt ? t(c.lang, 'room.task.reopen') : t(c.lang, 'room.task.markDone')}</button></form>
<details${refused ? html` open` : ''}><summary aria-label="${t(c.lang, 'room.task.edit')}: ${titleOf(c.lang, x)}">${t(c.lang, 'room.task.edit')}</summary>
<form method="post" action="${base}/${x.id}" class="stack">${csrf(c)}
${taskFields(c, `t-${x.id}`, {
      titleJa: refused ? val(refused, 'titleJa') : x.titleJa, titleEn: refused ? val(refused, 'titleEn') : x.titleEn ?? '',
      owner: refused ? val(refused, 'owner') : x.ownerId ?? (x.ownerRole ? `role:${x.ownerRole}` : ''),
      dueAt: refused ? val(refused, 'dueAt') : localInput(x.dueAt, c.timeZone),
    }, data)}
<div><button type="submit" class="secondary">${t(c.lang, 'staff.save')}</button></div>
</form></details>` : ''}
</li>`;
  });
  const added = data.values?.form === 'task-add' ? data.values.fields : undefined;
  const addForm = canWrite
    ? html`<details${added ? html` open` : ''} class="task-add"><summary>${t(c.lang, 'room.task.add')}</summary>
<form method="post" action="${base}" class="stack">${csrf(c)}
${taskFields(c, 'new', { titleJa: val(added, 'titleJa'), titleEn: val(added, 'titleEn'), owner: val(added, 'owner'), dueAt: val(added, 'dueAt') }, data)}
<p class="hint">${t(c.lang, 'room.task.addHint')}</p>
<div><button type="submit">${t(c.lang, 'room.task.add')}</button></div>
</form></details>`
    : '';
  return html`<section id="tasks" class="room-panel" aria-labelledby="tasks-h"><h2 id="tasks-h">${t(c.lang, 'room.tasks')} <span class="count">${t(c.lang, 'room.task.counts', { open, total: tasks.length })}</span></h2>
${tasks.length ? html`<ul class="tasks">${items}</ul>` : html`<p>${t(c.lang, 'room.task.none')}</p>`}
${addForm}
</section>`;
}

function eventText(c: ConsoleContext, e: RoomEvent, roles: readonly IncidentRoleDefinition[]): SafeHtml | string {
  const d = e.data;
  const str = (v: unknown) => (typeof v === 'string' ? v : '');
  const person = (v: unknown) => (v && typeof v === 'object' && 'name' in v ? str((v as { name: unknown }).name) : '');
  const role = roleLabel(c.lang, roles, str(d.role));
  const title = titleOf(c.lang, { titleJa: str(d.titleJa), titleEn: typeof d.titleEn === 'string' ? d.titleEn : null });
  const mailed = Array.isArray(d.mailed) && d.mailed.length ? html` <span class="meta">${t(c.lang, 'room.timeline.mailed')}</span>` : '';
  switch (e.kind) {
    case 'room_opened': {
      const type = isIncidentType(d.type) ? d.type : 'other';
      return t(c.lang, 'room.timeline.roomOpened', { type: t(c.lang, `type.${type}`), count: Number(d.tasks ?? 0) });
    }
    case 'role_assigned':
      return html`${t(c.lang, 'room.timeline.roleAssigned', { name: person(d.to), role })}${mailed}`;
    case 'role_handover': {
      const from = Array.isArray(d.from) ? d.from.map(person).join(c.lang === 'en' ? ', ' : '、') : '';
      return html`${t(c.lang, 'room.timeline.roleHandover', { from, to: person(d.to), role })}${mailed}`;
    }
    case 'role_released':
      return t(c.lang, 'room.timeline.roleReleased', { name: person(d.from), role });
    case 'task_added':
      return t(c.lang, 'room.timeline.taskAdded', { title });
    case 'task_edited':
      return t(c.lang, 'room.timeline.taskEdited', { title });
    case 'task_done':
      return html`${t(c.lang, 'room.timeline.taskDone', { title })}${d.late === true ? html` <span class="badge-overdue">${t(c.lang, 'room.timeline.late')}</span>` : ''}`;
    case 'task_reopened':
      return t(c.lang, 'room.timeline.taskReopened', { title });
    case 'update_composed':
      return '';
  }
}

function entryBody(c: ConsoleContext, e: TimelineEntry, data: RoomPageData): SafeHtml | string {
  const cname = (id: string, fallback: string) => {
    const comp = data.components.find((x) => x.id === id);
    return comp ? (c.lang === 'en' ? comp.nameEn : comp.nameJa) : fallback;
  };
  switch (e.kind) {
    case 'update':
    case 'note':
      return html`${e.kind === 'update' ? html`<p class="meta">${statusLabel(c.lang, e.update.status)}${e.templateName ? html` · ${t(c.lang, 'room.timeline.fromTemplate', { name: e.templateName })}` : ''}</p>` : ''}
<p>${multiline(e.update.bodyJa)}</p>${e.update.bodyEn ? html`<p lang="en">${multiline(e.update.bodyEn)}</p>` : ''}`;
    case 'status':
      return html`${e.from !== e.to && e.to ? html`<p>${e.from ? html`${statusLabel(c.lang, e.from)} → ` : html`${t(c.lang, 'room.timeline.declaredAs')} `}<strong>${statusLabel(c.lang, e.to)}</strong></p>` : ''}
${e.components.length ? html`<ul class="changes">${e.components.map((a) => html`<li>${cname(a.code, a.name)}: ${t(c.lang, `component.${a.old_status}`)} → <span class="status s-${a.new_status}">${t(c.lang, `component.${a.new_status}`)}</span></li>`)}</ul>` : ''}`;
    case 'role':
    case 'task':
      return html`<p>${eventText(c, e.event, data.roles)}</p>`;
    case 'monitor':
      if (e.change) {
        return html`<p>${t(c.lang, 'room.timeline.monitorChange', { monitor: e.monitorName, from: healthLabel(c.lang, e.change.fromHealth), to: healthLabel(c.lang, e.change.toHealth) })}</p>
${e.change.detail ? html`<p class="meta">${e.change.detail}</p>` : ''}`;
      }
      if (e.proposal) {
        const kind = t(c.lang, `monitor.proposal.kind.${e.proposal.kind}`);
        const key = e.phase === 'accepted' ? 'room.timeline.proposalAccepted' : e.phase === 'dismissed' ? 'room.timeline.proposalDismissed' : 'room.timeline.proposalMade';
        return html`<p>${t(c.lang, key, { monitor: e.monitorName, kind })}</p>`;
      }
      return '';
    case 'tickets':
      return html`<p>${t(c.lang, 'room.timeline.tickets', { added: e.added, total: e.total })}</p>`;
    case 'locks':
      return html`<p>${t(c.lang, 'room.timeline.locks', { added: e.added, total: e.total })}</p>`;
    case 'notifications':
      return html`<ul class="changes">${e.channels.map((ch) => html`<li>${channelLabel(c.lang, ch.channel)}: ${t(c.lang, 'room.timeline.delivery', { sent: ch.sent, pending: ch.pending, failed: ch.failed })}</li>`)}</ul>`;
  }
}

export function timelineList(c: ConsoleContext, data: RoomPageData): SafeHtml {
  const base = `/staff/incidents/${data.state.incident.id}/room`;
  const all = data.shown.size === 0;
  const filter = html`<form method="get" action="${base}" class="timeline-filter">
<fieldset><legend>${t(c.lang, 'room.timeline.filter')}</legend>
<div class="filter-kinds">${TIMELINE_KINDS.map((k) => html`<label class="radio"><input type="checkbox" name="show" value="${k}"${all || data.shown.has(k) ? html` checked` : ''}> ${kindLabel(c.lang, k)}</label>`)}</div>
</fieldset>
<div class="filter-actions"><button type="submit" class="secondary">${t(c.lang, 'room.timeline.apply')}</button> <a href="${base}#timeline">${t(c.lang, 'room.timeline.all')}</a></div>
</form>`;
  const items = data.timeline.map((e) => html`<li class="tl tl-${e.kind}${e.kind === 'note' ? ' note-internal' : ''}">
<p class="tl-head"><span class="tl-kind">${kindLabel(c.lang, e.kind)}</span> ${timeEl(c, e.at)} · <span class="tl-who">${whoLabel(c.lang, e.who)}</span></p>
${entryBody(c, e, data)}
</li>`);
  return html`<section id="timeline" class="room-panel" aria-labelledby="timeline-h"><h2 id="timeline-h">${t(c.lang, 'staff.timeline')}</h2>
${filter}
${data.timeline.length ? html`<ol class="timeline" reversed>${items}</ol>` : html`<p>${t(c.lang, 'room.timeline.empty')}</p>`}
</section>`;
}

export function roomPage(c: ConsoleContext, data: RoomPageData): string {
  const i = data.state.incident;
  const affected = data.components.filter((x) => i.componentIds.includes(x.id));
  const canWrite = can(c.staff.role, 'incident.write');
  const compose = canWrite
    ? html`<form method="get" action="/staff/incidents/${i.id}/room/compose" class="inline compose-start">
<div><label for="compose-template">${t(c.lang, 'room.compose.startFrom')}</label>
<select id="compose-template" name="template"><option value="">${t(c.lang, 'room.compose.scratch')}</option>
${data.templates.map((tpl) => html`<option value="${tpl.id}">${c.lang === 'en' ? tpl.nameEn ?? tpl.nameJa : tpl.nameJa}</option>`)}</select></div>
<button type="submit">${t(c.lang, 'room.compose.open')}</button></form>`
    : '';
  const body = html`${i.drillId ? html`<p class="drill-banner" role="note">${t(c.lang, 'drill.banner')} <a href="/staff/drills/${i.drillId}">${t(c.lang, 'drill.open')}</a></p>` : ''}
<p class="meta">${i.severity} · ${t(c.lang, `type.${i.type}`)} · ${statusLabel(c.lang, i.status)} · ${t(c.lang, 'room.startedAt')} ${timeEl(c, i.startedAt)}${i.resolvedAt ? html` · ${t(c.lang, 'room.resolvedAt')} ${timeEl(c, i.resolvedAt)}` : ''}</p>
${affected.length ? html`<p>${t(c.lang, 'page.affected')}: ${affected.map((x, n) => html`${n ? (c.lang === 'en' ? ', ' : '、') : ''}${c.lang === 'en' ? x.nameEn : x.nameJa} (<span class="status s-${x.status}">${t(c.lang, `component.${x.status}`)}</span>)`)}</p>` : ''}
<p class="room-links"><a href="/staff/incidents/${i.id}">${t(c.lang, 'room.incidentPage')}</a> · ${can(c.staff.role, 'ticket.view') ? html`<a href="/staff/incidents/${i.id}/tickets">${t(c.lang, 'desk.linkedTickets')}</a> · ` : ''}${i.drillId ? '' : html`<a href="/incidents/${i.id}">${t(c.lang, 'staff.viewPublic')}</a> · `}<a href="/staff/incidents/${i.id}/review">${t(c.lang, 'review.link')}</a> · <a href="/staff/incidents/${i.id}/room">${t(c.lang, 'room.home.refresh')}</a></p>
${compose}
<div class="room-grid">
<div class="room-column">${rolesPanel(c, data)}${tasksPanel(c, data)}</div>
<div class="room-column">${timelineList(c, data)}</div>
</div>`;
  return shell(c, t(c.lang, 'room.title', { incident: incidentName(c.lang, i) }), `/staff/incidents/${i.id}/room`, body, { wide: true });
}
