/**
 * The staff home's built-in sections: open incidents and my role in each, my tasks by due time, urgent security
 * tickets nobody has taken, SLA breaches coming, four-eyes approvals waiting for me, and monitor proposals.
 */
import type { Db } from '../store/db.ts';
import type { BusinessCalendar } from '../domain/business-calendar.ts';
import { can } from '../staff/permissions.ts';
import type { Ticket } from '../desk/ticket-repository.ts';
import { listQueue } from '../desk/queue.ts';
import { DEFAULT_SLA_POLICY, slaState } from '../desk/sla.ts';
import type { Proposal } from '../monitors/proposal-rows.ts';
import { csrf, type ConsoleContext } from '../console/views.ts';
import { html } from '../web/html.ts';
import { t, localized } from '../web/i18n.ts';
import type { HomeSection } from './home.ts';
import type { IncidentRoom } from './service.ts';
import { dueLabel, incidentName, roleLabel, statusLabel, timeEl, titleOf, when } from './view-helpers.ts';
import * as taskRepo from './task-repository.ts';
import * as roomRepo from './room-repository.ts';
import * as roleRepo from './role-repository.ts';
import * as homeRepo from './home-repository.ts';

export interface BuiltinSectionDeps {
  db: Db;
  room: IncidentRoom;
  calendar: BusinessCalendar;
  openProposals?: () => Promise<Proposal[]>;
}

/** How many rows a section shows before "and N more" with a link to the full list. */
const LIMIT = 10;
const excerpt = (text: string, max = 90) => (text.length > max ? `${text.slice(0, max)}…` : text);

export function builtinSections(d: BuiltinSectionDeps): HomeSection[] {
  return [openIncidentsSection(d), myTasksSection(d), securityTicketsSection(d), slaSection(d), approvalsSection(d), proposalsSection(d)];
}

/** Open incidents, most severe first, with my role in each, who holds the single roles, and open and overdue tasks. */
function openIncidentsSection(d: BuiltinSectionDeps): HomeSection {
  const roles = d.room.roles;
  return {
    id: 'incidents',
    slot: 'incidents',
    async load(c, now) {
      const incidents = await roomRepo.openIncidentHeads(d.db);
      const [assignments, taskLists] = await Promise.all([
        roleRepo.activeAssignments(d.db, incidents.map((i) => i.id)),
        Promise.all(incidents.map((i) => taskRepo.tasksOf(d.db, i.id))),
      ]);
      const items = incidents.map((i, n) => {
        const held = assignments.filter((a) => a.incidentId === i.id);
        const mine = held.filter((a) => a.staffId === c.staff.id).map((a) => roleLabel(c.lang, roles, a.role));
        const open = (taskLists[n] ?? []).filter((x) => !x.doneAt);
        const overdue = open.filter((x) => x.dueAt && x.dueAt.getTime() < now.getTime()).length;
        const single = roles.filter((r) => !r.multiple);
        return html`<li class="home-incident sev-${i.severity}">
<p class="home-incident-title">${i.drillId ? html`<span class="drill-tag">${t(c.lang, 'drill.tag')}</span> ` : ''}<a href="/staff/incidents/${i.id}/room">${incidentName(c.lang, i)}</a></p>
<p class="meta">${i.severity} · ${t(c.lang, `type.${i.type}`)} · ${statusLabel(c.lang, i.status)} · ${t(c.lang, 'room.startedAt')} ${timeEl(c, i.startedAt)}</p>
<p>${mine.length ? html`<strong>${t(c.lang, 'room.home.myRoles', { roles: mine.join(t(c.lang, 'list.separator')) })}</strong>` : t(c.lang, 'room.home.noRole')}</p>
<p class="meta">${single.map((r, k) => {
          const holder = held.find((a) => a.role === r.key);
          return html`${k ? ' · ' : ''}${roleLabel(c.lang, roles, r.key)}: ${holder ? holder.staffName : html`<span class="unassigned">${t(c.lang, 'room.role.nobody')}</span>`}`;
        })}</p>
<p class="meta">${t(c.lang, 'room.home.openTasks', { count: open.length })}${overdue ? html` · <span class="badge-overdue">${t(c.lang, 'room.home.overdueTasks', { count: overdue })}</span>` : ''}</p>
</li>`;
      });
      return {
        title: t(c.lang, 'room.home.incidents'),
        count: incidents.length,
        urgent: incidents.some((i) => i.severity === 'SEV1'),
        body: incidents.length ? html`<ul class="home-list">${items}</ul>` : html`<p>${t(c.lang, 'staff.noOpenIncidents')}</p>`,
      };
    },
  };
}

/** My open tasks by due time, mine by name or by a role I hold; each can be ticked from here. */
function myTasksSection(d: BuiltinSectionDeps): HomeSection {
  const roles = d.room.roles;
  return {
    id: 'my-tasks',
    slot: 'my-tasks',
    async load(c, now) {
      const tasks = await taskRepo.openTasksOf(d.db, c.staff.id);
      const overdue = tasks.filter((x) => x.dueAt && x.dueAt.getTime() < now.getTime()).length;
      const mayTick = can(c.staff.role, 'incident.write');
      const items = tasks.slice(0, 50).map((x) => {
        const late = x.dueAt !== null && x.dueAt.getTime() < now.getTime();
        return html`<li class="${late ? 'task overdue' : 'task'}">
<p class="task-title">${titleOf(c.lang, x)}</p>
<p class="meta"><a href="/staff/incidents/${x.incidentId}/room#tasks">${incidentName(c.lang, { nameJa: x.incidentNameJa, nameEn: x.incidentNameEn })}</a> · ${x.severity}
${x.ownerRole && !x.ownerId ? html` · ${t(c.lang, 'room.task.asRole', { role: roleLabel(c.lang, roles, x.ownerRole) })}` : ''}</p>
<p>${dueLabel(c, x.dueAt, now, false)}</p>
${mayTick ? html`<form method="post" action="/staff/incidents/${x.incidentId}/room/tasks/${x.id}/done" class="inline">${csrf(c)}
<input type="hidden" name="done" value="true"><input type="hidden" name="back" value="home">
<button type="submit" class="secondary" aria-label="${t(c.lang, 'room.task.markDone')}: ${titleOf(c.lang, x)}">${t(c.lang, 'room.task.markDone')}</button></form>` : ''}
</li>`;
      });
      return {
        title: t(c.lang, 'room.home.myTasks'),
        count: tasks.length,
        urgent: overdue > 0,
        body: tasks.length
          ? html`${overdue ? html`<p class="badge-overdue">${t(c.lang, 'room.home.overdueTasks', { count: overdue })}</p>` : ''}<ul class="home-list">${items}</ul>`
          : html`<p>${t(c.lang, 'room.home.noTasks')}</p>`,
      };
    },
  };
}

/** Urgent security tickets nobody has taken. */
function securityTicketsSection(d: BuiltinSectionDeps): HomeSection {
  return {
    id: 'security-tickets',
    slot: 'security-tickets',
    async load(c, now) {
      if (!can(c.staff.role, 'ticket.view')) return null;
      const { tickets, total } = await listQueue(d.db, { type: 'security', priority: 'urgent', assignee: 'none', group: 'none', limit: LIMIT }, now);
      return {
        title: t(c.lang, 'room.home.securityTickets'),
        count: total,
        urgent: total > 0,
        body: total
          ? html`<ul class="home-list">${tickets.map((x) => ticketItem(c, x, html`${t(c.lang, 'room.home.filed')} ${timeEl(c, x.createdAt)}`))}</ul>
${total > tickets.length ? html`<p><a href="/staff/tickets?type=security&amp;priority=urgent&amp;assignee=none">${t(c.lang, 'room.home.more', { count: total - tickets.length })}</a></p>` : ''}`
          : html`<p>${t(c.lang, 'room.home.noSecurityTickets')}</p>`,
      };
    },
  };
}

/** Tickets whose SLA falls due soon, and how many have breached it. */
function slaSection(d: BuiltinSectionDeps): HomeSection {
  return {
    id: 'sla',
    slot: 'sla',
    async load(c, now) {
      if (!can(c.staff.role, 'ticket.view')) return null;
      const [soon, breached] = await Promise.all([
        listQueue(d.db, { sla: 'due_soon', group: 'none', limit: LIMIT }, now),
        listQueue(d.db, { sla: 'breached', group: 'none', limit: 1 }, now),
      ]);
      const due = (x: Ticket) => slaState({
        priority: x.priority, createdAt: x.createdAt, firstRespondedAt: x.firstRespondedAt, resolvedAt: x.solvedAt,
        firstResponseDueAt: x.firstResponseDueAt, resolutionDueAt: x.resolutionDueAt, pausedAt: x.slaPausedAt,
      }, now, DEFAULT_SLA_POLICY, d.calendar).nextDueAt;
      return {
        title: t(c.lang, 'room.home.sla'),
        count: soon.total,
        urgent: soon.total > 0,
        body: html`${soon.total
          ? html`<ul class="home-list">${soon.tickets.map((x) => {
            const at = due(x);
            return ticketItem(c, x, html`<span class="sla-due_soon">${t(c.lang, 'room.home.slaDue')}</span> ${at ? timeEl(c, at) : ''}${x.assigneeName ? html` · ${x.assigneeName}` : html` · ${t(c.lang, 'room.home.unassigned')}`}`);
          })}</ul>
${soon.total > soon.tickets.length ? html`<p><a href="/staff/tickets?sla=due_soon">${t(c.lang, 'room.home.more', { count: soon.total - soon.tickets.length })}</a></p>` : ''}`
          : html`<p>${t(c.lang, 'room.home.noSla')}</p>`}
${breached.total ? html`<p><a href="/staff/tickets?sla=breached">${t(c.lang, 'room.home.slaBreached', { count: breached.total })}</a></p>` : ''}`,
      };
    },
  };
}

/** Four-eyes approvals (unlock requests) waiting for someone other than their requester. */
function approvalsSection(d: BuiltinSectionDeps): HomeSection {
  return {
    id: 'approvals',
    slot: 'approvals',
    async load(c) {
      if (!can(c.staff.role, 'account.unlock')) return null;
      const pending = await homeRepo.pendingUnlocksFor(d.db, c.staff.id);
      return {
        title: t(c.lang, 'room.home.approvals'),
        count: pending.length,
        urgent: pending.length > 0,
        body: pending.length
          ? html`<ul class="home-list">${pending.map((p) => html`<li>
<p><a href="/staff/accounts/${encodeURIComponent(p.accountId)}">${t(c.lang, 'room.home.unlockFor', { account: p.accountId })}</a></p>
<p class="meta">${t(c.lang, 'room.home.requestedBy', { name: p.requesterName })} · ${timeEl(c, p.requestedAt)}</p>
${p.note ? html`<p>${excerpt(p.note)}</p>` : ''}</li>`)}</ul>`
          : html`<p>${t(c.lang, 'room.home.noApprovals')}</p>`,
      };
    },
  };
}

/** Open incident proposals from monitors. */
function proposalsSection(d: BuiltinSectionDeps): HomeSection {
  return {
    id: 'proposals',
    slot: 'proposals',
    async load(c) {
      if (!d.openProposals) return null;
      const proposals = await d.openProposals();
      return {
        title: t(c.lang, 'monitor.proposals'),
        count: proposals.length,
        urgent: proposals.some((p) => p.kind === 'declare'),
        body: proposals.length
          ? html`<ul class="home-list">${proposals.map((p) => html`<li>
<p><strong>${t(c.lang, `monitor.proposal.kind.${p.kind}`)}</strong>: <a href="/staff/monitor-proposals/${p.id}">${localized(c.lang, p.titleJa, p.titleEn)}</a></p>
<p class="meta">${t(c.lang, 'monitor.proposal.from', { monitor: p.monitorName, time: when(c, p.createdAt) })}</p>
<p>${excerpt(localized(c.lang, p.bodyJa, p.bodyEn), 200)}</p></li>`)}</ul>`
          : html`<p>${t(c.lang, 'monitor.proposalsNone')}</p>`,
      };
    },
  };
}

function ticketItem(c: ConsoleContext, x: Ticket, meta: ReturnType<typeof html>) {
  return html`<li>
<p><a href="/staff/tickets/${x.id}">#${x.number}</a> <span class="priority p-${x.priority}">${t(c.lang, `priority.${x.priority}`)}</span> ${t(c.lang, `type.${x.type}`)}</p>
<p class="ticket-excerpt">${excerpt(x.body)}</p>
<p class="meta">${meta}</p>
</li>`;
}
