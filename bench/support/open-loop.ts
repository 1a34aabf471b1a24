import { Agent, request } from 'node:http';

export interface OpenLoopRequest {
  method: 'GET' | 'POST';
  path: string;
  headers?: Record<string, string>;
  body?: string;
}

/** What one load run measured: request counts and latency percentiles in ms. */
export interface LoadFigures {
  requests: number;
  perSec: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  non2xx: number;
  errors: number;
}

/** Latencies are measured from when each request was due (waiting for a free client counts). */
export type OpenLoopResult = LoadFigures;

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;

/**
 * An open-loop load: `clients` keep-alive connections and requests due at an even pace of `ratePerSec` in all,
 * whatever the answers do. autocannon's rate limit releases each second's requests together (a burst at every
 * tick), which measures a queue of that burst; this spreads them out. A request due while every client is busy
 * waits for one, and that wait is part of its latency (no coordinated omission).
 */
export async function openLoop(baseUrl: string, opts: { clients: number; ratePerSec: number; next: (i: number) => OpenLoopRequest | null; count: number }): Promise<OpenLoopResult> {
  const url = new URL(baseUrl);
  const agent = new Agent({ keepAlive: true, maxSockets: opts.clients });
  const latencies: number[] = [];
  let non2xx = 0;
  let errors = 0;
  const interval = 1000 / opts.ratePerSec;
  const start = performance.now();
  const inFlight: Promise<void>[] = [];
  for (let i = 0; i < opts.count; i++) {
    const req = opts.next(i);
    if (!req) break;
    const due = start + i * interval;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    inFlight.push(
      new Promise<void>((resolve) => {
        const r = request(
          { host: url.hostname, port: url.port, method: req.method, path: req.path, agent, headers: { ...req.headers, ...(req.body ? { 'content-length': Buffer.byteLength(req.body) } : {}) } },
          (res) => {
            res.resume();
            res.on('end', () => {
              latencies.push(performance.now() - due);
              if (!res.statusCode || res.statusCode < 200 || res.statusCode >= 400) non2xx++;
              resolve();
            });
          },
        );
        r.on('error', () => {
          errors++;
          resolve();
        });
        r.end(req.body);
      }),
    );
  }
  await Promise.all(inFlight);
  const elapsed = (performance.now() - start) / 1000;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const round = (n: number) => Math.round(n * 100) / 100;
  return {
    requests: latencies.length,
    perSec: Math.round(latencies.length / elapsed),
    p50: round(percentile(latencies, 50)),
    p90: round(percentile(latencies, 90)),
    p99: round(percentile(latencies, 99)),
    max: round(latencies.at(-1) ?? 0),
    non2xx,
    errors,
  };
}
