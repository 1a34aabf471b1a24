/**
 * Monitors through the running application: a local endpoint goes down, the component's status changes on the
 * public API and a draft proposal appears on the staff dashboard; staff publish it, the monitor recovers, staff
 * accept the resolution. The bitbank adapter end to end against a local stand-in, and the `publish` policy.
 * Rounds are driven with `app.monitors.runDue()` and a clock moved by hand (no sleeping for intervals).
 *
 * Run: node --import tsx --test --test-reporter=spec test/monitor-integration.test.ts
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig, type Config } from '../src/config.ts';
import { StaffClient, eventually, makeStaff, startApp, type RunningApp } from './support/app.ts';
import { ALL_PAIRS, bitbankStandIn, json, normalExchange, serve } from './support/local-http.ts';

function manualClock() {
  let now = Date.now();
  return { now: () => new Date(now), advance: (s: number) => void (now += s * 1000) };
}

function monitorConfig(policy: 'draft' | 'publish'): Partial<Config> {
  const base = loadConfig();
  return { monitors: { ...base.monitors, enabled: false, minIntervalS: 1, incidentPolicy: policy } };
}

async function componentStatuses(baseUrl: string): Promise<Record<string, string>> {
  const res = await fetch(`${baseUrl}/api/v2/components.json`);
  const body = (await res.json()) as { components: { id: string; status: string }[] };
  return Object.fromEntries(body.components.map((c) => [c.id, c.status]));
}

async function incidents(baseUrl: string): Promise<{ id: string; name: string; status: string }[]> {
  const res = await fetch(`${baseUrl}/api/v2/incidents.json`);
  return ((await res.json()) as { incidents: { id: string; name: string; status: string }[] }).incidents;
}

/** Waits until the public API shows `expected` for each component (the page reloads on change notifications). */
async function expectStatuses(baseUrl: string, expected: Record<string, string>): Promise<void> {
  try {
    await eventually(async () => {
      const now = await componentStatuses(baseUrl);
      return Object.entries(expected).every(([id, s]) => now[id] === s);
    }, 5000);
  } catch {
    const now = await componentStatuses(baseUrl);
    assert.deepEqual(Object.fromEntries(Object.keys(expected).map((id) => [id, now[id]])), expected);
  }
}

const proposalIds = (page: string) => [...page.matchAll(/\/staff\/monitor-proposals\/([A-Za-z0-9_-]+)"/g)].map((m) => m[1]!);

interface Harness {
  app: RunningApp;
  staff: StaffClient;
  clock: ReturnType<typeof manualClock>;
  round(): Promise<void>;
  createMonitor(definition: Record<string, unknown>): Promise<string>;
  dashboard(): Promise<string>;
}

async function harness(policy: 'draft' | 'publish'): Promise<Harness> {
  const clock = manualClock();
  const app = await startApp({ config: monitorConfig(policy), clock: clock.now });
  const staff = await StaffClient.signIn(app.baseUrl, await makeStaff(app.db, 'admin'));
  return {
    app, staff, clock,
    async round() {
      await app.monitors.runDue();
      clock.advance(1);
    },
    async createMonitor(definition) {
      const res = await staff.postJson('/staff/monitors', definition);
      const body = (await res.json()) as { ok?: boolean; id?: string };
      assert.equal(res.status, 200, JSON.stringify(body));
      return body.id!;
    },
    async dashboard() {
      const res = await staff.get('/staff');
      assert.equal(res.status, 200);
      return res.text();
    },
  };
}

describe('HTTP monitor through the app (policy draft)', () => {
  let h: Harness;
  let target: Awaited<ReturnType<typeof serve>>;
  let up = true;
  let monitorId = '';
  before(async () => {
    target = await serve((_req, res) => (up ? json(res, { ok: true }) : json(res, { ok: false }, 503)));
    h = await harness('draft');
    monitorId = await h.createMonitor({
      name: 'REST API health', kind: 'http', config: { url: `${target.url}/health` }, intervalS: 1, timeoutMs: 2000,
      failThreshold: 3, recoverThreshold: 2, componentIds: ['restapi00000'],
    });
  });
  after(async () => {
    await h.app.stop();
    await target.close();
  });

  test('bad monitor definitions are refused with a localized message and nothing is stored', async () => {
    const before = (await h.app.db.query<{ n: number }>('SELECT count(*)::int AS n FROM monitors'))[0]!.n;
    const form = await h.staff.postForm('/staff/monitors', { name: 'x', kind: 'http', 'config.url': 'file:///etc/passwd', intervalS: '1' });
    assert.equal(form.status, 400);
    assert.match(await form.text(), /http:\/\/ または https:\/\/ で始まる URL/);
    const badJson = await h.staff.postJson('/staff/monitors', { name: '<script>', kind: 'tcp', config: { host: 'a b', port: 1 } });
    assert.equal(badJson.status, 400);
    const tooFast = await h.staff.postJson('/staff/monitors', { name: 'x', kind: 'tcp', config: { host: 'a', port: 1 }, intervalS: 0 });
    assert.equal(tooFast.status, 400);
    assert.match(((await tooFast.json()) as { message: string }).message, /1 から 86400/);
    const after = (await h.app.db.query<{ n: number }>('SELECT count(*)::int AS n FROM monitors'))[0]!.n;
    assert.equal(after, before);
  });

  test('one failed check alone changes nothing', async () => {
    up = true;
    await h.round();
    up = false;
    await h.round();
    up = true;
    await h.round();
    await expectStatuses(h.app.baseUrl, { restapi00000: 'operational' });
    assert.deepEqual(proposalIds(await h.dashboard()), []);
  });

  test('down for three checks: the component shows a major outage on the public API and a draft proposal is on the dashboard', async () => {
    up = false;
    await h.round();
    await h.round();
    assert.equal((await componentStatuses(h.app.baseUrl)).restapi00000, 'operational', 'two failures are not enough');
    await h.round();
    await expectStatuses(h.app.baseUrl, { restapi00000: 'major_outage' });
    const page = await h.dashboard();
    const ids = proposalIds(page);
    assert.equal(ids.length, 1, 'one proposal');
    assert.match(page, /REST APIで障害が発生/);
    assert.match(page, /REST APIがご利用いただけない状態です。現在調査中です。/);
    assert.deepEqual(await incidents(h.app.baseUrl).then((list) => list.filter((i) => i.name.includes('REST APIで障害'))), [], 'nothing published yet');
    // Staying down opens no second proposal.
    await h.round();
    await h.round();
    assert.equal(proposalIds(await h.dashboard()).length, 1);
    // The change was made as the monitor, a system actor, and audited like a staff change.
    const audit = await h.app.db.query<{ actor_type: string; actor_id: string }>(
      `SELECT actor_type, actor_id FROM audit_log WHERE action = 'component.status' AND target_id = 'restapi00000' ORDER BY seq DESC LIMIT 1`,
    );
    assert.deepEqual(audit[0], { actor_type: 'system', actor_id: `monitor:${monitorId}` });
  });

  test('staff publish the proposal (text edited): the incident is on the status page', async () => {
    const [id] = proposalIds(await h.dashboard());
    const res = await h.staff.postForm(`/staff/monitor-proposals/${id}/publish`, {
      titleJa: 'REST APIで障害が発生', titleEn: 'Outage: REST API',
      bodyJa: 'REST APIがご利用いただけない状態です。復旧作業を行っています。', bodyEn: 'REST API is unavailable. We are working on it.',
    });
    assert.equal(res.status, 303);
    assert.match(res.headers.get('location') ?? '', /^\/staff\/incidents\//);
    await eventually(async () => (await incidents(h.app.baseUrl)).some((i) => i.name === 'REST APIで障害が発生' && i.status === 'investigating'), 5000);
    const publicPage = await (await fetch(`${h.app.baseUrl}/`)).text();
    assert.match(publicPage, /復旧作業を行っています/);
    assert.deepEqual(proposalIds(await h.dashboard()), [], 'the proposal is closed');
    const again = await h.staff.postForm(`/staff/monitor-proposals/${id}/publish`, {});
    assert.equal(again.status, 409, 'publishing twice is refused');
  });

  test('recovery: the component is operational again and a resolve proposal waits for staff', async () => {
    up = true;
    await h.round();
    assert.equal((await componentStatuses(h.app.baseUrl)).restapi00000, 'major_outage', 'one good check is not a recovery');
    await h.round();
    await expectStatuses(h.app.baseUrl, { restapi00000: 'operational' });
    const incident = (await incidents(h.app.baseUrl)).find((i) => i.name === 'REST APIで障害が発生')!;
    assert.equal(incident.status, 'investigating', 'never resolved without staff');
    const page = await h.dashboard();
    const [id] = proposalIds(page);
    assert.ok(id);
    assert.match(page, /REST APIは正常な状態に戻りました/);
    const res = await h.staff.postForm(`/staff/monitor-proposals/${id}/resolve`, {
      bodyJa: 'REST APIは正常な状態に戻りました。ご不便をおかけしました。', bodyEn: 'REST API is back to normal.',
    });
    assert.equal(res.status, 303);
    await eventually(async () => (await incidents(h.app.baseUrl)).find((i) => i.id === incident.id)?.status === 'resolved', 5000);
    assert.deepEqual(proposalIds(await h.dashboard()), []);
  });

  test('the monitors page lists the monitor with its state, recent results and uptime; the public uptime bar counts the failed checks', async () => {
    const list = await (await h.staff.get('/staff/monitors')).text();
    assert.match(list, /REST API health/);
    const page = await (await h.staff.get(`/staff/monitors/${monitorId}`)).text();
    assert.match(page, /最近の結果/);
    assert.match(page, /HTTP 503/);
    assert.match(page, /稼働率: \d+\.\d\d%/);
    await h.app.site.refresh();
    const uptime = h.app.site.current()?.uptime.get('restapi00000');
    const today = uptime?.days[uptime.days.length - 1];
    const measured = today?.uptime ?? 1;
    assert.ok(measured < 0.9, `today's uptime reflects the failed checks (${measured})`);
  });
});

// ---- bitbank adapter ----

describe('bitbank exchange status through the app', () => {
  let h: Harness;
  let stand: Awaited<ReturnType<typeof serve>>;
  const exchange = normalExchange();
  const pairComponents = ['pairbtcjpy00', 'pairethjpy00', 'pairxrpjpy00', 'pairaltjpy00', 'pairbtcq0000'];
  before(async () => {
    stand = await serve(bitbankStandIn(exchange));
    h = await harness('draft');
    await h.createMonitor({ name: 'bitbank spot', kind: 'bitbank', config: { baseUrl: stand.url }, intervalS: 1, timeoutMs: 2000 });
  });
  after(async () => {
    await h.app.stop();
    await stand.close();
  });
  const rounds = async (n: number) => {
    for (let i = 0; i < n; i++) await h.round();
  };

  test('maintenance (10007): every pair component under maintenance, no incident proposal; back to normal after', async () => {
    exchange.override = { status: 503, body: JSON.stringify({ success: 0, data: { code: 10007 } }) };
    await rounds(3);
    await expectStatuses(h.app.baseUrl, Object.fromEntries(pairComponents.map((id) => [id, 'under_maintenance'])));
    assert.deepEqual(proposalIds(await h.dashboard()), []);
    exchange.override = null;
    await rounds(3);
    await expectStatuses(h.app.baseUrl, Object.fromEntries(pairComponents.map((id) => [id, 'operational'])));
    assert.deepEqual(proposalIds(await h.dashboard()), []);
  });

  test('NORMAL, BUSY, VERY_BUSY and HALT map to their component statuses, with a proposal composed from the pairs', async () => {
    Object.assign(exchange.statuses, { btc_jpy: 'HALT', eth_jpy: 'BUSY', mona_jpy: 'VERY_BUSY' });
    await rounds(2);
    assert.equal((await componentStatuses(h.app.baseUrl)).pairbtcjpy00, 'operational', 'not before three checks');
    await rounds(1);
    await expectStatuses(h.app.baseUrl, {
      pairbtcjpy00: 'major_outage', pairethjpy00: 'degraded_performance', pairaltjpy00: 'partial_outage',
      pairxrpjpy00: 'operational', pairbtcq0000: 'operational',
    });
    const page = await h.dashboard();
    assert.equal(proposalIds(page).length, 1);
    assert.match(page, /BTC\/JPY、ETH\/JPY、その他の円建てペアの取引で障害が発生/);
  });

  test('a BUSY pair alone proposes a delay in that pair\'s trading', async () => {
    for (const id of proposalIds(await h.dashboard())) assert.equal((await h.staff.postForm(`/staff/monitor-proposals/${id}/dismiss`, {})).status, 303);
    for (const p of ALL_PAIRS) exchange.statuses[p] = 'NORMAL';
    await rounds(3);
    await expectStatuses(h.app.baseUrl, Object.fromEntries(pairComponents.map((id) => [id, 'operational'])));
    exchange.statuses.btc_jpy = 'BUSY';
    await rounds(3);
    await expectStatuses(h.app.baseUrl, { pairbtcjpy00: 'degraded_performance' });
    assert.match(await h.dashboard(), /BTC\/JPYの取引で遅延が発生しています。現在調査中です。/);
  });
});

describe('policy publish', () => {
  let h: Harness;
  let target: Awaited<ReturnType<typeof serve>>;
  let up = true;
  before(async () => {
    target = await serve((_req, res) => (up ? json(res, { ok: true }) : json(res, { ok: false }, 500)));
    h = await harness('publish');
    await h.createMonitor({
      name: 'REST API (publish policy)', kind: 'http', config: { url: `${target.url}/ws-health` }, intervalS: 1, timeoutMs: 2000,
      failThreshold: 3, recoverThreshold: 1, componentIds: ['restapi00000'],
    });
  });
  after(async () => {
    await h.app.stop();
    await target.close();
  });

  test('a sustained failure declares the incident at once; recovery still waits for staff to resolve it', async () => {
    up = false;
    for (let i = 0; i < 3; i++) await h.round();
    await eventually(async () => (await incidents(h.app.baseUrl)).some((i) => i.name === 'REST APIで障害が発生' && i.status === 'investigating'), 5000);
    assert.deepEqual(proposalIds(await h.dashboard()), [], 'nothing left to approve');
    up = true;
    await h.round();
    await expectStatuses(h.app.baseUrl, { restapi00000: 'operational' });
    const incident = (await incidents(h.app.baseUrl)).find((i) => i.name === 'REST APIで障害が発生')!;
    assert.equal(incident.status, 'investigating');
    assert.equal(proposalIds(await h.dashboard()).length, 1, 'a resolve proposal');
  });

  test('a status staff set after the monitor\'s last change is left as it is', async () => {
    // Staff put the component under maintenance by hand; the endpoint then fails for three checks.
    const res = await h.staff.postForm('/staff/components/restapi00000/status', { status: 'under_maintenance' });
    assert.equal(res.status, 303);
    up = false;
    for (let i = 0; i < 3; i++) await h.round();
    const [change] = await h.app.db.query<{ skipped: Record<string, string> | null }>(
      `SELECT skipped FROM monitor_changes WHERE to_health = 'down' ORDER BY id DESC LIMIT 1`,
    );
    assert.deepEqual(change?.skipped, { restapi00000: 'staff' });
    await expectStatuses(h.app.baseUrl, { restapi00000: 'under_maintenance' });
  });
});

describe('a process that dies between recording a change and applying it', () => {
  let h: Harness;
  let target: Awaited<ReturnType<typeof serve>>;
  before(async () => {
    target = await serve((_req, res) => json(res, { ok: false }, 500));
    h = await harness('draft');
    await h.createMonitor({
      name: 'Sign-in health', kind: 'http', config: { url: `${target.url}/login` }, intervalS: 1, timeoutMs: 2000,
      failThreshold: 2, recoverThreshold: 2, componentIds: ['restapi00000'],
    });
  });
  after(async () => {
    await h.app.stop();
    await target.close();
  });

  test('the recorded change is applied by a later round, once, with one proposal', async () => {
    const commands = h.app.commands;
    const original = commands.setComponentStatus.bind(commands);
    // The status write fails as if the process died right after the runner's transaction committed.
    commands.setComponentStatus = async () => {
      throw new Error('process died');
    };
    await h.round();
    await h.round();
    const [pending] = await h.app.db.query<{ n: number }>('SELECT count(*)::int AS n FROM monitor_changes WHERE applied_at IS NULL');
    assert.equal(pending?.n, 1, 'the change is recorded with the state, not yet applied');
    assert.equal((await componentStatuses(h.app.baseUrl)).restapi00000, 'operational');
    commands.setComponentStatus = original;
    h.clock.advance(61); // the dead process's claim on the change runs out
    await h.round();
    await expectStatuses(h.app.baseUrl, { restapi00000: 'major_outage' });
    assert.equal(proposalIds(await h.dashboard()).length, 1);
    const [left] = await h.app.db.query<{ n: number }>('SELECT count(*)::int AS n FROM monitor_changes WHERE applied_at IS NULL');
    assert.equal(left?.n, 0);
  });
});

describe('whose status wins: a change undone since does not stand in the way, one still in force does', () => {
  let h: Harness;
  let target: Awaited<ReturnType<typeof serve>>;
  let up = true;
  const setByStaff = async (componentId: string, status: string) => {
    const res = await h.staff.postForm(`/staff/components/${componentId}/status`, { status });
    assert.equal(res.status, 303);
    h.clock.advance(1);
  };
  const lastSkipped = async (monitorId: string) => {
    const [change] = await h.app.db.query<{ skipped: Record<string, string> | null }>(
      `SELECT skipped FROM monitor_changes WHERE monitor_id = $1 AND to_health = 'down' ORDER BY id DESC LIMIT 1`, [monitorId],
    );
    assert.ok(change, 'the monitor recorded a change');
    return change.skipped;
  };
  before(async () => {
    target = await serve((_req, res) => (up ? json(res, { ok: true }) : json(res, { ok: false }, 503)));
    h = await harness('draft');
  });
  after(async () => {
    await h.app.stop();
    await target.close();
  });

  test('staff set a component degraded and back: the next outage the monitor sees is shown', async () => {
    const monitorId = await h.createMonitor({
      name: 'REST API (undone)', kind: 'http', config: { url: `${target.url}/rest` }, intervalS: 1, timeoutMs: 2000,
      failThreshold: 3, recoverThreshold: 1, componentIds: ['restapi00000'],
    });
    h.clock.advance(1);
    await setByStaff('restapi00000', 'degraded_performance');
    await setByStaff('restapi00000', 'operational');
    up = false;
    for (let i = 0; i < 3; i++) await h.round();
    await expectStatuses(h.app.baseUrl, { restapi00000: 'major_outage' });
    assert.equal(await lastSkipped(monitorId), null);
    // Recovered; then staff mark it degraded themselves and the endpoint fails again: staff's status holds.
    up = true;
    await h.round();
    await expectStatuses(h.app.baseUrl, { restapi00000: 'operational' });
    await setByStaff('restapi00000', 'degraded_performance');
    up = false;
    for (let i = 0; i < 3; i++) await h.round();
    assert.deepEqual(await lastSkipped(monitorId), { restapi00000: 'staff' });
    await expectStatuses(h.app.baseUrl, { restapi00000: 'degraded_performance' });
  });

  test('a status staff set before the monitor ever changed the component is respected while it holds', async () => {
    up = true;
    const monitorId = await h.createMonitor({
      name: 'WebSocket (staff first)', kind: 'http', config: { url: `${target.url}/ws` }, intervalS: 1, timeoutMs: 2000,
      failThreshold: 3, recoverThreshold: 1, componentIds: ['websocket000'],
    });
    h.clock.advance(1);
    await setByStaff('websocket000', 'partial_outage');
    up = false;
    for (let i = 0; i < 3; i++) await h.round();
    assert.deepEqual(await lastSkipped(monitorId), { websocket000: 'staff' });
    await expectStatuses(h.app.baseUrl, { websocket000: 'partial_outage' });
  });
});
