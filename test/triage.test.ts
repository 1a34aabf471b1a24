import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { normalizeForTriage, triage, TRIAGE_MAX_CHARS } from '../src/desk/triage/rules.ts';
import { evaluateTriage, formatTriageReport, parseTriageJsonl, type TriageSample } from '../src/desk/triage/eval.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const sharedDev = `${root}../shared/data/triage-dev.jsonl`;
const fixtureDev = `${root}test/fixtures/triage-dev.jsonl`;
const holdout = `${root}test/fixtures/triage-holdout.jsonl`;
const blind = `${root}test/fixtures/triage-blind.jsonl`;

function load(path: string): TriageSample[] {
  return parseTriageJsonl(readFileSync(path, 'utf8'));
}

/** The first reasons, to say why a message was triaged as it was when an assertion fails. */
const why = (text: string, r: ReturnType<typeof triage>): string => `${text}\n${JSON.stringify(r.reasons.slice(0, 3))}`;

/** Every one of these is a security incident: type security, priority urgent. */
function assertIncidents(texts: readonly string[]): void {
  for (const text of texts) {
    const r = triage({ text });
    assert.deepEqual(pick(r), ['security', 'urgent'], why(text, r));
  }
}

/** None of these is an incident: never urgent (and, with `notSecurity`, not typed security either). */
function assertNoIncidents(texts: readonly string[], opts: { notSecurity?: boolean } = {}): void {
  for (const text of texts) {
    const r = triage({ text });
    assert.notEqual(r.priority, 'urgent', why(text, r));
    if (opts.notSecurity) assert.notEqual(r.type, 'security', why(text, r));
  }
}

describe('triage figures', () => {
  test('dev set: category accuracy >= 96 %, security recall 100 %', () => {
    const samples = load(existsSync(sharedDev) ? sharedDev : fixtureDev);
    assert.ok(samples.length >= 50);
    const r = evaluateTriage(samples);
    const report = formatTriageReport(r);
    assert.ok(r.accuracy >= 0.96, report);
    assert.equal(r.securityRecall, 1, report);
    assert.equal(r.securityUrgentRecall, 1, report);
    assert.equal(r.securityLow, 0, report);
  });

  test('the fixture copy of the dev set matches the shared one (when present)', { skip: !existsSync(sharedDev) }, () => {
    assert.deepEqual(load(fixtureDev), load(sharedDev));
  });

  test('held-out set: category accuracy >= 95 %, security recall 100 %', () => {
    const r = evaluateTriage(load(holdout));
    const report = formatTriageReport(r);
    assert.ok(r.count >= 80);
    assert.ok(r.accuracy >= 0.95, report);
    assert.equal(r.securityRecall, 1, report);
    assert.equal(r.securityLow, 0, report);
  });

  test('blind set (messages written without looking at the rules): accuracy >= 90 %, every incident security + urgent', () => {
    const r = evaluateTriage(load(blind));
    const report = formatTriageReport(r);
    assert.ok(r.count >= 250);
    assert.ok(r.accuracy >= 0.9, report);
    assert.equal(r.securityRecall, 1, report);
    assert.equal(r.securityUrgentRecall, 1, report);
    assert.equal(r.securityLow, 0, report);
  });
});

describe('triage rules', () => {
  test('reasons name the rule and quote the user’s own words', () => {
    const text = 'ＢＴＣが勝手に出金されています！私は操作していません';
    const r = triage({ text });
    assert.equal(r.type, 'security');
    assert.equal(r.priority, 'urgent');
    const first = r.reasons[0];
    assert.ok(first);
    assert.match(first.rule, /^security\./);
    assert.match(first.effect, /security/);
    assert.ok(first.matched.length > 0 && text.includes(first.matched), `matched "${first.matched}" is not from the text`);
    assert.ok(r.reasons.some((x) => x.matched.includes('勝手に')));
    // Full-width input is quoted as written, not normalised.
    const en = triage({ text: 'Someone withdrew ALL my ETH. I did NOT make this withdrawal' });
    assert.ok(en.reasons.some((x) => /did NOT make/.test(x.matched)), JSON.stringify(en.reasons));
  });

  test('security incidents are urgent, in both languages and width variants', () => {
    for (const text of [
      '身に覚えのないログイン通知が届きました',
      'I did not make this withdrawal of 1.2 ETH',
      '２ＦＡが勝手に解除されていました',
      'ﾊﾟｽﾜｰﾄﾞが勝手に変更されました',
      'My SIM was swapped and someone logged into my account',
      'I entered my password on a fake bitbank site from an SMS link',
      'APIキーが流出しました',
      'Unauthorized login from an unknown device',
      'アカウントが乗っ取られました',
    ]) {
      const r = triage({ text });
      assert.equal(r.type, 'security', text);
      assert.equal(r.priority, 'urgent', text);
    }
  });

  test('a security incident is never low, whatever the category hint', () => {
    for (const category of ['outage', 'trading', 'regulatory', 'other', 'security'] as const) {
      const r = triage({ text: '不正ログインされました。残高がゼロになっています', category });
      assert.equal(r.type, 'security');
      assert.equal(r.priority, 'urgent');
    }
    for (const text of ['Is this email really from bitbank?', 'フィッシングサイトを見つけました', '不審なSMSが届きました']) {
      const r = triage({ text });
      assert.equal(r.type, 'security', text);
      assert.notEqual(r.priority, 'low', text);
    }
  });

  test('a how-to question about 2FA is not a security incident', () => {
    for (const text of ['How do I set up two-factor authentication?', '二段階認証の設定方法を教えて', '２段階認証ってなんですか？', 'Is it safe to leave my coins on the exchange?']) {
      const r = triage({ text });
      assert.notEqual(r.type, 'security', text);
      assert.equal(r.priority, 'low', text);
    }
    // Choosing "security" on the form does not make a how-to question urgent.
    const hinted = triage({ text: 'How do I set up two-factor authentication?', category: 'security' });
    assert.notEqual(hinted.priority, 'urgent');
    assert.ok(hinted.reasons.some((r) => r.rule === 'hint.category' && r.matched === 'security'));
  });

  test('hypothetical questions are not incidents', () => {
    for (const text of ['不正ログインされた場合、補償はありますか', 'What should I do to prepare in case my account gets compromised?', 'Can hackers withdraw my coins if they only know my email?']) {
      const r = triage({ text });
      assert.notEqual(r.priority, 'urgent', text);
    }
  });

  test('incidents described indirectly are still security + urgent', () => {
    assertIncidents([
      '朝起きたら残高がゼロになってる…なんで？？',
      '送った覚えのない送金が履歴にあります',
      'SMSの認証コードが勝手に何回も届くんですけど',
      'サポートを名乗る人にSMSのコードを教えてしまいました',
      '元夫が私の口座にログインしているみたいです',
      'スマホを落としました。その後、出金申請を受け付けましたというメールが届いています',
      'マッチングアプリで知り合った人に勧められた投資サイトにBTCを送金しました。詐欺かもしれません',
      '昨日カフェのフリーWiFiでログインしました。今日になって残高の半分が知らない宛先に送られてます',
      'account drained. everything gone',
      'someone loged in from russia last nite, im in osaka',
      'A guy claiming to be from your security team asked me to install TeamViewer. I did it',
      "there are outgoing transfers to a wallet that aren't mine",
      "I'm looking at my balance and it's showing only a few yen. I had about 300k yen worth of XRP this morning",
      'My BTC was withdrawn without my permission. What should I do to prevent this in future?',
    ]);
  });

  test('near-misses are not incidents: how-to, hypotheticals, news, the user’s own action', () => {
    assertNoIncidents([
      '他の取引所がハッキングされたニュースを見ましたが、ビットバンクは大丈夫ですか',
      'If my account got hacked would you refund me?',
      "I'm worried about SIM swap attacks. Can I use an app instead of SMS for 2FA?",
      'フィッシングメールの見分け方を教えてください',
      'I logged in from a new laptop and got a security alert - that was me, all good',
      'ハッキングされたら補償してくれますか',
      'Is it possible for someone to withdraw without my 2FA?',
      "I haven't logged in for a year, is my account still active?",
      'パスワードを忘れて再設定メールを送ったけど届かない',
      'My BTC got sold by the stop loss even though the price never hit it',
      'I sent BTC to the wrong network by mistake, can you recover it?',
      'I deposited 1 BTC but my balance still shows 0',
    ]);
  });

  test('more incidents in the words people use: a bot\'s stray orders, a swapped address, a device out of reach, an insider, a scammer gone silent, dialect', () => {
    assertIncidents([
      'ウチのbotが出してない注文が約定履歴に3件あります。APIキーは1つしか発行してません',
      'Our bot never placed these sells, they are not in our own order logs at all',
      '出金先を貼り付けたら、コピーしたのと違うアドレスになってました。もう申請しちゃった',
      'The address I pasted does not match the one in my Ledger app, and the withdrawal already went through',
      '履歴に先頭と末尾だけ同じアドレスがあって、そっちに送ってたっぽいです',
      '古いiPhoneを初期化し忘れて売ってしまいました。bitbankのアプリはログインしたままです',
      'A former employee still has access to the e-mail address our corporate account uses',
      'インスタで知り合った投資の先生にETHを送ったら、それから連絡が取れなくなりました',
      'I sent USDT to an investment mentor I met online and now he has blocked me everywhere',
      'SIMの再発行が私の知らない店舗であったとキャリアから言われました',
      '頼みもせんのに確認コードがなんべんも来る',
      "I don't remember placing this 2 BTC sell order, can you tell me where it came from?",
    ]);
  });

  test('words that look like an incident but are not: a decimal balance, a zero fee, an empty order book, an old card, an unchanged e-mail', () => {
    assertNoIncidents([
      'Selling 0.3 ETH fails with "insufficient balance" but my balance shows 0.31 ETH',
      '昨日のETH購入、手数料0円になってたのはキャンペーンですか？',
      'アプリでETH/JPYの板が空っぽです。メンテナンス中ですか？',
      '約定してないのに注文一覧から消えました。注文番号 5544',
      '3年くらいログインしていませんが、口座はまだ使えますか',
      '在留カードの古いのしか持っていないのですが、本人確認はできますか',
      'メールアドレスも電話番号も変わっていませんが、SMSが届きません',
      '最近ニュースで乗っ取りの話が多いので、設定を見直したいです',
      '出金先のアドレスを間違えて、知らない人のアドレスに送ってしまいました',
      'Public endpoints work but the private API returns 10000 with both of my API keys',
      '含み益が全部消えた…ガチホやめときゃよかった',
      'メンテナンス中は残高が消えてしまうのでしょうか？',
    ], { notSecurity: true });
  });

  test('a slow withdrawal is trading, an unknown one is security', () => {
    const slow = triage({ text: 'My withdrawal has been pending for 3 hours' });
    assert.equal(slow.type, 'trading');
    assert.equal(slow.priority, 'normal');
    assert.equal(triage({ text: '出金申請が24時間以上「処理中」のままです' }).priority, 'high');
    assert.equal(triage({ text: '出金に時間がかかっていますが、不正ではないですよね？' }).type, 'trading');
    const unknown = triage({ text: 'There is a withdrawal in my history that I never made' });
    assert.equal(unknown.type, 'security');
    assert.equal(unknown.priority, 'urgent');
  });

  test('outage priorities: API/bots high, maintenance question low', () => {
    assert.deepEqual(pick(triage({ text: 'REST API returns 503 with error code 10008, our bot is stuck' })), ['outage', 'high']);
    assert.deepEqual(pick(triage({ text: 'メンテナンスはいつ終わりますか' })), ['outage', 'low']);
    assert.deepEqual(pick(triage({ text: 'サイトが落ちてる？全然つながらない' })), ['outage', 'normal']);
  });

  test('the category hint decides a vague message but stays modest', () => {
    const vague = 'Please check my account, something is wrong';
    assert.equal(triage({ text: vague }).type, 'other');
    const hinted = triage({ text: vague, category: 'trading' });
    assert.equal(hinted.type, 'trading');
    assert.ok(hinted.reasons.some((r) => r.rule === 'hint.category' && /\+2/.test(r.effect)));
    // A clear message is not overturned by a wrong hint.
    assert.equal(triage({ text: '日本円の入金が反映されていません。振込から3時間経っています', category: 'regulatory' }).type, 'trading');
    // The hint never downgrades an incident found in the text.
    const r = triage({ text: 'Someone changed the email address on my account, I didn’t do it', category: 'other' });
    assert.equal(r.type, 'security');
    assert.equal(r.priority, 'urgent');
  });

  test('form fields: a large amount raises a stuck transfer', () => {
    const text = 'Deposit not credited yet';
    assert.equal(triage({ text }).priority, 'normal');
    assert.equal(triage({ text, fields: { asset: 'BTC', amount: '3' } }).priority, 'high');
    assert.ok(triage({ text: 'check please', fields: { orderId: '123456789' } }).reasons.length > 0);
  });

  test('hostile input does not throw and still gets a type, a priority and reasons', (t) => {
    const inputs = [
      '',
      ' \n\t ',
      '\u0000\u0001\u0007\u001b[31m\u202e\u200b',
      '🔥💸😱'.repeat(20_000),
      'a'.repeat(100_000),
      '出金'.repeat(50_000),
      `${'不'.repeat(30_000)}正ログイン`,
      '\uD800\uDC00\uD800 lone surrogates \uDFFF',
      'ｶﾞｷﾞｸﾞ ﾊﾟｽﾜｰﾄﾞ'.repeat(5_000),
      `${'did not '.repeat(10_000)}x`,
      `${'account '.repeat(20_000)}down`,
      'Z̷̢̛a̴̗̿l̶͕̈́g̷̱̈o̶̰͝'.repeat(2_000),
      'a1-'.repeat(30_000),
      'bitbank-'.repeat(10_000),
      'i had 1'.repeat(10_000),
      'パスワードを'.repeat(10_000),
      `${'someone '.repeat(5_000)}logged in`,
      `${'知らない'.repeat(10_000)}端末`,
      '。'.repeat(50_000),
    ];
    let slowest = { ms: 0, text: '' };
    for (const text of inputs) {
      const t0 = performance.now();
      const r = triage({ text });
      const ms = performance.now() - t0;
      if (ms > slowest.ms) slowest = { ms, text };
      assert.ok(['outage', 'security', 'trading', 'regulatory', 'other'].includes(r.type));
      assert.ok(['urgent', 'high', 'normal', 'low'].includes(r.priority));
      assert.ok(Array.isArray(r.reasons) && r.reasons.length > 0);
    }
    // Speed is measured in `npm run eval:triage`, not asserted here (timings depend on the machine's load).
    t.diagnostic(`slowest hostile input: ${slowest.ms.toFixed(1)} ms (${slowest.text.slice(0, 12)}…)`);
    const long = triage({ text: `${'x'.repeat(TRIAGE_MAX_CHARS + 10)} アカウントがハッキングされました` });
    assert.ok(long.reasons.some((r) => r.rule === 'input.truncated'));
    assert.doesNotThrow(() => triage({ text: undefined as unknown as string }));
  });


  test('normalisation: width, case, kana and invisible characters', () => {
    assert.equal(normalizeForTriage('ＡＰＩ　２ＦＡ'), 'api 2fa');
    assert.equal(normalizeForTriage('ﾛｸﾞｲﾝ'), normalizeForTriage('ろぐいん'));
    assert.equal(normalizeForTriage('log\u200bin\u0000 now'), 'login now');
    assert.ok(normalizeForTriage('x'.repeat(TRIAGE_MAX_CHARS * 3)).length <= TRIAGE_MAX_CHARS);
  });
});

function pick(r: { type: string; priority: string }): [string, string] {
  return [r.type, r.priority];
}
