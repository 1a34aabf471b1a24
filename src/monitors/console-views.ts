import type { Component } from '../domain/component.ts';
import type { MonitorDay, MonitorOverview, MonitorResult } from './repository.ts';
import type { Proposal } from './proposal-rows.ts';
import { MONITOR_KINDS, type BitbankCheckConfig, type HttpCheckConfig, type TcpCheckConfig } from './types.ts';
import { can } from '../staff/permissions.ts';
import { html, multiline, type SafeHtml } from '../web/html.ts';
import { t, localized, type KeysUnder, type Lang, type MessageKey, known } from '../web/i18n.ts';
import { csrf, shell, when, type ConsoleContext } from '../console/views.ts';

/** Staff pages for monitors and the incident proposals they open. */

export type FormValues = Record<string, unknown>;

const reasonLabel = (lang: Lang, reason: string): string => known(lang, `monitor.proposal.reason.${reason}`, reason);

const val = (v: FormValues | undefined, key: string, max = 2000): string => {
  const x = v?.[key];
  return typeof x === 'string' ? x.slice(0, max) : typeof x === 'number' ? String(x) : '';
};
const field = (c: ConsoleContext, name: KeysUnder<'monitor.field'>) => t(c.lang, `monitor.field.${name}`);
const cname = (c: ConsoleContext, comp: Component) => localized(c.lang, comp.nameJa, comp.nameEn);
const canManage = (c: ConsoleContext) => can(c.staff.role, 'monitor.manage');
const pct = (v: number) => `${(Math.floor(v * 10000) / 100).toFixed(2)}%`;

function healthBadge(c: ConsoleContext, m: MonitorOverview): SafeHtml {
  if (!m.enabled) return html`<span class="status s-under_maintenance">${t(c.lang, 'monitor.disabled')}</span>`;
  const cls = { up: 'operational', degraded: 'degraded_performance', maintenance: 'under_maintenance', down: 'major_outage' }[m.health];
  return html`<span class="status s-${cls}">${t(c.lang, `monitor.health.${m.health}`)}</span>`;
}

function componentNames(c: ConsoleContext, components: Component[], ids: string[], kind: MonitorOverview['kind']): string {
  if (!ids.length) return kind === 'bitbank' ? t(c.lang, 'monitor.allPairComponents') : '—';
  return ids.map((id) => {
    const comp = components.find((x) => x.id === id);
    return comp ? cname(c, comp) : id;
  }).join(', ');
}

export function monitorsListPage(c: ConsoleContext, monitors: MonitorOverview[], components: Component[], proposals: Proposal[], policyKey: MessageKey): string {
  const rows = monitors.map((m) => html`<tr>
<th scope="row"><a href="/staff/monitors/${m.id}">${m.name}</a></th>
<td>${t(c.lang, `monitor.kind.${m.kind}`)}</td>
<td>${healthBadge(c, m)}</td>
<td>${componentNames(c, components, m.componentIds, m.kind)}</td>
<td>${m.lastCheckedAt ? when(c, m.lastCheckedAt) : t(c.lang, 'monitor.never')}</td>
<td>${m.lastResult ? t(c.lang, 'monitor.latencyMs', { ms: m.lastResult.latencyMs }) : '—'}</td></tr>`);
  const body = html`<p class="hint">${t(c.lang, 'monitor.hint')} ${t(c.lang, policyKey)}</p>
${canManage(c) ? html`<p><a class="button" href="/staff/monitors/new">${t(c.lang, 'monitor.new')}</a></p>` : html`<p class="hint">${t(c.lang, 'monitor.readOnly')}</p>`}
${monitors.length
    ? html`<div class="table-scroll"><table><thead><tr><th scope="col">${t(c.lang, 'monitor.col.name')}</th><th scope="col">${t(c.lang, 'monitor.col.kind')}</th>
<th scope="col">${t(c.lang, 'monitor.col.state')}</th><th scope="col">${t(c.lang, 'monitor.col.components')}</th>
<th scope="col">${t(c.lang, 'monitor.col.lastCheck')}</th><th scope="col">${t(c.lang, 'monitor.col.latency')}</th></tr></thead>
<tbody>${rows}</tbody></table></div>`
    : html`<p>${t(c.lang, 'monitor.none')}</p>`}
${proposalsBlock(c, proposals)}`;
  return shell(c, t(c.lang, 'monitor.title'), '/staff/monitors', body);
}

/** Open proposals: on the dashboard and the monitors page. */
export function proposalsBlock(c: ConsoleContext, proposals: Proposal[]): SafeHtml {
  return html`<section class="monitor-proposals" aria-labelledby="mp-h"><h2 id="mp-h">${t(c.lang, 'monitor.proposals')}</h2>
${proposals.length
    ? html`<ul class="history">${proposals.map((p) => html`<li>
<p><strong>${t(c.lang, `monitor.proposal.kind.${p.kind}`)}</strong>: <a href="/staff/monitor-proposals/${p.id}">${localized(c.lang, p.titleJa, p.titleEn)}</a></p>
<p class="meta">${t(c.lang, 'monitor.proposal.from', { monitor: p.monitorName, time: when(c, p.createdAt) })}</p>
<p>${localized(c.lang, p.bodyJa, p.bodyEn)}</p></li>`)}</ul>`
    : html`<p>${t(c.lang, 'monitor.proposalsNone')}</p>`}
</section>`;
}

function textInput(c: ConsoleContext, name: KeysUnder<'monitor.field'>, values: FormValues | undefined, opts: { type?: string; required?: boolean; max?: number } = {}): SafeHtml {
  const id = name.replace(/\./g, '-');
  return html`<div><label for="${id}">${field(c, name)}</label><input id="${id}" name="${name}" type="${opts.type ?? 'text'}"${opts.max ? html` maxlength="${opts.max}"` : ''}${opts.required ? html` required` : ''} value="${val(values, name)}"></div>`;
}

/** The monitor's definition as flat form fields. */
export function monitorFormValues(m: MonitorOverview): FormValues {
  const v: FormValues = {
    name: m.name, kind: m.kind, intervalS: String(m.intervalS), timeoutMs: String(m.timeoutMs), failThreshold: String(m.failThreshold),
    recoverThreshold: String(m.recoverThreshold), componentIds: m.componentIds, enabled: m.enabled ? 'on' : '',
  };
  if (m.kind === 'http') {
    const h = m.config as HttpCheckConfig;
    Object.assign(v, {
      'config.url': h.url, 'config.method': h.method ?? 'GET',
      'config.expectedStatus': (h.expectedStatus ?? []).map((r) => (r.min === r.max ? String(r.min) : `${r.min}-${r.max}`)).join(', '),
      'config.keyword': h.keyword ?? '', 'config.keywordAbsent': h.keywordAbsent ? 'on' : '', 'config.jsonPath': h.jsonPath ?? '',
      'config.jsonExpected': h.jsonExpected === undefined ? '' : JSON.stringify(h.jsonExpected),
      'config.degradedAboveMs': h.degradedAboveMs === undefined ? '' : String(h.degradedAboveMs),
    });
  } else if (m.kind === 'tcp') {
    const tc = m.config as TcpCheckConfig;
    Object.assign(v, { 'config.host': tc.host, 'config.port': String(tc.port) });
  } else {
    const b = m.config as BitbankCheckConfig;
    Object.assign(v, { 'config.baseUrl': b.baseUrl, 'config.degradedAboveMs': b.degradedAboveMs === undefined ? '' : String(b.degradedAboveMs) });
  }
  return v;
}

/** `headingLevel`: the level of the per-kind headings, one below the heading the form sits under. */
function monitorForm(c: ConsoleContext, action: string, components: Component[], values: FormValues, submit: string, headingLevel: 2 | 3): SafeHtml {
  const kindHeading = (k: 'http' | 'tcp' | 'bitbank') => (headingLevel === 2 ? html`<h2>${t(c.lang, `monitor.kind.${k}`)}</h2>` : html`<h3>${t(c.lang, `monitor.kind.${k}`)}</h3>`);
  const kind = val(values, 'kind') || 'http';
  const chosen = new Set(([] as unknown[]).concat(values.componentIds ?? []).filter((x): x is string => typeof x === 'string'));
  const checkbox = (name: KeysUnder<'monitor.field'>) =>
    html`<label class="radio"><input type="checkbox" name="${name}" value="on"${values[name] === 'on' || values[name] === true ? html` checked` : ''}> ${field(c, name)}</label>`;
  const method = val(values, 'config.method') || 'GET';
  return html`<form method="post" action="${action}" class="stack">${csrf(c)}
${textInput(c, 'name', values, { required: true, max: 200 })}
<div><label for="kind">${field(c, 'kind')}</label><select id="kind" name="kind">${MONITOR_KINDS.map((k) => html`<option value="${k}"${k === kind ? html` selected` : ''}>${t(c.lang, `monitor.kind.${k}`)}</option>`)}</select></div>
<div class="grid-2">${textInput(c, 'intervalS', values, { type: 'number' })}${textInput(c, 'timeoutMs', values, { type: 'number' })}</div>
<div class="grid-2">${textInput(c, 'failThreshold', values, { type: 'number' })}${textInput(c, 'recoverThreshold', values, { type: 'number' })}</div>
<fieldset><legend>${field(c, 'componentIds')}</legend>
${components.filter((x) => !x.isGroup).map((x) => html`<label class="radio"><input type="checkbox" name="componentIds" value="${x.id}"${chosen.has(x.id) ? html` checked` : ''}> ${cname(c, x)}</label>`)}
</fieldset>
${checkbox('enabled')}
<fieldset><legend>${field(c, 'config')}</legend>
<p class="hint">${t(c.lang, 'monitor.configHint')}</p>
${kindHeading('http')}
${textInput(c, 'config.url', values, { max: 2000 })}
<div><label for="config-method">${field(c, 'config.method')}</label><select id="config-method" name="config.method">${['GET', 'HEAD', 'POST'].map((m) => html`<option value="${m}"${m === method ? html` selected` : ''}>${m}</option>`)}</select></div>
${textInput(c, 'config.expectedStatus', values, { max: 200 })}
${textInput(c, 'config.keyword', values, { max: 500 })}
${checkbox('config.keywordAbsent')}
${textInput(c, 'config.jsonPath', values, { max: 200 })}
${textInput(c, 'config.jsonExpected', values, { max: 1000 })}
${textInput(c, 'config.degradedAboveMs', values, { type: 'number' })}
${kindHeading('tcp')}
<div class="grid-2">${textInput(c, 'config.host', values, { max: 253 })}${textInput(c, 'config.port', values, { type: 'number' })}</div>
${kindHeading('bitbank')}
${textInput(c, 'config.baseUrl', values, { max: 2000 })}
</fieldset>
<div><button type="submit">${submit}</button></div>
</form>`;
}

export function newMonitorPage(c: ConsoleContext, components: Component[], values: FormValues): string {
  return shell(c, t(c.lang, 'monitor.new'), '/staff/monitors/new', monitorForm(c, '/staff/monitors', components, values, t(c.lang, 'monitor.create'), 2));
}

export function monitorPage(
  c: ConsoleContext,
  m: MonitorOverview,
  data: { components: Component[]; results: MonitorResult[]; days: MonitorDay[]; proposals: Proposal[]; values?: FormValues },
): string {
  const base = `/staff/monitors/${m.id}`;
  const withData = data.days.filter((d) => d.uptime !== null);
  const checks = withData.reduce((s, d) => s + d.checks, 0);
  const okChecks = withData.reduce((s, d) => s + d.okChecks, 0);
  const dayClass = (d: MonitorDay) =>
    d.uptime === null ? 'none' : d.uptime >= 0.999 ? 'operational' : d.uptime >= 0.95 ? 'degraded_performance' : 'major_outage';
  const uptime = checks
    ? html`<p class="meta">${t(c.lang, 'monitor.col.uptime')}: ${pct(okChecks / checks)}</p>
<ol class="bars" aria-hidden="true">${data.days.map((d) => html`<li class="d-${dayClass(d)}" title="${d.date}"></li>`)}</ol>
<details><summary>${t(c.lang, 'monitor.uptime90')}</summary><ul>${withData.map((d) => html`<li>${t(c.lang, 'monitor.uptimeDay', { date: d.date, percent: pct(d.uptime ?? 0), checks: d.checks })}</li>`)}</ul></details>`
    : html`<p>${t(c.lang, 'monitor.uptimeNone')}</p>`;
  const results = data.results.length
    ? html`<div class="table-scroll"><table><thead><tr><th scope="col">${t(c.lang, 'monitor.col.lastCheck')}</th><th scope="col">${t(c.lang, 'monitor.col.result')}</th>
<th scope="col">${t(c.lang, 'monitor.col.latency')}</th><th scope="col">${t(c.lang, 'monitor.col.detail')}</th></tr></thead><tbody>
${data.results.map((r) => html`<tr><td>${when(c, r.at)}</td><td>${r.ok ? t(c.lang, 'monitor.ok') : t(c.lang, 'monitor.failed')} (${t(c.lang, `monitor.health.${r.health}`)})</td>
<td>${t(c.lang, 'monitor.latencyMs', { ms: r.latencyMs })}</td><td>${r.detail}</td></tr>`)}</tbody></table></div>`
    : html`<p>${t(c.lang, 'monitor.noResults')}</p>`;
  const manage = canManage(c)
    ? html`<h2>${t(c.lang, 'monitor.edit')}</h2>
${monitorForm(c, base, data.components, data.values ?? monitorFormValues(m), t(c.lang, 'monitor.save'), 3)}
<form method="post" action="${base}/enabled" class="stack">${csrf(c)}<input type="hidden" name="enabled" value="${m.enabled ? 'false' : 'true'}">
<div><button type="submit" class="secondary">${t(c.lang, m.enabled ? 'monitor.disable' : 'monitor.enable')}</button></div></form>
<form method="post" action="${base}/delete" class="stack">${csrf(c)}<p class="hint">${t(c.lang, 'monitor.deleteHint')}</p>
<div><button type="submit" class="secondary">${t(c.lang, 'monitor.delete')}</button></div></form>`
    : '';
  const history = data.proposals.length
    ? html`<h2>${t(c.lang, 'monitor.proposals')}</h2><ul class="history">${data.proposals.map((p) => html`<li>
<a href="/staff/monitor-proposals/${p.id}">${t(c.lang, `monitor.proposal.kind.${p.kind}`)}: ${localized(c.lang, p.titleJa, p.titleEn)}</a>
<p class="meta">${t(c.lang, `monitor.proposal.status.${p.status}`)} · ${when(c, p.createdAt)}</p></li>`)}</ul>`
    : '';
  const body = html`<p>${healthBadge(c, m)} · ${t(c.lang, `monitor.kind.${m.kind}`)} · ${componentNames(c, data.components, m.componentIds, m.kind)}</p>
<p class="meta">${t(c.lang, 'monitor.col.lastCheck')}: ${m.lastCheckedAt ? when(c, m.lastCheckedAt) : t(c.lang, 'monitor.never')}${m.lastResult ? html` · ${m.lastResult.detail}` : ''}</p>
${uptime}
<h2>${t(c.lang, 'monitor.recent')}</h2>
${results}
${history}
${manage}`;
  return shell(c, m.name, base, body);
}

export function proposalPage(c: ConsoleContext, p: Proposal, components: Component[], values?: FormValues): string {
  const base = `/staff/monitor-proposals/${p.id}`;
  const v = values ?? { titleJa: p.titleJa, titleEn: p.titleEn, bodyJa: p.bodyJa, bodyEn: p.bodyEn };
  const canAct = can(c.staff.role, 'incident.write') && p.status === 'open';
  const affected = Object.entries(p.componentStatuses).map(([id, s]) => {
    const comp = components.find((x) => x.id === id);
    return html`<li>${comp ? cname(c, comp) : id}: <span class="status s-${s}">${t(c.lang, `component.${s}`)}</span></li>`;
  });
  const textArea = (name: KeysUnder<'monitor.field'>, required: boolean) =>
    html`<div><label for="${name}">${field(c, name)}</label><textarea id="${name}" name="${name}" rows="4" maxlength="20000"${required ? html` required` : ''}>${val(v, name, 20_100)}</textarea></div>`;
  const title = (name: KeysUnder<'monitor.field'>, required: boolean) =>
    html`<div><label for="${name}">${field(c, name)}</label><input id="${name}" name="${name}" type="text" maxlength="200"${required ? html` required` : ''} value="${val(v, name, 300)}"></div>`;
  const act = canAct
    ? html`<form method="post" action="${base}/${p.kind === 'declare' ? 'publish' : 'resolve'}" class="stack">${csrf(c)}
<p class="hint">${t(c.lang, 'monitor.proposal.editHint')}</p>
${p.kind === 'declare' ? html`${title('titleJa', true)}${title('titleEn', false)}` : ''}
${textArea('bodyJa', true)}${textArea('bodyEn', false)}
<div><button type="submit">${t(c.lang, p.kind === 'declare' ? 'monitor.proposal.publish' : 'monitor.proposal.resolve')}</button></div></form>
<form method="post" action="${base}/dismiss" class="stack">${csrf(c)}<div><button type="submit" class="secondary">${t(c.lang, 'monitor.proposal.dismiss')}</button></div></form>`
    : html`<p>${p.titleJa}</p><p>${multiline(p.bodyJa)}</p><p lang="en">${multiline(p.bodyEn)}</p>`;
  const body = html`<p class="meta">${t(c.lang, `monitor.proposal.kind.${p.kind}`)} · ${t(c.lang, `monitor.proposal.status.${p.status}`)}${p.closedReason ? html` · ${reasonLabel(c.lang, p.closedReason)}` : ''}</p>
<p class="meta">${t(c.lang, 'monitor.proposal.from', { monitor: p.monitorName, time: when(c, p.createdAt) })}${p.monitorId ? html` · <a href="/staff/monitors/${p.monitorId}">${p.monitorName}</a>` : ''}</p>
<p><code>${p.detail}</code></p>
${affected.length ? html`<ul>${affected}</ul>` : ''}
${p.incidentId ? html`<p><a href="/staff/incidents/${p.incidentId}">${t(c.lang, 'monitor.proposal.incident')}</a></p>` : ''}
${act}`;
  return shell(c, t(c.lang, 'monitor.proposal'), base, body);
}
