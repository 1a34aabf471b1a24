import { assertRefusedWithoutChange, type ExpectedRefusal } from './support/refusal.ts';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startApp, makeStaff, StaffClient, type RunningApp } from './support/app.ts';

let app: RunningApp;
let staff: StaffClient;
let incidentId: string;

/** Everything a refused request must leave untouched. */
async function observable(): Promise<string> {
  await app.site.refresh();
  const [incidents, components, audit] = await Promise.all([
    fetch(`${app.baseUrl}/api/v2/incidents.json`).then((r) => r.text()),
    fetch(`${app.baseUrl}/api/v2/components.json`).then((r) => r.text()),
    app.db.query<{ n: number }>('SELECT count(*)::int AS n FROM audit_log'),
  ]);
  return JSON.stringify([incidents, components, audit[0]?.n]);
}

const refusedWithoutChange = (send: () => Promise<Response>, expect: ExpectedRefusal) =>
  assertRefusedWithoutChange(observable, send, expect);

before(async () => {
  app = await startApp();
  staff = await StaffClient.signIn(app.baseUrl, await makeStaff(app.db, 'admin'));
  ({ incidentId } = await app.commands.declareIncident({ type: 'staff', id: null }, {
    type: 'outage', severity: 'SEV3', nameJa: 'テスト障害', bodyJa: '調査中です。', componentStatuses: { websocket000: 'degraded_performance' },
  }));
});
after(async () => app.stop());

describe('bad input is refused with a clear error and changes nothing', () => {
  test('unknown component status', async () => {
    await refusedWithoutChange(() => staff.postJson('/staff/components/restapi00000/status', { status: 'on_fire' }), {
      status: 400, code: 'UNKNOWN_COMPONENT_STATUS', message: /on_fire/,
    });
    await refusedWithoutChange(() => staff.postJson(`/staff/incidents/${incidentId}/updates`, { bodyJa: 'x', componentStatuses: { restapi00000: 'broken' } }), {
      status: 400, code: 'UNKNOWN_COMPONENT_STATUS',
    });
  });

  test('unknown incident status, type and severity', async () => {
    await refusedWithoutChange(() => staff.postJson(`/staff/incidents/${incidentId}/updates`, { status: 'panicking', bodyJa: 'x' }), { status: 400, code: 'UNKNOWN_INCIDENT_STATUS' });
    await refusedWithoutChange(() => staff.postJson('/staff/incidents', { type: 'alien', severity: 'SEV1', nameJa: 'x', bodyJa: 'y' }), { status: 400, code: 'UNKNOWN_INCIDENT_TYPE' });
    await refusedWithoutChange(() => staff.postJson('/staff/incidents', { type: 'outage', severity: 'SEV9', nameJa: 'x', bodyJa: 'y' }), { status: 400, code: 'UNKNOWN_SEVERITY' });
  });

  test('illegal transition, in Japanese by default and in English on request', async () => {
    await refusedWithoutChange(() => staff.postJson(`/staff/incidents/${incidentId}/updates`, { status: 'postmortem', bodyJa: 'x' }), {
      status: 409, code: 'ILLEGAL_INCIDENT_TRANSITION', message: /変更することはできません/,
    });
    await refusedWithoutChange(() => staff.postJson(`/staff/incidents/${incidentId}/updates`, { status: 'postmortem', bodyJa: 'x' }, { 'accept-language': 'en' }), {
      status: 409, code: 'ILLEGAL_INCIDENT_TRANSITION', message: /cannot go from "investigating" to "postmortem"/,
    });
  });

  test('an internal note cannot change what users see', async () => {
    await refusedWithoutChange(() => staff.postJson(`/staff/incidents/${incidentId}/updates`, { visibility: 'internal', status: 'resolved', bodyJa: 'x' }), { status: 400, code: 'VALIDATION' });
  });

  test('a 1 MB body', async () => {
    const huge = 'あ'.repeat(350_000); // > 1 MB in UTF-8
    await refusedWithoutChange(() => staff.postJson(`/staff/incidents/${incidentId}/updates`, { bodyJa: huge }), { status: 413, code: 'BODY_TOO_LARGE' });
    await refusedWithoutChange(() => staff.postForm(`/staff/incidents/${incidentId}/updates`, { bodyJa: huge }), { status: 413 });
  });

  test('a body just under the limit but over the field limit', async () => {
    await refusedWithoutChange(() => staff.postJson(`/staff/incidents/${incidentId}/updates`, { bodyJa: 'x'.repeat(20_001) }), {
      status: 400, code: 'VALIDATION', message: /20000/,
    });
  });

  test('malformed JSON and wrong types', async () => {
    await refusedWithoutChange(() => staff.postJson(`/staff/incidents/${incidentId}/updates`, '{"bodyJa": "x",'), { status: 400, code: 'MALFORMED_BODY' });
    await refusedWithoutChange(() => staff.postJson(`/staff/incidents/${incidentId}/updates`, { bodyJa: ['x'] }), { status: 400, code: 'VALIDATION' });
    await refusedWithoutChange(() => staff.postJson(`/staff/incidents/${incidentId}/updates`, { bodyJa: 'x', componentStatuses: 'all' }), { status: 400, code: 'VALIDATION' });
    await refusedWithoutChange(() => staff.postJson(`/staff/incidents/${incidentId}/updates`, { bodyJa: 'x', componentStatuses: { grptrading00: 'major_outage' } }), { status: 400, code: 'VALIDATION' });
    await refusedWithoutChange(() => staff.postJson(`/staff/incidents/${incidentId}/updates`, { bodyJa: 'x', componentStatuses: { nosuchthing: 'major_outage' } }), { status: 404, code: 'NOT_FOUND' });
  });

  test('JSON bodies that are not objects, and missing choices', async () => {
    for (const path of ['/staff/incidents', '/staff/components/restapi00000/status', '/staff/maintenances', `/staff/incidents/${incidentId}/updates`]) {
      for (const payload of ['null', '[1]', '"text"', '42']) {
        await refusedWithoutChange(() => staff.postJson(path, payload), { status: 400, code: 'VALIDATION' });
      }
    }
    await refusedWithoutChange(() => staff.postJson('/staff/incidents', { severity: 'SEV2', nameJa: 'x', bodyJa: 'y' }), {
      status: 400, code: 'VALIDATION', message: /「種類」を入力してください/,
    });
  });

  test('text that is not valid UTF-8', async () => {
    const bytes = Buffer.concat([Buffer.from('{"bodyJa":"'), Buffer.from([0xff, 0xfe, 0x41]), Buffer.from('"}')]);
    await refusedWithoutChange(() => fetch(`${app.baseUrl}/staff/incidents/${incidentId}/updates`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json', cookie: staff.cookie, 'x-csrf-token': staff.csrfToken },
      body: bytes,
    }), { status: 400, code: 'VALIDATION', message: /文字コード/ });
  });

  test('a form with an error shows the form again, with the message and what was typed', async () => {
    const before = await observable();
    const res = await staff.postForm('/staff/incidents', { type: 'outage', severity: 'SEV2', nameJa: '', bodyJa: '入力した本文<b>' });
    assert.equal(res.status, 400);
    const page = await res.text();
    assert.match(page, /「タイトル \(日本語\)」を入力してください。/);
    assert.ok(page.includes('入力した本文&lt;b&gt;'), 'what was typed is kept, escaped');
    assert.equal(await observable(), before);
  });

  test('unknown incident and hostile ids', async () => {
    await refusedWithoutChange(() => staff.postJson('/staff/incidents/zzzzzzzzzzzz/updates', { bodyJa: 'x' }), { status: 404, code: 'NOT_FOUND' });
    const res = await fetch(`${app.baseUrl}/incidents/%3Cscript%3E`);
    assert.equal(res.status, 404);
    assert.ok(!(await res.text()).includes('<script>'));
  });
});

describe('script tags in updates are text everywhere', () => {
  test('status page, incident page, API, feeds and console all escape it', async () => {
    const evil = '<script>alert("x")</script><img src=x onerror=alert(1)> & "quotes"';
    const res = await staff.postJson(`/staff/incidents/${incidentId}/updates`, { bodyJa: evil, bodyEn: evil });
    assert.equal(res.status, 200);
    const name = '<svg onload=alert(2)>';
    const declared = await staff.postJson('/staff/incidents', { type: 'other', severity: 'SEV4', nameJa: name, bodyJa: evil });
    const { incidentId: second } = (await declared.json()) as { incidentId: string };
    await app.site.refresh();
    const pages = [
      await fetch(`${app.baseUrl}/`).then((r) => r.text()),
      await fetch(`${app.baseUrl}/?lang=en`).then((r) => r.text()),
      await fetch(`${app.baseUrl}/incidents/${incidentId}`).then((r) => r.text()),
      await fetch(`${app.baseUrl}/history`).then((r) => r.text()),
      await staff.get(`/staff/incidents/${incidentId}`).then((r) => r.text()),
      await staff.get(`/staff/incidents/${second}`).then((r) => r.text()),
      await staff.get('/staff').then((r) => r.text()),
    ];
    for (const page of pages) {
      assert.ok(!page.includes('<script>alert'), 'no live script tag');
      assert.ok(!page.includes('<img src=x'), 'no live img tag');
      assert.ok(!page.includes('<svg onload'), 'no live svg tag');
    }
    assert.ok(pages[0]!.includes('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;'), 'shown as text');
    for (const feed of ['/history.atom', '/history.rss']) {
      const xml = await fetch(app.baseUrl + feed).then((r) => r.text());
      assert.ok(!xml.includes('<script>alert'), `${feed} escapes it`);
    }
    const api = (await fetch(`${app.baseUrl}/api/v2/incidents.json`).then((r) => r.json())) as { incidents: { id: string; incident_updates: { body: string }[] }[] };
    assert.equal(api.incidents.find((i) => i.id === incidentId)?.incident_updates[0]?.body, evil, 'JSON carries the exact text; escaping is the renderer\'s job');
    const csp = (await fetch(`${app.baseUrl}/`)).headers.get('content-security-policy') ?? '';
    assert.match(csp, /default-src 'none'/);
    assert.ok(!csp.includes('script-src'), 'no script is allowed on the public page');
  });
});

describe('a path that is not valid percent-encoding', () => {
  test('gets the localized not-found page in the visitor\'s language, not the framework\'s JSON', async () => {
    for (const path of ['/help/articles/%FF', '/incidents/%E3%81', '/tickets/%ZZ/x']) {
      const ja = await fetch(`${app.baseUrl}${path}`);
      assert.equal(ja.status, 404, path);
      assert.match(ja.headers.get('content-type') ?? '', /text\/html/);
      const page = await ja.text();
      assert.match(page, /<html lang="ja">/);
      assert.doesNotMatch(page, /FST_ERR/);
      const en = await fetch(`${app.baseUrl}${path}?lang=en`, { headers: { accept: 'application/json' } });
      assert.equal(en.status, 404);
      const body = (await en.json()) as { code: string; message: string };
      assert.equal(body.code, 'NOT_FOUND');
      assert.ok(body.message.length > 0);
    }
  });
});
