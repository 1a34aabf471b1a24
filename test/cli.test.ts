import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { kinkyuProcess } from './support/cli-process.ts';
import { kinkyuEnv, startKinkyuProcess, stopKinkyu } from './support/server-process.ts';
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { freePort } from './support/net.ts';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDb } from '../src/store/db.ts';
import { validateStatuspage } from './support/statuspage-schema.ts';
import { builtCli } from './support/built-cli.ts';

interface PromFamily { name: string; type: string; metrics: { value?: string; labels?: Record<string, string>; buckets?: Record<string, string> }[] }
/** A Prometheus text-format parser (parse-prometheus-text-format): what a scraper reads, not our own reading. */
const parsePrometheus = createRequire(import.meta.url)('parse-prometheus-text-format') as (text: string) => PromFamily[];

let dir: string;
let env: NodeJS.ProcessEnv;
const kinkyu = (...args: string[]) => kinkyuProcess(env, ...args);


before(() => {
  dir = mkdtempSync(join(tmpdir(), 'kinkyu-cli-'));
  env = { ...process.env, DATA_DIR: join(dir, 'data'), PUBLIC_URL: 'https://status.example.jp', DATABASE_URL: '' };
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe('the kinkyu command', () => {
  test('migrate, seed demo data, create staff', async () => {
    assert.match((await kinkyu('migrate')).stdout, /001_foundation/);
    assert.match((await kinkyu('migrate')).stdout, /up to date/);
    assert.match((await kinkyu('seed-demo')).stdout, /demo data loaded/);
    const created = await kinkyu('staff', 'create', '--email', 'ic@example.jp', '--name', '当番', '--role', 'incident_commander');
    assert.equal(created.code, 0);
    assert.match(created.stdout, /password \(shown once\): \S{20,}/);
    const bad = await kinkyu('staff', 'create', '--email', 'x@example.jp', '--name', 'x', '--role', 'overlord');
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /role/i);
  });

  test('audit verify passes on an intact chain and fails, naming the row, after an edit', async () => {
    const ok = await kinkyu('audit', 'verify');
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /audit log OK: \d+ entries/);
    const db = await openDb({ dataDir: join(dir, 'data') });
    await db.exec('ALTER TABLE audit_log DISABLE TRIGGER USER');
    await db.query(`UPDATE audit_log SET actor_id = 'someone-else' WHERE seq = 2`);
    await db.close();
    const broken = await kinkyu('audit', 'verify');
    assert.equal(broken.code, 1);
    assert.match(broken.stdout, /entry #2: modified/);
  });

  test('export-status writes the page, API JSON and feeds for static hosting, in both languages', async () => {
    const out = join(dir, 'export');
    const res = await kinkyu('export-status', '--out', out);
    assert.equal(res.code, 0, res.stderr);
    for (const file of ['index.html', 'history/index.html', 'history.atom', 'history.rss', 'assets/site.css', 'en/index.html', 'en/api/v2/summary.json']) {
      assert.ok(existsSync(join(out, file)), `${file} exported`);
    }
    const ja = readFileSync(join(out, 'index.html'), 'utf8');
    assert.match(ja, /<html lang="ja">/);
    assert.ok(ja.includes('href="/en/"'), 'the language switch points at the static English page');
    assert.ok(!ja.includes('?lang='), 'no query-string links remain in a static export');
    assert.match(readFileSync(join(out, 'en/index.html'), 'utf8'), /All Systems Operational/);
    const summary = JSON.parse(readFileSync(join(out, 'api/v2/summary.json'), 'utf8'));
    assert.deepEqual(validateStatuspage('summary', summary), []);
    assert.equal(summary.page.url, 'https://status.example.jp');
    const incidents = JSON.parse(readFileSync(join(out, 'api/v2/incidents.json'), 'utf8'));
    for (const i of incidents.incidents) assert.ok(existsSync(join(out, 'incidents', i.id, 'index.html')), 'every incident has its page');
  });

  test('`npm start` (the production build, kinkyu start --demo) on an empty data directory serves the demo status page', async () => {
    const port = await freePort();
    // What `npm start` runs: the build when src/ changed since the last one, then the built CLI (no tsx).
    const child = spawn(process.execPath, [builtCli(), 'start', '--demo'], {
      env: { ...env, DATA_DIR: join(dir, 'fresh'), PORT: String(port), PUBLIC_URL: `http://127.0.0.1:${port}`, LOG_LEVEL: 'info', METRICS_PORT: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    let stdout = '';
    child.stdout.on('data', (d) => {
      output += d;
      stdout += d;
    });
    child.stderr.on('data', (d) => (output += d));
    try {
      const deadline = Date.now() + 30_000;
      while (!output.includes('kinkyu is up') && Date.now() < deadline && child.exitCode === null) await new Promise((r) => setTimeout(r, 100));
      assert.match(output, /kinkyu is up/, output);
      assert.match(output, /password: \S{20,}/, 'the first administrator\'s password is printed once');
      const page = await (await fetch(`http://127.0.0.1:${port}/`)).text();
      assert.match(page, /<html lang="ja">/);
      assert.ok(page.includes('BTC/JPY') && page.includes('定期システムメンテナンス'), 'demo components and the upcoming maintenance are shown');
      const summary = (await (await fetch(`http://127.0.0.1:${port}/api/v2/summary.json`)).json()) as { components: unknown[] };
      assert.ok(summary.components.length >= 15);
      const notices = await (await fetch(`http://127.0.0.1:${port}/notices`)).text();
      assert.ok(notices.includes('暗号資産の送付時に送付先の情報をお知らせいただきます'), 'the demo regulatory notice is published');
      const articles = await (await fetch(`http://127.0.0.1:${port}/help/articles/withdrawal-pending`)).text();
      assert.match(articles, /<h1[^>]*>[^<]*出金/, 'the starter articles are imported');

      // Operators: stdout is JSON log lines only (the password went to the terminal, stderr), the process says
      // it is ready, and Prometheus can read its metrics on their own port.
      const lines = stdout.split('\n').filter((l) => l.trim() !== '');
      assert.ok(lines.length > 0, 'the server logs');
      for (const line of lines) assert.doesNotThrow(() => JSON.parse(line), `not a JSON log line: ${line}`);
      assert.doesNotMatch(stdout, /password: /);
      const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
      assert.equal(ready.status, 200, await ready.clone().text());
      assert.equal(((await ready.json()) as { ready: boolean }).ready, true);
      const metricsUrl = /metrics (http:\/\/127\.0\.0\.1:\d+\/metrics)/.exec(output)?.[1];
      assert.ok(metricsUrl, output);
      assert.notEqual(new URL(metricsUrl).port, String(port), 'metrics are not on the public port');
      assert.equal((await fetch(`http://127.0.0.1:${port}/metrics`)).status, 404);
      const families = parsePrometheus(await (await fetch(metricsUrl)).text());
      const family = (name: string) => families.find((f) => f.name === name);
      const requests = family('kinkyu_http_requests_total');
      assert.ok(requests?.metrics.some((m) => m.labels?.group === 'status-page' && Number(m.value) >= 1), JSON.stringify(requests));
      assert.ok(family('kinkyu_http_request_duration_seconds'), 'latency histogram');
      assert.ok(Number(family('kinkyu_snapshot_age_seconds')?.metrics[0]?.value) >= 0);
      assert.ok(family('kinkyu_open_tickets')?.metrics.some((m) => m.labels?.type === 'security'), 'demo tickets by type');
      assert.ok(family('kinkyu_mail_outbox'), 'outbox depth');
      assert.ok(family('kinkyu_process_resident_memory_bytes'), 'process metrics');
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
  });

  test('one process per embedded data directory: a command beside the running server is refused clearly, nothing is lost, and a killed server does not block the next', async () => {
    const dataDir = join(dir, 'owned');
    const port = await freePort();
    const admin = { email: 'owner-admin@example.jp', password: 'owner password 123456' };
    const serverEnv = kinkyuEnv({ port, dataDir, admin });
    const cli = (...args: string[]) => kinkyuProcess({ ...serverEnv }, ...args);
    let server = await startKinkyuProcess(serverEnv);
    try {
      const refused = await cli('staff', 'create', '--email', 'beside@example.jp', '--name', '横', '--role', 'agent');
      assert.equal(refused.code, 2, refused.stdout + refused.stderr);
      assert.match(refused.stderr, new RegExp(`in use by another kinkyu process \\(pid ${server.pid}\\)`));
      assert.match(refused.stderr, /使用中です/);
      assert.doesNotMatch(refused.stdout, /created/, 'never "created" for what was not');
      assert.doesNotMatch(refused.stderr, /\n\s+at .+:\d+:\d+/, 'a clear message, not a stack trace');
      // The server still serves, and did not lose its data directory.
      assert.equal((await fetch(`http://127.0.0.1:${port}/`)).status, 200);

      // Stopped cleanly, the directory is free: the command works and the next start sees its account.
      await stopKinkyu(server);
      const created = await cli('staff', 'create', '--email', 'after@example.jp', '--name', '後', '--role', 'agent');
      assert.equal(created.code, 0, created.stderr);
      server = await startKinkyuProcess(serverEnv);
      const signIn = await fetch(`http://127.0.0.1:${port}/staff/login`, {
        method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify({ email: admin.email, password: admin.password }),
      });
      assert.equal(signIn.status, 200);

      // Killed outright, the server leaves its lock behind; the next process takes it over.
      server.kill('SIGKILL');
      await new Promise((r) => server.once('exit', r));
      const afterKill = await cli('migrate');
      assert.equal(afterKill.code, 0, afterKill.stderr);
    } finally {
      await stopKinkyu(server);
    }
  });

  test('unknown commands print usage and fail', async () => {
    const res = await kinkyu('frobnicate');
    assert.equal(res.code, 2);
    assert.match(res.stderr, /Usage/);
  });
});
