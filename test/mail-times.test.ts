/**
 * Every kind of email, rendered from fixtures (test/support/mail-fixtures.ts): a time reads as the reader does
 * ("2026年12月7日 02:39 JST", "Dec 7, 2026, 02:39 JST"), in the exchange's time zone, and no raw ISO timestamp is
 * left in any mail.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';

import * as userEmails from '../src/security-center/emails.ts';
import { COMPOSER_MODULES, EN, ISO, JA, JA_TIME, KINDS, LINK, TZ, AT, HOLD } from './support/mail-fixtures.ts';

test('every exported mail composer has a fixture here', () => {
  const composers = COMPOSER_MODULES.flatMap((m) => Object.entries(m).filter(([name, value]) => typeof value === 'function' && /Mail$/.test(name)).map(([name]) => name));
  const covered = new Set(KINDS.map((k) => k.name));
  for (const name of composers) assert.ok(covered.has(name), `no fixture for ${name}`);
  assert.ok(composers.length >= 20, `found ${composers.length} composers`);
});

test('in Japanese, every time in every email reads "YYYY年M月D日 HH:mm JST", and no raw ISO timestamp is left', () => {
  for (const kind of KINDS) {
    const mail = kind.render('ja');
    const all = `${mail.subject}\n${mail.text}`;
    assert.doesNotMatch(all, ISO, `${kind.name}: a raw ISO timestamp`);
    for (const t of kind.times) assert.ok(all.includes(JA[t]), `${kind.name}: should show ${JA[t]}\n${all}`);
    const shown = all.match(JA_TIME) ?? [];
    assert.ok(shown.length >= kind.times.length, `${kind.name}: times shown ${shown.join(', ')}`);
    for (const s of shown) assert.ok(Object.values(JA).includes(s), `${kind.name}: unexpected time ${s}`);
    assert.doesNotMatch(all, /UTC|GMT/, `${kind.name}: times are in the exchange's zone`);
  }
});

test('in English, the same times in English and the same zone; no ISO timestamp either', () => {
  for (const kind of KINDS) {
    const mail = kind.render('en');
    const all = `${mail.subject}\n${mail.text}`;
    assert.doesNotMatch(all, ISO, `${kind.name}: a raw ISO timestamp`);
    for (const t of kind.times) assert.ok(all.includes(EN[t]), `${kind.name}: should show ${EN[t]}\n${all}`);
    assert.doesNotMatch(all, /\d{4}年/, `${kind.name}: a Japanese date in an English mail`);
  }
});

test('the withdrawal hold that used to read "until 2026-12-07T17:42:00Z" now reads as a local time', () => {
  const ja = userEmails.securityNoticeMail({ lang: 'ja', exchangeName: 'デモ取引所', kind: 'password_changed', at: AT, timeZone: TZ, details: [], lockLink: LINK, holdUntil: HOLD });
  assert.match(ja.text, /^2026年12月7日 02:39 JST に、お客様のアカウントでパスワードの変更がありました。/);
  assert.match(ja.text, /安全のため、2026年12月8日 02:42 JST まで出金を保留します。/);
  const en = userEmails.securityNoticeMail({ lang: 'en', exchangeName: 'Demo Exchange', kind: 'password_changed', at: AT, timeZone: TZ, details: [], lockLink: LINK, holdUntil: HOLD });
  assert.match(en.text, /withdrawals are on hold until Dec 8, 2026, 02:42 JST\./);
  // Another configured zone is honoured (its own abbreviation).
  const ny = userEmails.securityNoticeMail({ lang: 'en', exchangeName: 'Demo Exchange', kind: 'password_changed', at: AT, timeZone: 'America/New_York', details: [], lockLink: LINK, holdUntil: null });
  assert.match(ny.text, /at Dec 6, 2026, 12:39 /);
});
