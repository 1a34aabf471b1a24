/**
 * Triage reasons in the console's language: the rule's label (`triage.rule.<id>`) and what it did
 * (`triage.effect.<code>` filled from the reason's parameters). The stored reason keeps its English effect; it is
 * shown (marked as English) only for a reason this code cannot read.
 */
import { isPriority, isTicketType, type ReasonCode, type TriageReason } from '../../domain/ticket.ts';
import { reasonDetail } from './reasons.ts';
import { html, type SafeHtml } from '../../web/html.ts';
import { hasMessage, t, type Lang, type MessageKey } from '../../web/i18n.ts';

const EFFECT_KEYS: Record<ReasonCode, MessageKey> = {
  incident: 'triage.effect.incident',
  worry: 'triage.effect.worry',
  hypothetical: 'triage.effect.hypothetical',
  score: 'triage.effect.score',
  field: 'triage.effect.field',
  hint: 'triage.effect.hint',
  hint_overridden: 'triage.effect.hint_overridden',
  priority: 'triage.effect.priority',
  default_type: 'triage.effect.default_type',
  truncated: 'triage.effect.truncated',
  model: 'triage.effect.model',
  model_security: 'triage.effect.model_security',
  model_priority: 'triage.effect.model_priority',
  safety_high: 'triage.effect.safety_high',
  needs_human: 'triage.effect.needs_human',
  link_type: 'triage.effect.link_type',
  link_component: 'triage.effect.link_component',
  link_words: 'triage.effect.link_words',
  link_only_outage: 'triage.effect.link_only_outage',
  lock: 'triage.effect.lock',
  detection: 'triage.effect.detection',
};

/** The values a code implies without storing them (an incident is always security + urgent...). */
const IMPLIED: Partial<Record<ReasonCode, Record<string, string>>> = {
  incident: { type: 'security', priority: 'urgent' },
  worry: { type: 'security' },
  field: { type: 'trading' },
  model_security: { type: 'security' },
  safety_high: { priority: 'high' },
  lock: { type: 'security', priority: 'urgent' },
  detection: { type: 'security' },
};

/** Codes whose `matched` is the user's own words (for the others it is a technical value, shown through params). */
const QUOTES_USER: ReadonlySet<ReasonCode> = new Set(['incident', 'worry', 'hypothetical', 'score', 'field', 'priority']);
/** Codes that say whether their type was the one chosen. */
const SAYS_CHOSEN: ReadonlySet<ReasonCode> = new Set(['worry', 'score', 'field', 'hint', 'model']);

const GROUP_KEYS: Record<string, MessageKey> = {
  security: 'triage.group.security',
  outage: 'triage.group.outage',
  trading: 'triage.group.trading',
  regulatory: 'triage.group.regulatory',
  other: 'triage.group.other',
  priority: 'triage.group.priority',
  detection: 'triage.group.detection',
};

const NEEDS_HUMAN_KEYS: Record<string, MessageKey> = {
  unsure: 'triage.why.unsure',
  rules_security: 'triage.why.rules_security',
  model_security: 'triage.why.model_security',
  possible_incident: 'triage.why.possible_incident',
};

/** A rule's name for staff; a rule this console has no name for gets its group's ("security rule"). */
export function reasonLabel(lang: Lang, rule: string): string {
  const key = `triage.rule.${rule}`;
  if (hasMessage(key)) return t(lang, key);
  const detection = `detection.rule.${rule.slice('detection.'.length)}`;
  if (rule.startsWith('detection.') && hasMessage(detection)) return t(lang, detection);
  const group = GROUP_KEYS[rule.split('.')[0] ?? ''];
  return t(lang, group ?? 'triage.group.unknown');
}

const typeLabel = (lang: Lang, v: string | number | undefined): string => (isTicketType(v) ? t(lang, `type.${v}`) : String(v ?? '?'));
const priorityLabel = (lang: Lang, v: string | number | undefined): string => (isPriority(v) ? t(lang, `priority.${v}`) : String(v ?? '?'));

/** "セキュリティインシデント 85%、システム障害 10%" from type1/p1/type2/p2. */
function topTypes(lang: Lang, p: Record<string, string | number>): string {
  const parts: string[] = [];
  for (const i of [1, 2]) {
    const type = p[`type${i}`];
    if (type !== undefined) parts.push(t(lang, 'triage.top', { type: typeLabel(lang, type), p: p[`p${i}`] ?? '?' }));
  }
  return parts.join(t(lang, 'triage.listSep'));
}

/** What the reason did, in `lang`; `translated` false means the stored English text (none of our codes fit). */
export function reasonEffect(lang: Lang, r: TriageReason): { text: string; translated: boolean } {
  const detail = reasonDetail(r);
  if (!detail) return { text: typeof r.effect === 'string' ? r.effect : '', translated: false };
  const p = { ...IMPLIED[detail.code], ...detail.params };
  const filled: Record<string, string | number> = { ...p, type: typeLabel(lang, p.type), priority: priorityLabel(lang, p.priority), incidentType: typeLabel(lang, p.incidentType) };
  if (detail.code === 'model' || detail.code === 'needs_human') filled.top = topTypes(lang, p);
  if (detail.code === 'needs_human') {
    filled.why = String(p.why ?? '')
      .split(',')
      .map((w) => NEEDS_HUMAN_KEYS[w])
      .filter((k): k is MessageKey => k !== undefined)
      .map((k) => t(lang, k, { top: String(filled.top) }))
      .join(t(lang, 'triage.listSep'));
  }
  const key = detail.code === 'default_type' && p.type === 'other' ? 'triage.effect.default_other' : EFFECT_KEYS[detail.code];
  let text = t(lang, key, filled);
  if (SAYS_CHOSEN.has(detail.code) && (p.chosen === 0 || detail.code === 'model')) text += ` ${t(lang, p.chosen === 0 ? 'triage.notChosen' : 'triage.chosen')}`;
  return { text, translated: true };
}

function quotesUser(r: TriageReason): boolean {
  const detail = reasonDetail(r);
  return detail ? QUOTES_USER.has(detail.code) : true;
}

/** One reason: its label, the user's words that triggered it, what it did. The rule id stays in data-rule. */
export function reasonItem(lang: Lang, r: TriageReason): SafeHtml {
  const effect = reasonEffect(lang, r);
  const words = r.matched && quotesUser(r) ? html` <q class="reason-words">${r.matched}</q>` : '';
  return html`<li data-rule="${r.rule}"><span class="reason-rule">${reasonLabel(lang, r.rule)}</span>${words} <span class="reason-effect"${effect.translated ? '' : html` lang="en"`}>${effect.text}</span></li>`;
}

export function reasonList(lang: Lang, reasons: readonly TriageReason[]): SafeHtml {
  return html`<ul class="reasons">${reasons.map((r) => reasonItem(lang, r))}</ul>`;
}

/** The first reasons worth a glance in the queue (the model's own line is left for the ticket page). */
export function reasonSummary(lang: Lang, reasons: readonly TriageReason[], count = 2): SafeHtml {
  const shown = reasons.filter((r) => r.rule !== 'model.type').slice(0, count);
  if (!shown.length) return html``;
  return html`<span class="reason-summary">${shown.map((r, i) => html`${i ? t(lang, 'triage.listSep') : ''}${reasonLabel(lang, r.rule)}${r.matched && quotesUser(r) ? html` <q>${r.matched}</q>` : ''}`)}</span>`;
}
