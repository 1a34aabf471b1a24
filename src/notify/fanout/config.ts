import type { FanoutTuning } from './service.ts';

/** Fan-out tuning from the environment (FANOUT_*); unset values take the defaults in service.ts. */
export interface FanoutConfig extends FanoutTuning {
  /** SMTP for update emails (a bulk relay may differ from the support desk's); default SMTP_URL. */
  smtpUrl?: string;
  /** Pooled SMTP connections for update emails. Default 8. */
  emailConnections: number;
  /** Update emails in flight at most; also the most a crash can send twice. Default twice the connections. */
  emailConcurrency: number;
  /** Update emails per second at most (the relay's limit); 0: no limit. Default 0. */
  emailPerSecond: number;
}

function num(envValue: string | undefined): number | undefined {
  if (envValue === undefined || envValue.trim() === '') return undefined;
  const n = Number(envValue);
  if (!Number.isFinite(n) || n < 0) throw new Error(`not a non-negative number: ${JSON.stringify(envValue)}`);
  return n;
}

export function parseFanoutConfig(env: NodeJS.ProcessEnv): FanoutConfig {
  const emailConnections = Math.max(1, Math.floor(num(env.FANOUT_EMAIL_CONNECTIONS) ?? 8));
  const config: FanoutConfig = {
    emailConnections,
    emailConcurrency: Math.max(1, Math.floor(num(env.FANOUT_EMAIL_CONCURRENCY) ?? emailConnections * 2)),
    emailPerSecond: num(env.FANOUT_EMAIL_PER_SECOND) ?? 0,
  };
  if (env.FANOUT_SMTP_URL) config.smtpUrl = env.FANOUT_SMTP_URL;
  const tuning: [keyof FanoutTuning, string][] = [
    ['leaseMs', 'FANOUT_LEASE_MS'],
    ['pollMs', 'FANOUT_POLL_MS'],
    ['maxAttempts', 'FANOUT_MAX_ATTEMPTS'],
    ['retryBaseMs', 'FANOUT_RETRY_BASE_MS'],
    ['retryMaxMs', 'FANOUT_RETRY_MAX_MS'],
    ['expandChunk', 'FANOUT_EXPAND_CHUNK'],
  ];
  for (const [key, name] of tuning) {
    const v = num(env[name]);
    if (v !== undefined) config[key] = v;
  }
  return config;
}
