/**
 * Detection's pure parts: the rules' ids, the policy (scores, windows, action thresholds) and the geography
 * used for impossible travel. No database here.
 */

export const RULES = [
  'new_device',
  'new_country',
  'impossible_travel',
  'failed_burst',
  'credential_stuffing',
  'security_change_then_withdrawal',
  'password_change_then_new_address',
  'cloned_passkey',
] as const;
export type RuleId = (typeof RULES)[number];

export const ACTIONS = ['notify', 'step_up', 'ticket', 'lock'] as const;
export type DetectionAction = (typeof ACTIONS)[number];

export interface DetectionPolicy {
  /** Points each rule adds to an alert's score. */
  scores: Record<RuleId, number>;
  /** An alert is kept when its score reaches this (below it, findings are dropped). */
  alertAt: number;
  /** The minimum total score for each action on the account; null turns the action off. */
  actions: Record<DetectionAction, number | null>;
  failedBurst: { count: number; minutes: number };
  credentialStuffing: { accounts: number; minutes: number };
  /** 2FA reset or email change, then a withdrawal request within this many hours. */
  securityChangeWithdrawalHours: number;
  /** Password change, then a new withdrawal address within this many hours. */
  passwordAddressHours: number;
  /** Faster than this between two sign-ins is impossible travel. */
  maxSpeedKmh: number;
  /** Below this distance, country centroids are too coarse to tell anything. */
  minDistanceKm: number;
  /** A burst or stuffing alert for the same account or IP is not raised again within this many minutes. */
  dedupeMinutes: number;
}

export const DEFAULT_POLICY: DetectionPolicy = {
  scores: {
    new_device: 10,
    new_country: 20,
    impossible_travel: 60,
    failed_burst: 30,
    credential_stuffing: 50,
    security_change_then_withdrawal: 90,
    password_change_then_new_address: 50,
    // A passkey's genuine signature with a counter that went backwards: someone holds a copy of the authenticator.
    // Notify with a lock link, step-up at the next sign-in, a ticket for the security team (not a lock: the owner's
    // own device may have been restored from a backup).
    cloned_passkey: 60,
  },
  alertAt: 20,
  // Impossible travel (60): notify + step-up + ticket. 2FA reset/email change → withdrawal (90): lock (+ its ticket).
  // Credential stuffing is per IP: there is no account to act on, so it is an alert only.
  actions: { notify: 30, step_up: 40, ticket: 60, lock: 90 },
  failedBurst: { count: 5, minutes: 10 },
  credentialStuffing: { accounts: 10, minutes: 10 },
  // As long as the withdrawal hold: a withdrawal inside it means the hold was not applied (or the core allows
  // it), which is the takeover pattern; one after it is the owner's ordinary withdrawal and must not lock them.
  securityChangeWithdrawalHours: 24,
  passwordAddressHours: 72,
  maxSpeedKmh: 1000,
  minDistanceKm: 500,
  dedupeMinutes: 60,
};

const isObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);
const num = (v: unknown, fallback: number): number => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : fallback);

/**
 * The policy from `DETECTION_POLICY` (JSON, any subset of DetectionPolicy; unknown keys ignored), over the
 * defaults. Example: `{"actions":{"lock":null},"scores":{"new_country":30}}`. Throws on malformed JSON.
 */
export function parseDetectionPolicy(input: string | Partial<DetectionPolicy> | undefined | null): DetectionPolicy {
  const raw: unknown = typeof input === 'string' ? (input.trim() ? JSON.parse(input) : {}) : (input ?? {});
  if (!isObject(raw)) throw new Error('DETECTION_POLICY must be a JSON object');
  const d = DEFAULT_POLICY;
  const scores = { ...d.scores };
  if (isObject(raw.scores)) for (const r of RULES) scores[r] = num(raw.scores[r], d.scores[r]);
  const actions = { ...d.actions };
  if (isObject(raw.actions)) {
    for (const a of ACTIONS) if (a in raw.actions) actions[a] = raw.actions[a] === null ? null : num(raw.actions[a], d.actions[a] ?? 0);
  }
  const fb = isObject(raw.failedBurst) ? raw.failedBurst : {};
  const cs = isObject(raw.credentialStuffing) ? raw.credentialStuffing : {};
  return {
    scores,
    alertAt: num(raw.alertAt, d.alertAt),
    actions,
    failedBurst: { count: Math.max(1, num(fb.count, d.failedBurst.count)), minutes: num(fb.minutes, d.failedBurst.minutes) },
    credentialStuffing: { accounts: Math.max(2, num(cs.accounts, d.credentialStuffing.accounts)), minutes: num(cs.minutes, d.credentialStuffing.minutes) },
    securityChangeWithdrawalHours: num(raw.securityChangeWithdrawalHours, d.securityChangeWithdrawalHours),
    passwordAddressHours: num(raw.passwordAddressHours, d.passwordAddressHours),
    maxSpeedKmh: num(raw.maxSpeedKmh, d.maxSpeedKmh),
    minDistanceKm: num(raw.minDistanceKm, d.minDistanceKm),
    dedupeMinutes: num(raw.dedupeMinutes, d.dedupeMinutes),
  };
}

/** The actions a score calls for under a policy. */
export function actionsFor(policy: DetectionPolicy, score: number): DetectionAction[] {
  return ACTIONS.filter((a) => {
    const min = policy.actions[a];
    return min !== null && score >= min;
  });
}

/** Approximate centroids (lat, lon) of common countries, ISO 3166 alpha-2. */
export const COUNTRY_CENTROIDS: Readonly<Record<string, readonly [number, number]>> = {
  JP: [36.2, 138.25], US: [39.8, -98.6], BR: [-14.2, -51.9], CN: [35.9, 104.2], KR: [36.5, 127.9], KP: [40.3, 127.5],
  TW: [23.7, 121.0], HK: [22.3, 114.2], MO: [22.2, 113.5], SG: [1.35, 103.8], MY: [4.2, 101.98], TH: [15.9, 100.99],
  VN: [14.06, 108.28], PH: [12.88, 121.77], ID: [-0.79, 113.92], IN: [20.6, 78.96], PK: [30.4, 69.35], BD: [23.7, 90.36],
  LK: [7.87, 80.77], NP: [28.39, 84.12], MN: [46.86, 103.85], KZ: [48.02, 66.92], AU: [-25.27, 133.78], NZ: [-40.9, 174.89],
  GB: [55.38, -3.44], IE: [53.41, -8.24], DE: [51.17, 10.45], FR: [46.23, 2.21], ES: [40.46, -3.75], PT: [39.4, -8.22],
  IT: [41.87, 12.57], NL: [52.13, 5.29], BE: [50.5, 4.47], CH: [46.82, 8.23], AT: [47.52, 14.55], SE: [60.13, 18.64],
  NO: [60.47, 8.47], FI: [61.92, 25.75], DK: [56.26, 9.5], PL: [51.92, 19.15], CZ: [49.82, 15.47], UA: [48.38, 31.17],
  RU: [61.52, 105.32], TR: [38.96, 35.24], GR: [39.07, 21.82], RO: [45.94, 24.97], IL: [31.05, 34.85], AE: [23.42, 53.85],
  SA: [23.89, 45.08], IR: [32.43, 53.69], EG: [26.82, 30.8], NG: [9.08, 8.68], ZA: [-30.56, 22.94], KE: [-0.02, 37.91],
  MA: [31.79, -7.09], CA: [56.13, -106.35], MX: [23.63, -102.55], AR: [-38.42, -63.62], CL: [-35.68, -71.54],
  CO: [4.57, -74.3], PE: [-9.19, -75.02], VE: [6.42, -66.59],
};

/** Great-circle distance in km between two countries' centroids, or null when either is unknown. */
export function countryDistanceKm(a: string, b: string): number | null {
  const p = COUNTRY_CENTROIDS[a.toUpperCase()];
  const q = COUNTRY_CENTROIDS[b.toUpperCase()];
  if (!p || !q) return null;
  return haversineKm(p[0], p[1], q[0], q[1]);
}

export function haversineKm(lat1: number, lon1: number, lat2: number, lon2: number): number {
  const rad = Math.PI / 180;
  const dLat = (lat2 - lat1) * rad;
  const dLon = (lon2 - lon1) * rad;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(lat1 * rad) * Math.cos(lat2 * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * 6371 * Math.asin(Math.min(1, Math.sqrt(h)));
}
