import type { Lang } from '../../web/i18n.ts';
import { latinTerm } from './english.ts';
import { japaneseWords, type ReadingRun } from './japanese-analyzer.ts';
import { foldKanaChar } from './normalize.ts';

/*
 * Terms of a text prepared by `prepareText` (normalize.ts).
 *
 * Japanese runs (kanji, kana) become overlapping character bigrams: 出金できない → 出金 金で でき きな ない.
 * Bigrams need no dictionary, cannot split a word the wrong way, and match a word wherever it sits inside a
 * longer compound (不正出金 still contains 出金), which a word segmenter such as Intl.Segmenter does not
 * promise: it cuts 二段階認証 as 二|段階|認証 but may cut the same letters differently in another sentence.
 * Bigrams that straddle two words (金で) only match where the same phrase is written, so they reward phrase
 * matches. Single kanji are indexed too, so a one-kanji query (税) finds 税金; a one-kana query is ignored
 * (it is a particle).
 *
 * In a query, a bigram written in hiragana counts for less than one with kanji or katakana: hiragana carries
 * the grammar (できない, ください) while kanji and katakana carry the subject (出金, ログイン). Kana is
 * folded to hiragana only after that weight is known, so ろぐいん still finds ログイン. (Weighing bigrams by
 * Intl.Segmenter's word boundaries instead, lower across a boundary, measured no better on the query set.)
 *
 * Latin and digit runs are words: stop words dropped, lightly stemmed (english.ts).
 */

const RUN = /([\p{sc=Han}\p{sc=Hiragana}\p{sc=Katakana}\p{sc=Hangul}ー]+)|([\p{sc=Latin}\p{sc=Greek}\p{sc=Cyrillic}\p{Nd}\p{M}]+(?:['’][\p{sc=Latin}]+)?)/gu;
const HAN = /\p{sc=Han}/u;
const HIRAGANA = /\p{sc=Hiragana}/u;

/** Query weight of a Japanese bigram by how many of its two letters were written in hiragana (0, 1, 2). */
const BIGRAM_WEIGHT_BY_HIRAGANA = [1, 0.6, 0.3] as const;
export const HIRAGANA_BIGRAM_WEIGHT = BIGRAM_WEIGHT_BY_HIRAGANA[2];

export type TokenizeMode = 'index' | 'query';

export interface QueryTerm {
  term: string;
  weight: number;
  /** Terms with the same source are one part of the query (a word's reading and its base form). */
  source: string;
  /** For a word typed in hiragana: its letters, whose bigrams the word replaces when the index knows it. */
  spelled?: string;
  /**
   * For a word typed in katakana: its letters (folded). When the articles write that word in kanji only
   * (シュッキン for 出金), it is the word as hiragana would be, and its bigrams (っき, きん inside ハッキング) go.
   */
  spelledInKatakana?: string;
}

/** Terms for a whole word rather than a bigram: its hiragana reading, or its base form when that holds kanji. */
/** What a reading term starts with. */
export const READING_MARK = '~';
export const readingTerm = (reading: string): string => `${READING_MARK}${reading}`;
export const baseTerm = (base: string): string => `^${base}`;
export const isWordTerm = (term: string): boolean => term[0] === '~' || term[0] === '^';

/**
 * A katakana word of at most this many letters (folded: ロック → ろつく) matches only a whole word: its bigrams
 * would find it inside longer, unrelated words (ログ in ブログ and ログイン, ロック in ブロック, メモ in メモリ).
 */
export const SHORT_KATAKANA = 3;

const KATAKANA = /[\p{sc=Katakana}ー]/u;

function eachTerm(
  prepared: string,
  mode: TokenizeMode,
  emit: (term: string, weight: number) => void,
  shortKatakana: (folded: string) => void = (folded) => emit(readingTerm(folded), 1),
): void {
  for (const match of prepared.matchAll(RUN)) {
    const run = match[1];
    if (run === undefined) {
      const term = latinTerm(match[2]!);
      if (term) emit(term, 1);
      continue;
    }
    const chars: string[] = [];
    const hiragana: number[] = [];
    const katakana: boolean[] = [];
    let previous: string | undefined;
    for (const ch of run) {
      const folded = foldKanaChar(ch, previous);
      const wasKatakana = KATAKANA.test(ch) && (ch !== 'ー' || (previous !== undefined && KATAKANA.test(previous)));
      previous = ch;
      if (folded === null || folded === 'ー') continue;
      chars.push(folded);
      hiragana.push(HIRAGANA.test(ch) ? 1 : 0);
      katakana.push(wasKatakana);
    }
    // Short katakana words: a whole-word term, and in a query no bigrams inside them.
    const inShortWord = new Array<boolean>(chars.length).fill(false);
    for (let a = 0; a < chars.length; ) {
      if (!katakana[a]) {
        a++;
        continue;
      }
      let b = a;
      while (b < chars.length && katakana[b]) b++;
      if (b - a <= SHORT_KATAKANA) {
        shortKatakana(chars.slice(a, b).join(''));
        for (let i = a; i < b; i++) inShortWord[i] = true;
      }
      a = b;
    }
    if (chars.length === 1) {
      if (HAN.test(chars[0]!)) emit(chars[0]!, 1);
      continue;
    }
    for (let i = 0; i + 1 < chars.length; i++) {
      if (mode === 'query' && inShortWord[i] && inShortWord[i + 1]) continue;
      emit(chars[i]! + chars[i + 1]!, BIGRAM_WEIGHT_BY_HIRAGANA[hiragana[i]! + hiragana[i + 1]!]!);
    }
    if (mode === 'index') for (const c of chars) if (HAN.test(c)) emit(c, 1);
  }
}

/** Every term of the text in order, repeated as often as it occurs (term frequency counts repeats). */
export function tokenize(prepared: string, mode: TokenizeMode = 'index'): string[] {
  const terms: string[] = [];
  eachTerm(prepared, mode, (term) => terms.push(term));
  return terms;
}

/**
 * Every index term of a prepared text: its bigrams and Latin words (`tokenize`), and in Japanese each content
 * word's reading and base form, and each short katakana word whole. `onWord` hears every word term with the
 * letters it stands for in the text (for excerpts).
 */
export function indexTerms(prepared: string, lang: Lang, onWord?: (term: string, surface: string) => void): string[] {
  if (lang !== 'ja') return tokenize(prepared);
  const terms: string[] = [];
  const words = new Set<string>();
  for (const word of japaneseWords(prepared)) {
    const reading = readingTerm(word.reading);
    terms.push(reading);
    words.add(reading);
    onWord?.(reading, word.surface);
    if (word.base) {
      terms.push(baseTerm(word.base));
      onWord?.(baseTerm(word.base), word.surface);
    }
  }
  eachTerm(
    prepared,
    'index',
    (term) => terms.push(term),
    (folded) => {
      // The analyser usually found the same word already; one occurrence is one term.
      if (!words.has(readingTerm(folded))) terms.push(readingTerm(folded));
    },
  );
  return terms;
}

/** How much a word term of a query counts: a reading typed in kanji may be a homophone (出勤 for 出金). */
const READING_OF_KANJI_WEIGHT = 0.5;
/**
 * A word typed in hiragana (しゅっきん) is the query's subject as much as the same word in kanji, whose bigram
 * and reading count 1 + 0.5; counted as its own hiragana bigrams it would weigh no more than できない.
 */
const HIRAGANA_WORD_WEIGHT = 1.5;

/**
 * The distinct terms of a query with their weights (a repeated term keeps its highest weight), content words
 * first. Terms of one word (its reading and its base form) share a `source`: they count once towards how much
 * of the query an article covers.
 */
export function queryTerms(prepared: string, lang: Lang = 'ja', readings?: ReadingRun[]): QueryTerm[] {
  const found = new Map<string, QueryTerm>();
  const add = (term: string, weight: number, source: string, spelled?: string, spelledInKatakana?: string) => {
    const seen = found.get(term);
    if (!seen) {
      const t: QueryTerm = { term, weight, source };
      if (spelled) t.spelled = spelled;
      if (spelledInKatakana) t.spelledInKatakana = spelledInKatakana;
      found.set(term, t);
    } else if (weight > seen.weight) seen.weight = weight;
  };
  if (lang === 'ja') {
    japaneseWords(prepared, readings).forEach((word, i) => {
      const weight = HAN.test(word.surface) ? READING_OF_KANJI_WEIGHT : word.hiragana ? HIRAGANA_WORD_WEIGHT : 1;
      const katakanaWord = word.katakana && [...word.surface].length > SHORT_KATAKANA ? word.surface : undefined;
      add(readingTerm(word.reading), weight, `word ${i}`, word.hiragana ? word.surface : undefined, katakanaWord);
      if (word.base) add(baseTerm(word.base), 1, `word ${i}`);
    });
  }
  eachTerm(prepared, 'query', (term, weight) => add(term, weight, term));
  return [...found.values()];
}

/** The bigrams of a run of folded letters. */
export function bigramsOf(folded: string): string[] {
  const chars = [...folded];
  const out: string[] = [];
  for (let i = 0; i + 1 < chars.length; i++) out.push(chars[i]! + chars[i + 1]!);
  return out;
}

/** True for a term that came from a Latin or digit word (those may be corrected for spelling). */
export const isLatinTerm = (term: string): boolean => /^[\p{sc=Latin}\p{Nd}]+$/u.test(term);
