/**
 * bitbank's public exchange status as component statuses.
 *
 * `GET {base}/v1/spot/status` gives each pair NORMAL, BUSY, VERY_BUSY or HALT. The mapping follows what a
 * user of that pair experiences:
 *   NORMAL    → operational
 *   BUSY      → degraded_performance  (orders go through, slower; bitbank raises min_amount)
 *   VERY_BUSY → partial_outage        (many orders are refused or delayed; trading is unreliable)
 *   HALT      → major_outage          (no trading on the pair)
 * `GET {base}/v1/spot/pairs` adds per-pair switches, each taken into the worst-of:
 *   is_enabled false          → major_outage   (the pair is switched off)
 *   stop_order_and_cancel     → major_outage   (no new orders and resting orders cannot be cancelled)
 *   stop_order                → partial_outage (no new orders, but cancelling still works)
 *   stop_market_order, stop_stop_order, stop_stop_limit_order, stop_margin_long_order,
 *   stop_margin_short_order, stop_buy_order, stop_sell_order
 *                             → degraded_performance (one kind of order is unavailable, the rest work)
 * A component's metadata lists its pairs (`{"pairs":["btc_jpy"]}`); it takes the worst status among them.
 * Components bound to the monitor without pairs (e.g. the REST API) follow the exchange as a whole.
 * The error `{"success":0,"data":{"code":10007}}` (system maintenance) puts every component under
 * maintenance; 10008 (server busy) makes every component degraded_performance. Anything unreadable is a
 * failed check with a detail, never an exception.
 */
import { worstComponentStatus, type ComponentStatus } from '../domain/component.ts';
import { fetchCapped, type CappedResponse } from './fetch-capped.ts';
import type { BitbankCheckConfig, CheckResult, PairComponent } from './types.ts';

export const BITBANK_STATUS_MAP: Record<string, ComponentStatus> = {
  NORMAL: 'operational',
  BUSY: 'degraded_performance',
  VERY_BUSY: 'partial_outage',
  HALT: 'major_outage',
};

const MAINTENANCE_CODE = 10007;
const BUSY_CODE = 10008;

const MINOR_STOP_FLAGS = [
  'stop_market_order', 'stop_stop_order', 'stop_stop_limit_order', 'stop_margin_long_order',
  'stop_margin_short_order', 'stop_buy_order', 'stop_sell_order',
] as const;

/** The status one pair gets from its pairs-endpoint flags, with the flags that caused it. */
export function statusFromPairFlags(flags: Record<string, unknown>): { status: ComponentStatus; reasons: string[] } {
  if (flags.is_enabled === false) return { status: 'major_outage', reasons: ['is_enabled=false'] };
  if (flags.stop_order_and_cancel === true) return { status: 'major_outage', reasons: ['stop_order_and_cancel'] };
  if (flags.stop_order === true) return { status: 'partial_outage', reasons: ['stop_order'] };
  const minor = MINOR_STOP_FLAGS.filter((f) => flags[f] === true);
  return minor.length ? { status: 'degraded_performance', reasons: minor } : { status: 'operational', reasons: [] };
}

type Envelope = { kind: 'data'; data: Record<string, unknown> } | { kind: 'error'; code: number } | { kind: 'bad'; detail: string };

function readEnvelope(what: string, res: CappedResponse): Envelope {
  let json: unknown;
  try {
    json = JSON.parse(res.body);
  } catch {
    return { kind: 'bad', detail: `${what}: HTTP ${res.status}, body is not JSON` };
  }
  if (!json || typeof json !== 'object' || Array.isArray(json)) return { kind: 'bad', detail: `${what}: body is not a JSON object` };
  const { success, data } = json as { success?: unknown; data?: unknown };
  if (!data || typeof data !== 'object' || Array.isArray(data)) return { kind: 'bad', detail: `${what}: no data object` };
  if (success === 0) {
    const code = (data as { code?: unknown }).code;
    return typeof code === 'number' ? { kind: 'error', code } : { kind: 'bad', detail: `${what}: success 0 without an error code` };
  }
  if (success !== 1) return { kind: 'bad', detail: `${what}: success is ${JSON.stringify(success)}, expected 1` };
  if (res.status < 200 || res.status > 299) return { kind: 'bad', detail: `${what}: HTTP ${res.status}` };
  return { kind: 'data', data: data as Record<string, unknown> };
}

/** Per pair, from `data.statuses`; null when the shape is wrong. Unknown status words are reported. */
function pairStatuses(data: Record<string, unknown>, unknown: string[]): Map<string, ComponentStatus> | null {
  const list = data.statuses;
  if (!Array.isArray(list)) return null;
  const byPair = new Map<string, ComponentStatus>();
  for (const entry of list) {
    const { pair, status } = (entry ?? {}) as { pair?: unknown; status?: unknown };
    if (typeof pair !== 'string' || typeof status !== 'string') return null;
    const mapped = BITBANK_STATUS_MAP[status];
    if (mapped) byPair.set(pair, mapped);
    else unknown.push(`${pair}=${status.slice(0, 20)}`);
  }
  return byPair;
}

function pairFlags(data: Record<string, unknown>): Map<string, { status: ComponentStatus; reasons: string[] }> | null {
  const list = data.pairs;
  if (!Array.isArray(list)) return null;
  const byPair = new Map<string, { status: ComponentStatus; reasons: string[] }>();
  for (const entry of list) {
    if (!entry || typeof entry !== 'object' || typeof (entry as { name?: unknown }).name !== 'string') return null;
    byPair.set((entry as { name: string }).name, statusFromPairFlags(entry as Record<string, unknown>));
  }
  return byPair;
}

export async function checkBitbank(
  config: BitbankCheckConfig,
  components: readonly PairComponent[],
  opts: { timeoutMs: number },
): Promise<CheckResult> {
  const base = config.baseUrl.replace(/\/+$/, '');
  const started = performance.now();
  const latency = () => Math.round(performance.now() - started);
  let statusRes: CappedResponse;
  let pairsRes: CappedResponse;
  try {
    [statusRes, pairsRes] = await Promise.all([
      fetchCapped(`${base}/v1/spot/status`, { timeoutMs: opts.timeoutMs, headers: { accept: 'application/json' } }),
      fetchCapped(`${base}/v1/spot/pairs`, { timeoutMs: opts.timeoutMs, headers: { accept: 'application/json' } }),
    ]);
  } catch (err) {
    return { ok: false, health: 'down', latencyMs: latency(), detail: `bitbank: ${(err as Error).message}` };
  }
  const everyone = (status: ComponentStatus) => Object.fromEntries(components.map((c) => [c.id, status]));
  const status = readEnvelope('spot/status', statusRes);
  const pairs = readEnvelope('spot/pairs', pairsRes);
  const codes = [status, pairs].flatMap((e) => (e.kind === 'error' ? [e.code] : []));
  if (codes.includes(MAINTENANCE_CODE)) {
    return { ok: true, health: 'maintenance', latencyMs: latency(), detail: 'bitbank: system maintenance (code 10007)', componentStatuses: everyone('under_maintenance') };
  }
  if (codes.includes(BUSY_CODE)) {
    return { ok: true, health: 'degraded', latencyMs: latency(), detail: 'bitbank: server busy (code 10008)', componentStatuses: everyone('degraded_performance') };
  }
  for (const e of [status, pairs]) {
    if (e.kind === 'error') return { ok: false, health: 'down', latencyMs: latency(), detail: `bitbank: error code ${e.code}` };
    if (e.kind === 'bad') return { ok: false, health: 'down', latencyMs: latency(), detail: `bitbank ${e.detail}` };
  }
  const unknownWords: string[] = [];
  const byStatus = status.kind === 'data' ? pairStatuses(status.data, unknownWords) : null;
  const byFlags = pairs.kind === 'data' ? pairFlags(pairs.data) : null;
  if (!byStatus) return { ok: false, health: 'down', latencyMs: latency(), detail: 'bitbank spot/status: data.statuses is not a list of {pair, status}' };
  if (!byFlags) return { ok: false, health: 'down', latencyMs: latency(), detail: 'bitbank spot/pairs: data.pairs is not a list of {name, …}' };

  const componentStatuses: Record<string, ComponentStatus> = {};
  const notes: string[] = [];
  const missing: string[] = [];
  for (const c of components) {
    const found: ComponentStatus[] = [];
    for (const pair of c.pairs) {
      const s = byStatus.get(pair);
      const f = byFlags.get(pair);
      if (s === undefined && f === undefined) {
        missing.push(pair);
        continue;
      }
      const worst = worstComponentStatus([s ?? 'operational', f?.status ?? 'operational']);
      found.push(worst);
      if (worst !== 'operational') notes.push(`${pair} ${worst}${f?.reasons.length ? ` (${f.reasons.join(', ')})` : ''}`);
    }
    componentStatuses[c.id] = worstComponentStatus(found);
  }
  if (unknownWords.length) notes.push(`unknown status ${unknownWords.slice(0, 5).join(', ')}`);
  if (missing.length) notes.push(`no data for ${missing.slice(0, 5).join(', ')}`);
  const allFine = Object.values(componentStatuses).every((s) => s === 'operational');
  const ms = latency();
  const slow = config.degradedAboveMs !== undefined && ms > config.degradedAboveMs;
  return {
    ok: true,
    health: allFine && !slow ? 'up' : 'degraded',
    latencyMs: ms,
    detail: `bitbank: ${notes.length ? notes.join('; ') : 'all pairs normal'}${slow ? `; answered in ${ms} ms, slower than ${config.degradedAboveMs} ms` : ''}`,
    componentStatuses,
  };
}
