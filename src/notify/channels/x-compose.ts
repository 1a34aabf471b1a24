import { createRequire } from 'node:module';
import type TwitterText from 'twitter-text';
import type { UpdateNotice } from './update-notice.ts';

// Loaded on first use: most processes never post to X, and twitter-text costs ~70 ms of CPU to load.
const requireCjs = createRequire(import.meta.url);
let twitterText: typeof TwitterText | null = null;
const twitter = (): typeof TwitterText => (twitterText ??= requireCjs('twitter-text') as typeof TwitterText);

/** X's limit in weighted characters: CJK and emoji count 2, every URL counts 23 (twitter-text). */
export const X_MAX_WEIGHTED = 280;

export function weightedLength(text: string): number {
  return twitter().parseTweet(text).weightedLength;
}

/** The text of a post for an update: 【status】name, then the body. The link is added by composeXThread. */
export function xUpdateText(n: UpdateNotice): string {
  return `【${n.statusLabel}】${n.incidentName}\n${n.body}`;
}

const segmenter = new Intl.Segmenter(undefined, { granularity: 'grapheme' });
// Numbering is appended as " (i/n)"; room for n up to 99 is reserved before n is known.
const NUMBER_RESERVE = ' (99/99)';

/** Atoms never split: each URL (as twitter-text finds it) and each grapheme cluster elsewhere. */
interface Piece {
  text: string;
  /** A sentence may end after this piece. */
  sentenceEnd: boolean;
}

function pieces(text: string): Piece[] {
  const out: Piece[] = [];
  let cursor = 0;
  const pushPlain = (plain: string) => {
    const graphemes = [...segmenter.segment(plain)].map((g) => g.segment);
    graphemes.forEach((g, i) => {
      const next = graphemes[i + 1];
      // 。！？ end a sentence anywhere; . ! ? only before whitespace or the end (not in "v1.2" or "3.5%").
      const end = /^[。！？]$/.test(g) || g === '\n' || (/^[.!?]$/.test(g) && (next === undefined || /^\s/.test(next)));
      out.push({ text: g, sentenceEnd: end });
    });
  };
  for (const url of twitter().extractUrlsWithIndices(text)) {
    const [start, end] = url.indices;
    pushPlain(text.slice(cursor, start));
    out.push({ text: text.slice(start, end), sentenceEnd: false });
    cursor = end;
  }
  pushPlain(text.slice(cursor));
  return out;
}

/** Groups atoms into sentences (each keeps its trailing whitespace). */
function sentences(all: Piece[]): Piece[][] {
  const result: Piece[][] = [];
  let current: Piece[] = [];
  all.forEach((p, i) => {
    current.push(p);
    const next = all[i + 1];
    const pendingEnd = current.some((c) => c.sentenceEnd);
    if (pendingEnd && (next === undefined || !/^\s$/.test(next.text))) {
      result.push(current);
      current = [];
    }
  });
  if (current.length) result.push(current);
  return result;
}

const join = (ps: readonly Piece[]) => ps.map((p) => p.text).join('');

/** Removes control characters X would reject and collapses runs of blank lines. */
function clean(text: string): string {
  return (
    text
      .replace(/\r\n?/g, '\n')
      // eslint-disable-next-line no-control-regex
      .replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, '')
      .replace(/\n{3,}/g, '\n\n')
      .trim()
  );
}

/**
 * One post when `text` and the link fit 280 weighted characters; otherwise a thread: sentences (ending in
 * 。！？.!? or a line break) are packed greedily, a sentence too long for one post is cut between grapheme
 * clusters, URLs are never cut, and each part ends in " (i/n)". The link goes at the end of the last post.
 */
export function composeXThread(text: string, url: string, max = X_MAX_WEIGHTED): string[] {
  const body = clean(text);
  const link = url.trim();
  const single = [body, link].filter(Boolean).join('\n');
  if (weightedLength(single) <= max) return [single];

  const budget = max - weightedLength(NUMBER_RESERVE);
  const fits = (s: string) => weightedLength(s.trim()) <= budget;
  const parts: string[] = [];
  let current = '';
  const flush = () => {
    if (current.trim()) parts.push(current.trim());
    current = '';
  };
  for (const sentence of sentences(pieces(body))) {
    const whole = join(sentence);
    if (fits(current + whole)) {
      current += whole;
      continue;
    }
    flush();
    if (fits(whole)) {
      current = whole;
      continue;
    }
    // A sentence longer than a post: cut it between atoms.
    for (const atom of sentence) {
      if (!fits(current + atom.text)) flush();
      current += atom.text;
    }
  }
  if (link) {
    const withLink = `${current.trim()}\n${link}`.trim();
    if (fits(withLink)) current = withLink;
    else {
      flush();
      current = link;
    }
  }
  flush();
  if (parts.length === 1) return parts;
  return parts.map((p, i) => `${p} (${i + 1}/${parts.length})`);
}
