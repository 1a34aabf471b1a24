import type { Lang } from '../../web/i18n.ts';
import { SPELLING_VARIANTS, SYNONYM_GROUPS } from './synonyms.ts';

/*
 * Text folding shared by articles and queries, so both sides meet in the same form:
 *   1. NFKC (full-width Ａ and half-width ｶﾅ become A and カナ), lower case, control characters dropped;
 *   2. kanji numerals before a counter become digits (二段階 → 2段階, 三つ → 3つ);
 *   3. spelling variants rewritten to the usual spelling, synonyms followed by their group's word (synonyms.ts);
 *   4. katakana folded to hiragana, small kana to full size (ウォレット = ウオレット), and the long vowel
 *      mark (or a dash typed for one) dropped after kana (サーバー = サーバ = サ-バ).
 * Step 3 runs before step 4 so that a katakana member such as ロック can require katakana boundaries and
 * leave ブロック alone. Step 4 is done by the tokenizer run by run (`foldKanaChar`), which needs to know
 * which letters were hiragana; `normalizeText` does all four.
 */

const KANJI_DIGITS: Readonly<Record<string, number>> = {
  〇: 0, 零: 0, 一: 1, 二: 2, 三: 3, 四: 4, 五: 5, 六: 6, 七: 7, 八: 8, 九: 9,
};
const KANJI_UNITS: Readonly<Record<string, number>> = { 十: 10, 百: 100, 千: 1000 };

/** Counters after which a kanji numeral is read as a number. 分 and 時 are left out: 十分 and 一時 are words. */
const COUNTER = '段階|段|回|日|時間|年|月|か月|ヶ月|ヵ月|カ月|ケ月|箇月|週間|週|件|人|桁|秒|個|度|つ|要素|倍|割|番目|枚|台|通|点|営業日|文字';
// The counter is checked at the end of each run in code: a lookahead after an unbounded run backtracks
// through every shorter run, which made a long string of numerals take seconds.
const KANJI_NUMERAL_RUN = /[〇零一二三四五六七八九十百千]+/gu;
const COUNTER_AT = new RegExp(`(?:${COUNTER})`, 'uy');

/** Longer runs are not numbers anyone types (and would not fit a double): they stay as written. */
const MAX_NUMERAL_CHARS = 8;

function counterFollows(text: string, at: number): boolean {
  COUNTER_AT.lastIndex = at;
  return COUNTER_AT.test(text);
}

/** 二 → 2, 十二 → 12, 二十 → 20, 二〇二六 → 2026, 三百 → 300. */
export function kanjiNumeralToNumber(numeral: string): number {
  const hasUnit = [...numeral].some((c) => c in KANJI_UNITS);
  if (!hasUnit) return Number([...numeral].map((c) => KANJI_DIGITS[c] ?? 0).join(''));
  let total = 0;
  let digit = 0;
  for (const c of numeral) {
    const unit = KANJI_UNITS[c];
    if (unit !== undefined) {
      total += (digit || 1) * unit;
      digit = 0;
    } else digit = KANJI_DIGITS[c] ?? 0;
  }
  return total + digit;
}

// Everything but tab and newline in C0, DEL and C1, plus the zero-width and bidi formatting characters.
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]/gu;

/** NFKC, lower case, no control characters, kanji numerals before counters as digits. */
function foldWidthAndCase(text: string): string {
  return text
    .toWellFormed()
    .normalize('NFKC')
    .toLowerCase()
    .replace(CONTROL, ' ')
    .replace(KANJI_NUMERAL_RUN, (n: string, at: number, whole: string) =>
      n.length <= MAX_NUMERAL_CHARS && counterFollows(whole, at + n.length) ? String(kanjiNumeralToNumber(n)) : n);
}

const SMALL_KANA: Readonly<Record<string, string>> = {
  ぁ: 'あ', ぃ: 'い', ぅ: 'う', ぇ: 'え', ぉ: 'お', っ: 'つ', ゃ: 'や', ゅ: 'ゆ', ょ: 'よ', ゎ: 'わ', ゕ: 'か', ゖ: 'か',
};

/** A dash typed for a long vowel after kana (パスワ-ド) is one. */
const DASH_AFTER_KANA = /(?<=[\p{sc=Hiragana}\p{sc=Katakana}ー])[-‐‑–—―−〜~]/gu;

const isKana = (code: number) => (code >= 0x3041 && code <= 0x309f) || (code >= 0x30a1 && code <= 0x30fa);

/**
 * One character of a Japanese run folded: katakana → hiragana, small kana → full size; null for a long
 * vowel mark after kana (dropped).
 */
export function foldKanaChar(ch: string, previous: string | undefined): string | null {
  if (ch === 'ー') return previous !== undefined && isKana(previous.codePointAt(0)!) ? null : ch;
  const code = ch.codePointAt(0)!;
  const c = code >= 0x30a1 && code <= 0x30f6 ? String.fromCodePoint(code - 0x60) : ch;
  return SMALL_KANA[c] ?? c;
}

/** Kana folding of a prepared text (`prepareText`), as the tokenizer does it run by run. */
export function foldKana(text: string): string {
  let out = '';
  let previous: string | undefined;
  for (const ch of text) {
    const folded = foldKanaChar(ch, previous);
    previous = ch;
    if (folded !== null) out += folded;
  }
  return out;
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

interface Rewriter {
  pattern: RegExp;
  /** Articles: a synonym is kept and its group's word added. */
  forIndex: Map<string, string>;
  /** Queries: a synonym becomes its group's word, so one meaning counts once however it was typed. */
  forQuery: Map<string, string>;
}

export type TextRole = 'index' | 'query';

/**
 * One regular expression per language over every variant and synonym, longest first, so a single pass
 * rewrites them all and an earlier rewrite is never rewritten again. A spelling variant becomes the usual
 * spelling everywhere. A synonym in an article is kept and its group's first word added after it
 * (引き出し → 引き出し 出金), so a query word the table does not list (乗っ取られた for 乗っ取り) still
 * finds the article's own letters; in a query it is replaced by the group's word, so a meaning typed as a
 * synonym does not count twice.
 */
function buildRewriter(lang: Lang): Rewriter {
  const forIndex = new Map<string, string>();
  const forQuery = new Map<string, string>();
  const add = (groups: readonly (readonly string[])[], expand: boolean) => {
    for (const group of groups) {
      const canonical = foldWidthAndCase(group[0]!);
      for (const member of group.slice(1)) {
        const m = foldWidthAndCase(member);
        if (m === canonical || forQuery.has(m)) continue;
        forQuery.set(m, canonical);
        forIndex.set(m, expand ? `${m} ${canonical}` : canonical);
      }
    }
  };
  add(SPELLING_VARIANTS[lang], false);
  add(SYNONYM_GROUPS[lang], true);
  const alternatives = [...forQuery.keys()]
    .sort((a, b) => b.length - a.length || a.localeCompare(b))
    .map((m) => {
      const body = escapeRegExp(m);
      // Whole words only for Latin members; katakana members must not be part of a longer katakana word.
      if (/^[\p{sc=Latin}\p{N}]/u.test(m)) return `(?<![\\p{sc=Latin}\\p{N}])${body}(?![\\p{sc=Latin}\\p{N}])`;
      if (/^[\p{sc=Katakana}ー]+$/u.test(m)) return `(?<![\\p{sc=Katakana}ー])${body}(?![\\p{sc=Katakana}ー])`;
      return body;
    });
  return { pattern: new RegExp(alternatives.join('|'), 'gu'), forIndex, forQuery };
}

const REWRITERS: Record<Lang, Rewriter> = { ja: buildRewriter('ja'), en: buildRewriter('en') };

/**
 * A text ready for the tokenizer: width, case, numerals, variants and synonyms folded, kana not yet (the
 * tokenizer folds kana itself, because it weighs a term by the script it was written in).
 */
export function prepareText(text: string, lang: Lang, role: TextRole): string {
  const rewriter = REWRITERS[lang];
  const replacements = role === 'index' ? rewriter.forIndex : rewriter.forQuery;
  return foldWidthAndCase(text)
    .replace(DASH_AFTER_KANA, 'ー')
    .replace(rewriter.pattern, (m) => replacements.get(m) ?? m);
}

/** The fully folded form of a text, kana included: the form query terms are found in (excerpts). */
export function normalizeText(text: string, lang: Lang, role: TextRole = 'index'): string {
  return foldKana(prepareText(text, lang, role));
}
