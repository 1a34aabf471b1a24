/**
 * What the learned model reads of a message: character n-grams of the normalised text (no word segmentation
 * needed for Japanese; they shrug off typos, slang and mixed scripts) and, beside them, Latin words (lower-cased
 * unigrams and bigrams: English, romaji, API paths), where a whole word says more than its pieces
 * ("not" + "received" vs "notice").
 */

/** Only this many characters are read: a long message still costs well under a millisecond. */
const MAX_CHARS = 3_000;

/** Which features a model uses (stored in its file, so a model is read the way it was trained). */
export interface FeatureSpec {
  /** Character n-gram lengths, inclusive. */
  grams: readonly [number, number];
  /** Lower-cased Latin word unigrams and bigrams. */
  words: boolean;
  /**
   * The value of each rule that fired (RuleVerdict.signals), beside the unit-length n-gram vector; 0: the rules
   * are not read. The rules know phrasings n-grams cannot see ("X … Y in one sentence", a denial, a question).
   */
  signals: number;
}

/**
 * Word features are keyed with this prefix: a control character, which normalisation removes from the text,
 * so a word never meets a character n-gram of the same letters.
 */
export const WORD_PREFIX = '\u0001';
/** Rule signals are keyed with another one. */
export const SIGNAL_PREFIX = '\u0002';

const HIRAGANA_TEST = /[\u3041-\u3096]/;
const INVISIBLE = /[\p{Cf}\p{Cc}]/gu;
const SPACES = /[\s\u3000]+/g;
/** A Latin word: letters and digits, with inner apostrophes ("didn't") kept. */
const LATIN_WORD = /[a-z0-9]+(?:'[a-z]+)?/g;
const APOSTROPHES = /[\u2018\u2019\u02bc\u2032]/g;

/**
 * The text as the model reads it: NFKC (full-width → half-width, half-width kana → full-width), lower case,
 * hiragana folded to katakana, invisible characters dropped, whitespace collapsed. Like the rules' normalisation
 * but without its map back to the user's characters, which the model does not need (and which costs time).
 */
export function normalizeForModel(text: string): string {
  const head = text.length > MAX_CHARS ? text.slice(0, MAX_CHARS) : text;
  const normalized = head
    .normalize('NFKC')
    .toLowerCase()
    .replace(INVISIBLE, (c) => (c === '\n' || c === '\t' || c === '\r' ? ' ' : ''))
    .replace(SPACES, ' ')
    .trim();
  return foldHiragana(normalized);
}

/** Hiragana → katakana (one code point apart), in one pass: a replace() callback per character cost more than the rest. */
function foldHiragana(text: string): string {
  if (!HIRAGANA_TEST.test(text)) return text;
  const codes: number[] = new Array<number>(text.length);
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    codes[i] = c >= 0x3041 && c <= 0x3096 ? c + 0x60 : c;
  }
  let out = '';
  for (let i = 0; i < codes.length; i += 4096) out += String.fromCharCode.apply(null, codes.slice(i, i + 4096));
  return out;
}

const count = (out: Map<string, number>, key: string): void => {
  out.set(key, (out.get(key) ?? 0) + 1);
};

/** A space marks the start and end of the text in its n-grams. */
export const gramText = (normalized: string): string => ` ${normalized} `;

/** The character n-grams of a normalised text. */
function addGrams(normalized: string, [min, max]: readonly [number, number], out: Map<string, number>): void {
  const s = gramText(normalized);
  for (let i = 0; i < s.length; i++) {
    for (let n = min; n <= max && i + n <= s.length; n++) {
      const gram = s.slice(i, i + n);
      if (gram !== ' ') count(out, gram);
    }
  }
}

/**
 * Latin word unigrams and bigrams of a normalised text, as feature keys, in order; a word run broken by other
 * script is not a bigram.
 */
export function forEachWord(normalized: string, onWord: (key: string) => void): void {
  const text = normalized.replace(APOSTROPHES, "'");
  let previous: string | null = null;
  let previousEnd = -1;
  LATIN_WORD.lastIndex = 0;
  for (let m = LATIN_WORD.exec(text); m; m = LATIN_WORD.exec(text)) {
    const word = m[0];
    onWord(WORD_PREFIX + word);
    const between = previous === null ? '' : text.slice(previousEnd, m.index);
    if (previous !== null && /^[ \-/_]?$/.test(between)) onWord(`${WORD_PREFIX}${previous} ${word}`);
    previous = word;
    previousEnd = m.index + word.length;
  }
}

/** The features of a message, each with how often it occurs. */
export function featuresOf(text: string, spec: FeatureSpec): Map<string, number> {
  const normalized = normalizeForModel(typeof text === 'string' ? text : '');
  const out = new Map<string, number>();
  addGrams(normalized, spec.grams, out);
  if (spec.words) forEachWord(normalized, (key) => count(out, key));
  return out;
}
