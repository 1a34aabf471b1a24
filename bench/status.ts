/**
 * The public status page under a thundering herd, measured against a bare node:http server that sends
 * exactly the same bytes, in the same run and under the same conditions.
 *
 *   npm run bench:status                         # PGlite in memory (default)
 *   npm run bench:status -- --postgres           # a throwaway PostgreSQL server (needs initdb/pg_ctl)
 *   npm run bench:status -- --duration 8 --warmup 1 --connections 50 --churn 100 --rotate 10
 *
 * Both servers run in child processes; autocannon runs here. See bench/README.md for how to read it.
 */
import autocannon from 'autocannon';
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { cpuProfileFlags, numberArg } from './support/args.ts';
import { runBench } from './support/run-bench.ts';
import { ensureBuilt } from './support/built.ts';

const BENCH_DIR = dirname(fileURLToPath(import.meta.url));
const ROOT = dirname(BENCH_DIR);
const GOAL = 0.8;

// ---------------------------------------------------------------------------------------------- options

function flag(name: string): boolean {
  return process.argv.includes(name);
}

const rotateArg = process.argv.includes('--rotate') ? Number(process.argv[process.argv.indexOf('--rotate') + 1]) : 10;
if (!Number.isInteger(rotateArg) || rotateArg < 0) throw new Error('--rotate needs a whole number of updates (0: never rotate)');

const settings = {
  connections: numberArg('--connections', 50),
  pipelining: 1,
  durationS: numberArg('--duration', 8),
  warmupS: numberArg('--warmup', 1),
  churnMs: numberArg('--churn', 100),
  /** Updates per incident before the churn resolves it and declares the next (keeps the page's size steady). */
  rotate: rotateArg,
  pollMs: 200,
  db: flag('--postgres') ? 'postgres' : 'pglite',
};

// ---------------------------------------------------------------------------------------------- children

interface Child {
  name: string;
  proc: ChildProcess;
  pid: number;
  ready: Record<string, unknown>;
  command(line: string, event: string, timeoutMs?: number): Promise<Record<string, unknown>>;
}

const children: Child[] = [];
/** The throwaway PostgreSQL server with --postgres, destroyed however we leave. */
let pg: { url: string; destroy(): void } | null = null;
/** Where the baseline bodies are kept for the bare servers; removed however we leave. */
let tmp: string | null = null;
const pending = new Set<ChildProcess>();

/** Starts `node --import tsx SCRIPT ARGS` and waits for its {"event":"ready"} line. */
function startChild(name: string, script: string, args: string[], timeoutMs = 60_000): Promise<Child> {
  // --profile DIR: the kinkyu process (not the baseline) writes its CPU profile there.
  const profile = script === 'serve-app.ts' ? cpuProfileFlags() : [];
  const proc = spawn(process.execPath, [...profile, '--import', 'tsx', join(BENCH_DIR, 'support', script), ...args], {
    cwd: ROOT,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  pending.add(proc);
  const waiters = new Map<string, (msg: Record<string, unknown>) => void>();
  let stderrTail = '';
  proc.stderr!.setEncoding('utf8');
  proc.stderr!.on('data', (chunk: string) => {
    stderrTail = (stderrTail + chunk).slice(-4000);
    for (const line of chunk.split('\n')) if (line.trim()) process.stderr.write(`[${name}] ${line}\n`);
  });
  createInterface({ input: proc.stdout! }).on('line', (line) => {
    let msg: Record<string, unknown>;
    try {
      msg = JSON.parse(line) as Record<string, unknown>;
    } catch {
      process.stderr.write(`[${name}] ${line}\n`);
      return;
    }
    const event = String(msg.event);
    const w = waiters.get(event) ?? (event === 'error' ? [...waiters.values()][0] : undefined);
    if (w) w(msg);
  });
  const waitFor = (event: string, ms: number) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const timer = setTimeout(() => {
        waiters.delete(event);
        reject(new Error(`${name}: no "${event}" within ${ms} ms\n${stderrTail}`));
      }, ms);
      const onExit = (code: number | null) => {
        clearTimeout(timer);
        reject(new Error(`${name} exited (${code}) while waiting for "${event}"\n${stderrTail}`));
      };
      proc.once('exit', onExit);
      waiters.set(event, (msg) => {
        clearTimeout(timer);
        waiters.delete(event);
        proc.off('exit', onExit);
        if (msg.event === 'error') reject(new Error(`${name}: ${String(msg.message)}`));
        else resolve(msg);
      });
    });
  proc.stdin!.on('error', () => undefined); // the child may be gone when we say goodbye
  return waitFor('ready', timeoutMs).then((ready) => {
    const child: Child = {
      name,
      proc,
      pid: proc.pid!,
      ready,
      command(line, event, ms = 15_000) {
        const p = waitFor(event, ms);
        proc.stdin!.write(`${line}\n`);
        return p;
      },
    };
    children.push(child);
    return child;
  });
}

/** Ends every child: stdin closed (they exit on their own), then SIGTERM, then SIGKILL. */
async function stopChildren(): Promise<void> {
  const all = [...pending].filter((p) => p.exitCode === null && p.signalCode === null);
  await Promise.all(
    all.map(
      (p) =>
        new Promise<void>((resolve) => {
          const done = () => resolve();
          p.once('exit', done);
          p.stdin?.end();
          const term = setTimeout(() => p.kill('SIGTERM'), 2000);
          const kill = setTimeout(() => p.kill('SIGKILL'), 5000);
          p.once('exit', () => {
            clearTimeout(term);
            clearTimeout(kill);
          });
        }),
    ),
  );
}

// Last resort, if we are leaving without the orderly path (an exception, Ctrl-C).
process.on('exit', () => {
  for (const p of pending) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
});

// ---------------------------------------------------------------------------------------------- helpers

let CLK_TCK = 100;
try {
  CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
} catch {
  /* keep 100 */
}

/** CPU seconds a process has used so far (Linux /proc), or null where that is not available. */
function procCpuSeconds(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(rest[11]) + Number(rest[12])) / CLK_TCK;
  } catch {
    return null;
  }
}

interface Fetched {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

/** A raw GET: no Accept-Encoding unless given, no decompression, every response header kept. */
function get(url: string, headers: Record<string, string> = {}, timeoutMs = 10_000, signal?: AbortSignal): Promise<Fetched> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers, agent: false, ...(signal ? { signal } : {}) }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const h: Record<string, string> = {};
        for (let i = 0; i < res.rawHeaders.length; i += 2) h[res.rawHeaders[i]!.toLowerCase()] = res.rawHeaders[i + 1]!;
        resolve({ status: res.statusCode ?? 0, headers: h, body: Buffer.concat(chunks) });
      });
      res.on('error', reject);
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`GET ${url} timed out`)));
    req.on('error', reject);
    req.end();
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Fetches the page every `pollMs` during a run, the way a client would, and records what it saw: how many
 * different ETags and different bodies (by our own hash, not trusting the ETag), and how long answers took.
 * Polls are fired on schedule whether or not the previous one has been answered, so a stalled server shows
 * as slow or unanswered polls rather than as fewer polls.
 */
function startPoller(url: string, headers: Record<string, string>, pollMs: number) {
  const etags = new Set<string>();
  const bodies = new Set<string>();
  const sizes: number[] = [];
  const took: number[] = [];
  let sent = 0;
  let failures = 0;
  const inFlight = new Set<Promise<void>>();
  const abort = new AbortController();
  setMaxListeners(200, abort.signal); // one listener per outstanding poll
  const poll = () => {
    if (inFlight.size >= 100) return;
    sent++;
    const started = performance.now();
    const p: Promise<void> = get(url, headers, 30_000, abort.signal)
      .then((r) => {
        took.push(performance.now() - started);
        if (r.status !== 200) return void failures++;
        etags.add(r.headers.etag ?? '(none)');
        bodies.add(createHash('sha1').update(r.body).digest('hex'));
        sizes.push(r.body.length);
      })
      .catch(() => void failures++)
      .finally(() => inFlight.delete(p));
    inFlight.add(p);
  };
  poll();
  const timer = setInterval(poll, pollMs);
  /** Stops polling; waits up to `graceMs` for answers still outstanding, which then count as unanswered. */
  return async (graceMs = 3000) => {
    clearInterval(timer);
    await Promise.race([Promise.all(inFlight), sleep(graceMs)]);
    const unanswered = inFlight.size;
    abort.abort(); // what is still outstanding must not add load to the next run
    const sorted = [...took].sort((a, b) => a - b);
    return {
      polls: sent,
      answered: took.length,
      unanswered,
      failures,
      distinctEtags: etags.size,
      distinctBodies: bodies.size,
      bodyBytes: sizes.length ? { first: sizes[0]!, last: sizes[sizes.length - 1]! } : null,
      p50Ms: sorted.length ? Math.round(sorted[Math.floor(sorted.length / 2)]!) : null,
      maxMs: sorted.length ? Math.round(sorted[sorted.length - 1]!) : null,
    };
  };
}

// ---------------------------------------------------------------------------------------------- runs

interface Scenario {
  id: string;
  path: string;
  encoding: 'identity' | 'br';
  requestHeaders: Record<string, string>;
}

const SCENARIOS: Scenario[] = [
  { id: 'summary.json identity', path: '/api/v2/summary.json', encoding: 'identity', requestHeaders: {} },
  { id: '/ identity', path: '/', encoding: 'identity', requestHeaders: {} },
  { id: '/ br', path: '/', encoding: 'br', requestHeaders: { 'accept-encoding': 'br' } },
];

interface RunResult {
  scenario: string;
  target: 'bare' | 'kinkyu' | 'kinkyu+churn';
  url: string;
  reqPerSec: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  latencyMaxMs: number;
  requests: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  bytesPerResponse: number;
  serverCpuPct: number | null;
  /** Server CPU time per answered request, in microseconds: the server's cost, whoever saturates first. */
  serverUsPerReq: number | null;
  loadgenCpuPct: number;
  poll: Awaited<ReturnType<ReturnType<typeof startPoller>>>;
  /** The machine's 1-minute load average at the end of the run (this benchmark's own processes included). */
  loadAvg1m: number;
}

async function cannon(url: string, headers: Record<string, string>, durationS: number) {
  return autocannon({ url, connections: settings.connections, pipelining: settings.pipelining, duration: durationS, headers });
}

async function run(s: Scenario, target: RunResult['target'], baseUrl: string, serverPid: number, warmup: boolean): Promise<RunResult> {
  const url = baseUrl + s.path;
  if (warmup) await cannon(url, s.requestHeaders, settings.warmupS);
  process.stdout.write(`  ${s.id.padEnd(22)} ${target.padEnd(13)} … `);
  const stopPoll = startPoller(url, s.requestHeaders, settings.pollMs);
  const cpu0 = procCpuSeconds(serverPid);
  const own0 = process.cpuUsage();
  const t0 = performance.now();
  const r = await cannon(url, s.requestHeaders, settings.durationS);
  const wall = (performance.now() - t0) / 1000;
  const cpu1 = procCpuSeconds(serverPid);
  const own = process.cpuUsage(own0);
  const poll = await stopPoll();
  const result: RunResult = {
    scenario: s.id,
    target,
    url,
    reqPerSec: Math.round(r.requests.average),
    latencyP50Ms: r.latency.p50,
    latencyP99Ms: r.latency.p99,
    latencyMaxMs: r.latency.max,
    requests: r.requests.total,
    non2xx: r.non2xx,
    errors: r.errors,
    timeouts: r.timeouts,
    // Headers included: the same for both sides unless the page itself changed.
    bytesPerResponse: r.requests.total ? Math.round(r.throughput.total / r.requests.total) : 0,
    serverCpuPct: cpu0 !== null && cpu1 !== null ? Math.round(((cpu1 - cpu0) / wall) * 100) : null,
    serverUsPerReq: cpu0 !== null && cpu1 !== null && r.requests.total > 0 ? Math.round(((cpu1 - cpu0) * 1e6) / r.requests.total) : null,
    loadgenCpuPct: Math.round(((own.user + own.system) / 1e6 / wall) * 100),
    poll,
    loadAvg1m: Number(loadavg()[0]!.toFixed(2)),
  };
  process.stdout.write(`${result.reqPerSec} req/s, p99 ${result.latencyP99Ms} ms\n`);
  return result;
}

// ---------------------------------------------------------------------------------------------- main

async function main(): Promise<number> {
  ensureBuilt();
  const startedAt = new Date();
  const cpuModel = cpus()[0]?.model ?? 'unknown';
  console.log(`kinkyu status page benchmark — ${startedAt.toISOString()}`);
  console.log(
    `${cpus().length} CPU(s) (${cpuModel}), Node ${process.version}, database: ${settings.db}. ` +
      `autocannon: ${settings.connections} connections, pipelining ${settings.pipelining}, ${settings.durationS} s per run after ${settings.warmupS} s warm-up.`,
  );
  const load0 = loadavg()[0]!;
  if (load0 > 0.7) {
    console.log(
      `WARNING: the 1-minute load average is ${load0.toFixed(2)} before starting (a run that just finished counts too): if other\n` +
        'processes are using the CPU, the figures will be noisy and lower than on a quiet machine, the churn runs most of all.\n',
    );
  }
  console.log(
    `Note: the load generator (this process) and the server under test share ${cpus().length} cores, so absolute req/s are\n` +
      'bounded by the machine; both sides run under exactly the same conditions and the ratio kinkyu/bare is what counts.\n',
  );

  const dir = mkdtempSync(join(tmpdir(), 'kinkyu-bench-'));
  tmp = dir;
  try {
    if (settings.db === 'postgres') {
      const { startPostgres, postgresAvailable } = await import('../test/support/postgres-server.ts');
      if (!postgresAvailable()) throw new Error('--postgres: initdb/pg_ctl not found');
      pg = await startPostgres();
    }
    const app = await startChild('app', 'serve-app.ts', [
      ...(pg ? ['--postgres', pg.url] : []), '--churn', String(settings.churnMs), '--rotate', String(settings.rotate),
    ]);
    const appUrl = String(app.ready.baseUrl);
    console.log(`kinkyu app (pid ${app.pid}) at ${appUrl}`);

    // A thundering herd comes with an incident: the page is measured with one open, carrying as many updates
    // as it will on average during the churn, so the static and churn runs serve pages of the same size.
    const incident = await app.command('incident', 'incident-ready');
    for (let waited = 0; ; waited += 50) {
      const r = await get(`${appUrl}/api/v2/incidents/unresolved.json`);
      const open = (JSON.parse(r.body.toString('utf8')) as { incidents: { id: string; incident_updates: unknown[] }[] }).incidents;
      const shown = open.find((i) => i.id === incident.incidentId);
      if (shown && shown.incident_updates.length === incident.updates) break;
      if (waited > 10_000) throw new Error('the public site did not show the benchmark incident within 10 s');
      await sleep(50);
    }
    console.log(`open incident ${String(incident.incidentId)} with ${String(incident.updates)} updates`);

    // The baseline serves exactly what kinkyu sends: body and every response header but the per-connection ones.
    const PER_CONNECTION = new Set(['date', 'connection', 'keep-alive', 'transfer-encoding', 'content-length']);
    const bodies: Record<string, { bytes: number; etag: string; file: string }> = {};
    const bare: Record<string, Child> = {};
    await Promise.all(
      SCENARIOS.map(async (s, i) => {
        const r = await get(appUrl + s.path, s.requestHeaders);
        if (r.status !== 200) throw new Error(`GET ${s.path} (${s.encoding}): ${r.status}`);
        const sentEncoding = r.headers['content-encoding'] ?? 'identity';
        if (sentEncoding !== s.encoding) throw new Error(`GET ${s.path}: asked for ${s.encoding}, got ${sentEncoding}`);
        const headers = Object.fromEntries(Object.entries(r.headers).filter(([k]) => !PER_CONNECTION.has(k)));
        const bodyFile = join(dir, `body-${i}`);
        const headersFile = join(dir, `headers-${i}.json`);
        writeFileSync(bodyFile, r.body);
        writeFileSync(headersFile, JSON.stringify(headers));
        bodies[s.id] = { bytes: r.body.length, etag: headers.etag ?? '', file: bodyFile };
        bare[s.id] = await startChild(`bare ${i}`, 'serve-bare.ts', ['--body', bodyFile, '--headers', headersFile]);
      }),
    );
    for (const s of SCENARIOS) console.log(`  ${s.id.padEnd(22)} ${String(bodies[s.id]!.bytes).padStart(7)} bytes, etag ${bodies[s.id]!.etag}`);
    console.log('');

    const results: RunResult[] = [];
    console.log('Static page (kinkyu vs bare, same bytes):');
    for (const s of SCENARIOS) {
      const b = bare[s.id]!;
      results.push(await run(s, 'bare', String(b.ready.baseUrl), b.pid, true));
      results.push(await run(s, 'kinkyu', appUrl, app.pid, true));
    }

    console.log(`\nWhile an incident is updated every ${settings.churnMs} ms (kinkyu only; same bare baseline):`);
    const started = await app.command('churn start', 'churn-started');
    await sleep(500); // the first updates land before the clock starts
    for (const s of SCENARIOS) results.push(await run(s, 'kinkyu+churn', appUrl, app.pid, false));
    const churn = await app.command('churn stop', 'churn-stopped');
    const churnRuns = results.filter((r) => r.target === 'kinkyu+churn');
    // The churn must really have changed what is served: the app posted updates, and the side fetchers saw
    // different bodies. A run where they did not (e.g. every poll went unanswered) is flagged, not hidden.
    const churnChanged = Number(churn.posted) > 1 && churnRuns.some((r) => r.poll.distinctBodies > 1);
    const churnEveryRun = churnRuns.every((r) => r.poll.distinctBodies > 1 && r.poll.distinctEtags > 1);

    // -------------------------------------------------------------------------------------- report
    const bareOf = (scenario: string) => results.find((r) => r.scenario === scenario && r.target === 'bare')!;
    const rows = results.map((r) => {
      const ratio = r.target === 'bare' ? null : r.reqPerSec / bareOf(r.scenario).reqPerSec;
      return { ...r, ratio: ratio === null ? null : Number(ratio.toFixed(3)) };
    });

    const head = ['scenario', 'server', 'req/s', 'p50 ms', 'p99 ms', 'non2xx', 'errors', 'B/resp', 'srv CPU', 'srv µs/req', 'gen CPU', 'bodies seen', 'kinkyu/bare', `goal ≥ ${GOAL}`];
    const table = rows.map((r) => [
      r.scenario,
      r.target,
      String(r.reqPerSec),
      String(r.latencyP50Ms),
      String(r.latencyP99Ms),
      String(r.non2xx),
      String(r.errors + r.timeouts),
      String(r.bytesPerResponse),
      r.serverCpuPct === null ? '-' : `${r.serverCpuPct}%`,
      r.serverUsPerReq === null ? '-' : String(r.serverUsPerReq),
      `${r.loadgenCpuPct}%`,
      String(r.poll.distinctBodies),
      r.ratio === null ? '' : r.ratio.toFixed(2),
      r.ratio === null ? '' : r.ratio >= GOAL ? 'ok' : 'BELOW',
    ]);
    const widths = head.map((h, i) => Math.max(h.length, ...table.map((row) => row[i]!.length)));
    const line = (cells: string[]) => cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
    console.log('\n' + line(head));
    console.log(widths.map((w) => '-'.repeat(w)).join('  '));
    for (const row of table) console.log(line(row));

    const expected = Math.floor((Number(churn.seconds) * 1000) / settings.churnMs);
    const genBound = rows.filter((r) => r.loadgenCpuPct >= 90 && (r.serverCpuPct ?? 100) < 90);
    if (genBound.length) {
      console.log(
        `\n${genBound.length} of ${rows.length} runs were bound by the load generator (gen CPU ≥ 90%, server below 90%): there the\n` +
          'req/s ratio says kinkyu kept up with the same offered load; compare "srv µs/req" for what each request costs the server.',
      );
    }
    console.log(
      `\nChurn: ${churn.posted} updates posted in ${Number(churn.seconds).toFixed(1)} s (one every ${settings.churnMs} ms would be ${expected}; ` +
        `${churn.skipped} ticks skipped while the previous update was still running, ${churn.failed} failed, ` +
        `${churn.incidentsDeclared} incidents declared in all, rotating every ${settings.rotate} updates` +
        `${churn.lastError ? `: ${String(churn.lastError)}` : ''}); postUpdate p50 ${JSON.stringify((churn.updateMs as { p50: number }).p50)} ms, ` +
        `p99 ${JSON.stringify((churn.updateMs as { p99: number }).p99)} ms.`,
    );
    for (const r of rows.filter((x) => x.target === 'kinkyu+churn')) {
      const sizes = r.poll.bodyBytes ? `, body ${r.poll.bodyBytes.first} → ${r.poll.bodyBytes.last} bytes` : '';
      console.log(
        `  ${r.scenario.padEnd(22)} side fetcher: ${r.poll.polls} polls every ${settings.pollMs} ms, ${r.poll.answered} answered ` +
          `(p50 ${r.poll.p50Ms} ms, slowest ${r.poll.maxMs} ms), ${r.poll.unanswered} unanswered, ${r.poll.failures} failed; ` +
          `${r.poll.distinctEtags} distinct ETags, ${r.poll.distinctBodies} distinct bodies${sizes}`,
      );
    }
    console.log(
      !churnChanged
        ? 'INVALID: the served page never changed during the churn runs — those figures would describe a static page.'
        : churnEveryRun
          ? 'Verified: the served page changed during every churn run.'
          : 'Verified that the page changed, but not within every churn run: see the side fetcher lines (unanswered polls mean the server stalled).',
    );
    console.log(
      '\nsrv CPU = CPU time of the server process / wall time (100% = one core); gen CPU = the same for autocannon here.\n' +
        'bodies seen = distinct bodies a side fetcher saw while polling every 200 ms (1 = the page did not change; 2 in a\n' +
        'static run is the page\'s minute-granular "last checked" time rolling over).\n' +
        'B/resp = bytes per response, headers included: under churn the open incident has 1 to --rotate updates, so it varies\n' +
        'around the size of the baseline page (taken with half that many).',
    );

    const out = join(BENCH_DIR, 'results');
    mkdirSync(out, { recursive: true });
    const file = join(out, `status-${startedAt.toISOString().replace(/[:.]/g, '-')}.json`);
    writeFileSync(
      file,
      JSON.stringify(
        {
          startedAt: startedAt.toISOString(),
          finishedAt: new Date().toISOString(),
          machine: { cpus: cpus().length, cpuModel, node: process.version, platform: process.platform, loadAvg1mAtStart: load0 },
          settings: { ...settings, goal: GOAL },
          baselineBodies: Object.fromEntries(Object.entries(bodies).map(([k, v]) => [k, { bytes: v.bytes, etag: v.etag }])),
          runs: rows,
          churn: { ...churn, firstIncidentId: started.incidentId, verifiedChanged: churnChanged, changedInEveryRun: churnEveryRun },
        },
        null,
        2,
      ) + '\n',
    );
    console.log(`\nResults written to ${file}`);
    return churnChanged ? 0 : 1;
  } finally {
    await stopChildren();
    pg?.destroy();
    pg = null;
    rmSync(dir, { recursive: true, force: true });
    tmp = null;
  }
}

runBench(main, async () => {
  await stopChildren().catch(() => undefined);
  pg?.destroy();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});
