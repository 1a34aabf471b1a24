import type { ComponentStatus } from '../domain/component.ts';

/**
 * What one check saw. `ok` is false only when the target is down (or could not be read); a slow but
 * answering target is `ok` with health `degraded`, and an announced maintenance is its own health.
 */
export type Health = 'up' | 'degraded' | 'maintenance' | 'down';

export const HEALTH_RANK: Record<Health, number> = { up: 0, maintenance: 1, degraded: 2, down: 3 };

export interface CheckResult {
  ok: boolean;
  health: Health;
  latencyMs: number;
  /** One line a staff member can act on: what was expected and what came back. */
  detail: string;
  /**
   * Statuses this check determined per component (the exchange adapter). Checks without their own
   * mapping leave it out and the runner derives it from `health` for the monitor's components.
   */
  componentStatuses?: Record<string, ComponentStatus>;
}

export type MonitorKind = 'http' | 'tcp' | 'bitbank';
export const MONITOR_KINDS: readonly MonitorKind[] = ['http', 'tcp', 'bitbank'];

/** An inclusive status code range; a single code is `{ min: c, max: c }`. */
export interface StatusRange {
  min: number;
  max: number;
}

export interface HttpCheckConfig {
  url: string;
  method?: 'GET' | 'HEAD' | 'POST';
  headers?: Record<string, string>;
  body?: string;
  /** Accepted codes; 200–299 when absent. */
  expectedStatus?: StatusRange[];
  /** Text that must appear in the body (or must not, with `keywordAbsent`). */
  keyword?: string;
  keywordAbsent?: boolean;
  /** `data.statuses[0].status` or `$.data.ok`: the body is parsed as JSON and this value compared. */
  jsonPath?: string;
  jsonExpected?: unknown;
  /** Slower than this (ms) counts as degraded rather than down. */
  degradedAboveMs?: number;
}

export interface TcpCheckConfig {
  host: string;
  port: number;
}

export interface BitbankCheckConfig {
  /** `https://api.bitbank.cc` in production; a local stand-in in tests. */
  baseUrl: string;
  degradedAboveMs?: number;
}

/** A component the exchange adapter may set, with the pairs its metadata lists (empty: none). */
export interface PairComponent {
  id: string;
  pairs: string[];
}
