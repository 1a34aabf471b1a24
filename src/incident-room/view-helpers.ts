import { isIncidentStatus, type IncidentStatus, type MaintenanceStatus } from '../domain/incident.ts';
import { html, type SafeHtml } from '../web/html.ts';
import { formatDateTime, t, type Lang, localized } from '../web/i18n.ts';
import type { ConsoleContext } from '../console/views.ts';
import type { IncidentRoleDefinition } from './roles.ts';
import { roleName } from './service.ts';
import type { Who } from './timeline.ts';

export const when = (c: ConsoleContext, d: Date): string => formatDateTime(c.lang, d, c.timeZone);

/** A time as a <time> element, in the reader's zone and language. */
export const timeEl = (c: ConsoleContext, d: Date): SafeHtml => html`<time datetime="${d.toISOString()}">${when(c, d)}</time>`;

export const incidentName = (lang: Lang, i: { nameJa: string; nameEn: string | null }): string => localized(lang, i.nameJa, i.nameEn);

export const titleOf = (lang: Lang, x: { titleJa: string; titleEn: string | null }): string => localized(lang, x.titleJa, x.titleEn);

export function statusLabel(lang: Lang, status: IncidentStatus | MaintenanceStatus): string {
  return isIncidentStatus(status) ? t(lang, `incident.${status}`) : t(lang, `maintenance.${status}`);
}

export function roleLabel(lang: Lang, roles: readonly IncidentRoleDefinition[], key: string): string {
  return roleName(lang, roles.find((r) => r.key === key), key);
}

export function whoLabel(lang: Lang, who: Who): string {
  switch (who.type) {
    case 'staff':
      return who.name;
    case 'system':
      return t(lang, 'room.who.system');
    case 'monitor':
      return t(lang, 'room.who.monitor');
    case 'desk':
      return t(lang, 'room.who.desk');
    case 'detection':
      return t(lang, 'room.who.detection');
    case 'fanout':
      return t(lang, 'room.who.fanout');
  }
}

/** "Overdue" in words (never colour alone), or the time left. */
export function dueLabel(c: ConsoleContext, due: Date | null, now: Date, done: boolean): SafeHtml {
  if (!due) return html`<span class="meta">${t(c.lang, 'room.task.noDue')}</span>`;
  if (!done && due.getTime() < now.getTime()) {
    return html`<span class="badge-overdue">${t(c.lang, 'room.task.overdue')}</span> ${timeEl(c, due)}`;
  }
  return html`${t(c.lang, 'room.task.due')} ${timeEl(c, due)}`;
}
