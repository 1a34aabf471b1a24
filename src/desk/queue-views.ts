/**
 * The staff queue as a workspace: tabs for the views, the filters folded away, the tickets at full width (cards on
 * a phone), an incident's linked tickets as one row, and a form to act on the checked tickets. No script: the
 * tabs are links, the filters a GET form, the selection checkboxes in a POST form with one button per action.
 */
import { PRIORITIES, TICKET_STATUSES, TICKET_TYPES } from '../domain/ticket.ts';
import { can } from '../staff/permissions.ts';
import type { CannedReply } from './canned-replies.ts';
import { BULK_ACTIONS } from './bulk.ts';
import { QUEUE_VIEWS, groupsByIncident, type QueueCounts, type QueueFilter, type QueueItem, type QueueView } from './queue.ts';
import type { SlaState } from './sla.ts';
import type { Ticket } from './ticket-repository.ts';
import { html, type SafeHtml } from '../web/html.ts';
import { t, localized } from '../web/i18n.ts';
import { excerpt, incidentLabel, selectOptions, slaCell, type IncidentOption, type StaffOption } from './console-view-parts.ts';
import { reasonSummary } from './triage/reason-views.ts';
import { csrf, shell, when, type ConsoleContext } from '../console/views.ts';

export interface QueuePageData {
  items: QueueItem[];
  /** Rows (tickets and incident rows), for paging. */
  total: number;
  /** Tickets those rows stand for. */
  ticketTotal: number;
  filter: QueueFilter;
  /** The page's query string without paging and flash parameters (kept by tabs, paging and the bulk form). */
  query: string;
  counts: QueueCounts;
  staff: StaffOption[];
  incidents: IncidentOption[];
  canned: readonly CannedReply[];
  slaOf: (ticket: Ticket) => SlaState;
  /** Tickets to show checked (the selection of a refused bulk action). */
  selected?: ReadonlySet<string>;
}

const VIEW_COUNT: Record<QueueView, keyof QueueCounts> = {
  all: 'all',
  mine: 'mine',
  unassigned: 'unassigned',
  security: 'security',
  needs_human: 'needsHuman',
  incidents: 'incidents',
};

const hrefWith = (query: string, changes: Record<string, string | null>): string => {
  const params = new URLSearchParams(query);
  for (const [k, v] of Object.entries(changes)) {
    if (v === null) params.delete(k);
    else params.set(k, v);
  }
  const s = params.toString();
  return s ? `/staff/tickets?${s}` : '/staff/tickets';
};

function viewTabs(c: ConsoleContext, d: QueuePageData): SafeHtml {
  const current = d.filter.view ?? 'all';
  return html`<nav aria-label="${t(c.lang, 'desk.views')}"><ul class="view-tabs">${QUEUE_VIEWS.map((v) => {
    const href = v === 'all' ? '/staff/tickets' : `/staff/tickets?view=${v}`;
    const count = d.counts[VIEW_COUNT[v]];
    return html`<li><a href="${href}"${v === current ? html` aria-current="page"` : ''}>${t(c.lang, `desk.view.${v}`)} <span class="tab-count">${t(c.lang, 'desk.viewCount', { count })}</span></a></li>`;
  })}</ul></nav>`;
}

/** How many filters beyond the view are on (shown on the folded filters' summary). */
function activeFilters(f: QueueFilter): number {
  return [f.status && f.status !== 'active', f.priority, f.type, f.sla, f.view !== 'incidents' && f.incident, f.view !== 'mine' && f.view !== 'unassigned' && f.assignee].filter(Boolean).length;
}

function filterForm(c: ConsoleContext, d: QueuePageData): SafeHtml {
  const { filter, staff, incidents } = d;
  const active = activeFilters(filter);
  const opt = (value: string, label: string, selected: boolean) => html`<option value="${value}"${selected ? html` selected` : ''}>${label}</option>`;
  return html`<details class="queue-filters"${active ? html` open` : ''}><summary>${t(c.lang, 'desk.filters')}${active ? html` <span class="meta">(${t(c.lang, 'desk.filtersActive', { count: active })})</span>` : ''}</summary>
<form method="get" action="/staff/tickets" class="inline filters">
${filter.view ? html`<input type="hidden" name="view" value="${filter.view}">` : ''}${filter.group ? html`<input type="hidden" name="group" value="${filter.group}">` : ''}
<div><label for="f-status">${t(c.lang, 'field.status')}</label><select id="f-status" name="status">
${opt('active', t(c.lang, 'desk.active'), false)}${opt('all', t(c.lang, 'desk.all'), filter.status === 'all')}
${selectOptions(TICKET_STATUSES, filter.status, (s) => t(c.lang, `desk.status.${s}`))}</select></div>
<div><label for="f-priority">${t(c.lang, 'field.priority')}</label><select id="f-priority" name="priority">${opt('', t(c.lang, 'desk.all'), false)}
${selectOptions(PRIORITIES, filter.priority, (p) => t(c.lang, `priority.${p}`))}</select></div>
<div><label for="f-type">${t(c.lang, 'field.type')}</label><select id="f-type" name="type">${opt('', t(c.lang, 'desk.all'), false)}
${selectOptions(TICKET_TYPES, filter.type, (x) => t(c.lang, `type.${x}`))}</select></div>
<div><label for="f-sla">${t(c.lang, 'field.sla')}</label><select id="f-sla" name="sla">${opt('', t(c.lang, 'desk.all'), false)}
${opt('breached', t(c.lang, 'desk.slaBreached'), filter.sla === 'breached')}${opt('due_soon', t(c.lang, 'desk.slaDueSoon'), filter.sla === 'due_soon')}</select></div>
<div><label for="f-incident">${t(c.lang, 'field.incident')}</label><select id="f-incident" name="incident">${opt('', t(c.lang, 'desk.all'), false)}
${opt('any', t(c.lang, 'desk.any'), filter.incident === 'any')}${opt('none', t(c.lang, 'desk.none'), filter.incident === 'none')}
${incidents.map((i) => opt(i.id, incidentLabel(c, i), filter.incident === i.id))}</select></div>
<div><label for="f-assignee">${t(c.lang, 'field.assignee')}</label><select id="f-assignee" name="assignee">${opt('', t(c.lang, 'desk.all'), false)}
${opt(c.staff.id, t(c.lang, 'desk.me'), filter.assignee === c.staff.id)}${opt('none', t(c.lang, 'desk.unassigned'), filter.assignee === 'none')}
${staff.filter((s) => s.id !== c.staff.id).map((s) => opt(s.id, s.name, filter.assignee === s.id))}</select></div>
<div class="filter-buttons"><button type="submit" class="secondary">${t(c.lang, 'desk.filter')}</button>${active ? html` <a href="${filter.view ? `/staff/tickets?view=${filter.view}` : '/staff/tickets'}">${t(c.lang, 'desk.clearFilters')}</a>` : ''}</div>
</form></details>`;
}

function bulkControls(c: ConsoleContext, d: QueuePageData): SafeHtml {
  const choose = html`<option value="">${t(c.lang, 'desk.bulk.choose')}</option>`;
  const cannedByType = TICKET_TYPES.map((type) => ({ type, replies: d.canned.filter((r) => r.type === type) })).filter((g) => g.replies.length);
  return html`<details class="bulk-actions"><summary>${t(c.lang, 'desk.bulk.legend')}</summary>
<p class="hint">${t(c.lang, 'desk.bulk.hint')}</p>
<div class="bulk-row">
<div class="bulk-group"><label for="b-assignee">${t(c.lang, 'desk.bulk.assignee')}</label><div class="bulk-pair"><select id="b-assignee" name="assignee">${choose}
<option value="none">${t(c.lang, 'desk.bulk.unassign')}</option>${d.staff.map((s) => html`<option value="${s.id}">${s.name}${s.id === c.staff.id ? ` (${t(c.lang, 'desk.me')})` : ''}</option>`)}</select>
<button type="submit" name="action" value="assign" class="secondary">${t(c.lang, 'desk.bulk.assign')}</button></div></div>
<div class="bulk-group"><label for="b-canned">${t(c.lang, 'desk.bulk.canned')}</label><div class="bulk-pair"><select id="b-canned" name="canned">${choose}
${cannedByType.map((g) => html`<optgroup label="${t(c.lang, `type.${g.type}`)}">${g.replies.map((r) => html`<option value="${r.id}">${localized(c.lang, r.titleJa, r.titleEn)}</option>`)}</optgroup>`)}</select>
<button type="submit" name="action" value="reply" class="secondary">${t(c.lang, 'desk.bulk.reply')}</button></div></div>
${d.incidents.length ? html`<div class="bulk-group"><label for="b-incident">${t(c.lang, 'desk.bulk.incident')}</label><div class="bulk-pair"><select id="b-incident" name="incident">${choose}
${d.incidents.map((i) => html`<option value="${i.id}">${incidentLabel(c, i)}</option>`)}</select>
<button type="submit" name="action" value="link" class="secondary">${t(c.lang, 'desk.bulk.link')}</button></div></div>` : ''}
<div class="bulk-group bulk-solve"><button type="submit" name="action" value="solve" class="secondary">${t(c.lang, 'desk.bulk.solve')}</button></div>
</div></details>`;
}

function ticketRow(c: ConsoleContext, ticket: Ticket, sla: SlaState, write: boolean, checked: boolean): SafeHtml {
  const urgentSecurity = ticket.type === 'security' && ticket.priority === 'urgent';
  const classes = [urgentSecurity ? 'row-urgent' : '', ticket.needsHuman ? 'row-needs-human' : ''].filter(Boolean).join(' ');
  return html`<tr${classes ? html` class="${classes}"` : ''}>
${write ? html`<td class="sel"><input type="checkbox" name="ids" value="${ticket.id}" id="sel-${ticket.id}"${checked ? html` checked` : ''}><label class="visually-hidden" for="sel-${ticket.id}">${t(c.lang, 'desk.selectTicket', { number: ticket.number })}</label></td>` : ''}
<td class="num"><a class="ticket-number" href="/staff/tickets/${ticket.id}">${ticket.number}</a>${urgentSecurity ? html` <strong class="urgent badge">${t(c.lang, 'desk.urgentSecurity')}</strong>` : ''}${ticket.needsHuman ? html` <strong class="needs-human badge">${t(c.lang, 'desk.needsHuman')}</strong>` : ''}</td>
<td class="prio"><span class="priority p-${ticket.priority}">${t(c.lang, `priority.${ticket.priority}`)}</span> <span class="type">${t(c.lang, `type.${ticket.type}`)}</span></td>
<td class="summary"><span class="excerpt">${excerpt(ticket.body)}</span>${ticket.triageReasons.length ? html`<span class="meta reasons-line">${t(c.lang, 'desk.triage')}: ${reasonSummary(c.lang, ticket.triageReasons)}</span>` : ''}${ticket.incidentName ? html`<span class="meta">${t(c.lang, 'field.incident')}: ${ticket.incidentName}</span>` : ''}</td>
<td class="state"><span class="cell-label">${t(c.lang, 'field.status')}: </span>${t(c.lang, `desk.status.${ticket.status}`)}<br><span class="meta">${ticket.assigneeName ?? t(c.lang, 'desk.unassigned')}</span></td>
<td class="sla-cell">${slaCell(c, ticket, sla)}</td>
<td class="when"><span class="cell-label">${t(c.lang, 'desk.received')}: </span><time datetime="${ticket.createdAt.toISOString()}">${when(c, ticket.createdAt)}</time></td>
</tr>`;
}

function incidentRow(c: ConsoleContext, item: Extract<QueueItem, { kind: 'incident' }>, write: boolean): SafeHtml {
  const name = localized(c.lang, item.nameJa, item.nameEn);
  return html`<tr class="row-group">
${write ? html`<td class="sel"></td>` : ''}
<td class="num"><strong class="group-count">${t(c.lang, 'desk.groupCount', { count: item.count })}</strong></td>
<td class="prio"><span class="priority p-${item.lead.priority}">${t(c.lang, 'desk.groupLead', { priority: t(c.lang, `priority.${item.lead.priority}`) })}</span></td>
<td class="summary" colspan="4"><a class="group-link" href="/staff/incidents/${item.incidentId}/tickets">${name}</a> <span class="meta">${t(c.lang, 'desk.groupRow', { count: item.count })} · ${t(c.lang, 'desk.groupOpen')}</span></td>
</tr>`;
}

export function queuePage(c: ConsoleContext, d: QueuePageData): string {
  const write = can(c.staff.role, 'ticket.write');
  const offset = d.filter.offset ?? 0;
  const size = d.filter.limit ?? 100;
  const grouped = groupsByIncident(d.filter);
  const rows = d.items.map((item) =>
    item.kind === 'incident' ? incidentRow(c, item, write) : ticketRow(c, item.ticket, d.slaOf(item.ticket), write, d.selected?.has(item.ticket.id) === true),
  );
  const canGroup = d.filter.incident === undefined || d.filter.incident === 'any';
  const groupToggle = canGroup
    ? html` · <a href="${hrefWith(d.query, { group: grouped ? 'none' : null, offset: null })}">${t(c.lang, grouped ? 'desk.groupOff' : 'desk.groupOn')}</a>`
    : '';
  const range = html`${t(c.lang, 'desk.count', { count: d.ticketTotal })}${d.items.length && d.total > d.items.length ? html` · ${t(c.lang, 'desk.page', { from: offset + 1, to: offset + d.items.length, total: d.total })}` : ''}`;
  const table = html`<div class="table-scroll"><table class="queue">
<caption class="visually-hidden">${t(c.lang, 'desk.queueTable')}</caption>
<thead><tr>${write ? html`<th scope="col" class="sel"><span class="visually-hidden">${t(c.lang, 'desk.select')}</span></th>` : ''}<th scope="col" class="num">${t(c.lang, 'desk.number')}</th><th scope="col" class="prio">${t(c.lang, 'field.priority')}</th><th scope="col">${t(c.lang, 'desk.summary')}</th><th scope="col" class="state">${t(c.lang, 'field.status')}</th><th scope="col">${t(c.lang, 'field.sla')}</th><th scope="col" class="when">${t(c.lang, 'desk.received')}</th></tr></thead>
<tbody>${rows}</tbody></table></div>`;
  const list = d.items.length
    ? write
      ? html`<form method="post" action="/staff/tickets/bulk" class="bulk-form">${csrf(c)}<input type="hidden" name="q" value="${hrefWith(d.query, { offset: offset ? String(offset) : null }).split('?')[1] ?? ''}">${bulkControls(c, d)}${table}</form>`
      : table
    : html`<p>${t(c.lang, 'desk.empty')}</p>`;
  const paging =
    offset > 0 || offset + d.items.length < d.total
      ? html`<nav aria-label="${t(c.lang, 'desk.pages')}"><p class="paging">${offset > 0 ? html`<a href="${hrefWith(d.query, { offset: String(Math.max(0, offset - size)) })}">${t(c.lang, 'desk.prev')}</a>` : ''}${offset + d.items.length < d.total ? html`<a href="${hrefWith(d.query, { offset: String(offset + size) })}">${t(c.lang, 'desk.next')}</a>` : ''}</p></nav>`
      : '';
  const body = html`${viewTabs(c, d)}${filterForm(c, d)}
<p class="queue-count">${range}${groupToggle}</p>
${list}${paging}
${can(c.staff.role, 'staff.manage') ? html`<form method="post" action="/staff/triage/retrain" class="inline">${csrf(c)}<p class="meta">${t(c.lang, 'desk.retrainHelp')}</p><button type="submit" class="secondary">${t(c.lang, 'desk.retrain')}</button></form>` : ''}`;
  return shell(c, t(c.lang, 'desk.queueTitle'), hrefWith(d.query, {}), body);
}

/** The flash after a bulk action: how many were done, and which failed. */
export function bulkResultText(c: ConsoleContext, action: string, done: number, failed: number, numbers: string): { flash: string | null; error: string | null } {
  const known = BULK_ACTIONS.find((a) => a === action);
  if (!known) return { flash: null, error: null };
  return {
    flash: t(c.lang, `desk.bulk.done.${known}`, { count: done }),
    error: failed > 0 ? t(c.lang, 'desk.bulk.failed', { count: failed, numbers }) : null,
  };
}
