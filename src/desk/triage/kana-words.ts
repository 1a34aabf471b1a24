/**
 * The support desk's key words as people type them without kanji (hiragana-only writers, flick input, learners:
 * 「しゅっきん できない」「にんしょうこーど が くる」), folded to katakana like the rest of the text, and the kanji
 * they stand for. The rules read a kana spelling as the word (「シュッキン」 → 「出金」), so their patterns apply.
 * (The model reads the text as typed: the same rewriting of its input did not help it in cross-validation.) Only readings that are the one usual word of the desk's
 * vocabulary, three kana or longer, and not the start of a common other word (「キノウ」 is 昨日 and 機能: left out).
 */
export const KANA_WORDS: Readonly<Record<string, string>> = {
  シュッキン: '出金', ニュウキン: '入金', ソウキン: '送金', チャッキン: '着金', フリコミ: '振込', フリコン: '振り込ん',
  ザンダカ: '残高', シサン: '資産', コウザ: '口座', トリヒキ: '取引', チュウモン: '注文', ヤクジョウ: '約定',
  テスウリョウ: '手数料', リレキ: '履歴', ハンエイ: '反映', ニンショウ: '認証', ニダンカイ: '二段階', ヒミツカギ: '秘密鍵',
  フクゲン: '復元', ジョウホウ: '情報', リュウシュツ: '流出', フシン: '不審', フセイ: '不正', トウケツ: '凍結',
  ノットラ: '乗っ取ら', ノットリ: '乗っ取り', カッテニ: '勝手に', シラナイ: '知らない', シラネ: '知らね', オボエ: '覚え',
  タノンデ: '頼んで', ツウチ: '通知', ヘンコウ: '変更', トウロク: '登録', セッテイ: '設定', ヒョウジ: '表示',
  カクニン: '確認', ショウガイ: '障害', ツナガラ: '繋がら', ツナガリ: '繋がり', ツナガッ: '繋がっ', フッキュウ: '復旧',
  テイシ: '停止', タンマツ: '端末', ケイタイ: '携帯', デンワ: '電話', ホンニン: '本人', キンユウチョウ: '金融庁',
  ゼイキン: '税金', ゼイリツ: '税率', キヤク: '規約', カクテイシンコク: '確定申告', ホウコクショ: '報告書',
  マイナンバー: 'マイナンバー', オクッタ: '送った', オクッテ: '送って', ヘッテ: '減って', ナノル: '名乗る', ナノッ: '名乗っ',
  ダマサレ: '騙され', ニセモノ: '偽物', ホンモノ: '本物', メンテ: 'メンテ', シンサ: '審査', カイヤク: '解約',
  カワッ: '変わっ', ナンカイ: '何回', ナンド: '何度', ジュウショ: '住所', ヘンキン: '返金', ホショウ: '補償', ソンシツ: '損失', ソンギリ: '損切り', ネダン: '値段', カカク: '価格',
};

/** The kanji spelling folded like the text (okurigana in katakana: 「知らない」 → 「知ラナイ」). */
const FOLDED: Readonly<Record<string, string>> = Object.fromEntries(
  Object.entries(KANA_WORDS).map(([kana, word]) => [kana, word.replace(/[\u3041-\u3096]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 0x60))]),
);

/** The folded kanji spelling of a kana spelling. */
export const kanjiOf = (kana: string): string => FOLDED[kana] ?? kana;

const KEYS = Object.keys(KANA_WORDS).filter((k) => KANA_WORDS[k] !== k).sort((a, b) => b.length - a.length);
/** Any of the kana spellings (longest first). */
export const KANA_WORD_ALL = new RegExp(KEYS.join('|'), 'g');
