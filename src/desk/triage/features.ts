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

const HIRAGANA = /[\u3041-\u3096]/g;
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
  return head
    .normalize('NFKC')
    .toLowerCase()
    .replace(INVISIBLE, (c) => (c === '\n' || c === '\t' || c === '\r' ? ' ' : ''))
    .replace(SPACES, ' ')
    .trim()
    .replace(HIRAGANA, (c) => String.fromCharCode(c.charCodeAt(0) + 0x60));
}

const count = (out: Map<string, number>, key: string): void => {
  out.set(key, (out.get(key) ?? 0) + 1);
};

/** The character n-grams of a normalised text (a space marks the start and end of the text). */
function addGrams(normalized: string, [min, max]: readonly [number, number], out: Map<string, number>): void {
  const s = ` ${normalized} `;
  for (let i = 0; i < s.length; i++) {
    for (let n = min; n <= max && i + n <= s.length; n++) {
      const gram = s.slice(i, i + n);
      if (gram !== ' ') count(out, gram);
    }
  }
}

/** Latin word unigrams and bigrams of a normalised text; a word run broken by other script is not a bigram. */
function addWords(normalized: string, out: Map<string, number>): void {
  const text = normalized.replace(APOSTROPHES, "'");
  let previous: string | null = null;
  let previousEnd = -1;
  LATIN_WORD.lastIndex = 0;
  for (let m = LATIN_WORD.exec(text); m; m = LATIN_WORD.exec(text)) {
    const word = m[0];
    count(out, WORD_PREFIX + word);
    const between = previous === null ? '' : text.slice(previousEnd, m.index);
    if (previous !== null && /^[ \-/_]?$/.test(between)) count(out, `${WORD_PREFIX}${previous} ${word}`);
    previous = word;
    previousEnd = m.index + word.length;
  }
}

/** The features of a message, each with how often it occurs. */
export function featuresOf(text: string, spec: FeatureSpec): Map<string, number> {
  const normalized = normalizeForModel(typeof text === 'string' ? text : '');
  const out = new Map<string, number>();
  addGrams(normalized, spec.grams, out);
  if (spec.words) addWords(normalized, out);
  return out;
}
