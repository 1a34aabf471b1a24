import type { Lang } from '../../web/i18n.ts';

/**
 * Words that mean the same thing to someone looking for help at an exchange. Every member of a group is
 * followed by the group's first word, in articles and queries alike, before tokenizing (normalize.ts). Keep this general
 * vocabulary (what any user or article might say), never the answer to one particular query.
 *
 * Entries are written as people write them; the normaliser folds width, case and katakana before matching,
 * so 「サインイン」 also covers 「さいんいん」 and 「ｻｲﾝｲﾝ」. Latin members only match whole words.
 */
export const SYNONYM_GROUPS: Readonly<Record<Lang, readonly (readonly string[])[]>> = {
  ja: [
    // 出勤 is the usual wrong conversion of しゅっきん (docs/triage-guide.md, writer "typos").
    ['出金', '引き出し', '引出し', '引出', '払い出し', '払出し', '送金', '出勤', '換金'],
    ['入金', '着金', '預け入れ', '預入れ'],
    ['ログイン', 'サインイン', 'ログオン', 'サインオン'],
    ['2段階認証', '二段階認証', '2要素認証', '二要素認証', '2ステップ認証', '多要素認証', '2fa', 'mfa', '二重認証'],
    ['不正アクセス', '不正ログイン', '乗っ取り', '乗っとり', 'のっとり', 'ハッキング', 'ハック', '垢乗っ取り'],
    ['パスワード', 'pw', 'pass', 'password', 'パス', 'パスワ'],
    ['本人確認', 'kyc', 'ekyc'],
    // The coins people hold most, by name or nickname, are "my crypto" to them (XRP stays its own word: the memo-tag
    // coins are what an article about tags is about).
    ['暗号資産', '仮想通貨', '暗号通貨', 'クリプト', 'コイン', 'トークン', 'ビットコイン', 'ビットコ', 'btc', 'イーサリアム', 'イーサ', 'eth'],
    ['フィッシング', '偽サイト', '詐欺サイト', 'にせサイト', 'ニセサイト', '偽物のサイト', '偽メール', '偽のメール', '偽のサイト'],
    ['スマートフォン', 'スマホ', '携帯電話', 'ケータイ', 'アイフォン', 'iphone', 'android', 'アンドロイド'],
    ['メール', 'eメール', 'email', 'e-mail'],
    // 垢 is net slang for アカウント; 垢BAN is an account being suspended.
    ['凍結', 'ロック', '垢ban', '垢バン', 'アカバン', '利用停止', 'アカウント停止'],
    ['アカウント', '垢', 'アカ', 'アカウンツ'],
    ['退会', '解約'],
    ['規約', '利用規約', '約款'],
    ['障害', 'システムダウン', 'システム障害'],
    ['メンテナンス', 'メンテ'],
    ['サポート', 'サポ', 'カスタマーサポート', 'サポセン', 'サポートセンター'],
    ['詐欺', 'サギ', 'スキャム', 'scam'],
    // 刺さる is traders' slang for an order being filled.
    ['約定', '刺さ'],
    // 溶けた / 溶かした: money lost in trading, not stolen (docs/triage-guide.md).
    ['損失', '溶け', '溶かし'],
    ['フリーズ', '固ま'],
    ['危険', 'ヤバい', 'やばい', 'ヤバイ', '危ない', 'あぶない'],
    ['問い合わせ', '問合せ', 'お問い合わせ'],
    ['秘密鍵', 'シークレットキー', 'プライベートキー'],
    ['復元フレーズ', 'シードフレーズ', 'リカバリーフレーズ', 'seed phrase', 'ニーモニック'],
    ['ホワイトリスト', 'アドレス帳', '許可リスト', 'whitelist', 'allowlist'],
    ['補償', '補填', '返金', '弁償'],
    // 抜かれた is net slang for funds taken out of an account by someone else.
    ['盗まれ', '抜かれ', '盗られ', 'ぬかれ'],
    ['認証アプリ', 'google authenticator', 'authenticator', 'オーセンティケーター', 'オーセンティケータ', 'グーグル認証', 'authy'],
    // Something in the account the user did not do, said the way people say it.
    ['身に覚えのない', '身に覚えがない', '身に覚えない', '覚えのない', '覚えがない', '心当たりのない', '心当たりがない', '自分じゃない', '自分ではない', '自分のじゃない', '私じゃない', 'わたしじゃない'],
  ],
  en: [
    ['2fa', 'two-factor', 'two factor', '2-factor', '2 factor', 'two-step', 'two step', '2-step', '2 step', 'mfa', 'multi-factor', 'multifactor'],
    ['login', 'log in', 'log-in', 'logon', 'log on', 'sign in', 'sign-in', 'signin', 'logging in', 'logged in', 'signing in', 'signed in'],
    ['withdraw', 'withdrawal', 'withdrew', 'withdrawn', 'cash out', 'cashout'],
    ['deposit', 'top up', 'top-up', 'topup'],
    ['password', 'passwd', 'pw', 'pwd'],
    ['hack', 'hacked', 'compromised', 'takeover', 'take over', 'unauthorized access', 'unauthorised access'],
    ['phishing', 'phish', 'fake site', 'fake website', 'spoofed site', 'spoof site'],
    ['kyc', 'identity verification', 'id verification', 'verify identity', 'verify my identity'],
    // To a user, coins and tokens are their crypto: a generic word, not the name of one article's topic.
    ['crypto', 'cryptocurrency', 'cryptocurrencies', 'crypto asset', 'crypto-asset', 'virtual currency', 'coin', 'coins', 'token', 'tokens', 'bitcoin', 'btc', 'ethereum', 'eth', 'ether'],
    ['email', 'e-mail'],
    ['phone', 'smartphone', 'cellphone', 'cell phone'],
    ['lock', 'freeze', 'frozen'],
    ['enable', 'turn on', 'switch on', 'activate'],
    ['disable', 'turn off', 'switch off', 'deactivate'],
    ['terms', 'terms of service', 'terms of use', 'tos', 'user agreement'],
    ['account', 'acct', 'acc', 'acount'],
    ['stolen', 'drained', 'emptied', 'wiped out', 'robbed'],
    ['scam', 'scammed', 'scammer', 'fraud', 'fraudster', 'con artist'],
    ['compensation', 'compensate', 'refund', 'reimburse', 'reimbursement'],
    ['app', 'application', 'mobile app'],
    // A site or app that fails for everyone, said the way people say it.
    ['outage', 'crash', 'crashed', 'crashes', 'crashing', 'went down', 'goes down'],
    ['duplicate', 'double', 'twice', 'duplicated'],
    // Something in the account the user did not do.
    ['unauthorized', 'unauthorised', 'not mine', "wasn't me", 'was not me', 'not me', "didn't make", 'did not make', "didn't request", 'did not request', "didn't authorize", 'not authorized'],
  ],
};

/**
 * Spelling variants of one word (okurigana, kanji or kana for the same word). Same mechanism as synonyms,
 * kept apart because these are orthography, not meaning.
 */
export const SPELLING_VARIANTS: Readonly<Record<Lang, readonly (readonly string[])[]>> = {
  ja: [
    ['でき', '出来'],
    ['ください', '下さい'],
    ['わか', '分か', '判か'],
    ['つなが', '繋が'],
    ['問い合わせ', '問合せ', '問い合せ', '問合わせ'],
    ['申込', '申し込み', '申込み', '申し込'],
    ['振込', '振り込み', '振込み', '振り込'],
    ['取引', '取り引き'],
    ['受取', '受け取り', '受取り', '受け取'],
    ['手続き', '手続'],
    ['ない', '無い'],
    ['いただ', '頂'],
    ['か月', 'ヶ月', 'ヵ月', 'カ月', 'ケ月', '箇月'],
    // Kansai and Kyushu for できない (writer "kansai").
    // 鯖 (さば) is net slang for a server: 鯖落ち, 鯖重い.
    ['サーバー', '鯖', 'サバ'],
    ['できない', 'できへん', 'でけへん', 'できひん', 'でけん', 'できーへん'],
    ['わからない', 'わからん', 'わからへん', 'わかんない', 'わかんね'],
  ],
  en: [
    ['setup', 'set up', 'set-up'],
    ['signup', 'sign up', 'sign-up'],
    ['logout', 'log out', 'log-out', 'sign out', 'sign-out', 'signout'],
    ['username', 'user name', 'user-name'],
    ['online', 'on-line'],
  ],
};
