import { html, type SafeHtml } from '../web/html.ts';
import { t, type Lang } from '../web/i18n.ts';
import { csrf, shell, when, type ConsoleContext } from '../console/views.ts';
import { can } from '../staff/permissions.ts';
import type { Incident } from '../domain/incident.ts';
import { formatDuration, label } from '../incident-review/index.ts';
import type { DrillRow, QueuedTicket, RecipientRow, StandInPost } from './repository.ts';
import type { DrillReport } from './report.ts';
import { SCENARIOS, type Scenario } from './scenarios.ts';
import { DEFAULT_SURGE, DEFAULT_TAKEOVERS } from './service.ts';

const scenarioLabel = (lang: Lang, s: Scenario) => t(lang, `drill.scenario.${s}.label`);
const dur = (lang: Lang, ms: number | null) => (ms === null ? '—' : formatDuration(ms, lang));

export function drillsPage(c: ConsoleContext, data: { drills: readonly DrillRow[]; recipients: readonly RecipientRow[] }, values?: Record<string, unknown>): string {
  const canStart = can(c.staff.role, 'incident.write');
  const canManage = can(c.staff.role, 'subscriber.manage');
  const v = (key: string, fallback: string) => (values && typeof values[key] === 'string' ? (values[key] as string) : fallback);
  const startForm = canStart ? html`<section aria-labelledby="start-h"><h2 id="start-h">${t(c.lang, 'drill.start')}</h2>
<form method="post" action="/staff/drills" class="stack">${csrf(c)}
<div><label for="scenario">${t(c.lang, 'drill.field.scenario')}</label><select id="scenario" name="scenario">
${SCENARIOS.map((s) => html`<option value="${s}"${v('scenario', 'outage') === s ? html` selected` : ''}>${scenarioLabel(c.lang, s)}</option>`)}</select></div>
<div class="grid-2"><div><label for="surge">${t(c.lang, 'drill.field.surge')}</label><input id="surge" name="surge" type="number" min="0" max="5000" value="${v('surge', String(DEFAULT_SURGE))}"></div>
<div><label for="takeovers">${t(c.lang, 'drill.field.takeovers')}</label><input id="takeovers" name="takeovers" type="number" min="0" max="50" value="${v('takeovers', String(DEFAULT_TAKEOVERS))}"></div></div>
<input type="hidden" name="monitors" value="false">
<label class="radio"><input type="checkbox" name="monitors" value="true"${values && values.monitors !== 'true' && !Array.isArray(values.monitors) ? '' : html` checked`}> ${t(c.lang, 'drill.monitors')}</label>
<label class="radio"><input type="checkbox" name="scripted" value="true"${values?.scripted === 'true' ? html` checked` : ''}> ${t(c.lang, 'drill.scripted')}</label>
<p class="hint">${t(c.lang, 'drill.startHint')}</p>
<div><button type="submit">${t(c.lang, 'drill.start')}</button></div>
</form></section>` : '';
  const list = html`<section aria-labelledby="list-h"><h2 id="list-h">${t(c.lang, 'drill.list')}</h2>
${data.drills.length === 0 ? html`<p>${t(c.lang, 'drill.none')}</p>` : html`<div class="table-scroll"><table>
<thead><tr><th scope="col">${t(c.lang, 'drill.col.started')}</th><th scope="col">${t(c.lang, 'drill.col.scenario')}</th><th scope="col">${t(c.lang, 'drill.col.status')}</th><th scope="col">${t(c.lang, 'drill.col.result')}</th></tr></thead>
<tbody>${data.drills.map((d) => html`<tr data-drill="${d.id}"><td>${when(c, d.startedAt)}<br><span class="meta">${t(c.lang, `drill.via.${d.startedVia}`)}${d.startedByName ? html` · ${d.startedByName}` : ''}</span></td>
<th scope="row"><a href="/staff/drills/${d.id}">${scenarioLabel(c.lang, d.scenario)}</a></th><td>${t(c.lang, `drill.status.${d.status}`)}</td>
<td>${d.report ? html`<a href="/staff/drills/${d.id}/report">${d.report.problems.length === 0 ? html`<span class="on-time">${t(c.lang, 'drill.report.passed')}</span>` : html`<span class="overdue">${t(c.lang, 'drill.report.failed')}</span>`}</a>` : '—'}</td></tr>`)}</tbody></table></div>`}
</section>`;
  const recipients = html`<section aria-labelledby="rcp-h"><h2 id="rcp-h">${t(c.lang, 'drill.recipients')}</h2>
<p class="hint">${t(c.lang, 'drill.recipientsHint')}</p>
${data.recipients.length === 0 ? html`<p>${t(c.lang, 'drill.noRecipients')}</p>` : html`<ul>${data.recipients.map((r) => html`<li data-recipient="${r.id}">${t(c.lang, `delivery.channel.${r.channel === 'webhook' ? 'webhook' : r.channel === 'slack' ? 'slack' : 'email'}`)}: <span class="target">${r.target}</span>
${canManage ? html`<form method="post" action="/staff/drills/recipients/remove" class="inline">${csrf(c)}<input type="hidden" name="recipient" value="${r.id}"><button type="submit" class="secondary">${t(c.lang, 'drill.removeRecipient')}<span class="visually-hidden">: ${r.target}</span></button></form>` : ''}</li>`)}</ul>`}
${canManage ? html`<form method="post" action="/staff/drills/recipients" class="stack">${csrf(c)}
<div><label for="recipient">${t(c.lang, 'drill.field.recipient')}</label><input id="recipient" name="recipient" type="text" maxlength="2048" required value="${v('recipient', '')}"></div>
<div><button type="submit" class="secondary">${t(c.lang, 'drill.addRecipient')}</button></div></form>` : ''}
</section>`;
  const body = html`<p class="hint">${t(c.lang, 'drill.intro')}</p><div class="cols-2">${startForm}${recipients}</div>${list}`;
  return shell(c, t(c.lang, 'drill.title'), '/staff/drills', body, { wide: true });
}

function reportBlock(c: ConsoleContext, r: DrillReport): SafeHtml {
  const l = c.lang;
  return html`<dl class="figures" data-report="${r.drillId}">
<dt>${t(l, 'drill.report.toFirstUpdate')}</dt><dd data-figure="toFirstPublicUpdate">${dur(l, r.times.toFirstPublicUpdateMs)}</dd>
<dt>${t(l, 'review.t.failureToDeclaration')}</dt><dd>${dur(l, r.times.failureToDeclarationMs)}</dd>
<dt>${t(l, 'review.t.declarationToResolution')}</dt><dd>${r.times.resolved ? dur(l, r.times.declarationToResolutionMs) : t(l, 'review.ongoing')}</dd>
<dt>${t(l, 'drill.report.roles')}</dt><dd data-figure="roles">${r.roles.available ? t(l, 'drill.report.rolesAssigned', { count: r.roles.assigned, roles: r.roles.roles.join(', ') || '—' }) : t(l, 'drill.report.notAvailable')}</dd>
<dt>${t(l, 'drill.report.tasks')}</dt><dd data-figure="tasks">${r.tasks.available ? t(l, 'drill.report.tasksDetail', { total: r.tasks.total, onTime: r.tasks.onTime, late: r.tasks.late, open: r.tasks.open }) : t(l, 'drill.report.notAvailable')}</dd>
<dt>${t(l, 'drill.report.tickets')}</dt><dd>${t(l, 'drill.report.ticketsDetail', { total: r.tickets.total, takeovers: r.tickets.takeovers, linked: r.tickets.linked })}</dd>
<dt>${t(l, 'drill.report.buried')}</dt><dd data-figure="buriedSecurity" class="${r.tickets.buriedSecurity > 0 ? 'overdue' : 'on-time'}">${r.tickets.buriedSecurity}</dd>
<dt>${t(l, 'drill.report.isolation')}</dt><dd data-figure="isolation">${t(l, 'drill.report.isolationDetail', { page: r.isolation.publicPageClean ? 'OK' : 'NG', outside: r.isolation.deliveriesOutsideRecipients, components: r.isolation.realComponentChanges })}</dd>
</dl>
<h3>${t(l, 'drill.report.notifications')}</h3>
<div class="table-scroll"><table><thead><tr><th scope="col">${t(l, 'delivery.channel')}</th><th scope="col">${t(l, 'delivery.sent')}</th><th scope="col">${t(l, 'delivery.pending')}</th><th scope="col">${t(l, 'delivery.failed')}</th><th scope="col">${t(l, 'delivery.skipped')}</th></tr></thead>
<tbody>${Object.entries(r.notifications).map(([ch, n]) => html`<tr data-channel="${ch}"><th scope="row">${label(l, `delivery.channel.${ch}`, ch)}</th><td data-count="sent">${n.sent}</td><td>${n.pending}</td><td>${n.failed}</td><td>${n.skipped}</td></tr>`)}
<tr data-stand-in="x"><th scope="row">${t(l, 'drill.standIn.x')}</th><td data-count="sent">${r.standIns.x}</td><td>0</td><td>0</td><td>0</td></tr>
<tr data-stand-in="slack"><th scope="row">${t(l, 'drill.standIn.slack')}</th><td data-count="sent">${r.standIns.slack}</td><td>0</td><td>0</td><td>0</td></tr></tbody></table></div>
<h3>${t(l, 'drill.report.regulator')}</h3>
${r.regulator.length === 0 ? html`<p>${t(l, 'regulator.noObligations')}</p>` : html`<div class="table-scroll"><table><thead><tr><th scope="col">${t(l, 'regulator.col.obligation')}</th><th scope="col">${t(l, 'regulator.col.stage')}</th><th scope="col">${t(l, 'regulator.col.due')}</th><th scope="col">${t(l, 'regulator.col.state')}</th></tr></thead>
<tbody>${r.regulator.map((g) => html`<tr data-state="${g.state}"><th scope="row">${g.rule[l]}</th><td>${g.stage[l]}</td><td>${when(c, new Date(g.dueAt))}</td><td>${label(l, `regulator.state.${g.state}`, g.state)}${g.doneAt ? html` <span class="meta">(${when(c, new Date(g.doneAt))})</span>` : ''}</td></tr>`)}</tbody></table></div>`}
<p class="${r.problems.length ? 'error-box' : 'flash'}" data-verdict="${r.problems.length ? 'failed' : 'passed'}">${r.problems.length === 0 ? t(l, 'drill.report.passed') : html`${t(l, 'drill.report.failed')}: ${r.problems.map((p) => label(l, `drill.problem.${p}`, p)).join(' / ')}`}</p>`;
}

export function drillPage(
  c: ConsoleContext,
  d: { drill: DrillRow; incident: Incident; report: DrillReport; queue: readonly QueuedTicket[]; standIns: readonly StandInPost[] },
): string {
  const canWrite = can(c.staff.role, 'incident.write');
  const running = d.drill.status === 'running';
  const i = d.incident;
  const body = html`<p class="drill-banner" role="note">${t(c.lang, 'drill.banner')}</p>
<p class="meta">${t(c.lang, `drill.status.${d.drill.status}`)} · ${when(c, d.drill.startedAt)} · ${t(c.lang, `drill.via.${d.drill.startedVia}`)}</p>
<ul class="console-nav">
<li><a href="/staff/incidents/${i.id}">${t(c.lang, 'drill.incidentConsole')}</a></li>
<li><a href="/staff/drills/${d.drill.id}/preview">${t(c.lang, 'drill.preview')}</a></li>
<li><a href="/staff/incidents/${i.id}/review">${t(c.lang, 'review.link')}</a></li>
<li><a href="/staff/incidents/${i.id}/regulator">${t(c.lang, 'regulator.link')}</a></li>
<li><a href="/staff/drills/${d.drill.id}/report">${t(c.lang, 'drill.reportLink')}</a></li>
</ul>
${canWrite && running ? html`<div class="kb-actions">
<form method="post" action="/staff/drills/${d.drill.id}/run" class="inline">${csrf(c)}<button type="submit" class="secondary">${t(c.lang, 'drill.runScripted')}</button></form>
<form method="post" action="/staff/drills/${d.drill.id}/finish" class="inline">${csrf(c)}<button type="submit">${t(c.lang, 'drill.finish')}</button></form></div>
<p class="hint">${t(c.lang, 'drill.finishHint')}</p>` : ''}
<section aria-labelledby="rep-h"><h2 id="rep-h">${t(c.lang, 'drill.report.title', { scenario: scenarioLabel(c.lang, d.drill.scenario) })}</h2>
<p class="meta">${running ? t(c.lang, 'drill.report.live') : t(c.lang, 'drill.report.keptAt', { time: when(c, d.drill.finishedAt ?? d.drill.startedAt) })}</p>
${reportBlock(c, d.report)}</section>
<div class="cols-2">
<section aria-labelledby="q-h"><h2 id="q-h">${t(c.lang, 'drill.queue')}</h2><p class="hint">${t(c.lang, 'drill.queueHint')}</p>
<div class="table-scroll"><table><thead><tr><th scope="col">${t(c.lang, 'drill.col.rank')}</th><th scope="col">${t(c.lang, 'drill.col.kind')}</th><th scope="col">${t(c.lang, 'drill.col.triage')}</th><th scope="col">${t(c.lang, 'drill.col.body')}</th></tr></thead>
<tbody>${d.queue.map((q) => html`<tr data-kind="${q.kind}" class="${q.kind === 'takeover' ? 'row-urgent' : ''}"><td>${q.rank}</td><td>${t(c.lang, `drill.kind.${q.kind}`)}</td>
<td>${label(c.lang, `type.${q.type}`, q.type)} · <span class="priority p-${q.priority}">${label(c.lang, `priority.${q.priority}`, q.priority)}</span>${q.linked ? html`<br><span class="meta">${t(c.lang, 'drill.linked')}</span>` : ''}</td>
<td lang="${q.lang}">${q.body}</td></tr>`)}</tbody></table></div></section>
<section aria-labelledby="si-h"><h2 id="si-h">${t(c.lang, 'drill.standIns')}</h2>
${d.standIns.length === 0 ? html`<p>${t(c.lang, 'drill.noStandIns')}</p>` : d.standIns.filter((p) => p.body.parts || p.body.text).map((p) => html`<div data-stand-in-post="${p.channel}"><p class="meta">${t(c.lang, `drill.standIn.${p.channel}`)} · ${when(c, p.postedAt)}</p>
${p.channel === 'x' ? (p.body.parts ?? []).map((part) => html`<p class="stand-in" lang="${p.body.lang}">${part}</p>`) : html`<p class="stand-in" lang="${p.body.lang}">${p.body.text ?? ''}</p>`}</div>`)}
</section></div>`;
  return shell(c, t(c.lang, 'drill.detailTitle', { scenario: scenarioLabel(c.lang, d.drill.scenario) }), `/staff/drills/${d.drill.id}`, body, { wide: true });
}

/** The printable report: what was kept when the drill finished (or the running drill so far). */
export function reportPage(c: ConsoleContext, drill: DrillRow, r: DrillReport): string {
  const body = html`<p class="drill-banner" role="note">${t(c.lang, 'drill.banner')}</p>
<dl class="figures">
<dt>${t(c.lang, 'drill.report.id')}</dt><dd>${r.drillId}</dd>
<dt>${t(c.lang, 'drill.report.incident')}</dt><dd>${r.incidentName[c.lang]} (${r.incidentId})</dd>
<dt>${t(c.lang, 'drill.report.period')}</dt><dd>${when(c, new Date(r.startedAt))} – ${when(c, new Date(r.finishedAt))}</dd>
<dt>${t(c.lang, 'drill.report.startedBy')}</dt><dd>${r.startedBy ?? '—'} (${t(c.lang, `drill.via.${r.startedVia}`)})</dd>
</dl>
<p class="meta">${drill.status === 'running' ? t(c.lang, 'drill.report.live') : t(c.lang, 'drill.report.keptAt', { time: when(c, drill.finishedAt ?? drill.startedAt) })}</p>
${reportBlock(c, r)}
<p class="no-print"><a href="/staff/drills/${drill.id}">${t(c.lang, 'drill.open')}</a> · ${t(c.lang, 'regulator.printHint')}</p>`;
  return shell(c, t(c.lang, 'drill.report.title', { scenario: scenarioLabel(c.lang, r.scenario) }), `/staff/drills/${drill.id}/report`, body, { wide: true });
}
