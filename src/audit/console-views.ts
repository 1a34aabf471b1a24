import type { AuditRow, AuditVerification } from './audit-log.ts';
import { html } from '../web/html.ts';
import { t } from '../web/i18n.ts';
import { shell, when, type ConsoleContext } from '../console/views.ts';

export type AuditRowView = Omit<AuditRow, 'ip' | 'prev_hash' | 'hash'>;

/** The latest entries; the whole-chain check runs only when asked for (it reads every row). */
export function auditPage(c: ConsoleContext, rows: AuditRowView[], verification: AuditVerification | null): string {
  const verdict = !verification
    ? html`<form method="get" action="/staff/audit"><input type="hidden" name="verify" value="1"><button type="submit" class="secondary">${t(c.lang, 'staff.auditVerify')}</button></form>`
    : verification.ok
    ? html`<p class="flash" role="status">${t(c.lang, 'staff.auditVerified', { rows: verification.rows })}</p>`
    : verification.problems.length > 0
    ? html`<p class="error-box" role="alert">${t(c.lang, 'staff.auditBroken', { problems: verification.problems.map((p) => `#${p.seq} ${p.problem}`).join(', ') })}</p>`
    : html`${verification.unverified.filter((r) => r.declaredLost === undefined).map((r) => html`<p class="error-box" role="alert">${t(c.lang, 'staff.auditUnverified', { first: r.firstSeq, last: r.lastSeq, keyId: r.keyId })}</p>`)}`;
  const body = html`${verdict}<table><thead><tr><th>#</th><th>time</th><th>actor</th><th>action</th><th>target</th><th>data</th></tr></thead><tbody>
${rows.map((r) => html`<tr><td>${r.seq}</td><td>${when(c, new Date(r.at))}</td><td>${r.actor_type}:${r.actor_id ?? '-'}</td><td>${r.action}</td><td>${r.target_type ?? ''} ${r.target_id ?? ''}</td><td><code>${JSON.stringify(r.data).slice(0, 300)}</code></td></tr>`)}
</tbody></table>`;
  return shell(c, t(c.lang, 'staff.audit'), '/staff/audit', body);
}
