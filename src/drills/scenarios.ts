/**
 * The four drills (issue 13 §9). Each is an incident of the seed's types with the components it hits, the facts the
 * regulator's clock sees, the updates a responder would post, and the synthetic users' messages. Texts live in the
 * message catalogue (drill.scenario.*), Japanese first.
 */
import type { Component, ComponentStatus } from '../domain/component.ts';
import { KinkyuError } from '../domain/errors.ts';
import type { IncidentType, Severity } from '../domain/incident.ts';
import type { KeysUnder } from '../web/i18n.ts';

export const SCENARIOS = ['outage', 'takeover', 'withdrawal-delay', 'regulatory'] as const;
export type Scenario = (typeof SCENARIOS)[number];

export const isScenario = (v: unknown): v is Scenario => typeof v === 'string' && (SCENARIOS as readonly string[]).includes(v);

/** Refuses anything but a known scenario, naming the ones there are (before anything is written). */
export function parseScenario(v: unknown): Scenario {
  if (v === undefined || v === null || v === '') throw new KinkyuError('VALIDATION', { field: 'scenario', rule: 'required' });
  if (!isScenario(v)) throw new KinkyuError('VALIDATION', { field: 'scenario', rule: 'unknown_scenario', value: String(v).slice(0, 40), scenarios: SCENARIOS.join(', ') });
  return v;
}

/** The updates a responder posts after the declaration. */
export type DrillStep = 'identified' | 'monitoring' | 'resolved';

export interface ScenarioFacts {
  personalData: boolean;
  sensitiveData: boolean;
  financialLossRisk: boolean;
  wrongfulAct: boolean;
  customerAssetsLost: boolean;
  usersAffected: number | null;
  /** The items of personal data concerned, as the catalogue words them (`drill.dataItems.<key>`), for the regulator's facts. */
  dataItems: KeysUnder<'drill.dataItems'> | null;
}

export interface ScenarioPlan {
  type: IncidentType;
  severity: Severity;
  /** The components the drill marks down at declaration (in its sandbox), with their status. */
  components(all: readonly Component[]): Map<string, ComponentStatus>;
  facts: ScenarioFacts;
  /** The updates after the declaration, in order; the last resolves. */
  steps: readonly DrillStep[];
  /** Which surge texts the synthetic users write. */
  surge: 'outage' | 'login' | 'withdrawal' | 'leak';
}

const leaves = (all: readonly Component[]) => all.filter((c) => !c.isGroup);
const matching = (all: readonly Component[], test: (c: Component) => boolean) => leaves(all).filter(test);
const named = (re: RegExp) => (c: Component) => re.test(c.nameEn) || re.test(c.nameJa) || re.test(c.id);

function pick(all: readonly Component[], choices: readonly [(c: Component) => boolean, ComponentStatus, number][]): Map<string, ComponentStatus> {
  const out = new Map<string, ComponentStatus>();
  for (const [test, status, count] of choices) {
    for (const c of matching(all, test).slice(0, count)) if (!out.has(c.id)) out.set(c.id, status);
  }
  // A page laid out differently still gets a drill: its first service.
  if (out.size === 0 && choices.length > 0) {
    const first = leaves(all)[0];
    if (first) out.set(first.id, choices[0]![1]);
  }
  return out;
}

const NO_FACTS: ScenarioFacts = {
  personalData: false, sensitiveData: false, financialLossRisk: false, wrongfulAct: false, customerAssetsLost: false, usersAffected: null, dataItems: null,
};

export const PLANS: Readonly<Record<Scenario, ScenarioPlan>> = {
  outage: {
    type: 'outage',
    severity: 'SEV2',
    components: (all) => pick(all, [[named(/rest/i), 'major_outage', 1], [named(/\/jpy/i), 'major_outage', 2], [named(/trad|取引/i), 'major_outage', 2]]),
    facts: NO_FACTS,
    steps: ['identified', 'monitoring', 'resolved'],
    surge: 'outage',
  },
  takeover: {
    type: 'security',
    severity: 'SEV1',
    components: (all) => pick(all, [[named(/sign[- ]?in|login|ログイン/i), 'degraded_performance', 1]]),
    facts: { ...NO_FACTS, personalData: true, financialLossRisk: true, wrongfulAct: true, usersAffected: 120, dataItems: 'takeover' },
    steps: ['identified', 'monitoring', 'resolved'],
    surge: 'login',
  },
  'withdrawal-delay': {
    type: 'trading',
    severity: 'SEV2',
    components: (all) => pick(all, [[named(/withdraw|出金/i), 'degraded_performance', 2]]),
    facts: NO_FACTS,
    steps: ['identified', 'monitoring', 'resolved'],
    surge: 'withdrawal',
  },
  regulatory: {
    type: 'security',
    severity: 'SEV3',
    components: () => new Map(),
    facts: { ...NO_FACTS, personalData: true, usersAffected: 1500, dataItems: 'regulatory' },
    steps: ['identified', 'resolved'],
    surge: 'leak',
  },
};
