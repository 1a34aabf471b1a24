import { assertRefusedWithoutChange, type ExpectedRefusal } from './support/refusal.ts';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startApp, makeStaff, StaffClient, type RunningApp } from './support/app.ts';
import { plain } from './support/text.ts';

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
  // Every check makes the page current before and after its request (site.refresh()): without the 250 ms gap
  // between two rebuilds, 40 checks do not wait 20 s.
  app = await startApp({ config: { pageRebuildGapMs: 10 } });
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

/** Everything a refused public form could have changed: sign-in records, tickets, subscribers, mail, the audit log. */
async function publicState(): Promise<string> {
  const [row] = await app.db.query<Record<string, number>>(
    `SELECT (SELECT count(*)::int FROM account_events) AS events, (SELECT count(*)::int FROM tickets) AS tickets,
            (SELECT count(*)::int FROM subscribers) AS subscribers, (SELECT count(*)::int FROM mail_outbox) AS mail,
            (SELECT count(*)::int FROM lock_tokens) AS lock_links, (SELECT count(*)::int FROM audit_log) AS audit`,
  );
  return JSON.stringify(row) + (await observable());
}

/** A public form post as a browser sends it, in the given language, with the cookies and hidden fields of its page. */
async function postPublicForm(path: string, fields: Record<string, string>, lang: 'ja' | 'en'): Promise<Response> {
  const page = await fetch(`${app.baseUrl}${path}`, { headers: { 'accept-language': lang } });
  const html = await page.text();
  const cookie = page.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
  const form = new URLSearchParams();
  for (const [name, value] of html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"/g)) form.set(name!, value!);
  for (const [k, v] of Object.entries(fields)) form.set(k, v);
  return fetch(`${app.baseUrl}${path}`, {
    method: 'POST', redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'accept-language': lang, cookie },
    body: form.toString(),
  });
}

const errorBox = async (res: Response) => plain(/<p class="error-box" role="alert">([^<]*)</.exec(await res.text())?.[1] ?? '');

describe('a NUL character is refused at the boundary, in the user\'s language, on every form', () => {
  test('the sign-in form: a 400 that names the field, not a 500; no sign-in attempt is recorded', async () => {
    for (const [lang, message] of [['ja', /「メールアドレス」に使えない制御文字 \(NUL\)/], ['en', /"Email address" contains a control character that cannot be used \(NUL\)/]] as const) {
      const before = await publicState();
      const res = await postPublicForm('/account/login', { email: 'owner\u0000@example.jp', password: 'whatever it is' }, lang);
      assert.equal(res.status, 400);
      assert.match(res.headers.get('content-type') ?? '', /text\/html/);
      assert.match(await errorBox(res), message);
      assert.equal(await publicState(), before, 'nothing recorded or changed');
    }
  });

  test('contact, the lock help, subscribe: the same refusal', async () => {
    const forms: Array<[string, Record<string, string>]> = [
      ['/contact', { body: 'ログインできません\u0000', email: 'user@example.jp' }],
      ['/help/lock', { identifier: 'user\u0000@example.jp' }],
      ['/subscribe', { channel: 'email', email: 'user\u0000@example.jp' }],
    ];
    for (const [path, fields] of forms) {
      for (const [lang, message] of [['ja', /使えない制御文字 \(NUL\)/], ['en', /control character that cannot be used \(NUL\)/]] as const) {
        const before = await publicState();
        const res = await postPublicForm(path, fields, lang);
        assert.equal(res.status, 400, `${path} ${lang}`);
        assert.match(await errorBox(res), message, `${path} ${lang}`);
        assert.equal(await publicState(), before, `${path}: nothing changed`);
      }
    }
  });

  test('staff JSON: {code, message} in Japanese and English; a NUL in a key is refused too', async () => {
    await refusedWithoutChange(() => staff.postJson(`/staff/incidents/${incidentId}/updates`, { bodyJa: '調査中\u0000です' }), {
      status: 400, code: 'VALIDATION', message: /「本文 \(日本語\)」に使えない制御文字/,
    });
    await refusedWithoutChange(() => staff.postJson(`/staff/incidents/${incidentId}/updates`, { bodyJa: 'x\u0000' }, { 'accept-language': 'en' }), {
      status: 400, code: 'VALIDATION', message: /"Message \(Japanese\)" contains a control character/,
    });
    await refusedWithoutChange(() => staff.postJson(`/staff/incidents/${incidentId}/updates`, { bodyJa: 'x', componentStatuses: { 'restapi00000\u0000': 'major_outage' } }), {
      status: 400, code: 'VALIDATION', message: /送信された内容に使えない制御文字/,
    });
  });

  test('a NUL in a path names no page: the localized 404, not a 500', async () => {
    for (const path of ['/staff/monitors/%00x', '/staff/monitor-proposals/%00x']) {
      const res = await staff.get(path);
      assert.equal(res.status, 404, path);
    }
  });
});

describe('a hostile nesting depth in a JSON body is a clear 400', () => {
  const deep = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);

  test('20,000 nested arrays in a staff field: refused in Japanese and English, nothing changed', async () => {
    const ticket = await app.desk.submit({ body: '出金が届きません', email: 'deep-nesting@example.jp' }, { lang: 'ja', ip: null });
    const targets: Array<[string, string]> = [
      // String() of such an array overflowed the stack here (the unknown-status message): a 500 before.
      ['/staff/components/restapi00000/status', 'status'],
      [`/staff/incidents/${incidentId}/updates`, 'bodyJa'],
      [`/staff/incidents/${incidentId}/updates`, 'componentStatuses'],
      [`/staff/tickets/${ticket.ticketId}/reply`, 'body'],
    ];
    for (const [path, field] of targets) {
      const payload = `{"${field}":${deep(20_000)}}`;
      await refusedWithoutChange(() => staff.postJson(path, payload), { status: 400, code: 'MALFORMED_BODY', message: /入れ子が深すぎます \(32 段まで\)/ });
      await refusedWithoutChange(() => staff.postJson(path, payload, { 'accept-language': 'en' }), { status: 400, code: 'MALFORMED_BODY', message: /nested too deeply \(at most 32 levels\)/ });
    }
  });

  test('a whole body that deep, and nested objects, are refused the same way; ordinary nesting is still accepted', async () => {
    await refusedWithoutChange(() => staff.postJson('/staff/incidents', deep(20_000)), { status: 400, code: 'MALFORMED_BODY' });
    const objects = '{"a":'.repeat(5_000) + '1' + '}'.repeat(5_000);
    await refusedWithoutChange(() => staff.postJson(`/staff/incidents/${incidentId}/updates`, `{"bodyJa":"x","componentStatuses":${objects}}`), { status: 400, code: 'MALFORMED_BODY' });
    const res = await staff.postJson(`/staff/incidents/${incidentId}/updates`, { bodyJa: '続報です。', componentStatuses: { restapi00000: 'degraded_performance' } });
    assert.equal(res.status, 200, await res.text());
  });
});
