import type { Lang } from '../../web/i18n.ts';
import { makeExcerpt, splitSentences, type Needle, type PreparedSentence, type Sentence } from './excerpt.ts';
import { prepareText } from './normalize.ts';
import type { ReadingRun } from './japanese-analyzer.ts';
import { bigramsOf, HIRAGANA_BIGRAM_WEIGHT, indexTerms, isLatinTerm, isWordTerm, queryTerms, READING_MARK, readingTerm, type QueryTerm } from './tokenize.ts';
import type { SearchDoc, SearchHit } from './types.ts';
import { toHiragana } from 'wanakana';
import { latinTerm } from './english.ts';

/*
 * An inverted index over the articles of one language, ranked with BM25 per field: each field's term
 * frequency is length-normalised and saturated on its own, then the fields are weighted (title 3 > keywords 2
 * > body 1) and summed, so a word in the title adds to the same word said often in the body instead of being
 * lost in one shared saturation (that variant, BM25F, measured lower on the query set). The sum is multiplied
 * by the share of the query's weight the article matches, so an article holding every part of 出金できない
 * beats one that says できない many times.
 *
 * Our own index rather than MiniSearch: we need the weighted Japanese bigram terms, that coverage factor and
 * per-field length statistics kept current on every upsert and remove, without a rebuild.
 *
 * A posting list is one flat array of small integers, [slot, packed frequencies, slot, …], which V8 walks
 * far faster than a Map. Removing a document walks only its own terms (swap with the last pair); slots are
 * reused.
 */

/**
 * Title, keywords, body: how much a match in each counts, and how much each field's length discounts it.
 * The title counts as much as the keywords, not more: at 3 a common word of a title (ロック, パスワード,
 * 機種変更) outranked the rare word that decided the question (解除, 出金, 消えた) in another article.
 */
const FIELD_WEIGHTS = [2, 2, 1] as const;
const FIELD_B = [0.3, 0.3, 0.75] as const;
const K1 = 1.2;
/** A corrected spelling counts for less than what the user typed. */
const FUZZY_WEIGHT = 0.7;

// Per-field term frequencies packed in one small integer (V8 keeps it unboxed): title and keywords up to 255,
// body up to 16383 (more is capped; BM25 saturates long before).
const TITLE_SHIFT = 1 << 22;
const KEYWORDS_SHIFT = 1 << 14;
const pack = (title: number, keywords: number, body: number) =>
  Math.min(title, 255) * TITLE_SHIFT + Math.min(keywords, 255) * KEYWORDS_SHIFT + Math.min(body, 16383);

export const MAX_QUERY_CHARS = 200;
export const MAX_QUERY_TERMS = 32;
export const MAX_LIMIT = 50;

/** The documents holding one term: [slot, packed frequencies, slot, …]. */
interface Posting {
  term: string;
  list: number[];
}

interface Entry {
  doc: SearchDoc;
  /** The postings of its distinct terms, for removal. */
  postings: Posting[];
  /** Sentences of the body, kept for excerpts. */
  sentences: Sentence[];
}

interface WeightedTerm {
  term: string;
  /** Which query term this came from (a spelling correction shares its original's index). */
  source: number;
  weight: number;
}

/** BM25's term-frequency saturation. */
const saturate = (tf: number) => (tf * (K1 + 1)) / (tf + K1);

/** The terms of each field (title, keywords, body); the body is tokenized sentence by sentence. */
function fieldTerms(
  doc: SearchDoc,
  sentences: readonly PreparedSentence[],
  onWord: (term: string, surface: string) => void,
): [string[], string[], string[]] {
  const terms = (prepared: string) => indexTerms(prepared, doc.lang, onWord);
  const keywords: string[] = [];
  for (const k of doc.keywords) keywords.push(...terms(prepareText(k, doc.lang, 'index')));
  const body: string[] = [];
  for (const s of sentences) body.push(...terms(s.prepared));
  return [terms(prepareText(doc.title, doc.lang, 'index')), keywords, body];
}

/** Hiragana a query spells a word's reading with: at least this many letters, at most that many. */
const MIN_READING_CHARS = 3;
/**
 * A word of Latin letters (full-width too), at least two (a lone letter is an initial, not romaji), not part of a
 * word with digits (2FA, ２ＦＡ, v1) or written onto Japanese (垢BAN, APIキー: a word of its own, often slang).
 */
const ROMAJI_WORD = /(?<![0-9０-９\p{sc=Han}\p{sc=Hiragana}\p{sc=Katakana}ー])[a-zA-Zａ-ｚＡ-Ｚ]{2,}(?![0-9０-９\p{sc=Han}\p{sc=Hiragana}\p{sc=Katakana}ー])/gu;
const MAX_READING_CHARS = 12;
/** A reading found inside a run of hiragana may be a coincidence: it counts a little less than a word. */
const SPELLED_READING_WEIGHT = 1.2;
/** The sound of kanji the query typed, matching another word: a conversion error, or a homophone. */
const SOUNDED_READING_WEIGHT = 0.5;
/** A word typed in katakana that the articles write in kanji (シュッキン): the subject, as the same word in hiragana. */
const KATAKANA_FOR_KANJI_WEIGHT = 1.5;
/** A folded surface of kana only: the word was written in kana in the article. */
const KANA_ONLY = /^[\p{sc=Hiragana}]+$/u;
/** Typed kana that spells a word but for its voicing marks (ろくいん for ろぐいん, てきない for できない): a typo. */
const DEVOICED_READING_WEIGHT = 0.8;

/** Kana without its voicing marks (が → か, ぱ → は): what a typo that drops or adds a dakuten leaves the same. */
const devoice = (kana: string): string => kana.normalize('NFD').replace(/[\u3099\u309a]/g, '').normalize('NFC');

/** True when a and b differ by one insertion, deletion, substitution or swap of neighbours. */
function withinOneEdit(a: string, b: string): boolean {
  if (a === b) return true;
  const la = a.length;
  const lb = b.length;
  if (Math.abs(la - lb) > 1) return false;
  let i = 0;
  while (i < la && i < lb && a[i] === b[i]) i++;
  if (la === lb) {
    if (a.slice(i + 1) === b.slice(i + 1)) return true;
    return a[i] === b[i + 1] && a[i + 1] === b[i] && a.slice(i + 2) === b.slice(i + 2);
  }
  return la > lb ? a.slice(i + 1) === b.slice(i) : a.slice(i) === b.slice(i + 1);
}

export class LangIndex {
  private readonly entries: (Entry | undefined)[] = [];
  private readonly slotBySlug = new Map<string, number>();
  private readonly freeSlots: number[] = [];
  private readonly postings = new Map<string, Posting>();
  /** Latin terms by length, for spelling correction. */
  private readonly latinTerms = new Map<number, Set<string>>();
  /** Reading terms by their form without voicing marks (`devoice`): for kana typed with a dakuten missing or extra. */
  private readonly devoicedReadings = new Map<string, Set<string>>();
  /** Letters a word term stood for when first indexed, for finding it in a sentence (excerpts). */
  private readonly surfaces = new Map<string, string>();
  /** Reading terms some article writes in kana (ログイン), as against words written only in kanji (出金). */
  private readonly kanaWritten = new Set<string>();
  private readonly lengthSums = [0, 0, 0];
  private fieldLengths = new Int32Array(0);
  private scores = new Float64Array(0);
  private matched = new Float64Array(0);
  private lastSource = new Int32Array(0);
  private count = 0;

  constructor(readonly lang: Lang) {}

  get size(): number {
    return this.count;
  }

  upsert(doc: SearchDoc): void {
    this.remove(doc.slug);
    const slot = this.freeSlots.pop() ?? this.entries.length;
    if (slot >= this.scores.length) this.grow(Math.max(64, slot * 2));

    const sentences = splitSentences(doc.body, this.lang);
    const fields = fieldTerms(doc, sentences, (term, surface) => {
      if (!this.surfaces.has(term)) this.surfaces.set(term, surface);
      if (term.startsWith(READING_MARK) && KANA_ONLY.test(surface)) this.kanaWritten.add(term);
    });
    const tfs = new Map<string, [number, number, number]>();
    fields.forEach((terms, f) => {
      for (const term of terms) {
        let tf = tfs.get(term);
        if (!tf) tfs.set(term, (tf = [0, 0, 0]));
        tf[f]!++;
      }
      this.fieldLengths[slot * 3 + f] = terms.length;
      this.lengthSums[f]! += terms.length;
    });
    const postings: Posting[] = [];
    for (const [term, [title, keywords, body]] of tfs) {
      let posting = this.postings.get(term);
      if (!posting) {
        this.postings.set(term, (posting = { term, list: [] }));
        if (isLatinTerm(term)) this.latinBucket(term.length).add(term);
        else if (term.startsWith(READING_MARK)) {
          const key = devoice(term);
          let same = this.devoicedReadings.get(key);
          if (!same) this.devoicedReadings.set(key, (same = new Set()));
          same.add(term);
        }
      }
      posting.list.push(slot, pack(title, keywords, body));
      postings.push(posting);
    }
    this.entries[slot] = { doc, postings, sentences: sentences.map(({ raw, folded, line }) => ({ raw, folded, line })) };
    this.slotBySlug.set(doc.slug, slot);
    this.count++;
  }

  remove(slug: string): void {
    const slot = this.slotBySlug.get(slug);
    if (slot === undefined) return;
    const entry = this.entries[slot]!;
    for (const { term, list } of entry.postings) {
      for (let i = 0; i < list.length; i += 2) {
        if (list[i] !== slot) continue;
        const last = list.length - 2;
        list[i] = list[last]!;
        list[i + 1] = list[last + 1]!;
        list.length = last;
        break;
      }
      if (list.length === 0) {
        this.postings.delete(term);
        if (isLatinTerm(term)) this.latinBucket(term.length).delete(term);
      }
    }
    for (let f = 0; f < 3; f++) {
      this.lengthSums[f]! -= this.fieldLengths[slot * 3 + f]!;
      this.fieldLengths[slot * 3 + f] = 0;
    }
    this.entries[slot] = undefined;
    this.slotBySlug.delete(slug);
    this.freeSlots.push(slot);
    this.count--;
  }

  search(query: string, limit: number): SearchHit[] {
    if (this.count === 0) return [];
    const terms = this.queryTerms(query);
    if (terms.length === 0) return [];

    const n = this.count;
    const [avg0, avg1, avg2] = this.lengthSums.map((sum) => Math.max(sum / n, 1)) as [number, number, number];
    const touched: number[] = [];
    const sourceWeights = new Map<number, number>();
    const needles: Needle[] = [];
    const { scores, matched, lastSource, fieldLengths } = this;

    for (const { term, source, weight } of terms) {
      const posting = this.postings.get(term)!.list;
      const df = posting.length / 2;
      const w = Math.log(1 + (n - df + 0.5) / (df + 0.5)) * weight;
      sourceWeights.set(source, Math.max(sourceWeights.get(source) ?? 0, w));
      needles.push({ term: isWordTerm(term) ? (this.surfaces.get(term) ?? term) : term, weight: w });
      const stamp = source + 1;
      for (let i = 0; i < posting.length; i += 2) {
        const slot = posting[i]!;
        const packed = posting[i + 1]!;
        const base = slot * 3;
        const title = packed >>> 22;
        const keywords = (packed >>> 14) & 255;
        const body = packed & 16383;
        let s = 0;
        if (title) s += FIELD_WEIGHTS[0] * saturate(title / (1 - FIELD_B[0] + (FIELD_B[0] * fieldLengths[base]!) / avg0));
        if (keywords) s += FIELD_WEIGHTS[1] * saturate(keywords / (1 - FIELD_B[1] + (FIELD_B[1] * fieldLengths[base + 1]!) / avg1));
        if (body) s += FIELD_WEIGHTS[2] * saturate(body / (1 - FIELD_B[2] + (FIELD_B[2] * fieldLengths[base + 2]!) / avg2));
        if (lastSource[slot] === 0) touched.push(slot);
        scores[slot]! += w * s;
        // A corrected spelling and its original count once towards coverage.
        if (lastSource[slot] !== stamp) {
          lastSource[slot] = stamp;
          matched[slot]! += w;
        }
      }
    }

    let total = 0;
    for (const w of sourceWeights.values()) total += w;
    const best: { slot: number; score: number }[] = [];
    for (const slot of touched) {
      const score = (scores[slot]! * matched[slot]!) / total;
      scores[slot] = 0;
      matched[slot] = 0;
      lastSource[slot] = 0;
      if (best.length === limit && score <= best[limit - 1]!.score) continue;
      let i = best.length;
      while (i > 0 && best[i - 1]!.score < score) i--;
      best.splice(i, 0, { slot, score });
      if (best.length > limit) best.pop();
    }

    return best.map(({ slot, score }) => {
      const entry = this.entries[slot]!;
      return {
        slug: entry.doc.slug,
        lang: this.lang,
        title: entry.doc.title,
        score,
        excerpt: makeExcerpt(entry.sentences, needles, this.lang),
      };
    });
  }

  /**
   * The query's distinct known terms (at most MAX_QUERY_TERMS), with spelling corrections for unknown Latin
   * words and, in Japanese, the words of the index whose reading the query spells in hiragana.
   */
  private queryTerms(query: string): WeightedTerm[] {
    const cut = query.trimStart().slice(0, MAX_QUERY_CHARS);
    if (!cut.trim()) return [];
    const text = this.lang === 'ja' ? this.romajiAsKana(cut) : cut;
    const prepared = prepareText(text, this.lang, 'query');
    const readings: ReadingRun[] = [];
    let distinct = queryTerms(prepared, this.lang, readings);
    if (this.lang === 'ja') {
      distinct.push(...this.soundedWords(readings, new Set(distinct.map((t) => t.term))));
      // Hiragana that spells a word the index knows is that word: its bigrams would only find other words. So is
      // katakana spelling a word the articles write only in kanji (シュッキン: 出金, not っき and きん of ハッキング).
      const spelled = new Set<string>();
      const spelledInKatakana = new Set<string>();
      for (const t of distinct) {
        if (!this.postings.has(t.term)) continue;
        if (t.spelled) for (const b of bigramsOf(t.spelled)) spelled.add(b);
        if (t.spelledInKatakana && !this.kanaWritten.has(t.term)) {
          t.weight = Math.max(t.weight, KATAKANA_FOR_KANJI_WEIGHT);
          for (const b of bigramsOf(t.spelledInKatakana)) spelledInKatakana.add(b);
        }
      }
      if (spelled.size || spelledInKatakana.size) {
        distinct = distinct.filter((t) => !((spelled.has(t.term) && t.weight <= HIRAGANA_BIGRAM_WEIGHT) || (spelledInKatakana.has(t.term) && !isWordTerm(t.term))));
      }
    }
    const sources = new Map<string, number>();
    const terms: WeightedTerm[] = [];
    for (const { term, weight, source: name } of distinct.slice(0, MAX_QUERY_TERMS)) {
      let source = sources.get(name);
      if (source === undefined) sources.set(name, (source = sources.size));
      if (this.postings.has(term)) terms.push({ term, source, weight });
      else if (isLatinTerm(term) && term.length >= 4 && !/\d/.test(term)) {
        for (const near of this.nearLatinTerms(term)) terms.push({ term: near, source, weight: weight * FUZZY_WEIGHT });
      }
    }
    return terms;
  }

  /**
   * Words of the index that the query sounds like, longest first from left to right: hiragana the analyser
   * cuts badly (に|ゅうきんされない still holds 出金), and kanji typed by a wrong conversion (二段会認証 sounds
   * like 二段階認証, 繁栄 like 反映). Letters typed in hiragana count more than a wrong kanji's sound.
   */
  private soundedWords(readings: readonly ReadingRun[], known: ReadonlySet<string>): QueryTerm[] {
    const found: QueryTerm[] = [];
    for (const { text, kana } of readings) {
      for (let i = 0; i + MIN_READING_CHARS <= text.length; ) {
        let length = Math.min(MAX_READING_CHARS, text.length - i);
        for (; length >= MIN_READING_CHARS; length--) {
          const term = readingTerm(text.slice(i, i + length));
          if (!this.postings.has(term)) continue;
          if (!known.has(term)) {
            const typed = kana.slice(i, i + length).every(Boolean);
            found.push(
              typed
                ? { term, weight: SPELLED_READING_WEIGHT, source: term, spelled: text.slice(i, i + length) }
                : { term, weight: SOUNDED_READING_WEIGHT, source: term },
            );
          }
          break;
        }
        if (length < MIN_READING_CHARS) length = this.devoicedWordAt(text, kana, i, known, found);
        i += length >= MIN_READING_CHARS ? length : 1;
      }
    }
    return found;
  }

  /**
   * Where no word starts at `i`, a word the typed kana spells but for voicing marks, longest first: pushed to
   * `found`; returns its length (0: none).
   */
  private devoicedWordAt(text: string, kana: readonly boolean[], i: number, known: ReadonlySet<string>, found: QueryTerm[]): number {
    for (let length = Math.min(MAX_READING_CHARS, text.length - i); length >= MIN_READING_CHARS; length--) {
      if (!kana.slice(i, i + length).every(Boolean)) continue;
      const typed = readingTerm(text.slice(i, i + length));
      const words = [...(this.devoicedReadings.get(devoice(typed)) ?? [])].filter((w) => w !== typed && this.postings.has(w) && !known.has(w));
      if (words.length === 0) continue;
      // The most common spelling; a second only when it is as common (は/ば/ぱ are rarely all words).
      const count = (w: string) => this.postings.get(w)!.list.length;
      words.sort((a, b) => count(b) - count(a) || a.localeCompare(b));
      for (const term of words.slice(0, 2)) if (count(term) === count(words[0]!)) found.push({ term, weight: DEVOICED_READING_WEIGHT, source: typed });
      return length;
    }
    return 0;
  }

  /**
   * Japanese typed in romaji (`shukkin horyuu`, `kinkyuu rokku`) as the kana it spells: a Latin word the Japanese
   * index does not know (2fa, eth and iphone it does) that wanakana turns into kana with no letter left over.
   */
  private romajiAsKana(text: string): string {
    return text.replace(ROMAJI_WORD, (word) => {
      const folded = word.normalize('NFKC').toLowerCase();
      const term = latinTerm(folded);
      if (this.postings.has(folded) || (term !== null && this.postings.has(term))) return word;
      const kana = toHiragana(folded, { passRomaji: false });
      return /[a-z]/.test(kana) ? word : ` ${kana} `;
    });
  }

  /** Known Latin terms one edit away, the most common first (at most 3). */
  private nearLatinTerms(term: string): string[] {
    const found: string[] = [];
    for (let len = term.length - 1; len <= term.length + 1; len++) {
      for (const candidate of this.latinTerms.get(len) ?? []) if (withinOneEdit(term, candidate)) found.push(candidate);
    }
    return found.sort((a, b) => this.postings.get(b)!.list.length - this.postings.get(a)!.list.length).slice(0, 3);
  }

  private latinBucket(length: number): Set<string> {
    let bucket = this.latinTerms.get(length);
    if (!bucket) this.latinTerms.set(length, (bucket = new Set()));
    return bucket;
  }

  private grow(slots: number): void {
    const lengths = new Int32Array(slots * 3);
    lengths.set(this.fieldLengths);
    this.fieldLengths = lengths;
    const scores = new Float64Array(slots);
    scores.set(this.scores);
    this.scores = scores;
    const matched = new Float64Array(slots);
    matched.set(this.matched);
    this.matched = matched;
    const last = new Int32Array(slots);
    last.set(this.lastSource);
    this.lastSource = last;
  }
}
