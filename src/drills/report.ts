/**
 * A drill's report: what the rehearsal showed, as evidence (JVCEA rules ask for drills of the contingency plan).
 * Stored as JSON when the drill finishes and never recomputed; times are ISO strings so the stored report reads the
 * same years later.
 */
import { formatDateTime, t, type Lang } from '../web/i18n.ts';
import { formatDuration, label } from '../incident-review/index.ts';
import type { Scenario } from './scenarios.ts';

export type Counts = { sent: number; pending: number; failed: number; skipped: number };

export interface DrillReport {
  version: 1;
  drillId: string;
  scenario: Scenario;
  incidentId: string;
  incidentName: { ja: string; en: string };
  startedAt: string;
  finishedAt: string;
  startedVia: 'cli' | 'console';
  startedBy: string | null;
  times: {
    /** From the first (synthetic) monitor failure, or the drill's start, to the first public update. */
    toFirstPublicUpdateMs: number | null;
    failureToDeclarationMs: number | null;
    declarationToResolutionMs: number | null;
    resolved: boolean;
  };
  /** The incident room's roles, when its tables exist. */
  roles: { available: false } | { available: true; assigned: number; roles: string[] };
  /** The incident room's tasks, when its tables exist. */
  tasks: { available: false } | { available: true; total: number; onTime: number; late: number; open: number };
  tickets: { total: number; surge: number; takeovers: number; linked: number; securityUrgent: number; buriedSecurity: number };
  notifications: Record<string, Counts>;
  standIns: { x: number; slack: number };
  recipients: number;
  isolation: { publicPageClean: boolean; deliveriesOutsideRecipients: number; realComponentChanges: number };
  regulator: { rule: { ja: string; en: string }; stage: { ja: string; en: string }; dueAt: string; doneAt: string | null; state: string }[];
  /** The checks a drill must pass; each failure named. */
  problems: string[];
}

/** The names of the checks that failed (empty: the drill passed). */
export function problemsOf(r: Omit<DrillReport, 'problems'>): string[] {
  const out: string[] = [];
  if (r.tickets.buriedSecurity > 0) out.push('buried_security');
  if (!r.isolation.publicPageClean) out.push('public_page');
  if (r.isolation.deliveriesOutsideRecipients > 0) out.push('real_subscribers');
  if (r.isolation.realComponentChanges > 0) out.push('real_components');
  if (r.regulator.some((x) => x.state === 'overdue' || x.state === 'done_late')) out.push('regulator_deadline');
  if (r.times.toFirstPublicUpdateMs === null) out.push('no_public_update');
  return out;
}

/** The report as plain text (the CLI prints it; it is also what `--out report.txt` keeps). Times in `timeZone`. */
export function reportText(r: DrillReport, lang: Lang, timeZone: string): string {
  const when = (iso: string) => formatDateTime(lang, new Date(iso), timeZone);
  const dur = (ms: number | null) => (ms === null ? '—' : formatDuration(ms, lang));
  const lines: string[] = [];
  lines.push(t(lang, 'drill.report.title', { scenario: t(lang, `drill.scenario.${r.scenario}.label`) }));
  lines.push(`${t(lang, 'drill.report.id')}: ${r.drillId} · ${t(lang, 'drill.report.incident')}: ${r.incidentName[lang]} (${r.incidentId})`);
  lines.push(`${t(lang, 'drill.report.period')}: ${when(r.startedAt)} – ${when(r.finishedAt)} (${t(lang, `drill.via.${r.startedVia}`)})`);
  lines.push('');
  lines.push(`${t(lang, 'drill.report.toFirstUpdate')}: ${dur(r.times.toFirstPublicUpdateMs)}`);
  lines.push(`${t(lang, 'review.t.failureToDeclaration')}: ${dur(r.times.failureToDeclarationMs)}`);
  lines.push(`${t(lang, 'review.t.declarationToResolution')}: ${r.times.resolved ? dur(r.times.declarationToResolutionMs) : t(lang, 'review.ongoing')}`);
  lines.push(`${t(lang, 'drill.report.roles')}: ${r.roles.available ? t(lang, 'drill.report.rolesAssigned', { count: r.roles.assigned, roles: r.roles.roles.join(', ') || '—' }) : t(lang, 'drill.report.notAvailable')}`);
  lines.push(`${t(lang, 'drill.report.tasks')}: ${r.tasks.available ? t(lang, 'drill.report.tasksDetail', { total: r.tasks.total, onTime: r.tasks.onTime, late: r.tasks.late, open: r.tasks.open }) : t(lang, 'drill.report.notAvailable')}`);
  lines.push(`${t(lang, 'drill.report.tickets')}: ${t(lang, 'drill.report.ticketsDetail', { total: r.tickets.total, takeovers: r.tickets.takeovers, linked: r.tickets.linked })}`);
  lines.push(`${t(lang, 'drill.report.buried')}: ${r.tickets.buriedSecurity}`);
  lines.push(`${t(lang, 'drill.report.notifications')}:`);
  for (const [ch, c] of Object.entries(r.notifications)) lines.push(`  ${ch}: ${t(lang, 'drill.report.counts', { sent: c.sent, pending: c.pending, failed: c.failed, skipped: c.skipped })}`);
  lines.push(`  ${t(lang, 'drill.standIn.x')}: ${r.standIns.x}  ${t(lang, 'drill.standIn.slack')}: ${r.standIns.slack}`);
  lines.push(`${t(lang, 'drill.report.isolation')}: ${t(lang, 'drill.report.isolationDetail', { page: r.isolation.publicPageClean ? 'OK' : 'NG', outside: r.isolation.deliveriesOutsideRecipients, components: r.isolation.realComponentChanges })}`);
  lines.push(`${t(lang, 'drill.report.regulator')}:`);
  if (r.regulator.length === 0) lines.push(`  ${t(lang, 'regulator.noObligations')}`);
  for (const g of r.regulator) lines.push(`  ${g.rule[lang]} — ${g.stage[lang]}: ${when(g.dueAt)} · ${label(lang, `regulator.state.${g.state}`, g.state)}${g.doneAt ? ` (${when(g.doneAt)})` : ''}`);
  lines.push('');
  lines.push(r.problems.length === 0 ? t(lang, 'drill.report.passed') : `${t(lang, 'drill.report.failed')}: ${r.problems.map((p) => label(lang, `drill.problem.${p}`, p)).join(' / ')}`);
  return lines.join('\n');
}
