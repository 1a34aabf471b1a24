import { randomBytes } from 'node:crypto';
import { PRIORITIES, TICKET_STATUSES, TICKET_TYPES, type TicketType } from '../domain/ticket.ts';
import { can } from '../staff/permissions.ts';
import type { CannedReply } from './canned-replies.ts';
import { CHECKLIST_ITEMS, SUGGESTED_ITEMS } from './checklist.ts';
import type { SlaState } from './sla.ts';
import type { Ticket, TicketMessage, TriageCorrection } from './ticket-repository.ts';
import type { RetrainOutcome, SplitFigures } from './triage/retrain.ts';
import { html, multiline } from '../web/html.ts';
import { t, localized } from '../web/i18n.ts';
import { excerpt, incidentLabel, selectOptions, slaCell, type IncidentOption, type StaffOption } from './console-view-parts.ts';
import { reasonList } from './triage/reason-views.ts';
import { csrf, shell, when, type ConsoleContext } from '../console/views.ts';


export interface TicketPageData {
  ticket: Ticket;
  sla: SlaState;
  messages: TicketMessage[];
  corrections: TriageCorrection[];
  staff: StaffOption[];
  incidents: IncidentOption[];
  canned: CannedReply[];
  replyText: string;
  noteText?: string;
}

export function staffTicketPage(c: ConsoleContext, d: TicketPageData): string {
  const { ticket } = d;
  const base = `/staff/tickets/${ticket.id}`;
  const write = can(c.staff.role, 'ticket.write');
  const typeLabel = (x: TicketType) => t(c.lang, `type.${x}`);
  const details = [
    ['field.orderId', ticket.orderId],
    ['field.transactionId', ticket.transactionId],
    ['field.asset', ticket.asset],
    ['field.amount', ticket.amount],
  ].filter(([, v]) => v) as [string, string][];
  const triage = html`<section aria-labelledby="triage-h"><h2 id="triage-h">${t(c.lang, 'desk.triage')}</h2>
<p><span class="priority p-${ticket.priority}">${t(c.lang, `priority.${ticket.priority}`)}</span> · ${typeLabel(ticket.type)}</p>
${ticket.needsHuman ? html`<p class="needs-human-note"><strong class="needs-human">${t(c.lang, 'desk.needsHuman')}</strong> ${t(c.lang, 'desk.needsHumanNote')}</p>` : ''}
${ticket.triageModelVersion ? html`<p class="meta">${t(c.lang, 'desk.modelVersion', { version: ticket.triageModelVersion })}</p>` : ''}
${ticket.triageType !== ticket.type || ticket.triagePriority !== ticket.priority ? html`<p class="meta">${t(c.lang, 'desk.triageWas', { type: typeLabel(ticket.triageType), priority: t(c.lang, `priority.${ticket.triagePriority}`) })}</p>` : ''}
${ticket.userCategory ? html`<p class="meta">${t(c.lang, 'desk.userCategory', { type: typeLabel(ticket.userCategory) })}</p>` : ''}
<details open><summary>${t(c.lang, 'desk.triageReasons')}</summary>${reasonList(c.lang, ticket.triageReasons)}</details>
${d.corrections.length ? html`<details><summary>${t(c.lang, 'desk.triageHistory')}</summary><ul>${d.corrections.map(
    (x) => html`<li>${when(c, x.createdAt)} ${x.staffName ?? ''}: ${typeLabel(x.fromType)}/${t(c.lang, `priority.${x.fromPriority}`)} → ${typeLabel(x.toType)}/${t(c.lang, `priority.${x.toPriority}`)}${x.body ? html` — ${x.body}` : ''}</li>`,
  )}</ul></details>` : ''}
${write ? html`<form method="post" action="${base}/triage" class="inline">${csrf(c)}
<div><label for="t-type">${t(c.lang, 'field.type')}</label><select id="t-type" name="type">${selectOptions(TICKET_TYPES, ticket.type, (x) => typeLabel(x as TicketType))}</select></div>
<div><label for="t-priority">${t(c.lang, 'field.priority')}</label><select id="t-priority" name="priority">${selectOptions(PRIORITIES, ticket.priority, (p) => t(c.lang, `priority.${p}` as never))}</select></div>
<div><label for="t-note">${t(c.lang, 'field.note')}</label><input type="text" id="t-note" name="note" maxlength="2000"></div>
<div><button type="submit" class="secondary">${t(c.lang, 'desk.triageCorrect')}</button></div></form>` : ''}
</section>`;

  const thread = html`<section aria-labelledby="thread-h"><h2 id="thread-h">${t(c.lang, 'desk.thread')}</h2>
<ol class="thread">${d.messages.map(
    (m) => html`<li class="message m-${m.kind}${m.kind === 'note' ? ' note-internal' : ''}"><p class="meta">${t(c.lang, `desk.from.${m.kind}`)}${m.authorName ? html` (${m.authorName})` : ''} · <time datetime="${m.createdAt.toISOString()}">${when(c, m.createdAt)}</time></p><div class="message-body">${multiline(m.body)}</div></li>`,
  )}</ol></section>`;

  const suggested = new Set(SUGGESTED_ITEMS[ticket.type]);
  const ordered = [...CHECKLIST_ITEMS].sort((a, b) => Number(suggested.has(b)) - Number(suggested.has(a)));
  const checklist = html`<section aria-labelledby="check-h"><h2 id="check-h">${t(c.lang, 'desk.checklist')}</h2>
${ticket.checklist.length ? html`<ul class="checklist">${ticket.checklist.map(
    (e) => html`<li>${t(c.lang, `checklist.${e.item}`)} — ${e.receivedAt ? t(c.lang, 'desk.receivedAt', { time: when(c, new Date(e.receivedAt)) }) : t(c.lang, 'desk.requestedAt', { time: when(c, new Date(e.requestedAt)) })}
${write ? html`<form method="post" action="${base}/checklist" class="inline">${csrf(c)}<input type="hidden" name="item" value="${e.item}"><input type="hidden" name="received" value="${e.receivedAt ? 'false' : 'true'}"><button type="submit" class="secondary">${t(c.lang, e.receivedAt ? 'desk.markMissing' : 'desk.markReceived')}</button></form>` : ''}</li>`,
  )}</ul>` : ''}
${write ? html`<form method="post" action="${base}/request-info" class="stack">${csrf(c)}
<fieldset><legend>${t(c.lang, 'field.items')}</legend>${ordered.map(
    (item) => html`<label class="radio"><input type="checkbox" name="items" value="${item}"${suggested.has(item) && !ticket.checklist.some((e) => e.item === item) ? html` checked` : ''}> ${t(c.lang, `checklist.${item}`)}</label>`,
  )}</fieldset>
<div><button type="submit" class="secondary">${t(c.lang, 'desk.requestInfo')}</button></div></form>` : ''}
</section>`;

  const replyForm = write
    ? html`<section aria-labelledby="reply-h"><h2 id="reply-h">${t(c.lang, 'desk.publicReply')}</h2>
<details><summary>${t(c.lang, 'desk.canned')}</summary><p class="hint">${t(c.lang, 'desk.cannedHint')}</p><ul>${d.canned.map(
        (r) => html`<li><a href="${base}?canned=${r.id}#reply">${localized(c.lang, r.titleJa, r.titleEn)}</a> <span class="meta">(${typeLabel(r.type)})</span></li>`,
      )}</ul></details>
<form method="post" action="${base}/reply" class="stack">${csrf(c)}<input type="hidden" name="after" value="${String(d.messages.filter((m) => m.kind !== 'note').at(-1)?.id ?? 0)}">
<div><label for="reply">${t(c.lang, 'desk.publicReply')}</label><textarea id="reply" name="body" required maxlength="20000" rows="8">${d.replyText}</textarea></div>
<div><label for="reply-status">${t(c.lang, 'desk.statusAfter')}</label><select id="reply-status" name="status">
${(['pending_user', 'open', 'solved'] as const).map((s) => html`<option value="${s}">${t(c.lang, `desk.status.${s}`)}</option>`)}</select></div>
<div><button type="submit">${t(c.lang, 'desk.sendReply')}</button></div></form>
<form method="post" action="${base}/notes" class="stack">${csrf(c)}
<div><label for="note">${t(c.lang, 'staff.internalNote')}</label><textarea id="note" name="body" required maxlength="20000" rows="3">${d.noteText ?? ''}</textarea></div>
<div><button type="submit" class="secondary">${t(c.lang, 'desk.addNote')}</button></div></form></section>`
    : '';

  const manage = write
    ? html`<section aria-labelledby="manage-h"><h2 id="manage-h">${t(c.lang, 'field.status')} · ${t(c.lang, 'field.assignee')} · ${t(c.lang, 'field.incident')}</h2>
<form method="post" action="${base}/status" class="inline">${csrf(c)}<div><label for="m-status">${t(c.lang, 'field.status')}</label><select id="m-status" name="status">
${selectOptions(TICKET_STATUSES.filter((s) => (s !== 'new' && s !== 'pending_user') || s === ticket.status), ticket.status, (s) => t(c.lang, `desk.status.${s}` as never))}</select></div>
<div><button type="submit" class="secondary">${t(c.lang, 'desk.setStatus')}</button></div></form>
<form method="post" action="${base}/assign" class="inline">${csrf(c)}<div><label for="m-assignee">${t(c.lang, 'field.assignee')}</label><select id="m-assignee" name="assignee">
<option value="">${t(c.lang, 'desk.unassigned')}</option>${d.staff.map((s) => html`<option value="${s.id}"${s.id === ticket.assigneeId ? html` selected` : ''}>${s.name}${s.id === c.staff.id ? ` (${t(c.lang, 'desk.me')})` : ''}</option>`)}</select></div>
<div><button type="submit" class="secondary">${t(c.lang, 'desk.assign')}</button></div></form>
${ticket.incidentId
        ? html`<form method="post" action="${base}/unlink" class="inline">${csrf(c)}<p>${t(c.lang, 'desk.incident')}: <a href="/staff/incidents/${ticket.incidentId}">${ticket.incidentName ?? ticket.incidentId}</a> (${t(c.lang, ticket.incidentLink === 'auto' ? 'desk.linkAuto' : 'desk.linkStaff')})</p><button type="submit" class="secondary">${t(c.lang, 'desk.unlink')}</button></form>`
        : d.incidents.length
          ? html`<form method="post" action="${base}/link" class="inline">${csrf(c)}<div><label for="m-incident">${t(c.lang, 'field.incident')}</label><select id="m-incident" name="incident">${d.incidents.map((i) => html`<option value="${i.id}">${incidentLabel(c, i)}</option>`)}</select></div><div><button type="submit" class="secondary">${t(c.lang, 'desk.link')}</button></div></form>`
          : html`<p class="meta">${t(c.lang, 'desk.noOpenIncidents')}</p>`}
</section>`
    : '';

  const body = html`<p><a href="/staff/tickets">${t(c.lang, 'desk.back')}</a></p>
<p class="meta">${t(c.lang, `desk.status.${ticket.status}`)} · ${t(c.lang, 'desk.email')}: ${ticket.email} · ${when(c, ticket.createdAt)}</p>
<p>${slaCell(c, ticket, d.sla)}</p>
${details.length ? html`<dl class="details">${details.map(([k, v]) => html`<dt>${t(c.lang, k as never)}</dt><dd>${v}</dd>`)}</dl>` : ''}
${triage}${thread}${replyForm}${checklist}${manage}`;
  return shell(c, `${t(c.lang, 'ticket.title', { number: ticket.number })}`, base, body);
}

export function linkedTicketsPage(
  c: ConsoleContext,
  data: { incident: IncidentOption; open: number; tickets: { ticket: Ticket; sla: SlaState }[]; body?: string; bodyEn?: string },
): string {
  const base = `/staff/incidents/${data.incident.id}/tickets`;
  const body = html`<p><a href="/staff/incidents/${data.incident.id}">${incidentLabel(c, data.incident)}</a> · <a href="/staff/tickets?incident=${data.incident.id}">${t(c.lang, 'desk.queue')}</a></p>
<p>${t(c.lang, 'desk.linkedCount', { count: data.open })}</p>
${can(c.staff.role, 'ticket.write') ? html`<form method="post" action="${base}/reply" class="stack">${csrf(c)}<input type="hidden" name="key" value="${randomBytes(18).toString('base64url')}">
<div><label for="bulk">${t(c.lang, 'desk.bulkReply')}</label><p class="hint" id="bulk-hint">${t(c.lang, 'desk.bulkHint')}</p>
<textarea id="bulk" name="body" required maxlength="20000" rows="6" aria-describedby="bulk-hint">${data.body ?? ''}</textarea></div>
<div><label for="bulk-en">${t(c.lang, 'field.bodyEn')}</label><textarea id="bulk-en" name="bodyEn" maxlength="20000" rows="6">${data.bodyEn ?? ''}</textarea></div>
<label class="radio"><input type="checkbox" name="solve" value="true"> ${t(c.lang, 'desk.bulkSolve')}</label>
<div><button type="submit">${t(c.lang, 'desk.bulkReply')}</button></div></form>` : ''}
<ul>${data.tickets.map(({ ticket }) => html`<li><a href="/staff/tickets/${ticket.id}">${ticket.number}</a> ${t(c.lang, `desk.status.${ticket.status}`)} — ${excerpt(ticket.body, 80)}</li>`)}</ul>`;
  return shell(c, t(c.lang, 'desk.linkedTickets'), base, body);
}

/** The outcome of a retrain started from the console: the test-split figures before and after. */
export function triageRetrainPage(c: ConsoleContext, r: RetrainOutcome): string {
  const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
  const row = (label: string, f: SplitFigures) =>
    html`<tr><th scope="row">${label}</th><td>${pct(f.accuracy)}</td><td>${pct(f.securityRecall)}</td><td>${f.securityIncidentBelowHigh}</td></tr>`;
  const rows =
    r.outcome === 'unchanged'
      ? [row(t(c.lang, 'desk.retrainCurrent', { version: r.version }), r.before)]
      : [row(t(c.lang, 'desk.retrainBefore', { version: r.previous }), r.before), row(t(c.lang, 'desk.retrainAfter', { version: r.version }), r.after)];
  const verdict =
    r.outcome === 'replaced'
      ? t(c.lang, 'desk.retrainReplaced', { version: r.version })
      : r.outcome === 'refused'
        ? t(c.lang, 'desk.retrainRefused', { version: r.previous })
        : t(c.lang, 'desk.retrainUnchanged');
  const body = html`<p class="${r.outcome === 'refused' ? 'error' : 'flash'}" role="status">${verdict}</p>
<p>${t(c.lang, 'desk.retrainFigures', { count: r.before.count, corrections: r.corrections })}</p>
<div class="table-scroll"><table><thead><tr><th scope="col">${t(c.lang, 'desk.retrainModel')}</th><th scope="col">${t(c.lang, 'desk.retrainAccuracy')}</th><th scope="col">${t(c.lang, 'desk.retrainRecall')}</th><th scope="col">${t(c.lang, 'desk.retrainBelowHigh')}</th></tr></thead>
<tbody>${rows}</tbody></table></div>
<p><a href="/staff/tickets">${t(c.lang, 'desk.queueTitle')}</a></p>`;
  return shell(c, t(c.lang, 'desk.retrain'), '/staff/tickets', body);
}
