/**
 * Figures for automatic triage against labelled messages ({text, category, priority}), used by
 * `npm run eval:triage` and the tests. Pure: parsing and scoring only, no file access.
 */
import { isPriority, isTicketType, PRIORITIES, TICKET_TYPES, type Priority, type TicketType, type TriageReason, type TriageResult } from '../../domain/ticket.ts';
import { triage } from './rules.ts';

/** What is evaluated: the rules alone by default, or the combined triage (rules + model + safety net). */
export type Classifier = (text: string) => TriageResult & { needsHuman?: boolean };

export interface TriageSample {
  text: string;
  category: TicketType;
  priority: Priority;
}

export interface CategoryFigures {
  /** Samples labelled with this category. */
  count: number;
  /** Samples triaged as this category. */
  predicted: number;
  correct: number;
  precision: number;
  recall: number;
}

export interface Misclassified {
  text: string;
  expected: { category: TicketType; priority: Priority };
  got: { type: TicketType; priority: Priority };
  typeWrong: boolean;
  priorityWrong: boolean;
  reasons: TriageReason[];
}

export interface TriageEvaluation {
  count: number;
  /** Share of samples whose type is right. */
  accuracy: number;
  /** Share of samples whose priority is right. */
  priorityAccuracy: number;
  /** Share of samples whose priority is at most one level off. */
  priorityWithinOne: number;
  /** Share with both type and priority right. */
  exactAccuracy: number;
  perCategory: Record<TicketType, CategoryFigures>;
  /** Of the samples labelled security, the share triaged as security (1 when there are none). */
  securityRecall: number;
  /** Of the samples labelled security + urgent, the share triaged as security + urgent (1 when there are none). */
  securityUrgentRecall: number;
  /** Samples triaged urgent that are labelled less than urgent (false alarms waking people up). */
  falseUrgent: number;
  /** Security-typed results with priority low (must be 0). */
  securityLow: number;
  /** Samples labelled security + urgent/high (an incident or a concrete threat) triaged below high (must be 0). */
  securityIncidentBelowHigh: number;
  /** Samples marked "needs a human", and how many of the wrongly typed ones were among them. */
  needsHuman: number;
  wrongTypeFlagged: number;
  /** confusion[expected][got] */
  confusion: Record<TicketType, Record<TicketType, number>>;
  /** priorityConfusion[expected][got] */
  priorityConfusion: Record<Priority, Record<Priority, number>>;
  misclassified: Misclassified[];
  timing: { meanMs: number; maxMs: number };
}

/**
 * Parses JSON Lines of {text, category, priority} (optional `lang` and `writer` strings are kept); blank lines
 * and lines starting with # are skipped; a bad line names its number.
 */
export function parseTriageJsonl(content: string): Array<TriageSample & { lang?: string; writer?: string }> {
  const samples: Array<TriageSample & { lang?: string; writer?: string }> = [];
  const lines = content.split(/\r?\n/);
  lines.forEach((line, i) => {
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) return;
    let row: unknown;
    try {
      row = JSON.parse(trimmed);
    } catch {
      throw new Error(`line ${i + 1}: not JSON`);
    }
    const r = row as { text?: unknown; category?: unknown; priority?: unknown; lang?: unknown; writer?: unknown };
    if (typeof r.text !== 'string' || !isTicketType(r.category) || !isPriority(r.priority)) {
      throw new Error(`line ${i + 1}: expected {text, category (${TICKET_TYPES.join('|')}), priority (${PRIORITIES.join('|')})}`);
    }
    samples.push({
      text: r.text, category: r.category, priority: r.priority,
      ...(typeof r.lang === 'string' ? { lang: r.lang } : {}), ...(typeof r.writer === 'string' ? { writer: r.writer } : {}),
    });
  });
  return samples;
}

function grid<K extends string>(keys: readonly K[]): Record<K, Record<K, number>> {
  const out = {} as Record<K, Record<K, number>>;
  for (const a of keys) {
    const row = {} as Record<K, number>;
    for (const b of keys) row[b] = 0;
    out[a] = row;
  }
  return out;
}

const ratio = (n: number, d: number, empty = 1): number => (d === 0 ? empty : n / d);

export function evaluateTriage(samples: readonly TriageSample[], classify: Classifier = (text) => triage({ text })): TriageEvaluation {
  const confusion = grid(TICKET_TYPES);
  const priorityConfusion = grid(PRIORITIES);
  const misclassified: Misclassified[] = [];
  let typeRight = 0;
  let priorityRight = 0;
  let priorityNear = 0;
  let exact = 0;
  let security = 0;
  let securityFound = 0;
  let securityUrgent = 0;
  let securityUrgentFound = 0;
  let falseUrgent = 0;
  let securityLow = 0;
  let securityIncidentBelowHigh = 0;
  let needsHuman = 0;
  let wrongTypeFlagged = 0;
  let totalMs = 0;
  let maxMs = 0;

  for (const s of samples) {
    const t0 = performance.now();
    const r = classify(s.text);
    const ms = performance.now() - t0;
    totalMs += ms;
    maxMs = Math.max(maxMs, ms);

    confusion[s.category][r.type] += 1;
    priorityConfusion[s.priority][r.priority] += 1;
    const typeOk = r.type === s.category;
    const priorityOk = r.priority === s.priority;
    if (typeOk) typeRight++;
    if (priorityOk) priorityRight++;
    if (Math.abs(PRIORITIES.indexOf(r.priority) - PRIORITIES.indexOf(s.priority)) <= 1) priorityNear++;
    if (typeOk && priorityOk) exact++;
    if (s.category === 'security') {
      security++;
      if (r.type === 'security') securityFound++;
      if (s.priority === 'urgent') {
        securityUrgent++;
        if (r.type === 'security' && r.priority === 'urgent') securityUrgentFound++;
      }
    }
    if (r.priority === 'urgent' && s.priority !== 'urgent') falseUrgent++;
    if (r.type === 'security' && r.priority === 'low') securityLow++;
    if (s.category === 'security' && (s.priority === 'urgent' || s.priority === 'high') && r.priority !== 'urgent' && r.priority !== 'high') securityIncidentBelowHigh++;
    if (r.needsHuman) {
      needsHuman++;
      if (!typeOk) wrongTypeFlagged++;
    }
    if (!typeOk || !priorityOk) {
      misclassified.push({
        text: s.text,
        expected: { category: s.category, priority: s.priority },
        got: { type: r.type, priority: r.priority },
        typeWrong: !typeOk,
        priorityWrong: !priorityOk,
        reasons: r.reasons,
      });
    }
  }

  const perCategory = {} as Record<TicketType, CategoryFigures>;
  for (const c of TICKET_TYPES) {
    const count = TICKET_TYPES.reduce((n, g) => n + confusion[c][g], 0);
    const predicted = TICKET_TYPES.reduce((n, e) => n + confusion[e][c], 0);
    const correct = confusion[c][c];
    perCategory[c] = { count, predicted, correct, precision: ratio(correct, predicted), recall: ratio(correct, count) };
  }

  const n = samples.length;
  return {
    count: n,
    accuracy: ratio(typeRight, n, 0),
    priorityAccuracy: ratio(priorityRight, n, 0),
    priorityWithinOne: ratio(priorityNear, n, 0),
    exactAccuracy: ratio(exact, n, 0),
    perCategory,
    securityRecall: ratio(securityFound, security),
    securityUrgentRecall: ratio(securityUrgentFound, securityUrgent),
    falseUrgent,
    securityLow,
    securityIncidentBelowHigh,
    needsHuman,
    wrongTypeFlagged,
    confusion,
    priorityConfusion,
    misclassified,
    timing: { meanMs: ratio(totalMs, n, 0), maxMs },
  };
}

const pct = (x: number): string => `${(x * 100).toFixed(1)}%`;
const pad = (s: string, n: number): string => (s.length >= n ? s : s + ' '.repeat(n - s.length));
const lpad = (s: string, n: number): string => (s.length >= n ? s : ' '.repeat(n - s.length) + s);

/** With `showMessages: false` no individual message is printed (the test split's report). */
export function formatTriageReport(result: TriageEvaluation, opts: { title?: string; showMessages?: boolean } = {}): string {
  const lines: string[] = [];
  lines.push(`${opts.title ?? 'Triage evaluation'}: ${result.count} samples`);
  lines.push(`  category accuracy       ${pct(result.accuracy)}`);
  lines.push(`  priority accuracy       ${pct(result.priorityAccuracy)} (within one level ${pct(result.priorityWithinOne)})`);
  lines.push(`  type + priority exact   ${pct(result.exactAccuracy)}`);
  lines.push(`  security recall (type)  ${pct(result.securityRecall)}`);
  lines.push(`  security-urgent recall  ${pct(result.securityUrgentRecall)}`);
  lines.push(`  false urgent            ${result.falseUrgent}`);
  lines.push(`  security tickets low    ${result.securityLow}`);
  lines.push(`  security incident < high ${result.securityIncidentBelowHigh}`);
  lines.push(`  needs a human           ${result.needsHuman} (${pct(ratio(result.needsHuman, result.count, 0))}; wrong types among them: ${result.wrongTypeFlagged} of ${result.count - Math.round(result.accuracy * result.count)})`);
  lines.push(`  time per message        mean ${result.timing.meanMs.toFixed(3)} ms, max ${result.timing.maxMs.toFixed(3)} ms`);
  lines.push('');
  lines.push(`  ${pad('category', 12)}${lpad('count', 6)}${lpad('pred', 6)}${lpad('ok', 5)}${lpad('precision', 11)}${lpad('recall', 9)}`);
  for (const c of TICKET_TYPES) {
    const f = result.perCategory[c];
    lines.push(`  ${pad(c, 12)}${lpad(String(f.count), 6)}${lpad(String(f.predicted), 6)}${lpad(String(f.correct), 5)}${lpad(pct(f.precision), 11)}${lpad(pct(f.recall), 9)}`);
  }
  lines.push('');
  lines.push('  confusion (rows: expected, columns: triaged)');
  lines.push(`  ${pad('', 12)}${TICKET_TYPES.map((c) => lpad(c.slice(0, 10), 11)).join('')}`);
  for (const e of TICKET_TYPES) lines.push(`  ${pad(e, 12)}${TICKET_TYPES.map((g) => lpad(String(result.confusion[e][g]), 11)).join('')}`);
  lines.push('');
  lines.push('  priority confusion (rows: expected, columns: triaged)');
  lines.push(`  ${pad('', 12)}${PRIORITIES.map((p) => lpad(p, 8)).join('')}`);
  for (const e of PRIORITIES) lines.push(`  ${pad(e, 12)}${PRIORITIES.map((g) => lpad(String(result.priorityConfusion[e][g]), 8)).join('')}`);
  if (opts.showMessages !== false && result.misclassified.length > 0) {
    lines.push('');
    lines.push(`  misclassified (${result.misclassified.length}):`);
    for (const m of result.misclassified) {
      const what = [m.typeWrong ? 'TYPE' : '', m.priorityWrong ? 'PRIO' : ''].filter(Boolean).join('+');
      lines.push(`  - [${what}] expected ${m.expected.category}/${m.expected.priority}, got ${m.got.type}/${m.got.priority}: ${m.text}`);
      const why = m.reasons.slice(0, 4).map((r) => `${r.rule}${r.matched ? `「${r.matched}」` : ''}`).join(', ');
      if (why) lines.push(`      ${why}`);
    }
  }
  return lines.join('\n');
}
