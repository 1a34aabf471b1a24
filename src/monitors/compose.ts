/**
 * The incident text a monitor proposes, in Japanese and English: a title and a first update a staff member
 * can publish as it is (or edit), e.g. 「BTC/JPYの取引で遅延が発生しています。現在調査中です。」.
 */
import { worstComponentStatus, type ComponentStatus } from '../domain/component.ts';
import type { IncidentType, Severity } from '../domain/incident.ts';
import { t, type Lang, localized } from '../web/i18n.ts';
import type { Health } from './types.ts';

export interface NamedComponent {
  id: string;
  nameJa: string;
  nameEn: string;
  /** Trading pairs in its metadata: its text speaks of trading. */
  trading: boolean;
}

export interface ComposedIncident {
  type: IncidentType;
  severity: Severity;
  titleJa: string;
  titleEn: string;
  bodyJa: string;
  bodyEn: string;
}

type Problem = 'degraded' | 'partial' | 'major';

function problemOf(status: ComponentStatus): Problem {
  if (status === 'major_outage') return 'major';
  if (status === 'partial_outage') return 'partial';
  return 'degraded';
}

const SEVERITY: Record<Problem, Severity> = { major: 'SEV2', partial: 'SEV3', degraded: 'SEV4' };

/** 「BTC/JPY、ETH/JPYの取引」 / "BTC/JPY and ETH/JPY trading"; the monitor's name when no component is named. */
function subject(lang: Lang, components: NamedComponent[], monitorName: string): string {
  if (!components.length) return monitorName;
  const names = components.map((c) => (localized(lang, c.nameJa, c.nameEn)));
  const shown = names.length > 4 ? [...names.slice(0, 3), t(lang, 'monitor.compose.more', { count: names.length - 3 })] : names;
  const list = lang === 'en'
    ? shown.length > 1 ? `${shown.slice(0, -1).join(', ')} and ${shown[shown.length - 1]}` : shown[0]!
    : shown.join('、');
  return components.every((c) => c.trading) ? t(lang, 'monitor.compose.trading', { names: list }) : list;
}

/** A sustained problem: what to declare. `statuses` are the non-operational statuses the monitor holds. */
export function composeDeclare(
  monitorName: string,
  health: Health,
  statuses: Record<string, ComponentStatus>,
  components: NamedComponent[],
): ComposedIncident {
  const affected = components.filter((c) => statuses[c.id] && statuses[c.id] !== 'operational' && statuses[c.id] !== 'under_maintenance');
  const problem = affected.length
    ? problemOf(worstComponentStatus(affected.map((c) => statuses[c.id]!)))
    : health === 'degraded' ? 'degraded' : 'major';
  const text = (lang: Lang, part: 'title' | 'body') =>
    t(lang, `monitor.compose.${part}.${problem}`, { subject: subject(lang, affected, monitorName) });
  return {
    type: affected.length && affected.every((c) => c.trading) ? 'trading' : 'outage',
    severity: SEVERITY[problem],
    titleJa: text('ja', 'title'),
    titleEn: text('en', 'title'),
    bodyJa: text('ja', 'body'),
    bodyEn: text('en', 'body'),
  };
}

/** Recovery: the resolving update for the components the incident was about. */
export function composeResolve(monitorName: string, components: NamedComponent[]): { bodyJa: string; bodyEn: string } {
  return {
    bodyJa: t('ja', 'monitor.compose.body.resolved', { subject: subject('ja', components, monitorName) }),
    bodyEn: t('en', 'monitor.compose.body.resolved', { subject: subject('en', components, monitorName) }),
  };
}
