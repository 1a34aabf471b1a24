import { isDeepStrictEqual } from 'node:util';
import { fetchCapped } from './fetch-capped.ts';
import { parseJsonPath, readJsonPath } from './json-path.ts';
import type { CheckResult, HttpCheckConfig, StatusRange } from './types.ts';

const DEFAULT_STATUS: StatusRange[] = [{ min: 200, max: 299 }];

/**
 * One HTTP check. Never throws: every problem — refused, timed out, wrong code, missing keyword, bad JSON —
 * is a failed result whose detail says what was expected and what came back. Redirects are not followed:
 * a 301 is what the endpoint answered, and `expectedStatus` decides whether that is fine.
 */
export async function checkHttp(config: HttpCheckConfig, opts: { timeoutMs: number }): Promise<CheckResult> {
  let res;
  try {
    res = await fetchCapped(config.url, {
      timeoutMs: opts.timeoutMs,
      ...(config.method ? { method: config.method } : {}),
      ...(config.headers ? { headers: config.headers } : {}),
      ...(config.body !== undefined ? { body: config.body } : {}),
    });
  } catch (err) {
    return { ok: false, health: 'down', latencyMs: opts.timeoutMs, detail: (err as Error).message };
  }
  const down = (detail: string): CheckResult => ({ ok: false, health: 'down', latencyMs: res.latencyMs, detail });
  const accepted = config.expectedStatus?.length ? config.expectedStatus : DEFAULT_STATUS;
  if (!accepted.some((r) => res.status >= r.min && res.status <= r.max)) {
    return down(`HTTP ${res.status}, expected ${accepted.map(formatRange).join(' or ')}`);
  }
  if (config.keyword) {
    const present = res.body.includes(config.keyword);
    const cut = res.truncated ? ' (only the first 1 MB was read)' : '';
    if (config.keywordAbsent && present) return down(`body contains ${quote(config.keyword)}, which must be absent`);
    if (!config.keywordAbsent && !present) return down(`body does not contain ${quote(config.keyword)}${cut}`);
  }
  if (config.jsonPath) {
    if (res.truncated) return down('body is larger than 1 MB; cannot read the JSON path');
    let json: unknown;
    try {
      json = JSON.parse(res.body);
    } catch {
      return down(`body is not JSON (starts with ${quote(res.body.slice(0, 40))})`);
    }
    let steps;
    try {
      steps = parseJsonPath(config.jsonPath);
    } catch (err) {
      return down((err as Error).message);
    }
    const got = readJsonPath(json, steps);
    if (!got.found) return down(`JSON path ${config.jsonPath} not found`);
    if (config.jsonExpected !== undefined && !isDeepStrictEqual(got.value, config.jsonExpected)) {
      return down(`JSON path ${config.jsonPath} is ${clip(JSON.stringify(got.value))}, expected ${clip(JSON.stringify(config.jsonExpected))}`);
    }
  }
  if (config.degradedAboveMs !== undefined && res.latencyMs > config.degradedAboveMs) {
    return { ok: true, health: 'degraded', latencyMs: res.latencyMs, detail: `HTTP ${res.status} in ${res.latencyMs} ms, slower than ${config.degradedAboveMs} ms` };
  }
  return { ok: true, health: 'up', latencyMs: res.latencyMs, detail: `HTTP ${res.status} in ${res.latencyMs} ms` };
}

function formatRange(r: StatusRange): string {
  return r.min === r.max ? String(r.min) : `${r.min}-${r.max}`;
}

function clip(s: string | undefined, max = 80): string {
  const text = s ?? 'undefined';
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

function quote(s: string): string {
  return JSON.stringify(clip(s, 60));
}
