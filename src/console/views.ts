import { html, type SafeHtml } from '../web/html.ts';
import { formatDateTime, t, type Lang } from '../web/i18n.ts';
import { layout } from '../web/layout.ts';
import type { StaffPrincipal } from '../staff/accounts.ts';
import { can } from '../staff/permissions.ts';

export interface ConsoleContext {
  lang: Lang;
  staff: StaffPrincipal;
  timeZone: string;
  flash?: string | null;
  error?: string | null;
  /** The demo's built-in mailbox is on (`start --demo` without SMTP_URL): the nav links to it. */
  demoMailbox?: boolean;
}

export function shell(c: ConsoleContext, title: string, path: string, body: SafeHtml, opts: { wide?: boolean } = {}): string {
  const nav = html`<nav aria-label="${t(c.lang, 'staff.console')}"><ul class="console-nav">
<li><a href="/staff">${t(c.lang, 'staff.dashboard')}</a></li>
${can(c.staff.role, 'ticket.view') ? html`<li><a href="/staff/tickets">${t(c.lang, 'desk.queue')}</a></li>` : ''}
${can(c.staff.role, 'incident.write') ? html`<li><a href="/staff/incidents/new">${t(c.lang, 'staff.declareIncident')}</a></li>` : ''}
${can(c.staff.role, 'maintenance.write') ? html`<li><a href="/staff/maintenances/new">${t(c.lang, 'staff.scheduleMaintenance')}</a></li>` : ''}
<li><a href="/staff/update-templates">${t(c.lang, 'room.templates.nav')}</a></li>
<li><a href="/staff/components">${t(c.lang, 'staff.components')}</a></li>
<li><a href="/staff/kb">${t(c.lang, 'kb.nav')}</a></li>
${can(c.staff.role, 'account.lock') ? html`<li><a href="/staff/accounts">${t(c.lang, 'acct.nav')}</a></li>` : ''}
<li><a href="/staff/notices">${t(c.lang, 'notices.staff.nav')}</a></li>
<li><a href="/staff/subscribers">${t(c.lang, 'notify.staff.nav')}</a></li>
<li><a href="/staff/monitors">${t(c.lang, 'monitor.nav')}</a></li>
<li><a href="/staff/regulator">${t(c.lang, 'regulator.nav')}</a></li>
<li><a href="/staff/drills">${t(c.lang, 'drill.nav')}</a></li>
${can(c.staff.role, 'audit.view') ? html`<li><a href="/staff/audit">${t(c.lang, 'staff.audit')}</a></li>` : ''}
${can(c.staff.role, 'audit.view') ? html`<li><a href="/staff/security/alerts">${t(c.lang, 'detection.alerts')}</a></li>` : ''}
${can(c.staff.role, 'staff.manage') ? html`<li><a href="/staff/team">${t(c.lang, 'staff.team')}</a></li>` : ''}
${c.demoMailbox && can(c.staff.role, 'mailbox.view') ? html`<li><a href="/staff/mailbox">${t(c.lang, 'mailbox.nav')}</a></li>` : ''}
<li><a href="/staff/mfa">${t(c.lang, 'staffAuth.mfa.nav')}</a></li>
<li><a href="/">${t(c.lang, 'staff.viewPublic')}</a></li>
</ul></nav>`;
  const header = html`<p class="site-name"><a href="/staff">${t(c.lang, 'staff.console')}</a></p>
<p class="meta">${t(c.lang, 'staff.signedInAs', { name: c.staff.name, role: t(c.lang, `staff.role.${c.staff.role}`) })}</p>
<form method="post" action="/staff/logout" class="inline"><input type="hidden" name="_csrf" value="${c.staff.csrfToken}"><button class="secondary" type="submit">${t(c.lang, 'staff.signOut')}</button></form>`;
  const messages = html`${c.flash ? html`<p class="flash" role="status">${c.flash}</p>` : ''}${c.error ? html`<p class="error-box" role="alert">${c.error}</p>` : ''}`;
  return layout({ lang: c.lang, title: `${title} · ${t(c.lang, 'staff.console')}`, path, header, robots: 'noindex', wide: true, body: html`${nav}${messages}<h1>${title}</h1>${body}` }).value;
}

export const csrf = (c: ConsoleContext) => html`<input type="hidden" name="_csrf" value="${c.staff.csrfToken}">`;
export const when = (c: ConsoleContext, d: Date) => formatDateTime(c.lang, d, c.timeZone);
