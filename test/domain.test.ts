import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { assertIncidentTransition, assertMaintenanceTransition, impactOfSeverity } from '../src/domain/incident.ts';
import { pageIndicator } from '../src/domain/rollup.ts';
import { startOfZonedDay, uptimeHistory } from '../src/domain/uptime.ts';
import { cleanText } from '../src/domain/text.ts';
import { KinkyuError } from '../src/domain/errors.ts';
import { html, multiline } from '../src/web/html.ts';
import { pickLang } from '../src/web/i18n.ts';
import { isoInZone } from '../src/domain/iso-time.ts';
import { rewriteLinksForStatic } from '../src/status/static-export.ts';
import { generateRecoveryCodes, normaliseRecoveryCode, RECOVERY_CODE_COUNT } from '../src/domain/recovery-codes.ts';

const refused = (fn: () => unknown, code: string) =>
  assert.throws(fn, (err: unknown) => err instanceof KinkyuError && err.code === code);

describe('incident lifecycle', () => {
  test('an open incident moves between investigating, identified and monitoring, and resolves from any', () => {
    for (const from of ['investigating', 'identified', 'monitoring'] as const) {
      for (const to of ['investigating', 'identified', 'monitoring', 'resolved'] as const) {
        assert.doesNotThrow(() => assertIncidentTransition(from, to), `${from} → ${to}`);
      }
    }
    assert.doesNotThrow(() => assertIncidentTransition('resolved', 'postmortem'));
  });

  test('a resolved incident cannot be reopened, and a postmortem is final', () => {
    refused(() => assertIncidentTransition('resolved', 'investigating'), 'ILLEGAL_INCIDENT_TRANSITION');
    refused(() => assertIncidentTransition('resolved', 'monitoring'), 'ILLEGAL_INCIDENT_TRANSITION');
    refused(() => assertIncidentTransition('postmortem', 'resolved'), 'ILLEGAL_INCIDENT_TRANSITION');
    refused(() => assertIncidentTransition('investigating', 'postmortem'), 'ILLEGAL_INCIDENT_TRANSITION');
  });

  test('maintenance goes scheduled → in progress → (verifying) → completed, never back to scheduled', () => {
    assert.doesNotThrow(() => assertMaintenanceTransition('scheduled', 'in_progress'));
    assert.doesNotThrow(() => assertMaintenanceTransition('in_progress', 'verifying'));
    assert.doesNotThrow(() => assertMaintenanceTransition('verifying', 'completed'));
    assert.doesNotThrow(() => assertMaintenanceTransition('in_progress', 'completed'));
    refused(() => assertMaintenanceTransition('scheduled', 'completed'), 'ILLEGAL_MAINTENANCE_TRANSITION');
    refused(() => assertMaintenanceTransition('completed', 'in_progress'), 'ILLEGAL_MAINTENANCE_TRANSITION');
    refused(() => assertMaintenanceTransition('in_progress', 'scheduled'), 'ILLEGAL_MAINTENANCE_TRANSITION');
  });

  test('severity sets the Statuspage impact', () => {
    assert.deepEqual(['SEV1', 'SEV2', 'SEV3', 'SEV4'].map((s) => impactOfSeverity(s as 'SEV1')), ['critical', 'major', 'minor', 'none']);
  });
});

describe('page indicator roll-up', () => {
  test('all operational and nothing open is "none"', () => {
    assert.equal(pageIndicator({ openIncidentImpacts: [], componentStatuses: ['operational', 'operational'], maintenanceInProgress: false }), 'none');
  });
  test('the worst of incidents and components wins', () => {
    assert.equal(pageIndicator({ openIncidentImpacts: ['minor'], componentStatuses: ['major_outage'], maintenanceInProgress: false }), 'major');
    assert.equal(pageIndicator({ openIncidentImpacts: ['critical'], componentStatuses: ['operational'], maintenanceInProgress: false }), 'critical');
    assert.equal(pageIndicator({ openIncidentImpacts: [], componentStatuses: ['degraded_performance'], maintenanceInProgress: false }), 'minor');
  });
  test('maintenance shows only when nothing is broken', () => {
    assert.equal(pageIndicator({ openIncidentImpacts: [], componentStatuses: ['under_maintenance'], maintenanceInProgress: true }), 'maintenance');
    assert.equal(pageIndicator({ openIncidentImpacts: [], componentStatuses: ['under_maintenance', 'partial_outage'], maintenanceInProgress: true }), 'minor');
  });
});

describe('uptime history', () => {
  const tz = 'Asia/Tokyo';
  test('days start at midnight in the page time zone', () => {
    const d = startOfZonedDay(new Date('2026-11-25T10:00:00Z'), tz); // 19:00 JST
    assert.equal(d.toISOString(), '2026-11-24T15:00:00.000Z');
    assert.equal(isoInZone(d, tz), '2026-11-25T00:00:00.000+09:00');
  });

  test('a 6-hour major outage on one day costs that day 25 %, and partial outages count 30 %', () => {
    const now = new Date('2026-11-25T15:00:00Z'); // 00:00 JST Nov 26 → "today" has just begun
    const created = new Date('2026-01-01T00:00:00Z');
    const changes = [
      { status: 'operational' as const, at: created },
      { status: 'major_outage' as const, at: new Date('2026-11-24T15:00:00Z') }, // 00:00 JST Nov 25
      { status: 'operational' as const, at: new Date('2026-11-24T21:00:00Z') }, // 06:00 JST
    ];
    const h = uptimeHistory({ changes, createdAt: created, now: new Date(now.getTime() + 1000), days: 3, timeZone: tz });
    assert.equal(h.days.length, 3);
    const nov25 = h.days.find((d) => d.date === '2026-11-25');
    assert.ok(nov25);
    assert.equal(nov25.worst, 'major_outage');
    assert.ok(Math.abs((nov25.uptime ?? 0) - 0.75) < 1e-9);
    assert.equal(nov25.seconds.major_outage, 6 * 3600);

    const partial = uptimeHistory({
      changes: [{ status: 'operational', at: created }, { status: 'partial_outage', at: new Date('2026-11-24T15:00:00Z') }, { status: 'operational', at: new Date('2026-11-25T03:00:00Z') }],
      createdAt: created, now: new Date('2026-11-25T15:00:01Z'), days: 2, timeZone: tz,
    });
    const day = partial.days.find((d) => d.date === '2026-11-25');
    assert.ok(day && Math.abs((day.uptime ?? 0) - (1 - 0.5 * 0.3)) < 1e-9);
  });

  test('days before the component existed have no data', () => {
    const now = new Date('2026-11-25T03:00:00Z');
    const h = uptimeHistory({ changes: [], createdAt: new Date('2026-11-24T03:00:00Z'), now, days: 5, timeZone: tz });
    assert.deepEqual(h.days.slice(0, 3).map((d) => d.uptime), [null, null, null]);
    assert.equal(h.days[4]?.uptime, 1);
    assert.equal(h.overall, 1);
  });
});

describe('hostile text', () => {
  test('html`` escapes every interpolated value', () => {
    const evil = '<script>alert(1)</script><img src=x onerror="x">\'';
    const out = html`<p title="${evil}">${evil}</p>`.value;
    assert.ok(!out.includes('<script>'));
    assert.ok(!out.includes('<img'));
    assert.ok(out.includes('&lt;script&gt;'));
    assert.ok(out.includes('&quot;x&quot;'));
    assert.equal(multiline('a\n<b>').value, 'a<br>&lt;b&gt;');
  });

  test('text fields refuse broken encodings, strip control characters and enforce limits', () => {
    refused(() => cleanText('abc\uFFFDdef', 'bodyJa', { max: 100 }), 'VALIDATION');
    refused(() => cleanText('\uD800', 'bodyJa', { max: 100 }), 'VALIDATION');
    refused(() => cleanText('x'.repeat(101), 'bodyJa', { max: 100 }), 'VALIDATION');
    refused(() => cleanText({ toString: () => 'x' }, 'bodyJa', { max: 100 }), 'VALIDATION');
    refused(() => cleanText('   ', 'bodyJa', { max: 100, required: true }), 'VALIDATION');
    assert.equal(cleanText('a\u0000b\u0007c\r\nd', 'bodyJa', { max: 100, multiline: true }), 'abc\nd');
    assert.equal(cleanText('ｶﾞ', 'nameJa', { max: 10 }), 'ｶﾞ');
  });
});

describe('language choice', () => {
  test('?lang wins, then Accept-Language by quality, then Japanese', () => {
    assert.equal(pickLang('en', 'ja'), 'en');
    assert.equal(pickLang(null, 'en-US,en;q=0.9'), 'en');
    assert.equal(pickLang(null, 'fr-FR, en;q=0.5, ja;q=0.8'), 'ja');
    assert.equal(pickLang(null, 'de-DE'), 'ja');
    assert.equal(pickLang(null, undefined), 'ja');
    assert.equal(pickLang('xx', 'en'), 'en');
  });
});

describe('static export links', () => {
  test('?lang links become /en/ paths that a static host can serve', () => {
    assert.equal(rewriteLinksForStatic('<a href="/?lang=en">'), '<a href="/en/">');
    assert.equal(rewriteLinksForStatic('<a href="/history?lang=en">'), '<a href="/en/history">');
    assert.equal(rewriteLinksForStatic('<a href="/incidents/abc?lang=ja">'), '<a href="/incidents/abc">');
    assert.equal(rewriteLinksForStatic('<a href="/api/v2/summary.json?lang=en">'), '<a href="/en/api/v2/summary.json">');
  });
});

describe('recovery codes (users and staff alike)', () => {
  test('ten distinct codes of three groups, without look-alike characters', () => {
    const codes = generateRecoveryCodes();
    assert.equal(codes.length, RECOVERY_CODE_COUNT);
    assert.equal(new Set(codes).size, codes.length);
    for (const code of codes) assert.match(code, /^[a-hjkmnp-z2-9]{4}-[a-hjkmnp-z2-9]{4}-[a-hjkmnp-z2-9]{4}$/);
  });
  test('a code typed in capitals, with spaces, reads as the code; anything else is no code', () => {
    const [code] = generateRecoveryCodes(1);
    assert.equal(normaliseRecoveryCode(` ${code!.toUpperCase().replaceAll('-', ' ')} `), code);
    assert.equal(normaliseRecoveryCode('abcd-efgh'), null);
    assert.equal(normaliseRecoveryCode(42), null);
  });
});
