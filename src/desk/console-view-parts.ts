/** Pieces the desk's staff pages share: options for selects, SLA badges, excerpts. */
import type { SlaState } from './sla.ts';
import type { Ticket } from './ticket-repository.ts';
import { html, type SafeHtml } from '../web/html.ts';
import { t, localized } from '../web/i18n.ts';
import { when, type ConsoleContext } from '../console/views.ts';

export interface StaffOption {
  id: string;
  name: string;
}

export interface IncidentOption {
  id: string;
  nameJa: string;
  nameEn: string | null;
}

export const incidentLabel = (c: ConsoleContext, i: IncidentOption) => localized(c.lang, i.nameJa, i.nameEn);
export const excerpt = (text: string, max = 120) => (text.length > max ? `${text.slice(0, max)}…` : text);

function slaBadge(c: ConsoleContext, label: string, state: SlaState['firstResponse'], due: Date | null): SafeHtml {
  if (state === 'n/a') return html``;
  return html`<span class="sla sla-${state}">${label}: ${t(c.lang, `desk.sla.${state}`)}${due && state !== 'met' ? html` (${when(c, due)})` : ''}</span>`;
}

export function slaCell(c: ConsoleContext, ticket: Ticket, sla: SlaState): SafeHtml {
  return html`${slaBadge(c, t(c.lang, 'desk.firstResponse'), sla.firstResponse, ticket.firstResponseDueAt)}<br>${slaBadge(c, t(c.lang, 'desk.resolution'), sla.resolution, ticket.resolutionDueAt)}`;
}

export const selectOptions = <T extends string>(values: readonly T[], current: string | undefined, label: (v: T) => string) =>
  values.map((v) => html`<option value="${v}"${v === current ? html` selected` : ''}>${label(v)}</option>`);
