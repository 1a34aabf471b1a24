/**
 * The synthetic users of a drill: hundreds of "is it down?" messages and a few account-takeover reports, in the
 * words people use (Japanese mostly, some English). Deterministic: the same drill settings give the same messages,
 * so two drills' reports compare.
 */
import type { ScenarioPlan } from './scenarios.ts';

export interface SyntheticMessage {
  kind: 'surge' | 'takeover';
  lang: 'ja' | 'en';
  body: string;
}

const SURGE: Record<ScenarioPlan['surge'], { ja: readonly string[]; en: readonly string[] }> = {
  outage: {
    ja: [
      '取引所につながりません。落ちていますか？',
      'アプリが開かない。鯖落ち？',
      '注文が通らないです。いつ直りますか',
      'さっきから画面がエラーになります。障害ですか？',
      'APIがタイムアウトします。障害情報はどこで見られますか',
      'BTCの注文を出したいのに取引画面が表示されません',
      '成行注文が反映されない。システム障害でしょうか',
      'ログインはできたけど取引ができない状態です',
      'チャートが止まっています。いつ復旧しますか？',
      'サーバーダウンしてますか？何度やっても繋がらない',
    ],
    en: [
      'Is the exchange down? The app will not load.',
      'My orders are not going through, is there an outage?',
      'The API keeps timing out. Any status update?',
      'Trading page shows an error since a few minutes.',
    ],
  },
  login: {
    ja: [
      'ログインできません。障害ですか？',
      'ログイン画面から先に進めない',
      '二段階認証のコードを入れてもエラーになります。落ちてますか',
      'アプリにログインできない。みんなそうですか？',
      'ログインが重くて入れません',
      'さっきからログインエラーが続いています',
    ],
    en: [
      'Cannot sign in, is something down?',
      'The login page keeps failing with an error.',
      'Sign-in is very slow today. Outage?',
    ],
  },
  withdrawal: {
    ja: [
      '出金申請したBTCがまだ届きません',
      '出金が反映されない。遅延していますか？',
      '1時間前に出金したのに着金しない',
      '日本円の出金が処理中のままです',
      '出金が止まっていますか？いつ届きますか',
      'ETHの出金がずっと保留になっている',
    ],
    en: [
      'My BTC withdrawal has not arrived yet.',
      'Withdrawal pending for an hour, is there a delay?',
      'Are withdrawals paused? Nothing has arrived.',
    ],
  },
  leak: {
    ja: [
      '他の人宛てのメールが届きました',
      '自分の名前ではないメールが来たのですが大丈夫ですか',
      '届いたメールに知らない人のアドレスが載っています',
      '個人情報が漏れていませんか？',
      '間違ったメールが届いた件、説明してください',
    ],
    en: [
      'I received an email meant for someone else.',
      'Your email showed other customers\' addresses. Is my data safe?',
    ],
  },
};

const TAKEOVER = {
  ja: [
    '身に覚えのないログイン通知が届き、その後BTCが勝手に出金されていました。アカウントを乗っ取られたと思います。すぐに止めてください。',
    '知らない端末からログインされ、パスワードと二段階認証が変更されていました。出金先アドレスも追加されています。不正アクセスです。',
    '自分ではしていない出金が3件あります。資産が盗まれました。至急対応をお願いします。',
    '海外からのログイン履歴があり、登録メールアドレスが変えられていました。乗っ取りです。',
  ],
  en: [
    'Someone logged into my account from an unknown device and withdrew my ETH. My account was hacked, please lock it now.',
    'My password and 2FA were changed without me and a new withdrawal address was added. Unauthorized access.',
  ],
};

/** `surge` "is it down?" messages with `takeovers` takeover reports spread among them (not all at the end). */
export function syntheticMessages(kind: ScenarioPlan['surge'], surge: number, takeovers: number): SyntheticMessage[] {
  const texts = SURGE[kind];
  const out: SyntheticMessage[] = [];
  for (let i = 0; i < surge; i++) {
    // About one in five in English, as on a Japanese exchange with foreign customers.
    const en = i % 5 === 4;
    const list = en ? texts.en : texts.ja;
    const base = list[i % list.length]!;
    const detail = en ? ` (#${i + 1})` : ` (${i + 1}件目の問い合わせ)`;
    out.push({ kind: 'surge', lang: en ? 'en' : 'ja', body: i < list.length ? base : `${base}${detail}` });
  }
  const gap = takeovers > 0 ? Math.max(1, Math.floor(out.length / (takeovers + 1))) : 0;
  for (let k = 0; k < takeovers; k++) {
    const en = k % 3 === 2;
    const list = en ? TAKEOVER.en : TAKEOVER.ja;
    const msg: SyntheticMessage = { kind: 'takeover', lang: en ? 'en' : 'ja', body: list[k % list.length]! };
    // Filed in the middle of the surge: the queue must still put it on top.
    out.splice(Math.min(out.length, gap * (k + 1) + k), 0, msg);
  }
  return out;
}
