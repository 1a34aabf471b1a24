import { html, multiline, type SafeHtml } from '../web/html.ts';
import { t, localized } from '../web/i18n.ts';
import { csrf, shell, when, type ConsoleContext } from '../console/views.ts';
import { can } from '../staff/permissions.ts';
import { zoneOffsetMs } from '../domain/uptime.ts';
import type { Incident } from '../domain/incident.ts';
import { stateLabel } from '../incident-review/index.ts';
import type { DraftLine } from './drafts.ts';
import type { FactsRow } from './repository.ts';
import type { ObligationView, OpenObligation, StageView } from './service.ts';
import { FACT_FLAGS } from './rules.ts';

export interface StaffChoice {
  id: string;
  name: string;
}

const localInput = (d: Date, timeZone: string) => new Date(d.getTime() + zoneOffsetMs(d, timeZone)).toISOString().slice(0, 16);
const iname = (c: ConsoleContext, i: { nameJa: string; nameEn: string | null }) => localized(c.lang, i.nameJa, i.nameEn);

const FLAG_FIELDS: Record<(typeof FACT_FLAGS)[number], keyof Omit<FactsRow, 'updatedAt'>> = {
  personalData: 'personalData', sensitiveData: 'sensitiveData', financialLossRisk: 'financialLossRisk', wrongfulAct: 'wrongfulAct', customerAssetsLost: 'customerAssetsLost',
};

function stageRow(c: ConsoleContext, o: ObligationView, s: StageView, canWrite: boolean): SafeHtml {
  return html`<tr data-stage="${s.stageId}" data-state="${s.state}"><th scope="row">${s.title[c.lang]}${s.variantNote ? html`<br><span class="meta">${s.variantNote[c.lang]}</span>` : ''}</th>
<td><time datetime="${s.dueAt.toISOString()}">${when(c, s.dueShownAt)}</time><br><span class="meta">${t(c.lang, 'regulator.remindAt', { time: when(c, s.remindAt) })}${s.reminded ? html` · ${t(c.lang, 'regulator.reminded')}` : ''}</span></td>
<td>${stateLabel(c, s.state, s.doneAt)}${s.reference ? html`<br><span class="meta">${t(c.lang, 'regulator.reference')}: ${s.reference}</span>` : ''}</td>
<td>${canWrite ? (s.doneAt
    ? html`<form method="post" action="/staff/regulator/obligations/${o.id}/stages/${s.stageId}" class="inline">${csrf(c)}<input type="hidden" name="done" value="false"><button type="submit" class="secondary">${t(c.lang, 'regulator.undo')}<span class="visually-hidden">: ${s.title[c.lang]}</span></button></form>`
    : html`<form method="post" action="/staff/regulator/obligations/${o.id}/stages/${s.stageId}" class="inline">${csrf(c)}<input type="hidden" name="done" value="true">
<label for="ref-${o.id}-${s.stageId}" class="visually-hidden">${t(c.lang, 'regulator.reference')} (${s.title[c.lang]})</label><input id="ref-${o.id}-${s.stageId}" name="reference" type="text" maxlength="500" placeholder="${t(c.lang, 'regulator.referencePlaceholder')}">
<button type="submit">${t(c.lang, 'regulator.markFiled')}<span class="visually-hidden">: ${s.title[c.lang]}</span></button></form>`) : ''}
<a href="/staff/regulator/obligations/${o.id}/draft?stage=${s.stageId}">${t(c.lang, 'regulator.draft')}<span class="visually-hidden">: ${s.title[c.lang]}</span></a></td></tr>`;
}

export function obligationCards(c: ConsoleContext, obligations: readonly ObligationView[], staff: readonly StaffChoice[]): SafeHtml {
  const canWrite = can(c.staff.role, 'incident.write');
  if (obligations.length === 0) return html`<p>${t(c.lang, 'regulator.noObligations')}</p>`;
  return html`${obligations.map((o) => html`<article class="incident" data-rule="${o.ruleId}" data-status="${o.status}" aria-labelledby="ob-${o.id}">
<h3 id="ob-${o.id}">${o.title[c.lang]}${o.status === 'withdrawn' ? html` <span class="meta">(${t(c.lang, 'regulator.withdrawn')})</span>` : ''}</h3>
<p class="meta">${t(c.lang, 'regulator.authority')}: ${o.authority[c.lang]}<br>${t(c.lang, 'regulator.source')}: ${o.source}</p>
${o.note ? html`<p>${o.note[c.lang]}</p>` : ''}
${canWrite ? html`<form method="post" action="/staff/regulator/obligations/${o.id}/owner" class="inline">${csrf(c)}
<label for="owner-${o.id}">${t(c.lang, 'regulator.owner')}</label><select id="owner-${o.id}" name="ownerId"><option value="">${t(c.lang, 'review.noOwner')}</option>${staff.map((s) => html`<option value="${s.id}"${s.id === o.ownerId ? html` selected` : ''}>${s.name}</option>`)}</select>
<button type="submit" class="secondary">${t(c.lang, 'regulator.setOwner')}</button></form>` : html`<p>${t(c.lang, 'regulator.owner')}: ${o.ownerName ?? t(c.lang, 'review.noOwner')}</p>`}
${!o.ownerId ? html`<p class="meta">${t(c.lang, 'regulator.noOwnerHint')}</p>` : ''}
<div class="table-scroll"><table>
<thead><tr><th scope="col">${t(c.lang, 'regulator.col.stage')}</th><th scope="col">${t(c.lang, 'regulator.col.due')}</th><th scope="col">${t(c.lang, 'regulator.col.state')}</th><th scope="col">${t(c.lang, 'regulator.col.actions')}</th></tr></thead>
<tbody>${o.stages.map((s) => stageRow(c, o, s, canWrite && o.status === 'open'))}</tbody></table></div>
</article>`)}`;
}

export function regulatorPage(
  c: ConsoleContext,
  data: { incident: Incident; facts: Omit<FactsRow, 'updatedAt'>; saved: boolean; obligations: readonly ObligationView[]; staff: readonly StaffChoice[]; rulesFile: string },
  values?: Record<string, unknown>,
): string {
  const i = data.incident;
  const f = data.facts;
  const canWrite = can(c.staff.role, 'incident.write');
  const checked = (flag: (typeof FACT_FLAGS)[number]) => {
    if (values) return values[flag] === 'true' || values[flag] === 'on' || values[flag] === true;
    return Boolean(f[FLAG_FIELDS[flag]]);
  };
  const val = (key: string, fallback: string) => (values && typeof values[key] === 'string' ? (values[key] as string) : fallback);
  const factsForm = html`<section aria-labelledby="facts-h"><h2 id="facts-h">${t(c.lang, 'regulator.factsHeading')}</h2>
<p class="hint">${t(c.lang, data.saved ? 'regulator.factsHint' : 'regulator.factsDefaultHint')}</p>
${canWrite ? html`<form method="post" action="/staff/incidents/${i.id}/regulator/facts" class="stack">${csrf(c)}
<div><label for="awareAt">${t(c.lang, 'regulator.field.awareAt')} (${c.timeZone})</label><input id="awareAt" name="awareAt" type="datetime-local" required value="${val('awareAt', localInput(f.awareAt, c.timeZone))}"></div>
<fieldset><legend>${t(c.lang, 'regulator.flagsLegend')}</legend>
${FACT_FLAGS.map((flag) => html`<label class="radio"><input type="checkbox" name="${flag}" value="true"${checked(flag) ? html` checked` : ''}> ${t(c.lang, `regulator.flag.${flag}`)}</label>`)}
</fieldset>
<div><label for="usersAffected">${t(c.lang, 'regulator.field.usersAffected')}</label><input id="usersAffected" name="usersAffected" type="number" min="0" inputmode="numeric" value="${val('usersAffected', f.usersAffected === null ? '' : String(f.usersAffected))}"></div>
<div><label for="dataItems">${t(c.lang, 'regulator.field.dataItems')}</label><textarea id="dataItems" name="dataItems" maxlength="2000">${val('dataItems', f.dataItems)}</textarea></div>
<div><button type="submit">${t(c.lang, 'regulator.saveFacts')}</button></div>
</form>` : html`<p>${t(c.lang, 'regulator.field.awareAt')}: ${when(c, f.awareAt)}</p>`}
</section>`;
  const body = html`${i.drillId ? html`<p class="drill-banner" role="note">${t(c.lang, 'drill.banner')} <a href="/staff/drills/${i.drillId}">${t(c.lang, 'drill.open')}</a></p>` : ''}
<p class="meta">${i.severity} · ${t(c.lang, `type.${i.type}`)} · <a href="/staff/incidents/${i.id}">${t(c.lang, 'review.backToIncident')}</a> · <a href="/staff/incidents/${i.id}/review">${t(c.lang, 'review.link')}</a></p>
<p class="hint">${t(c.lang, 'regulator.intro', { file: data.rulesFile })}</p>
<div class="cols-2">${factsForm}
<section aria-labelledby="obl-h"><h2 id="obl-h">${t(c.lang, 'regulator.obligationsHeading')}</h2>
${obligationCards(c, data.obligations, data.staff)}</section></div>`;
  return shell(c, t(c.lang, 'regulator.title', { name: iname(c, i) }), `/staff/incidents/${i.id}/regulator`, body, { wide: true });
}

function openTable(c: ConsoleContext, rows: readonly (OpenObligation & { ownerName?: string | null })[], withOwner: boolean): SafeHtml {
  if (rows.length === 0) return html`<p>${t(c.lang, 'regulator.nothingOpen')}</p>`;
  return html`<div class="table-scroll"><table>
<thead><tr><th scope="col">${t(c.lang, 'regulator.col.due')}</th><th scope="col">${t(c.lang, 'regulator.col.obligation')}</th><th scope="col">${t(c.lang, 'regulator.col.incident')}</th>${withOwner ? html`<th scope="col">${t(c.lang, 'regulator.owner')}</th>` : ''}</tr></thead>
<tbody>${rows.map((r) => html`<tr data-obligation="${r.obligationId}" data-stage="${r.stageId}"><td>${r.overdue ? html`<span class="overdue">${t(c.lang, 'regulator.state.overdue')}</span><br>` : ''}<time datetime="${r.dueAt.toISOString()}">${when(c, r.dueShownAt)}</time></td>
<th scope="row"><a href="${r.href}">${r.title[c.lang]} — ${r.stageTitle[c.lang]}</a><br><span class="meta">${r.authority[c.lang]}</span></th>
<td>${r.drill ? html`<span class="meta">${t(c.lang, 'drill.tag')}</span> ` : ''}${r.incidentName[c.lang]}</td>${withOwner ? html`<td>${r.ownerName ?? t(c.lang, 'review.noOwner')}</td>` : ''}</tr>`)}</tbody></table></div>`;
}

export function overviewPage(c: ConsoleContext, mine: readonly OpenObligation[], all: readonly (OpenObligation & { ownerName: string | null })[]): string {
  const body = html`<p class="hint">${t(c.lang, 'regulator.overviewHint')}</p>
<section aria-labelledby="mine-h"><h2 id="mine-h">${t(c.lang, 'regulator.mine')}</h2>${openTable(c, mine, false)}</section>
<section aria-labelledby="all-h"><h2 id="all-h">${t(c.lang, 'regulator.allOpen')}</h2>${openTable(c, all, true)}</section>`;
  return shell(c, t(c.lang, 'regulator.nav'), '/staff/regulator', body, { wide: true });
}

export function draftPage(
  c: ConsoleContext,
  d: { obligation: ObligationView; stage: StageView; incident: Incident; lines: readonly DraftLine[]; generatedAt: Date; owner: string | null },
): string {
  const o = d.obligation;
  const body = html`${d.incident.drillId ? html`<p class="drill-banner" role="note">${t(c.lang, 'drill.banner')}</p>` : ''}
<p class="meta no-print"><a href="/staff/incidents/${d.incident.id}/regulator">${t(c.lang, 'regulator.link')}</a> · ${t(c.lang, 'regulator.printHint')}</p>
<dl class="figures">
<dt>${t(c.lang, 'regulator.authority')}</dt><dd>${o.authority[c.lang]}</dd>
<dt>${t(c.lang, 'regulator.col.stage')}</dt><dd>${d.stage.title[c.lang]}</dd>
<dt>${t(c.lang, 'regulator.col.due')}</dt><dd><time datetime="${d.stage.dueAt.toISOString()}">${when(c, d.stage.dueShownAt)}</time> (${stateLabel(c, d.stage.state, d.stage.doneAt)})</dd>
<dt>${t(c.lang, 'regulator.col.incident')}</dt><dd>${iname(c, d.incident)}</dd>
<dt>${t(c.lang, 'regulator.owner')}</dt><dd>${d.owner ?? t(c.lang, 'review.noOwner')}</dd>
<dt>${t(c.lang, 'regulator.source')}</dt><dd>${o.source}</dd>
</dl>
<section aria-labelledby="draft-h"><h2 id="draft-h">${t(c.lang, 'regulator.draftHeading')}</h2>
${d.lines.map((l) => html`<div class="draft-field${l.missing ? ' missing' : ''}"><h3>${l.label}</h3><p class="fill">${l.missing ? html`<span class="overdue">${l.value}</span>` : multiline(l.value)}</p></div>`)}
</section>
<p class="meta">${t(c.lang, 'regulator.generatedAt', { time: when(c, d.generatedAt) })}</p>`;
  return shell(c, `${o.title[c.lang]} — ${d.stage.title[c.lang]}`, `/staff/regulator/obligations/${o.id}/draft?stage=${d.stage.stageId}`, body, { wide: true });
}
