import type { Lang } from '../../web/i18n.ts';
import { foldKana, normalizeText, prepareText } from './normalize.ts';

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
  const first = [...sentences[best]!.raw];
  if (first.length > EXCERPT_MAX_CHARS) return bestWindow(first, needles, lang);

  let text = first.join('');
  for (let i = best + 1; i < sentences.length; i++) {
    // Japanese sentences of one paragraph run on; anything else (another paragraph, a heading) gets a space.
    const joiner = lang === 'ja' && sentences[i]!.line === sentences[i - 1]!.line ? '' : ' ';
    const next = `${text}${joiner}${sentences[i]!.raw}`;
    if ([...next].length > EXCERPT_MAX_CHARS) break;
    text = next;
  }
  return text;
}

function bestWindow(chars: readonly string[], needles: readonly Needle[], lang: Lang): string {
  const size = EXCERPT_MAX_CHARS - 2; // room for an ellipsis at both ends
  const step = 40;
  let bestStart = 0;
  let bestWeight = -1;
  for (let start = 0; start < chars.length; start += step) {
    const end = Math.min(chars.length, start + size);
    const w = weightIn(normalizeText(chars.slice(start, end).join(''), lang), needles);
    if (w > bestWeight) {
      bestStart = start;
      bestWeight = w;
    }
    if (end === chars.length) break;
  }
  const start = Math.max(0, Math.min(bestStart, chars.length - size));
  const end = Math.min(chars.length, start + size);
  return `${start > 0 ? '…' : ''}${chars.slice(start, end).join('').trim()}${end < chars.length ? '…' : ''}`;
}
