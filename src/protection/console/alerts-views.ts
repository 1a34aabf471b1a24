import { can } from '../../staff/permissions.ts';
import type { EvidenceEvent, SecurityAlert } from '../detection.ts';
import { html } from '../../web/html.ts';
import { t } from '../../web/i18n.ts';
import { csrf, shell, when, type ConsoleContext } from '../../console/views.ts';

const ruleList = (c: ConsoleContext, a: SecurityAlert) => a.rules.map((r) => t(c.lang, `detection.rule.${r}`)).join(' / ');

function actionsText(c: ConsoleContext, a: SecurityAlert): string {
  const parts = a.actions.taken.map((x) => (x === 'ticket' && a.actions.ticketNumber !== undefined ? t(c.lang, 'detection.ticket', { number: a.actions.ticketNumber }) : t(c.lang, `detection.action.${x}`)));
  if (a.actions.errors?.length) parts.push(t(c.lang, 'detection.errors', { list: a.actions.errors.join(', ') }));
  return parts.length ? parts.join(' · ') : t(c.lang, 'detection.actionsNone');
}

const subject = (c: ConsoleContext, a: SecurityAlert) =>
  a.accountId ? html`${t(c.lang, 'detection.account')}: <code>${a.accountId}</code>` : html`${t(c.lang, 'detection.ip')}: <code>${a.ip ?? '-'}</code>`;

const status = (c: ConsoleContext, a: SecurityAlert) => (a.acknowledgedAt ? t(c.lang, 'detection.acknowledged') : html`<strong>${t(c.lang, 'detection.unacknowledged')}</strong>`);

export function alertsPage(c: ConsoleContext, data: { alerts: SecurityAlert[]; total: number; unacknowledged: boolean }): string {
  const rows = data.alerts.map(
    (a) => html`<tr><td><a href="/staff/security/alerts/${a.id}">${when(c, a.createdAt)}</a></td><td>${subject(c, a)}</td><td>${ruleList(c, a)}</td><td>${a.score}</td><td>${actionsText(c, a)}</td><td>${status(c, a)}</td></tr>`,
  );
  const filter = html`<form method="get" action="/staff/security/alerts" class="inline">
<label class="radio"><input type="radio" name="status" value="unacknowledged"${data.unacknowledged ? html` checked` : ''}> ${t(c.lang, 'detection.unacknowledgedOnly')}</label>
<label class="radio"><input type="radio" name="status" value="all"${data.unacknowledged ? '' : html` checked`}> ${t(c.lang, 'detection.all')}</label>
<button class="secondary" type="submit">${t(c.lang, 'detection.filter')}</button></form>`;
  const table = data.alerts.length
    ? html`<div class="table-scroll"><table class="alerts"><thead><tr><th scope="col">${t(c.lang, 'detection.raised')}</th><th scope="col">${t(c.lang, 'detection.subject')}</th><th scope="col">${t(c.lang, 'detection.rules')}</th><th scope="col">${t(c.lang, 'detection.score')}</th><th scope="col">${t(c.lang, 'detection.actions')}</th><th scope="col">${t(c.lang, 'detection.status')}</th></tr></thead>
<tbody>${rows}</tbody></table></div>`
    : html`<p>${t(c.lang, 'detection.none')}</p>`;
  return shell(c, t(c.lang, 'detection.alerts'), '/staff/security/alerts', html`${filter}<p class="meta">${t(c.lang, 'detection.count', { count: data.total })}</p>${table}`);
}

const eventRow = (c: ConsoleContext, e: EvidenceEvent) =>
  html`<tr><td>${when(c, new Date(e.at))}</td><td><code>${e.kind}</code></td><td>${e.ip ?? '-'}</td><td>${e.country ?? '-'}</td><td>${e.device ?? '-'}</td><td>${e.accountId ? html`<code>${e.accountId}</code>` : '-'}</td></tr>`;

function detailText(detail: Record<string, unknown>): string {
  return Object.entries(detail)
    .map(([k, v]) => `${k}: ${typeof v === 'object' ? JSON.stringify(v) : String(v)}`)
    .join(', ');
}

export function alertPage(c: ConsoleContext, a: SecurityAlert, lock: { lockedAt: Date; source: string } | null): string {
  const lockLine = a.accountId
    ? html`<dt>${t(c.lang, 'detection.lockStatus')}</dt><dd>${lock ? t(c.lang, 'detection.locked', { time: when(c, lock.lockedAt), source: lock.source }) : t(c.lang, 'detection.notLocked')} · <a href="/staff/accounts/${a.accountId}">${t(c.lang, 'detection.accountPage')}</a></dd>`
    : '';
  const findings = a.evidence.findings.map(
    (f) => html`<li><strong>${t(c.lang, `detection.rule.${f.rule}`)}</strong> (+${f.score}) — ${detailText(f.detail)}</li>`,
  );
  const ack = a.acknowledgedAt
    ? html`<p>${t(c.lang, 'detection.acknowledgedBy', { name: a.acknowledgedByName ?? a.acknowledgedBy ?? '-', time: when(c, a.acknowledgedAt) })}</p>`
    : can(c.staff.role, 'account.lock')
      ? html`<form method="post" action="/staff/security/alerts/${a.id}/acknowledge">${csrf(c)}<button type="submit">${t(c.lang, 'detection.acknowledge')}</button></form>`
      : html``;
  const stepUp = a.actions.stepUp && !a.actions.stepUpCompletedAt ? html` · ${t(c.lang, 'detection.stepUpPending')}` : '';
  const body = html`<dl class="facts">
<dt>${t(c.lang, 'detection.raised')}</dt><dd>${when(c, a.createdAt)}</dd>
<dt>${t(c.lang, 'detection.subject')}</dt><dd>${subject(c, a)}${a.accountId && a.ip ? html` (${t(c.lang, 'detection.ip')}: <code>${a.ip}</code>)` : ''}</dd>
<dt>${t(c.lang, 'detection.score')}</dt><dd>${a.score}</dd>
<dt>${t(c.lang, 'detection.actions')}</dt><dd>${actionsText(c, a)}${stepUp}</dd>
${lockLine}
<dt>${t(c.lang, 'detection.status')}</dt><dd>${status(c, a)}</dd>
</dl>
${ack}
<h2>${t(c.lang, 'detection.findings')}</h2><ul>${findings}</ul>
<h2>${t(c.lang, 'detection.evidence')}</h2>
<div class="table-scroll"><table class="evidence"><thead><tr><th scope="col">${t(c.lang, 'detection.time')}</th><th scope="col">${t(c.lang, 'detection.kind')}</th><th scope="col">${t(c.lang, 'detection.ip')}</th><th scope="col">${t(c.lang, 'detection.country')}</th><th scope="col">${t(c.lang, 'detection.device')}</th><th scope="col">${t(c.lang, 'detection.account')}</th></tr></thead>
<tbody>${a.evidence.events.map((e) => eventRow(c, e))}</tbody></table></div>
<p><a href="/staff/security/alerts">${t(c.lang, 'detection.back')}</a></p>`;
  return shell(c, `${t(c.lang, 'detection.alert')}: ${ruleList(c, a)}`, `/staff/security/alerts/${a.id}`, body);
}
