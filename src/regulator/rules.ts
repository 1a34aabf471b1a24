/**
 * The regulator's rules: a configuration file (JSON with comments), not code. The shipped file
 * (`rules.japan.jsonc`) holds Japan's defaults with the source of every rule in a comment; an exchange points
 * REGULATOR_RULES_FILE at its own copy when its counsel reads the rules differently or they change.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseBusinessCalendarConfig, type BusinessCalendarConfig } from '../domain/business-calendar.ts';
import { INCIDENT_TYPES, SEVERITIES, type IncidentType, type Severity } from '../domain/incident.ts';

export const DEFAULT_RULES_FILE = fileURLToPath(new URL('./rules.japan.jsonc', import.meta.url));

export interface Localized {
  ja: string;
  en: string;
}

export const FACT_FLAGS = ['personalData', 'sensitiveData', 'financialLossRisk', 'wrongfulAct', 'customerAssetsLost'] as const;
export type FactFlag = (typeof FACT_FLAGS)[number];

/** What the rules look at: the incident's type and severity, and the facts staff recorded. */
export interface RuleFacts {
  type: IncidentType;
  severity: Severity;
  flags: Readonly<Record<FactFlag, boolean>>;
  usersAffected: number | null;
}

export type Condition =
  | { all: Condition[] }
  | { any: Condition[] }
  | { not: Condition }
  | { flag: FactFlag }
  | { types: IncidentType[] }
  | { severities: Severity[] }
  | { usersAffectedOver: number };

/**
 * When a stage falls due, counted from the moment of awareness:
 * - `hours`: that many hours later, to the minute;
 * - `calendarDays`: the end of the day that many days after the day of awareness (which is not counted);
 *   `ifClosed` moves a deadline that falls on a closed day (weekend, national holiday, year-end closure) to the
 *   `previous` or `next` business day, or `keep`s it;
 * - `businessDays`: the end of the n-th business day after the day of awareness;
 * - `atMostCalendarDays`: never later than the end of that calendar day (with businessDays: "3 business days, at
 *   most 5 days").
 */
export interface Due {
  hours?: number;
  calendarDays?: number;
  businessDays?: number;
  ifClosed?: 'keep' | 'previous' | 'next';
  atMostCalendarDays?: number;
}

export interface Span {
  minutes?: number;
  hours?: number;
  days?: number;
}

export interface StageRule {
  id: string;
  title: Localized;
  due: Due;
  /** The first variant whose condition holds replaces `due` (the PPC's 60 days for a wrongful act). */
  variants: { when: Condition; due: Due; note?: Localized }[];
  /** The reminder mail goes out this long before the stage falls due. */
  remindBefore: Span;
}

/** Draft fields the printable report is filled from (src/regulator/drafts.ts knows how to fill each). */
export const FILL_KEYS = [
  'summary', 'awareness', 'occurredAt', 'services', 'impact', 'usersAffected', 'dataItems', 'cause', 'secondaryDamage',
  'userResponse', 'publication', 'prevention', 'tickets', 'recovery', 'contact', 'blank',
] as const;
export type FillKey = (typeof FILL_KEYS)[number];

export interface DraftField {
  fill: FillKey;
  label: Localized;
}

export interface RegulatoryRule {
  id: string;
  authority: Localized;
  title: Localized;
  /** Where the rule comes from (law, regulation, guideline), shown with the obligation and on the draft. */
  source: string;
  note?: Localized;
  when: Condition;
  stages: StageRule[];
  draft: DraftField[];
}

export interface RegulatorRules {
  /** Which days count as business days for the regulators (government offices). */
  calendar: BusinessCalendarConfig;
  rules: RegulatoryRule[];
  /** The file they were read from. */
  file: string;
}

export class RulesFileError extends Error {
  constructor(file: string, detail: string) {
    super(`regulator rules (${file}): ${detail}`);
    this.name = 'RulesFileError';
  }
}

/** JSON with // and /* *\/ comments and trailing commas (JSONC), as operators write configuration. */
export function parseJsonc(text: string): unknown {
  let out = '';
  let i = 0;
  while (i < text.length) {
    const ch = text[i]!;
    if (ch === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      out += text.slice(i, j + 1);
      i = j + 1;
    } else if (ch === '/' && text[i + 1] === '/') {
      while (i < text.length && text[i] !== '\n') i++;
    } else if (ch === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      i = end < 0 ? text.length : end + 2;
    } else {
      out += ch;
      i++;
    }
  }
  return JSON.parse(out.replace(/,(\s*[}\]])/g, '$1'));
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

class Reader {
  constructor(readonly file: string) {}
  fail(path: string, detail: string): never {
    throw new RulesFileError(this.file, `${path}: ${detail}`);
  }
  object(v: unknown, path: string): Json {
    if (!isObject(v)) this.fail(path, 'must be an object');
    return v;
  }
  string(v: unknown, path: string): string {
    if (typeof v !== 'string' || v.trim() === '') this.fail(path, 'must be a non-empty string');
    return v;
  }
  localized(v: unknown, path: string): Localized {
    const o = this.object(v, path);
    return { ja: this.string(o.ja, `${path}.ja`), en: this.string(o.en, `${path}.en`) };
  }
  count(v: unknown, path: string, min = 0): number {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > 3650) this.fail(path, `must be a whole number from ${min} to 3650`);
    return v;
  }
  condition(v: unknown, path: string): Condition {
    const o = this.object(v, path);
    const keys = Object.keys(o);
    if (keys.length !== 1) this.fail(path, 'a condition has exactly one of all, any, not, flag, types, severities, usersAffectedOver');
    const [key] = keys as [string];
    const value = o[key];
    switch (key) {
      case 'all':
      case 'any': {
        if (!Array.isArray(value) || value.length === 0) this.fail(`${path}.${key}`, 'must be a non-empty list of conditions');
        const list = value.map((c, i) => this.condition(c, `${path}.${key}[${i}]`));
        return key === 'all' ? { all: list } : { any: list };
      }
      case 'not':
        return { not: this.condition(value, `${path}.not`) };
      case 'flag':
        if (!(FACT_FLAGS as readonly unknown[]).includes(value)) this.fail(`${path}.flag`, `must be one of ${FACT_FLAGS.join(', ')}`);
        return { flag: value as FactFlag };
      case 'types':
        if (!Array.isArray(value) || value.length === 0 || !value.every((x) => (INCIDENT_TYPES as readonly unknown[]).includes(x))) {
          this.fail(`${path}.types`, `must list incident types (${INCIDENT_TYPES.join(', ')})`);
        }
        return { types: value as IncidentType[] };
      case 'severities':
        if (!Array.isArray(value) || value.length === 0 || !value.every((x) => (SEVERITIES as readonly unknown[]).includes(x))) {
          this.fail(`${path}.severities`, `must list severities (${SEVERITIES.join(', ')})`);
        }
        return { severities: value as Severity[] };
      case 'usersAffectedOver':
        return { usersAffectedOver: this.count(value, `${path}.usersAffectedOver`) };
      default:
        return this.fail(path, `unknown condition "${key}"`);
    }
  }
  due(v: unknown, path: string): Due {
    const o = this.object(v, path);
    const due: Due = {};
    for (const key of Object.keys(o)) {
      if (!['hours', 'calendarDays', 'businessDays', 'ifClosed', 'atMostCalendarDays'].includes(key)) this.fail(`${path}.${key}`, 'unknown field');
    }
    const units = ['hours', 'calendarDays', 'businessDays'].filter((k) => o[k] !== undefined);
    if (units.length !== 1) this.fail(path, 'needs exactly one of hours, calendarDays, businessDays');
    if (o.hours !== undefined) due.hours = this.count(o.hours, `${path}.hours`, 1);
    if (o.calendarDays !== undefined) due.calendarDays = this.count(o.calendarDays, `${path}.calendarDays`, 1);
    if (o.businessDays !== undefined) due.businessDays = this.count(o.businessDays, `${path}.businessDays`, 1);
    if (o.atMostCalendarDays !== undefined) due.atMostCalendarDays = this.count(o.atMostCalendarDays, `${path}.atMostCalendarDays`, 1);
    if (o.ifClosed !== undefined) {
      if (o.ifClosed !== 'keep' && o.ifClosed !== 'previous' && o.ifClosed !== 'next') this.fail(`${path}.ifClosed`, 'must be keep, previous or next');
      if (due.calendarDays === undefined) this.fail(`${path}.ifClosed`, 'applies to calendarDays only');
      due.ifClosed = o.ifClosed;
    }
    return due;
  }
  span(v: unknown, path: string): Span {
    const o = this.object(v, path);
    const span: Span = {};
    for (const key of Object.keys(o)) {
      if (key !== 'minutes' && key !== 'hours' && key !== 'days') this.fail(`${path}.${key}`, 'unknown field (minutes, hours, days)');
      span[key] = this.count(o[key], `${path}.${key}`);
    }
    return span;
  }
}

/** Reads and checks a rules file; every mistake is named with its place in the file. */
export function parseRules(text: string, file: string): RegulatorRules {
  const r: Reader = new Reader(file);
  let json: unknown;
  try {
    json = parseJsonc(text);
  } catch (err) {
    throw new RulesFileError(file, `not valid JSON with comments: ${(err as Error).message}`);
  }
  const root = r.object(json, '(root)');
  const cal = r.object(root.calendar ?? {}, 'calendar');
  let calendar: BusinessCalendarConfig;
  try {
    calendar = parseBusinessCalendarConfig({
      BUSINESS_TIME_ZONE: typeof cal.timeZone === 'string' ? cal.timeZone : undefined,
      BUSINESS_DAYS: typeof cal.days === 'string' ? cal.days : undefined,
      BUSINESS_NATIONAL_HOLIDAYS: typeof cal.nationalHolidays === 'boolean' ? String(cal.nationalHolidays) : undefined,
      BUSINESS_YEAR_END: typeof cal.yearEnd === 'string' ? cal.yearEnd : undefined,
      BUSINESS_CLOSED_DAYS: Array.isArray(cal.closedDays) ? cal.closedDays.join(',') : undefined,
    });
  } catch (err) {
    throw new RulesFileError(file, `calendar: ${(err as Error).message}`);
  }
  if (!Array.isArray(root.rules) || root.rules.length === 0) r.fail('rules', 'must be a non-empty list');
  const ids = new Set<string>();
  const rules = root.rules.map((raw, i): RegulatoryRule => {
    const path = `rules[${i}]`;
    const o = r.object(raw, path);
    const id = r.string(o.id, `${path}.id`);
    if (!/^[a-z0-9][a-z0-9-]{0,62}$/.test(id)) r.fail(`${path}.id`, 'lower-case letters, digits and dashes');
    if (ids.has(id)) r.fail(`${path}.id`, `"${id}" appears twice`);
    ids.add(id);
    if (!Array.isArray(o.stages) || o.stages.length === 0) r.fail(`${path}.stages`, 'must be a non-empty list');
    const stageIds = new Set<string>();
    const stages = o.stages.map((st, j): StageRule => {
      const sp = `${path}.stages[${j}]`;
      const so = r.object(st, sp);
      const sid = r.string(so.id, `${sp}.id`);
      if (!/^[a-z0-9][a-z0-9-]{0,62}$/.test(sid)) r.fail(`${sp}.id`, 'lower-case letters, digits and dashes');
      if (stageIds.has(sid)) r.fail(`${sp}.id`, `"${sid}" appears twice`);
      stageIds.add(sid);
      const variants = so.variants === undefined ? [] : Array.isArray(so.variants) ? so.variants : r.fail(`${sp}.variants`, 'must be a list');
      return {
        id: sid,
        title: r.localized(so.title, `${sp}.title`),
        due: r.due(so.due, `${sp}.due`),
        variants: variants.map((vr, k) => {
          const vo = r.object(vr, `${sp}.variants[${k}]`);
          return {
            when: r.condition(vo.when, `${sp}.variants[${k}].when`),
            due: r.due(vo.due, `${sp}.variants[${k}].due`),
            ...(vo.note !== undefined ? { note: r.localized(vo.note, `${sp}.variants[${k}].note`) } : {}),
          };
        }),
        remindBefore: r.span(so.remindBefore ?? { hours: 24 }, `${sp}.remindBefore`),
      };
    });
    const draft = Array.isArray(o.draft) ? o.draft : r.fail(`${path}.draft`, 'must be a list of {fill, label}');
    return {
      id,
      authority: r.localized(o.authority, `${path}.authority`),
      title: r.localized(o.title, `${path}.title`),
      source: r.string(o.source, `${path}.source`),
      ...(o.note !== undefined ? { note: r.localized(o.note, `${path}.note`) } : {}),
      when: r.condition(o.when, `${path}.when`),
      stages,
      draft: draft.map((d, k) => {
        const dp = `${path}.draft[${k}]`;
        const dobj = r.object(d, dp);
        if (!(FILL_KEYS as readonly unknown[]).includes(dobj.fill)) r.fail(`${dp}.fill`, `must be one of ${FILL_KEYS.join(', ')}`);
        return { fill: dobj.fill as FillKey, label: r.localized(dobj.label, `${dp}.label`) };
      }),
    };
  });
  return { calendar, rules, file };
}

export function loadRules(file: string = DEFAULT_RULES_FILE): RegulatorRules {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new RulesFileError(file, `cannot be read: ${(err as Error).message}`);
  }
  return parseRules(text, file);
}

export function holds(c: Condition, f: RuleFacts): boolean {
  if ('all' in c) return c.all.every((x) => holds(x, f));
  if ('any' in c) return c.any.some((x) => holds(x, f));
  if ('not' in c) return !holds(c.not, f);
  if ('flag' in c) return f.flags[c.flag];
  if ('types' in c) return c.types.includes(f.type);
  if ('severities' in c) return c.severities.includes(f.severity);
  return f.usersAffected !== null && f.usersAffected > c.usersAffectedOver;
}

/** The rules that attach to an incident with these facts. */
export function applicableRules(rules: RegulatorRules, facts: RuleFacts): RegulatoryRule[] {
  return rules.rules.filter((r) => holds(r.when, facts));
}

/** The stage's deadline rule for these facts: its first matching variant, else its own. */
export function dueFor(stage: StageRule, facts: RuleFacts): { due: Due; variant: number | null } {
  const i = stage.variants.findIndex((v) => holds(v.when, facts));
  return i < 0 ? { due: stage.due, variant: null } : { due: stage.variants[i]!.due, variant: i };
}
