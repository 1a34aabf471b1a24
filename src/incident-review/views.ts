import { html, multiline, type SafeHtml } from '../web/html.ts';
import { hasMessage, t, type Lang, localized } from '../web/i18n.ts';
import { csrf, shell, when, type ConsoleContext } from '../console/views.ts';
import { can } from '../staff/permissions.ts';
import type { Component } from '../domain/component.ts';
import { formatDuration, type Channel, type ReviewFigures } from './compute.ts';
import type { ReviewDraft } from './service.ts';

/** A regulatory obligation as the review shows it (src/regulator provides these; the review does not import it). */
export interface ReviewObligation {
  ruleId: string;
  title: { ja: string; en: string };
  authority: { ja: string; en: string };
  stages: readonly {
    stageId: string;
    title: { ja: string; en: string };
    dueAt: Date;
    dueShownAt: Date;
    doneAt: Date | null;
    state: 'open' | 'due_soon' | 'overdue' | 'done_on_time' | 'done_late';
  }[];
}

const CHANNELS: readonly Channel[] = ['email', 'webhook', 'slack', 'x'];

const cname = (lang: Lang, components: readonly Component[], id: string) => {
  const c = components.find((x) => x.id === id);
  return c ? localized(lang, c.nameJa, c.nameEn) : id;
};

/** A message whose key is built from data (a lock source, a status): the raw value when the catalogue has none. */
export const label = (lang: Lang, key: string, fallback: string) => (hasMessage(key) ? t(lang, key) : fallback);

const duration = (c: ConsoleContext, ms: number | null) =>
  ms === null ? t(c.lang, 'review.none') : ms < 0 ? t(c.lang, 'review.declaredFirst', { duration: formatDuration(-ms, c.lang) }) : formatDuration(ms, c.lang);

/** The figures computed from the record: also the drill report's first part. */
export function figuresBlock(c: ConsoleContext, f: ReviewFigures, components: readonly Component[], opts: { firstFailureSource: string | null; declaredAt: Date; firstPublicUpdateAt: Date | null; drill: boolean }): SafeHtml {
  const at = (d: Date | null) => (d ? html`<time datetime="${d.toISOString()}">${when(c, d)}</time>` : t(c.lang, 'review.none'));
  const firstFailure = f.times.failureToDeclaration === null ? null : new Date(opts.declaredAt.getTime() - f.times.failureToDeclaration);
  const notif = CHANNELS.filter((ch) => f.notifications[ch]);
  return html`<section aria-labelledby="rv-times"><h2 id="rv-times">${t(c.lang, 'review.timesHeading')}</h2>
<dl class="figures">
<dt>${t(c.lang, 'review.firstFailure')}</dt><dd>${at(firstFailure)}${opts.firstFailureSource ? html` <span class="meta">(${opts.firstFailureSource})</span>` : ''}</dd>
<dt>${t(c.lang, 'review.declared')}</dt><dd>${at(opts.declaredAt)}</dd>
<dt>${t(c.lang, 'review.firstPublicUpdate')}</dt><dd>${at(opts.firstPublicUpdateAt)}</dd>
<dt>${t(c.lang, 'review.resolved')}</dt><dd>${f.ongoing ? t(c.lang, 'review.ongoing') : at(f.windowEnd)}</dd>
<dt>${t(c.lang, 'review.t.failureToDeclaration')}</dt><dd data-figure="failureToDeclaration">${duration(c, f.times.failureToDeclaration)}</dd>
<dt>${t(c.lang, 'review.t.failureToFirstUpdate')}</dt><dd data-figure="failureToFirstUpdate">${duration(c, f.times.failureToFirstUpdate)}</dd>
<dt>${t(c.lang, 'review.t.declarationToFirstUpdate')}</dt><dd data-figure="declarationToFirstUpdate">${duration(c, f.times.declarationToFirstUpdate)}</dd>
<dt>${t(c.lang, 'review.t.declarationToResolution')}</dt><dd data-figure="declarationToResolution">${duration(c, f.times.declarationToResolution)}</dd>
<dt>${t(c.lang, 'review.t.failureToResolution')}</dt><dd data-figure="failureToResolution">${duration(c, f.times.failureToResolution)}</dd>
</dl></section>
<section aria-labelledby="rv-impact"><h2 id="rv-impact">${t(c.lang, 'review.impactHeading')}</h2>
${f.impact.length === 0 ? html`<p>${t(c.lang, 'review.noImpact')}</p>` : html`<div class="table-scroll"><table>
<thead><tr><th scope="col">${t(c.lang, 'review.col.component')}</th><th scope="col">${t(c.lang, 'review.col.from')}</th><th scope="col">${t(c.lang, 'review.col.until')}</th><th scope="col">${t(c.lang, 'review.col.worst')}</th><th scope="col">${t(c.lang, 'review.col.impacted')}</th></tr></thead>
<tbody>${f.impact.map((w) => html`<tr data-component="${w.componentId}"><th scope="row">${cname(c.lang, components, w.componentId)}</th><td>${at(w.from)}</td><td>${w.to ? at(w.to) : t(c.lang, 'review.ongoing')}</td>
<td><span class="status s-${w.worst}">${t(c.lang, `component.${w.worst}`)}</span></td><td data-impacted-ms="${w.impactedMs}">${formatDuration(w.impactedMs, c.lang)}</td></tr>`)}</tbody></table></div>`}
</section>
<div class="cols-2">
<section aria-labelledby="rv-tickets"><h2 id="rv-tickets">${t(c.lang, 'review.ticketsHeading')}</h2>
<dl class="figures">
<dt>${t(c.lang, 'review.tickets.linked')}</dt><dd data-figure="ticketsLinked">${f.tickets.linked}</dd>
<dt>${t(c.lang, 'review.tickets.answered')}</dt><dd>${f.tickets.answered}</dd>
<dt>${t(c.lang, 'review.tickets.unanswered')}</dt><dd>${f.tickets.unanswered}</dd>
<dt>${t(c.lang, 'review.tickets.median')}</dt><dd data-figure="medianFirstAnswer">${duration(c, f.tickets.medianFirstAnswerMs)}</dd>
<dt>${t(c.lang, 'review.tickets.max')}</dt><dd>${duration(c, f.tickets.maxFirstAnswerMs)}</dd>
</dl></section>
<section aria-labelledby="rv-notif"><h2 id="rv-notif">${t(c.lang, 'review.notificationsHeading')}</h2>
${notif.length === 0 && Object.keys(f.standIns).length === 0 ? html`<p>${t(c.lang, 'review.noNotifications')}</p>` : html`<div class="table-scroll"><table>
<thead><tr><th scope="col">${t(c.lang, 'delivery.channel')}</th><th scope="col">${t(c.lang, 'delivery.sent')}</th><th scope="col">${t(c.lang, 'delivery.pending')}</th><th scope="col">${t(c.lang, 'delivery.failed')}</th><th scope="col">${t(c.lang, 'delivery.skipped')}</th></tr></thead>
<tbody>${notif.map((ch) => {
    const n = f.notifications[ch]!;
    return html`<tr data-channel="${ch}"><th scope="row">${t(c.lang, `delivery.channel.${ch}`)}</th><td data-count="sent">${n.sent}</td><td>${n.pending}</td><td>${n.failed}</td><td>${n.skipped}</td></tr>`;
  })}
${(['x', 'slack'] as const).filter((ch) => f.standIns[ch]).map((ch) => html`<tr data-stand-in="${ch}"><th scope="row">${t(c.lang, `drill.standIn.${ch}`)}</th><td data-count="sent">${f.standIns[ch]}</td><td>0</td><td>0</td><td>0</td></tr>`)}
</tbody></table></div>`}
</section>
</div>
<section aria-labelledby="rv-locks"><h2 id="rv-locks">${t(c.lang, 'review.locksHeading')}</h2>
${f.locks === null ? html`<p>${t(c.lang, 'review.locksDrill')}</p>`
    : f.locksTotal === 0 ? html`<p data-figure="locks">${t(c.lang, 'review.noLocks')}</p>`
    : html`<p data-figure="locks">${t(c.lang, 'review.locksTotal', { count: f.locksTotal ?? 0 })}</p>
<ul>${Object.entries(f.locks).map(([source, n]) => html`<li>${label(c.lang, `review.lockSource.${source}`, source)}: ${n}</li>`)}</ul>`}
</section>`;
}

/** Regulatory obligations, done or overdue, as the review and the drill report show them. */
export function obligationsBlock(c: ConsoleContext, obligations: readonly ReviewObligation[], incidentId: string): SafeHtml {
  return html`<section aria-labelledby="rv-reg"><h2 id="rv-reg">${t(c.lang, 'review.regulatorHeading')}</h2>
${obligations.length === 0 ? html`<p>${t(c.lang, 'regulator.noObligations')}</p>` : html`<div class="table-scroll"><table>
<thead><tr><th scope="col">${t(c.lang, 'regulator.col.obligation')}</th><th scope="col">${t(c.lang, 'regulator.col.stage')}</th><th scope="col">${t(c.lang, 'regulator.col.due')}</th><th scope="col">${t(c.lang, 'regulator.col.state')}</th></tr></thead>
<tbody>${obligations.flatMap((o) => o.stages.map((s) => html`<tr data-rule="${o.ruleId}" data-stage="${s.stageId}" data-state="${s.state}"><th scope="row">${o.title[c.lang]}<br><span class="meta">${o.authority[c.lang]}</span></th><td>${s.title[c.lang]}</td>
<td><time datetime="${s.dueAt.toISOString()}">${when(c, s.dueShownAt)}</time></td><td>${stateLabel(c, s.state, s.doneAt)}</td></tr>`))}</tbody></table></div>`}
<p><a href="/staff/incidents/${incidentId}/regulator">${t(c.lang, 'regulator.link')}</a></p>
</section>`;
}

export function stateLabel(c: ConsoleContext, state: ReviewObligation['stages'][number]['state'], doneAt: Date | null): SafeHtml {
  const cls = state === 'overdue' || state === 'done_late' ? 'overdue' : state === 'due_soon' ? 'due-soon' : state === 'done_on_time' ? 'on-time' : '';
  return html`<span class="${cls}">${t(c.lang, `regulator.state.${state}`)}</span>${doneAt ? html` <span class="meta">(${when(c, doneAt)})</span>` : ''}`;
}

export function reviewPage(c: ConsoleContext, d: ReviewDraft, obligations: readonly ReviewObligation[], values?: Record<string, unknown>): string {
  const i = d.incident;
  const canWrite = can(c.staff.role, 'incident.write');
  const v = (key: string, fallback: string) => (typeof values?.[key] === 'string' ? (values[key] as string) : fallback);
  const name = localized(c.lang, i.nameJa, i.nameEn);
  const staffOptions = (selected: string | null) => html`<option value="">${t(c.lang, 'review.noOwner')}</option>${d.staff.map((s) => html`<option value="${s.id}"${s.id === selected ? html` selected` : ''}>${s.name} (${label(c.lang, `staff.role.${s.role}`, s.role)})</option>`)}`;
  const sectionsForm = html`<section aria-labelledby="rv-sections"><h2 id="rv-sections">${t(c.lang, 'review.sectionsHeading')}</h2>
${canWrite ? html`<form method="post" action="/staff/incidents/${i.id}/review" class="stack">${csrf(c)}
<input type="hidden" name="version" value="${v('version', String(d.sections.version))}">
<div><label for="cause">${t(c.lang, 'review.field.cause')}</label><textarea id="cause" name="cause" maxlength="20000">${v('cause', d.sections.cause)}</textarea></div>
<div><label for="wentWell">${t(c.lang, 'review.field.wentWell')}</label><textarea id="wentWell" name="wentWell" maxlength="20000">${v('wentWell', d.sections.wentWell)}</textarea></div>
<div><label for="wentBadly">${t(c.lang, 'review.field.wentBadly')}</label><textarea id="wentBadly" name="wentBadly" maxlength="20000">${v('wentBadly', d.sections.wentBadly)}</textarea></div>
<div><button type="submit">${t(c.lang, 'review.save')}</button></div>
</form>` : html`<dl class="figures"><dt>${t(c.lang, 'review.field.cause')}</dt><dd>${multiline(d.sections.cause || '—')}</dd>
<dt>${t(c.lang, 'review.field.wentWell')}</dt><dd>${multiline(d.sections.wentWell || '—')}</dd>
<dt>${t(c.lang, 'review.field.wentBadly')}</dt><dd>${multiline(d.sections.wentBadly || '—')}</dd></dl>`}
</section>`;
  const actions = html`<section aria-labelledby="rv-actions"><h2 id="rv-actions">${t(c.lang, 'review.actionsHeading')}</h2>
${d.actions.length === 0 ? html`<p>${t(c.lang, 'review.noActions')}</p>` : html`<div class="table-scroll"><table>
<thead><tr><th scope="col">${t(c.lang, 'review.col.action')}</th><th scope="col">${t(c.lang, 'review.col.owner')}</th><th scope="col">${t(c.lang, 'review.col.due')}</th><th scope="col">${t(c.lang, 'review.col.state')}</th></tr></thead>
<tbody>${d.actions.map((a) => html`<tr data-action="${a.id}"><th scope="row">${a.title}</th><td>${a.ownerName ?? t(c.lang, 'review.noOwner')}</td><td>${a.dueOn ?? '—'}</td>
<td>${a.doneAt ? html`<span class="on-time">${t(c.lang, 'review.actionDone')}</span> <span class="meta">(${when(c, a.doneAt)})</span>` : t(c.lang, 'review.actionOpen')}
${canWrite ? html`<form method="post" action="/staff/incidents/${i.id}/review/actions/${a.id}" class="inline">${csrf(c)}<input type="hidden" name="done" value="${a.doneAt ? 'false' : 'true'}">
<button type="submit" class="secondary">${t(c.lang, a.doneAt ? 'review.reopenAction' : 'review.markDone')}<span class="visually-hidden">: ${a.title}</span></button></form>` : ''}</td></tr>`)}</tbody></table></div>`}
${canWrite ? html`<form method="post" action="/staff/incidents/${i.id}/review/actions" class="stack">${csrf(c)}
<div><label for="act-title">${t(c.lang, 'review.field.actionTitle')}</label><input id="act-title" name="title" type="text" maxlength="500" required value="${v('title', '')}"></div>
<div class="grid-2"><div><label for="act-owner">${t(c.lang, 'review.field.owner')}</label><select id="act-owner" name="ownerId">${staffOptions(v('ownerId', '') || null)}</select></div>
<div><label for="act-due">${t(c.lang, 'review.field.dueOn')}</label><input id="act-due" name="dueOn" type="date" value="${v('dueOn', '')}"></div></div>
<div><button type="submit" class="secondary">${t(c.lang, 'review.addAction')}</button></div>
</form>` : ''}
</section>`;
  const pm = d.published;
  const postmortem = html`<section aria-labelledby="rv-pm"><h2 id="rv-pm">${t(c.lang, 'review.postmortemHeading')}</h2>
${pm ? html`<p class="flash" role="status" data-postmortem="published">${t(c.lang, 'review.publishedAt', { time: when(c, pm.publishedAt) })}
${pm.lastUpdatedAt.getTime() !== pm.publishedAt.getTime() ? html` ${t(c.lang, 'review.lastUpdatedAt', { time: when(c, pm.lastUpdatedAt) })}` : ''}
${t(c.lang, pm.notified ? 'review.subscribersNotified' : 'review.subscribersNotNotified')}</p>
${i.drillId ? '' : html`<p><a href="/incidents/${i.id}">${t(c.lang, 'staff.viewPublic')}</a></p>`}
${canWrite ? html`<details><summary>${t(c.lang, 'review.updatePublished')}</summary>
<form method="post" action="/staff/incidents/${i.id}/review/postmortem/edit" class="stack">${csrf(c)}
<div><label for="pm-edit-ja">${t(c.lang, 'review.field.postmortemJa')}</label><textarea id="pm-edit-ja" name="bodyJa" required maxlength="20000" rows="14">${pm.bodyJa}</textarea></div>
<div><label for="pm-edit-en">${t(c.lang, 'review.field.postmortemEn')}</label><textarea id="pm-edit-en" name="bodyEn" maxlength="20000" rows="14">${pm.bodyEn ?? ''}</textarea></div>
<p class="hint">${t(c.lang, 'review.updateHint')}</p>
<div><button type="submit" class="secondary">${t(c.lang, 'review.updatePublishedButton')}</button></div></form></details>` : ''}`
    : html`${i.postmortemIgnored ? html`<p class="notice">${t(c.lang, 'review.ignored')}</p>` : ''}
${i.status !== 'resolved' ? html`<p class="hint">${t(c.lang, 'review.publishNeedsResolved')}</p>` : ''}
${canWrite ? html`<form method="post" action="/staff/incidents/${i.id}/review/postmortem" class="stack">${csrf(c)}
<div><label for="pm-ja">${t(c.lang, 'review.field.postmortemJa')}</label><textarea id="pm-ja" name="bodyJa" required maxlength="20000" rows="16">${v('bodyJa', d.postmortemJa)}</textarea></div>
<div><label for="pm-en">${t(c.lang, 'review.field.postmortemEn')}</label><textarea id="pm-en" name="bodyEn" maxlength="20000" rows="16">${v('bodyEn', d.postmortemEn)}</textarea></div>
<label class="radio"><input type="checkbox" name="notify" value="true"${values && values.notify === undefined ? '' : html` checked`}> ${t(c.lang, 'review.notifySubscribers')}</label>
<p class="hint">${t(c.lang, 'review.publishHint')}</p>
<div class="kb-actions"><button type="submit">${t(c.lang, 'review.publish')}</button>
<button type="submit" class="secondary" formaction="/staff/incidents/${i.id}/review/postmortem/draft">${t(c.lang, 'review.saveDraft')}</button></div>
</form>
<form method="post" action="/staff/incidents/${i.id}/review/postmortem/ignore" class="inline">${csrf(c)}<input type="hidden" name="ignored" value="${i.postmortemIgnored ? 'false' : 'true'}">
<button type="submit" class="secondary">${t(c.lang, i.postmortemIgnored ? 'review.unignore' : 'review.ignore')}</button></form>` : ''}`}
</section>`;
  const body = html`${i.drillId ? html`<p class="drill-banner" role="note">${t(c.lang, 'drill.banner')} <a href="/staff/drills/${i.drillId}">${t(c.lang, 'drill.open')}</a></p>` : ''}
<p class="meta">${i.severity} · ${t(c.lang, `type.${i.type}`)} · ${label(c.lang, `incident.${i.status}`, i.status)} · <a href="/staff/incidents/${i.id}">${t(c.lang, 'review.backToIncident')}</a></p>
<p class="hint">${t(c.lang, 'review.intro')}</p>
${figuresBlock(c, d.figures, d.components, { firstFailureSource: d.firstFailureSource, declaredAt: i.startedAt, firstPublicUpdateAt: firstPublic(d), drill: Boolean(i.drillId) })}
${obligationsBlock(c, obligations, i.id)}
<div class="cols-2">${sectionsForm}${actions}</div>
${postmortem}`;
  return shell(c, t(c.lang, 'review.title', { name }), `/staff/incidents/${i.id}/review`, body, { wide: true });
}

function firstPublic(d: ReviewDraft): Date | null {
  const f = d.figures.times.declarationToFirstUpdate;
  return f === null ? null : new Date(d.incident.startedAt.getTime() + f);
}
