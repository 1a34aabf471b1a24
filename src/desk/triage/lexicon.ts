/** The triage's shared vocabulary: kana folding, sentence windows, and the lexicons the rule table and the logic share. */

export const INCIDENT_WEIGHT = 8;
/** A reason quotes at most this much of the message. */
export const MAX_MATCHED_CHARS = 80;

/** Hiragana → katakana, so that ろぐいん and ログイン (and patterns written either way) meet. */
export function foldKana(s: string): string {
  let out = '';
  for (const ch of s) {
    const c = ch.codePointAt(0) ?? 0;
    out += c >= 0x3041 && c <= 0x3096 ? String.fromCodePoint(c + 0x60) : ch;
  }
  return out;
}

/** A bounded window inside one sentence. */
export const W = (n: number): string => `[^。!?\\n]{0,${n}}`;
export const re = (source: string): RegExp => new RegExp(foldKana(source));
/** Either order, inside one sentence. */
export const near = (a: string, b: string, n: number): string => `(?:${a})${W(n)}(?:${b})|(?:${b})${W(n)}(?:${a})`;

export const TWOFA = String.raw`(?:二段階認証|2段階認証|二要素認証|2要素認証|2fa|two[- ]?factor|2-step|two[- ]step|\bmfa\b|authenticator|認証アプリ|認証コード|ワンタイムパスワード|\botp\b)`;
export const WITHDRAW = String.raw`(?:出金|送金|引き出し|引出し|引出|出庫|withdraw(?:al|als|n|s)?|withdrew)`;
export const DEPOSIT = String.raw`(?:入金|着金|振込|振り込み|入庫|\bdeposit(?:s|ed)?\b)`;
/** Things whose unknown/unauthorised use makes an incident. */
export const SECURITY_OBJECT = new RegExp(
  foldKana(
    String.raw`ログイン|サインイン|アクセス|出金|送金|引き出|注文|取引|売却|購入|約定|アドレス|端末|デバイス|\bip\b|通知|メール|パスワード|再設定|変更|認証|login|log-?in|logged|sign-?in|signed|access|withdr|transfer|order|trade|sold|bought|address|device|location|transaction|email|password|reset|notification|2fa|two[- ]?factor|authenticator|api|残高|資産|ウォレット|電話番号|携帯|入金|通貨|コイン|\bsim\b|balance|funds|wallet|coins|phone|deposit|\b(?:btc|eth|xrp|ltc|usdt|usdc|bch|sol)\b`,
  ),
);
export const ALERT_CONTEXT = new RegExp(foldKana(String.raw`通知|メール|お知らせ|アラート|\bemail|\balert|notification|\bsms\b`));
export const PHISH_CONTEXT = new RegExp(
  foldKana(
    String.raw`フィッシング|偽|名乗る|なりすまし|成りすまし|装った|リンク|\bsms\b|メール|ショートメッセージ|\bdm\b|\bline\b|telegram|discord|twitter|サイト|fake|phishing|\blink\b|e-?mail|claiming|pretend|impersonat|scam|詐欺|support|サポート`,
  ),
);
/** A hypothetical or preventive question ("in case", 「場合」) — not a report that something happened. */
export const HYPOTHETICAL = new RegExp(
  foldKana(String.raw`場合|(?:さ|ら)れたら(?!しい)|(?<!ウ)としたら|(?<!ウ)とすると|(?<!何|誰|出勤|出金|送金|ログイン|操作|注文)もし(?!かして|かしたら|て|た|ません|ない|ており)|仮に|万が一|万一|際(?:は|に)|in case|what if|\bif (?:my|someone|somebody|anyone|i|an?|the|they|he|she|hackers?)\b|^(?:can|could|would|will) (?:hackers?|someone|somebody|anyone|they)\b|\bis it possible\b|\bpossible for (?:someone|anyone|hackers?|others?)\b|\b(?:could|can|would) (?:someone|somebody|anyone|hackers?|a hacker|others)\b|\bprepare|\bprevent|\bprotect|防ぐ|防止|対策|予防|備え|ないように|ないため|遭わない|あわない|避ける|\bavoid`),
);
