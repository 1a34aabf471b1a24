/** Operator settings for monitors, from the environment (see README / .env.example). */
import type { IncidentPolicy } from './service.ts';

export interface MonitorSettings {
  /** MONITORS_ENABLED (default true): this process runs due monitors. Off, monitors still exist and can be edited. */
  enabled: boolean;
  /** MONITOR_INCIDENT_POLICY: `draft` (default) proposes incidents to staff; `publish` declares them at once. */
  incidentPolicy: IncidentPolicy;
  /** MONITOR_POLL_MS (default 1000): how often a process looks for due monitors. */
  pollMs: number;
  /** MONITOR_MIN_INTERVAL_S (default 10): the shortest interval a monitor may have (the database allows 1). */
  minIntervalS: number;
  /** MONITOR_RETENTION_DAYS (default 100): check results older than this are deleted. */
  retentionDays: number;
  /** BITBANK_API_URL (default https://api.bitbank.cc): the exchange-status adapter's default base URL. */
  bitbankApiUrl: string;
}

function intSetting(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) throw new Error(`${name} must be a whole number from ${min} to ${max}`);
  return n;
}

export function parseMonitorSettings(env: NodeJS.ProcessEnv): MonitorSettings {
  const policy = env.MONITOR_INCIDENT_POLICY || 'draft';
  if (policy !== 'draft' && policy !== 'publish') throw new Error('MONITOR_INCIDENT_POLICY must be draft or publish');
  const enabled = env.MONITORS_ENABLED || 'true';
  if (enabled !== 'true' && enabled !== 'false') throw new Error('MONITORS_ENABLED must be true or false');
  return {
    enabled: enabled === 'true',
    incidentPolicy: policy,
    pollMs: intSetting(env, 'MONITOR_POLL_MS', 1000, 100, 60_000),
    minIntervalS: intSetting(env, 'MONITOR_MIN_INTERVAL_S', 10, 1, 86_400),
    retentionDays: intSetting(env, 'MONITOR_RETENTION_DAYS', 100, 1, 3650),
    bitbankApiUrl: (env.BITBANK_API_URL || 'https://api.bitbank.cc').replace(/\/+$/, ''),
  };
}
