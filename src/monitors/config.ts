/**
 * Monitor definitions from hostile input (a staff form, a JSON file): each kind's config is rebuilt from
 * known fields only, so nothing unexpected reaches the database or a request.
 */
import { KinkyuError } from '../domain/errors.ts';
import { requireText } from '../domain/text.ts';
import { parseJsonPath } from './json-path.ts';
import type { BitbankCheckConfig, HttpCheckConfig, MonitorKind, StatusRange, TcpCheckConfig } from './types.ts';
import { MONITOR_KINDS } from './types.ts';

export type MonitorConfig = HttpCheckConfig | TcpCheckConfig | BitbankCheckConfig;

export interface MonitorInput {
  name: string;
  kind: MonitorKind;
  config: MonitorConfig;
  intervalS: number;
  timeoutMs: number;
  failThreshold: number;
  recoverThreshold: number;
  componentIds: string[];
  enabled: boolean;
}

const COMPONENT_ID = /^[a-z0-9][a-z0-9_-]{0,63}$/;
const HEADER_NAME = /^[A-Za-z0-9-]{1,100}$/;
const HOST = /^[A-Za-z0-9.-]{1,253}$|^\[?[0-9A-Fa-f:.]{2,45}\]?$/;

const bad = (field: string, rule: string) => new KinkyuError('VALIDATION', { field, rule });

function int(value: unknown, field: string, min: number, max: number, fallback?: number): number {
  if (value === undefined && fallback !== undefined) return fallback;
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > max) {
    throw new KinkyuError('VALIDATION', { field, rule: 'integer', min: String(min), max: String(max) });
  }
  return n;
}

function httpUrl(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.length > 2000) throw bad(field, 'url');
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw bad(field, 'url');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw bad(field, 'url');
  if (url.username || url.password) throw bad(field, 'url');
  return url.toString();
}

function obj(value: unknown, field: string): Record<string, unknown> {
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw bad(field, 'object');
  return value as Record<string, unknown>;
}

export function parseHttpConfig(raw: unknown): HttpCheckConfig {
  const r = obj(raw, 'config');
  const config: HttpCheckConfig = { url: httpUrl(r.url, 'config.url') };
  if (r.method !== undefined) {
    if (r.method !== 'GET' && r.method !== 'HEAD' && r.method !== 'POST') throw bad('config.method', 'method');
    config.method = r.method;
  }
  if (r.headers !== undefined) {
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(obj(r.headers, 'config.headers'))) {
      if (!HEADER_NAME.test(k) || typeof v !== 'string' || v.length > 1000 || /[\r\n\0]/.test(v)) throw bad('config.headers', 'header');
      headers[k] = v;
    }
    if (Object.keys(headers).length > 20) throw bad('config.headers', 'max');
    config.headers = headers;
  }
  if (r.body !== undefined) {
    if (typeof r.body !== 'string' || r.body.length > 10_000) throw bad('config.body', 'text');
    config.body = r.body;
  }
  if (r.expectedStatus !== undefined) {
    const list = Array.isArray(r.expectedStatus) ? r.expectedStatus : [r.expectedStatus];
    if (list.length === 0 || list.length > 10) throw bad('config.expectedStatus', 'range');
    config.expectedStatus = list.map((item): StatusRange => {
      if (typeof item === 'number' || typeof item === 'string') {
        const text = String(item).trim();
        const m = /^(\d{3})(?:\s*-\s*(\d{3}))?$/.exec(text);
        if (!m) throw bad('config.expectedStatus', 'range');
        const min = Number(m[1]);
        const max = m[2] ? Number(m[2]) : min;
        if (min < 100 || max > 599 || min > max) throw bad('config.expectedStatus', 'range');
        return { min, max };
      }
      const o = obj(item, 'config.expectedStatus');
      const min = int(o.min, 'config.expectedStatus', 100, 599);
      const max = int(o.max, 'config.expectedStatus', min, 599);
      return { min, max };
    });
  }
  if (r.keyword !== undefined) {
    if (typeof r.keyword !== 'string' || r.keyword.length === 0 || r.keyword.length > 500) throw bad('config.keyword', 'text');
    config.keyword = r.keyword;
    config.keywordAbsent = r.keywordAbsent === true;
  }
  if (r.jsonPath !== undefined) {
    if (typeof r.jsonPath !== 'string' || r.jsonPath.length > 200) throw bad('config.jsonPath', 'path');
    try {
      parseJsonPath(r.jsonPath);
    } catch {
      throw bad('config.jsonPath', 'path');
    }
    config.jsonPath = r.jsonPath;
    if (r.jsonExpected !== undefined) {
      if (JSON.stringify(r.jsonExpected).length > 1000) throw bad('config.jsonExpected', 'max');
      config.jsonExpected = r.jsonExpected;
    }
  }
  if (r.degradedAboveMs !== undefined) config.degradedAboveMs = int(r.degradedAboveMs, 'config.degradedAboveMs', 1, 120_000);
  return config;
}

export function parseTcpConfig(raw: unknown): TcpCheckConfig {
  const r = obj(raw, 'config');
  if (typeof r.host !== 'string' || !HOST.test(r.host)) throw bad('config.host', 'host');
  return { host: r.host.replace(/^\[|\]$/g, ''), port: int(r.port, 'config.port', 1, 65535) };
}

export function parseBitbankConfig(raw: unknown): BitbankCheckConfig {
  const r = obj(raw, 'config');
  const config: BitbankCheckConfig = { baseUrl: httpUrl(r.baseUrl, 'config.baseUrl') };
  if (r.degradedAboveMs !== undefined) config.degradedAboveMs = int(r.degradedAboveMs, 'config.degradedAboveMs', 1, 120_000);
  return config;
}

export function parseMonitorConfig(kind: MonitorKind, raw: unknown): MonitorConfig {
  if (kind === 'http') return parseHttpConfig(raw);
  if (kind === 'tcp') return parseTcpConfig(raw);
  return parseBitbankConfig(raw);
}

/** A whole monitor definition; `minIntervalS` keeps production monitors from hammering a target. */
export function parseMonitorInput(raw: unknown, opts: { minIntervalS?: number } = {}): MonitorInput {
  const r = obj(raw, 'monitor');
  if (typeof r.kind !== 'string' || !(MONITOR_KINDS as readonly string[]).includes(r.kind)) throw bad('kind', 'kind');
  const kind = r.kind as MonitorKind;
  const intervalS = int(r.intervalS, 'intervalS', opts.minIntervalS ?? 10, 86_400, 60);
  const timeoutMs = int(r.timeoutMs, 'timeoutMs', 100, 120_000, 10_000);
  const componentIds = r.componentIds === undefined ? [] : r.componentIds;
  if (!Array.isArray(componentIds) || componentIds.length > 100 || !componentIds.every((id) => typeof id === 'string' && COMPONENT_ID.test(id))) {
    throw bad('componentIds', 'id');
  }
  return {
    name: requireText(r.name, 'name', 200),
    kind,
    config: parseMonitorConfig(kind, r.config),
    intervalS,
    timeoutMs,
    failThreshold: int(r.failThreshold, 'failThreshold', 1, 100, 3),
    recoverThreshold: int(r.recoverThreshold, 'recoverThreshold', 1, 100, 3),
    componentIds: [...new Set(componentIds as string[])],
    enabled: r.enabled !== false,
  };
}
