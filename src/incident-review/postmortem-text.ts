import type { Component } from '../domain/component.ts';
import type { Incident } from '../domain/incident.ts';
import { formatDateTime, t, type Lang, localized } from '../web/i18n.ts';
import { formatDuration, type ReviewFigures } from './compute.ts';
import type { ReviewAction, ReviewSections } from './repository.ts';

export interface PostmortemInput {
  incident: Incident;
  figures: ReviewFigures;
  sections: ReviewSections;
  actions: readonly ReviewAction[];
  components: readonly Component[];
  timeZone: string;
}

/**
 * The first draft of the public postmortem, written from the record in one language: what happened and when, the
 * impact per service, the cause (what the review says, or a placeholder to fill in) and the follow-up actions.
 * Staff edit it before publishing; nothing here is published as is.
 */
export function composePostmortem(lang: Lang, p: PostmortemInput): string {
  const when = (d: Date) => formatDateTime(lang, d, p.timeZone);
  const name = (id: string) => {
    const c = p.components.find((x) => x.id === id);
    return c ? localized(lang, c.nameJa, c.nameEn) : id;
  };
  const sep = t(lang, 'list.separator');
  const lines: string[] = [];
  lines.push(t(lang, 'review.pm.summaryHeading'));
  const affected = p.figures.impact.map((w) => name(w.componentId));
  lines.push(t(lang, affected.length ? 'review.pm.summary' : 'review.pm.summaryNoComponents', {
    from: when(p.figures.windowStart),
    until: p.incident.resolvedAt ? when(p.incident.resolvedAt) : t(lang, 'review.ongoing'),
    components: affected.join(sep),
  }));
  if (p.figures.impact.length) {
    lines.push('', t(lang, 'review.pm.impactHeading'));
    for (const w of p.figures.impact) {
      lines.push(t(lang, 'review.pm.impactLine', {
        component: name(w.componentId),
        from: when(w.from),
        until: w.to ? when(w.to) : t(lang, 'review.ongoing'),
        status: t(lang, `component.${w.worst}`),
        duration: formatDuration(w.impactedMs, lang),
      }));
    }
  }
  lines.push('', t(lang, 'review.pm.causeHeading'), p.sections.cause || t(lang, 'review.pm.causePlaceholder'));
  const actions = p.actions.filter((a) => a.title);
  lines.push('', t(lang, 'review.pm.actionsHeading'));
  if (actions.length === 0) lines.push(t(lang, 'review.pm.actionsPlaceholder'));
  for (const a of actions) lines.push(a.dueOn ? t(lang, 'review.pm.actionLineDue', { title: a.title, due: a.dueOn }) : t(lang, 'review.pm.actionLine', { title: a.title }));
  lines.push('', t(lang, 'review.pm.closing'));
  return lines.join('\n');
}
