/**
 * The printable draft of a regulatory report, filled from the incident's record: the rule (configuration) lists the
 * fields and their labels, this file knows where each kind of field comes from. A field the record cannot fill is
 * marked as to be written, never invented.
 */
import { formatDateTime, t, type Lang, intlLocale, localized } from '../web/i18n.ts';
import { formatDuration, label, type ReviewDraft } from '../incident-review/index.ts';
import type { FactsRow } from './repository.ts';
import type { FillKey, RegulatoryRule } from './rules.ts';

export interface DraftContext {
  review: ReviewDraft;
  facts: Omit<FactsRow, 'updatedAt'>;
  owner: { name: string; email: string } | null;
  timeZone: string;
}

export interface DraftLine {
  label: string;
  value: string;
  /** True when the record had nothing: staff must write it. */
  missing: boolean;
}

function filler(lang: Lang, key: FillKey, c: DraftContext): string | null {
  const r = c.review;
  const i = r.incident;
  const when = (d: Date) => formatDateTime(lang, d, c.timeZone);
  const name = (id: string) => {
    const comp = r.components.find((x) => x.id === id);
    return comp ? localized(lang, comp.nameJa, comp.nameEn) : id;
  };
  const sep = t(lang, 'list.separator');
  const incidentName = localized(lang, i.nameJa, i.nameEn);
  const publicUpdates = [...i.updates].filter((u) => u.visibility === 'public').sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
  switch (key) {
    case 'summary': {
      const first = publicUpdates[0];
      const body = first ? localized(lang, first.bodyJa, first.bodyEn) : '';
      return `${incidentName}\n${body}`.trim();
    }
    case 'awareness':
      return t(lang, 'regulator.draft.awareness', { aware: when(c.facts.awareAt), declared: when(i.startedAt) });
    case 'occurredAt': {
      const f = r.figures.times.failureToDeclaration;
      const firstFailure = f === null ? null : new Date(i.startedAt.getTime() - f);
      return t(lang, 'regulator.draft.occurred', {
        started: when(firstFailure && firstFailure < i.startedAt ? firstFailure : i.startedAt),
        aware: when(c.facts.awareAt),
      });
    }
    case 'services': {
      const ids = r.figures.impact.length ? r.figures.impact.map((w) => w.componentId) : i.componentIds;
      return ids.length ? ids.map(name).join(sep) : null;
    }
    case 'impact':
      if (r.figures.impact.length === 0) return null;
      return r.figures.impact.map((w) => t(lang, 'review.pm.impactLine', {
        component: name(w.componentId), from: when(w.from), until: w.to ? when(w.to) : t(lang, 'review.ongoing'),
        status: t(lang, `component.${w.worst}`), duration: formatDuration(w.impactedMs, lang),
      })).join('\n');
    case 'usersAffected':
      return c.facts.usersAffected === null ? null : t(lang, 'regulator.draft.people', { count: c.facts.usersAffected.toLocaleString(intlLocale(lang)) });
    case 'dataItems':
      return c.facts.dataItems || null;
    case 'cause':
      return r.sections.cause || null;
    case 'secondaryDamage': {
      const lines: string[] = [];
      if (c.facts.financialLossRisk) lines.push(t(lang, 'regulator.draft.financialLossRisk'));
      if (c.facts.customerAssetsLost) lines.push(t(lang, 'regulator.draft.assetsLost'));
      if (c.facts.wrongfulAct) lines.push(t(lang, 'regulator.draft.wrongfulAct'));
      return lines.length ? lines.join('\n') : null;
    }
    case 'userResponse': {
      const lines = [t(lang, 'regulator.draft.tickets', { linked: r.figures.tickets.linked, answered: r.figures.tickets.answered })];
      if (r.figures.locksTotal) lines.push(t(lang, 'regulator.draft.locks', { count: r.figures.locksTotal }));
      lines.push(t(lang, 'regulator.draft.noticeToPeople'));
      return lines.join('\n');
    }
    case 'publication':
      if (publicUpdates.length === 0) return null;
      return publicUpdates.map((u) => {
        const body = localized(lang, u.bodyJa, u.bodyEn).split('\n')[0] ?? '';
        return `${when(u.createdAt)} ${label(lang, `incident.${u.status}`, u.status)}: ${body.slice(0, 200)}`;
      }).join('\n');
    case 'prevention':
      if (r.actions.length === 0) return null;
      return r.actions.map((a) => `・${a.title}${a.ownerName ? ` (${a.ownerName})` : ''}${a.dueOn ? ` ${t(lang, 'regulator.draft.dueBy', { due: a.dueOn })}` : ''}`).join('\n');
    case 'tickets':
      return t(lang, 'regulator.draft.ticketsDetail', {
        linked: r.figures.tickets.linked, answered: r.figures.tickets.answered,
        median: r.figures.tickets.medianFirstAnswerMs === null ? '—' : formatDuration(r.figures.tickets.medianFirstAnswerMs, lang),
      });
    case 'recovery':
      return i.resolvedAt ? t(lang, 'regulator.draft.recovered', { time: when(i.resolvedAt) }) : t(lang, 'regulator.draft.notRecovered');
    case 'contact':
      return c.owner ? `${c.owner.name} <${c.owner.email}>` : null;
    case 'blank':
      return null;
  }
}

export function fillDraft(lang: Lang, rule: RegulatoryRule, c: DraftContext): DraftLine[] {
  return rule.draft.map((f) => {
    const value = filler(lang, f.fill, c);
    return { label: f.label[lang], value: value ?? t(lang, 'regulator.draft.toWrite'), missing: value === null };
  });
}
