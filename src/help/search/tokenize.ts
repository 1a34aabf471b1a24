import { latinTerm } from './english.ts';
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

export type TokenizeMode = 'index' | 'query';

export interface QueryTerm {
  term: string;
  weight: number;
}

function eachTerm(prepared: string, mode: TokenizeMode, emit: (term: string, weight: number) => void): void {
  for (const match of prepared.matchAll(RUN)) {
    const run = match[1];
    if (run === undefined) {
      const term = latinTerm(match[2]!);
      if (term) emit(term, 1);
      continue;
    }
    const chars: string[] = [];
    const hiragana: number[] = [];
    let previous: string | undefined;
    for (const ch of run) {
      const folded = foldKanaChar(ch, previous);
      previous = ch;
      if (folded === null || folded === 'ー') continue;
      chars.push(folded);
      hiragana.push(HIRAGANA.test(ch) ? 1 : 0);
    }
    if (chars.length === 1) {
      if (HAN.test(chars[0]!)) emit(chars[0]!, 1);
      continue;
    }
    for (let i = 0; i + 1 < chars.length; i++) {
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

/** The distinct terms of a query with their weights (a repeated term keeps its highest weight). */
export function queryTerms(prepared: string): QueryTerm[] {
  const weights = new Map<string, number>();
  eachTerm(prepared, 'query', (term, weight) => weights.set(term, Math.max(weight, weights.get(term) ?? 0)));
  return [...weights].map(([term, weight]) => ({ term, weight }));
}

/** True for a term that came from a Latin or digit word (those may be corrected for spelling). */
export const isLatinTerm = (term: string): boolean => /^[\p{sc=Latin}\p{Nd}]+$/u.test(term);
