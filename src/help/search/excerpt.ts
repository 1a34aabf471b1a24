import type { Lang } from '../../web/i18n.ts';
import { foldKana, foldKanaChar, normalizeText, prepareText } from './normalize.ts';

export const EXCERPT_MAX_CHARS = 160;

/** One sentence of an article body as written, and folded for finding query terms in it. */
export interface Sentence {
  raw: string;
  folded: string;
  /** Which line (paragraph, heading, list item) of the body it is on. */
  line: number;
}

/** A sentence while an article is indexed: also the form the tokenizer reads. */
export interface PreparedSentence extends Sentence {
  prepared: string;
}

/** A query term as the excerpt looks for it: its folded text and how much it says (its idf). */
export interface Needle {
  term: string;
  weight: number;
}

export function splitSentences(body: string, lang: Lang): PreparedSentence[] {
  const sentences: PreparedSentence[] = [];
  body.split('\n').forEach((text, line) => {
    for (const part of text.split(/(?<=[。！？!?])|(?<=\.)\s+(?=\S)/u)) {
      const raw = part.replace(/\s+/g, ' ').trim();
      if (!raw) continue;
      const prepared = prepareText(raw, lang, 'index');
      sentences.push({ raw, prepared, folded: foldKana(prepared), line });
    }
  });
  return sentences;
}

const weightIn = (folded: string, needles: readonly Needle[]): number => {
  let w = 0;
  for (const n of needles) if (folded.includes(n.term)) w += n.weight;
  return w;
};

/** More than `max` characters (code points), without spreading a long text into an array. */
const longerThan = (text: string, max: number) => text.length > max && (text.length > 2 * max || [...text].length > max);

/**
 * A short plain-text excerpt of a body around the sentence that holds most of the query (by weight), with the
 * sentences after it while they fit; a longer sentence is cut to its best window and marked with "…".
 */
export function makeExcerpt(sentences: readonly Sentence[], needles: readonly Needle[], lang: Lang): string {
  if (sentences.length === 0) return '';
  let best = 0;
  let bestWeight = 0;
  sentences.forEach((s, i) => {
    const w = weightIn(s.folded, needles);
    if (w > bestWeight) {
      best = i;
      bestWeight = w;
    }
  });
  const first = sentences[best]!;
  if (longerThan(first.raw, EXCERPT_MAX_CHARS)) return bestWindow(first, needles, lang);

  let text = first.raw;
  for (let i = best + 1; i < sentences.length; i++) {
    // Japanese sentences of one paragraph run on; anything else (another paragraph, a heading) gets a space.
    const joiner = lang === 'ja' && sentences[i]!.line === sentences[i - 1]!.line ? '' : ' ';
    const next = `${text}${joiner}${sentences[i]!.raw}`;
    if ([...next].length > EXCERPT_MAX_CHARS) break;
    text = next;
  }
  return text;
}

/** At most this many windows of one long sentence are folded and weighed per excerpt. */
export const EXCERPT_MAX_WINDOWS = 7;
const WINDOW_STEP = 40;

/**
 * A window of a long sentence around its best query term. The term is found in a cheap one-for-one folding of
 * the raw text (case, width, kana), so its position is exact in the raw text; a term only the full folding
 * yields (a synonym, a numeral) is placed by proportion. Only the few windows around it are folded fully and
 * weighed: folding every window of a 50,000-character sentence took tens of milliseconds per search.
 */
export function bestWindow(sentence: Sentence, needles: readonly Needle[], lang: Lang, fold: (text: string, lang: Lang) => string = normalizeText): string {
  const raw = sentence.raw;
  const size = EXCERPT_MAX_CHARS - 2; // room for an ellipsis at both ends (UTF-16 units: never more characters)
  const present = needles.filter((n) => sentence.folded.includes(n.term)).sort((a, b) => b.weight - a.weight);
  const last = Math.max(0, raw.length - size);
  let bestStart = 0;
  if (present.length) {
    const rough = roughFold(raw);
    let anchor = -1;
    for (const n of present) {
      const at = rough.indexOf(n.term);
      if (at >= 0) {
        anchor = at + Math.floor(n.term.length / 2);
        break;
      }
    }
    if (anchor < 0) anchor = Math.round((sentence.folded.indexOf(present[0]!.term) * raw.length) / Math.max(1, sentence.folded.length));
    const centre = Math.max(0, Math.min(last, anchor - Math.floor(size / 2)));
    const tried = new Set<number>();
    let bestWeight = -1;
    const reach = Math.floor(EXCERPT_MAX_WINDOWS / 2);
    // Nearest first: on a tie the window centred on the term wins.
    for (let k = 0; k <= reach; k++) {
      for (const start of k === 0 ? [centre] : [centre - k * WINDOW_STEP, centre + k * WINDOW_STEP]) {
        const clamped = Math.max(0, Math.min(last, start));
        if (tried.has(clamped)) continue;
        tried.add(clamped);
        const w = weightIn(fold(windowOf(raw, clamped, size).text, lang), needles);
        if (w > bestWeight) {
          bestStart = clamped;
          bestWeight = w;
        }
      }
    }
  }
  const { text, start, end } = windowOf(raw, bestStart, size);
  return `${start > 0 ? '…' : ''}${text.trim()}${end < raw.length ? '…' : ''}`;
}

const isLowSurrogate = (s: string, i: number) => i > 0 && i < s.length && (s.charCodeAt(i) & 0xfc00) === 0xdc00;

/** `size` UTF-16 units from `start`, never splitting a surrogate pair. */
function windowOf(raw: string, from: number, size: number): { text: string; start: number; end: number } {
  const start = isLowSurrogate(raw, from) ? from + 1 : from;
  let end = Math.min(raw.length, start + size);
  if (isLowSurrogate(raw, end)) end--;
  return { text: raw.slice(start, end), start, end };
}

const SMALL_KANA_CODES = new Map([...'ぁぃぅぇぉっゃゅょゎゕゖ'].map((c) => [c.charCodeAt(0), foldKanaChar(c, undefined)!.charCodeAt(0)]));

/** The same length as `raw`, unit for unit: ASCII case and full width, katakana and small kana folded. */
function roughFold(raw: string): string {
  const out = new Uint16Array(raw.length);
  for (let i = 0; i < raw.length; i++) {
    let code = raw.charCodeAt(i);
    if (code >= 0xff01 && code <= 0xff5e) code -= 0xfee0;
    if (code >= 0x41 && code <= 0x5a) code += 0x20;
    else if (code >= 0x30a1 && code <= 0x30f6) code -= 0x60;
    out[i] = SMALL_KANA_CODES.get(code) ?? code;
  }
  return new TextDecoder('utf-16le').decode(out);
}
