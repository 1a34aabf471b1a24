import { readFileSync, statSync } from 'node:fs';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { IpadicFeatures } from 'kuromoji';
import { loadKuromoji, type KuromojiTokenizer } from './kuromoji-loader.ts';
import { foldKana } from './normalize.ts';

/*
 * Japanese words for the search index: kuromoji (a morphological analyser with the IPADIC dictionary inside its
 * npm package; nothing is downloaded) cuts a text into words and gives each its base form and reading.
 * The index keys a word by the hiragana reading of its base form (届いてない, 届かない, とどかない → とどく;
 * 出金, しゅっきん → しゆつきん), and by the base form itself when it holds kanji, so a query matches a word
 * however it was conjugated or typed.
 *
 * The dictionary is loaded once per process, synchronously (kuromoji-loader.ts), the first time a Japanese
 * text is analysed: the knowledge base indexes its articles at start, before the server listens, so no request
 * waits for it.
 */

let tokenizer: KuromojiTokenizer | null = null;
let loadMs = 0;

function loadTokenizer(): KuromojiTokenizer {
  const started = performance.now();
  const loaded = loadKuromoji();
  loadMs = performance.now() - started;
  return loaded;
}

/** Loads the dictionary now (it is otherwise loaded on first use); returns how long loading took (ms). */
export function loadJapaneseAnalyzer(): number {
  tokenizer ??= loadTokenizer();
  return loadMs;
}

/** One content word of a text, as the index keys it. */
export interface JapaneseWord {
  /** Hiragana reading of the base form, kana folded like every term (small kana full size, no long vowels). */
  reading: string;
  /** A verb's or adjective's base form with kana folded, when it holds kanji (a noun's is its bigrams). */
  base: string | null;
  /** The word as it stands in the text, kana folded (for excerpts). */
  surface: string;
  /** True when the word was written in hiragana only. */
  hiragana: boolean;
  /** True when the word was written in katakana only (シュッキン, ﾛｸﾞｲﾝ: some type everything in katakana). */
  katakana: boolean;
}

const HAN = /\p{sc=Han}/u;
const JAPANESE = /[\p{sc=Han}\p{sc=Hiragana}\p{sc=Katakana}]/u;
const ONLY_HIRAGANA = /^[\p{sc=Hiragana}ー]+$/u;
const ONLY_KANA = /^[\p{sc=Hiragana}\p{sc=Katakana}ー]+$/u;
const ONLY_KATAKANA = /^[\p{sc=Katakana}ー]+$/u;

/** Verbs and adjectives too general to say what a text is about (their bigrams still count). */
const GENERAL_WORDS: ReadonlySet<string> = new Set([
  'する', 'いる', 'ある', 'なる', 'できる', 'れる', 'られる', 'せる', 'させる', 'くる', 'いく', 'おる', 'くださる', 'いただく',
  'もらう', 'くれる', 'やる', 'おもう', 'いう', 'みる', 'ない', 'よい', 'いい', 'なさる', 'ござる', 'いたす', 'まいる', 'おく', 'しまう',
  'ちゃう', 'てる', 'とく', 'ほしい', 'たい',
]);

/** Parts of speech whose words carry a text's subject: nouns (not pronouns, numbers, suffixes), verbs, adjectives. */
function isContentWord(t: IpadicFeatures): boolean {
  if (t.pos === '名詞') return !['非自立', '代名詞', '数', '接尾', '特殊'].includes(t.pos_detail_1);
  if (t.pos === '動詞' || t.pos === '形容詞') return t.pos_detail_1 === '自立';
  return false;
}

/** Reading of a base form (a verb's dictionary form is not the word in the text), remembered. */
const baseReadings = new Map<string, string>();
const MAX_REMEMBERED_READINGS = 50_000;

function readingOfBase(t: IpadicFeatures, analyser: KuromojiTokenizer): string {
  const surfaceReading = t.reading && t.reading !== '*' ? t.reading : t.surface_form;
  if (t.basic_form === '*' || t.basic_form === t.surface_form) return surfaceReading;
  let reading = baseReadings.get(t.basic_form);
  if (reading === undefined) {
    reading = analyser
      .tokenize(t.basic_form)
      .map((w) => (w.reading && w.reading !== '*' ? w.reading : w.surface_form))
      .join('');
    if (baseReadings.size >= MAX_REMEMBERED_READINGS) baseReadings.clear();
    baseReadings.set(t.basic_form, reading);
  }
  return reading;
}

/**
 * The analyser builds a lattice over a whole sentence: 50,000 letters without a break exhausted the heap. It
 * reads pieces cut at spaces and sentence ends, and a piece longer than this is cut (a word at the cut is lost).
 */
const MAX_PIECE_CHARS = 120;

function pieces(text: string): string[] {
  const out: string[] = [];
  for (const part of text.split(/(?<=[\s。！？!?])/u)) {
    if (part.length <= MAX_PIECE_CHARS) out.push(part);
    else {
      for (let i = 0; i < part.length; ) {
        let end = Math.min(part.length, i + MAX_PIECE_CHARS);
        if (end < part.length && (part.charCodeAt(end) & 0xfc00) === 0xdc00) end++; // keep a surrogate pair whole
        out.push(part.slice(i, end));
        i = end;
      }
    }
  }
  return out;
}

/** A stretch of Japanese as it sounds: every word's reading, kana folded, and which letters were typed in hiragana. */
export interface ReadingRun {
  text: string;
  hiragana: boolean[];
  /** Which letters were typed in kana, hiragana or katakana: their voicing marks are the user's own (or their typo). */
  kana: boolean[];
}

/**
 * Words of the pieces of text indexed lately. Analysing is the slow part of indexing (about 120,000 letters a
 * second), and a staff edit, or another process's change, re-indexes a whole article whose sentences mostly
 * did not change. Queries are not remembered.
 */
const rememberedPieces = new Map<string, readonly JapaneseWord[]>();
const MAX_REMEMBERED_PIECES = 20_000;

/**
 * The words of the starter articles' pieces, analysed by the build (scripts/build.mjs runs
 * starter-analysis.ts): a process that only indexes the starter set never loads the dictionary until someone
 * searches in Japanese. Read once, and only when it is newer than every module that decides the words (a
 * development tree edited since the last build analyses for itself).
 */
const ANALYSED_STARTERS = fileURLToPath(new URL('../../../dist/search-cache/analysed-pieces.json', import.meta.url));
const ANALYSIS_MODULES = ['./japanese-analyzer', './normalize', './kuromoji-loader'];
let startersRead = false;

function readAnalysedStarters(): void {
  startersRead = true;
  try {
    const written = statSync(ANALYSED_STARTERS).mtimeMs;
    const ownExtension = extname(fileURLToPath(import.meta.url));
    for (const module of ANALYSIS_MODULES) {
      if (statSync(fileURLToPath(new URL(`${module}${ownExtension}`, import.meta.url))).mtimeMs > written) return;
    }
    const entries = JSON.parse(readFileSync(ANALYSED_STARTERS, 'utf8')) as unknown;
    if (!Array.isArray(entries)) return;
    for (const entry of entries as [string, JapaneseWord[]][]) {
      if (rememberedPieces.size >= MAX_REMEMBERED_PIECES) break;
      rememberedPieces.set(entry[0], entry[1]);
    }
  } catch {
    // No analysis from a build (or an unreadable one): pieces are analysed as they come.
  }
}

/** What the build stores for the next processes: every piece analysed so far, with its words. */
export function rememberedAnalyses(): [string, readonly JapaneseWord[]][] {
  return [...rememberedPieces];
}

/**
 * The content words of a text already prepared by `prepareText` (width and case folded, synonyms rewritten).
 * `readings`, when given (a query), receives the text's runs of Japanese as they sound (二段会認証 sounds like
 * 二段階認証, しゅっきんされない holds 出金).
 */
export function japaneseWords(prepared: string, readings?: ReadingRun[]): JapaneseWord[] {
  if (!JAPANESE.test(prepared)) return [];
  if (readings) return analyse((tokenizer ??= loadTokenizer()), pieces(prepared), readings);
  if (!startersRead) readAnalysedStarters();
  const words: JapaneseWord[] = [];
  for (const piece of pieces(prepared)) {
    if (!JAPANESE.test(piece)) continue;
    let found = rememberedPieces.get(piece);
    if (!found) {
      found = analyse((tokenizer ??= loadTokenizer()), [piece]);
      if (rememberedPieces.size >= MAX_REMEMBERED_PIECES) rememberedPieces.clear();
      rememberedPieces.set(piece, found);
    }
    words.push(...found);
  }
  return words;
}

function analyse(analyser: KuromojiTokenizer, texts: readonly string[], readings?: ReadingRun[]): JapaneseWord[] {
  const words: JapaneseWord[] = [];
  let run: ReadingRun | null = null;
  for (const t of texts.flatMap((text) => analyser.tokenize(text))) {
    if (readings) {
      if (!JAPANESE.test(t.surface_form)) run = null;
      else {
        if (!run) readings.push((run = { text: '', hiragana: [], kana: [] }));
        const sound = foldKana(t.reading && t.reading !== '*' ? t.reading : t.surface_form);
        run.text += sound;
        const typedInHiragana = ONLY_HIRAGANA.test(t.surface_form);
        const typedInKana = ONLY_KANA.test(t.surface_form);
        for (let i = 0; i < sound.length; i++) {
          run.hiragana.push(typedInHiragana);
          run.kana.push(typedInKana);
        }
      }
    }
    if (!isContentWord(t) || !JAPANESE.test(t.surface_form)) continue;
    const base = t.basic_form === '*' ? t.surface_form : t.basic_form;
    const reading = foldKana(readingOfBase(t, analyser));
    if (!reading || GENERAL_WORDS.has(reading) || !JAPANESE.test(reading)) continue;
    words.push({
      reading,
      base: t.pos !== '名詞' && HAN.test(base) ? foldKana(base) : null,
      surface: foldKana(t.surface_form),
      hiragana: ONLY_HIRAGANA.test(t.surface_form),
      katakana: ONLY_KATAKANA.test(t.surface_form),
    });
  }
  return words;
}
