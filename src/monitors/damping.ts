/**
 * Flap damping: a monitor's state changes only after `threshold` results in a row that disagree with it,
 * so one lost packet never flips a component. Going worse and getting better have their own thresholds
 * (`fail` and `recover`): an operator may want to learn of an outage after 3 checks but call it over only
 * after 5 good ones. Pure: the runner keeps the state in the database.
 */
import { componentStatusRank, type ComponentStatus } from '../domain/component.ts';
import { HEALTH_RANK, type Health } from './types.ts';

/** What a monitor says: its own health and the statuses it sets, operational ones left out. */
export interface MonitorSignal {
  health: Health;
  components: Record<string, ComponentStatus>;
}

export interface DampingState {
  signal: MonitorSignal;
  /** Results in a row that disagreed with `signal`. */
  consecutive: number;
}

export interface Thresholds {
  fail: number;
  recover: number;
}

export const INITIAL_SIGNAL: MonitorSignal = { health: 'up', components: {} };

/** Canonical form: operational entries dropped, keys sorted, so equal meanings compare equal. */
export function signalOf(health: Health, componentStatuses: Record<string, ComponentStatus> = {}): MonitorSignal {
  const components: Record<string, ComponentStatus> = {};
  for (const id of Object.keys(componentStatuses).sort()) {
    const s = componentStatuses[id];
    if (s && s !== 'operational') components[id] = s;
  }
  return { health, components };
}

export function sameSignal(a: MonitorSignal, b: MonitorSignal): boolean {
  if (a.health !== b.health) return false;
  const ak = Object.keys(a.components);
  const bk = Object.keys(b.components);
  return ak.length === bk.length && ak.every((k) => a.components[k] === b.components[k]);
}

/** True when anything — the monitor or one of its components — would get worse. */
export function isWorse(from: MonitorSignal, to: MonitorSignal): boolean {
  if (HEALTH_RANK[to.health] > HEALTH_RANK[from.health]) return true;
  return Object.entries(to.components).some(([id, s]) => componentStatusRank(s) > componentStatusRank(from.components[id] ?? 'operational'));
}

export function dampen(state: DampingState, observed: MonitorSignal, thresholds: Thresholds): { state: DampingState; changed: boolean } {
  if (sameSignal(state.signal, observed)) return { state: { signal: state.signal, consecutive: 0 }, changed: false };
  const consecutive = state.consecutive + 1;
  const needed = Math.max(1, isWorse(state.signal, observed) ? thresholds.fail : thresholds.recover);
  if (consecutive >= needed) return { state: { signal: observed, consecutive: 0 }, changed: true };
  return { state: { signal: state.signal, consecutive }, changed: false };
}

/**
 * The statuses to apply on a change from `from` to `to`: every component either mentions, with those that
 * `to` leaves out back to operational.
 */
export function statusesToApply(from: MonitorSignal, to: MonitorSignal): Record<string, ComponentStatus> {
  const out: Record<string, ComponentStatus> = {};
  for (const id of Object.keys(from.components)) out[id] = 'operational';
  Object.assign(out, to.components);
  return out;
}
