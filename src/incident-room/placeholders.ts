import type { Component } from '../domain/component.ts';
import type { Incident } from '../domain/incident.ts';
import { formatDateTime, t, type Lang, localized } from '../web/i18n.ts';
import { langQuery } from '../web/links.ts';

/**
 * The placeholders an update template may use, each filled from the incident in the reader's language, times
 * in the page's zone (JST). Anything else written as {word} is refused when the template is saved, and when an
 * update is previewed, so that no reader ever sees a raw "{pair}".
 */
export const PLACEHOLDERS = [
  'incident', 'components', 'pairs', 'assets', 'started_at', 'now', 'scheduled_until', 'exchange', 'status_url', 'lock_url',
] as const;
export type Placeholder = (typeof PLACEHOLDERS)[number];
export const isPlaceholder = (name: string): name is Placeholder => (PLACEHOLDERS as readonly string[]).includes(name);

const PATTERN = /\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

/** The distinct {names} in `text` that are not placeholders, in order of appearance. */
export function unknownPlaceholders(text: string): string[] {
  const unknown = new Set<string>();
  for (const m of text.matchAll(PATTERN)) if (!isPlaceholder(m[1]!)) unknown.add(m[1]!);
  return [...unknown];
}

export function fillPlaceholders(text: string, values: Readonly<Record<Placeholder, string>>): string {
  return text.replace(PATTERN, (whole, name: string) => (isPlaceholder(name) ? values[name] : whole));
}

export interface PlaceholderSource {
  incident: Pick<Incident, 'id' | 'nameJa' | 'nameEn' | 'componentIds' | 'startedAt' | 'scheduledUntil'>;
  components: readonly Component[];
  /** Component id → its metadata (`pairs`, `assets`), as configured. */
  metadata: ReadonlyMap<string, Record<string, unknown>>;
  exchangeName: { ja: string; en: string };
  publicUrl: string;
  timeZone: string;
  now: Date;
}

const list = (lang: Lang, items: string[]) => items.join(t(lang, 'list.separator'));
const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
/** "btc_jpy" → "BTC/JPY". */
const pairName = (pair: string) => pair.split('_').map((p) => p.toUpperCase()).join('/');

/** Every placeholder's value for one incident in one language. */
export function placeholderValues(lang: Lang, s: PlaceholderSource): Record<Placeholder, string> {
  const affected = s.components.filter((c) => !c.isGroup && s.incident.componentIds.includes(c.id));
  const names = affected.map((c) => localized(lang, c.nameJa, c.nameEn));
  const pairs = [...new Set(affected.flatMap((c) => strings(s.metadata.get(c.id)?.pairs)).map(pairName))];
  const assets = [...new Set(affected.flatMap((c) => strings(s.metadata.get(c.id)?.assets)).map((a) => a.toUpperCase()))];
  const none = t(lang, 'room.placeholder.none');
  const componentsText = names.length ? list(lang, names) : none;
  const query = langQuery(lang);
  return {
    incident: localized(lang, s.incident.nameJa, s.incident.nameEn),
    components: componentsText,
    // No pair or asset in the configuration: the services by name say the same thing.
    pairs: pairs.length ? list(lang, pairs) : componentsText,
    assets: assets.length ? list(lang, assets) : componentsText,
    started_at: formatDateTime(lang, s.incident.startedAt, s.timeZone),
    now: formatDateTime(lang, s.now, s.timeZone),
    scheduled_until: s.incident.scheduledUntil ? formatDateTime(lang, s.incident.scheduledUntil, s.timeZone) : t(lang, 'room.placeholder.undecided'),
    exchange: s.exchangeName[lang],
    status_url: `${s.publicUrl}/incidents/${s.incident.id}${query}`,
    lock_url: `${s.publicUrl}/help/lock${query}`,
  };
}
