/**
 * `npm run bench:start` — how long until a new server serves its first status page, and how much memory it
 * holds then: the production build (`npm start`: dist/, no compiler at run time) cold (a new data directory:
 * migrations, demo data, starter articles) and warm (a restart on that data), against the baseline in the same
 * run, the TypeScript source through tsx (how `npm start` ran before), also cold and warm.
 *
 * Goal (issue 15): warm < 3 s, cold < 15 s including migrations and demo data, on a 2-core machine.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../test/support/net.ts';

const RUNS = Number(process.argv[2] ?? 2);

const rssMbOf = (pid: number): number => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;

async function firstPage(command: string[], dataDir: string, thenTicket = false): Promise<{ ms: number; rssMb: number; rssAfterTicketMb: number | null }> {
  const port = await freePort();
  const started = performance.now();
  const child: ChildProcess = spawn(process.execPath, command, {
    env: { ...process.env, DATA_DIR: dataDir, PORT: String(port), HOST: '127.0.0.1', PUBLIC_URL: `http://127.0.0.1:${port}`, METRICS_PORT: 'off', LOG_LEVEL: 'error', SMTP_URL: '', DATABASE_URL: '', KINKYU_ADMIN_PASSWORD: 'bench password 123456' },
    stdio: 'ignore',
  });
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`exited ${child.exitCode}`);
      const ok = await fetch(`http://127.0.0.1:${port}/`).then((r) => r.ok, () => false);
      if (ok) break;
      if (performance.now() - started > 120_000) throw new Error('no page within 120 s');
      await new Promise((r) => setTimeout(r, 50));
    }
    const ms = performance.now() - started;
    const rssMb = rssMbOf(child.pid!);
    if (!thenTicket) return { ms, rssMb, rssAfterTicketMb: null };
    // The first contact-form ticket loads the triage model: what a server that takes tickets holds.
    const res = await fetch(`http://127.0.0.1:${port}/contact`, {
      method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ body: '取引所が落ちていますか？サイトが開きません', email: 'bench-start@example.jp' }),
    });
    if (res.status !== 201) throw new Error(`the first ticket was answered ${res.status}: ${await res.text()}`);
    await new Promise((r) => setTimeout(r, 1000));
    return { ms, rssMb, rssAfterTicketMb: rssMbOf(child.pid!) };
  } finally {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  }
}

execFileSync(process.execPath, ['scripts/build.mjs', '--if-stale'], { stdio: 'inherit' });
const variants = {
  'dist (npm start)': ['dist/cli/main.js', 'start', '--demo'],
  'tsx (baseline)': ['--import', 'tsx', 'src/cli/main.ts', 'start', '--demo'],
};
const results: Record<string, { cold: number[]; warm: number[]; rssCold: number[]; rss: number[]; rssAfterTicket: number[] }> = {};
for (let run = 0; run < RUNS; run++) {
  for (const [name, command] of Object.entries(variants)) {
    const dir = mkdtempSync(join(tmpdir(), 'kinkyu-start-'));
    try {
      const r = (results[name] ??= { cold: [], warm: [], rssCold: [], rss: [], rssAfterTicket: [] });
      const cold = await firstPage(command, join(dir, 'data'));
      const warm = await firstPage(command, join(dir, 'data'), true);
      r.cold.push(cold.ms);
      r.warm.push(warm.ms);
      r.rssCold.push(cold.rssMb);
      r.rss.push(warm.rssMb);
      r.rssAfterTicket.push(warm.rssAfterTicketMb ?? 0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
console.log(`first status page after start, median of ${RUNS} (2-core machine; goal: warm < 3 s, cold < 15 s)`);
for (const [name, r] of Object.entries(results)) {
  console.log(`  ${name.padEnd(18)} cold ${s(median(r.cold)).padStart(8)}   warm ${s(median(r.warm)).padStart(8)}   resident after cold start ${median(r.rssCold).toFixed(0)} MB, after warm start ${median(r.rss).toFixed(0)} MB, after its first ticket ${median(r.rssAfterTicket).toFixed(0)} MB`);
}
const d = results['dist (npm start)']!;
const b = results['tsx (baseline)']!;
console.log(`  ratio dist/tsx: cold ${(median(d.cold) / median(b.cold)).toFixed(2)}×, warm ${(median(d.warm) / median(b.warm)).toFixed(2)}×`);
