import { diffArrays } from 'diff';
import type { Lang } from '../web/i18n.ts';

/**
 * A diff of two terms texts that a reader can follow. Lines (paragraphs, list items, headings) are compared
 * first; a line that was edited rather than rewritten is then compared word by word. Japanese has no spaces,
 * so "words" come from Intl.Segmenter (出金|でき|ない): finer than a sentence, coarser than single characters,
 * which would scatter a one-word change into many fragments. Short unchanged bits between two changes (a
 * particle, a space, a comma) are folded into the change, so it reads as "old phrase → new phrase".
 */

export type InlinePart = { kind: 'same' | 'del' | 'ins'; text: string };

export type DiffBlock =
  | { kind: 'same'; lines: string[] }
  | { kind: 'added'; lines: string[] }
  | { kind: 'removed'; lines: string[] }
  | { kind: 'changed'; parts: InlinePart[] };

export interface TermsDiff {
  blocks: DiffBlock[];
  added: number;
  removed: number;
  changed: number;
}

/**
 * Bounded work: texts are up to 100,000 characters and the diff runs in the request. Past these limits a
 * line is shown as removed and added (or the whole text as replaced) instead of compared word by word.
 */
const MAX_LINE_EDITS = 2000;
const MAX_WORD_EDITS = 400;
/** Intl.Segmenter slows down sharply on long strings (100,000 characters take seconds): long lines are not segmented. */
const MAX_CHARS_PER_LINE = 4000;
const TIME_BUDGET_MS = 300;
/** A line keeping less than this share of its text is shown as removed and added, not as edited. */
const MIN_KEPT_SHARE = 0.5;

const segmenters = new Map<Lang, Intl.Segmenter>();

function words(text: string, lang: Lang): string[] {
  let segmenter = segmenters.get(lang);
  if (!segmenter) {
    segmenter = new Intl.Segmenter(lang, { granularity: 'word' });
    segmenters.set(lang, segmenter);
  }
  return Array.from(segmenter.segment(text), (s) => s.segment);
}

/** Non-empty lines without trailing spaces (blank lines only separate paragraphs) and without heading marks. */
function linesOf(text: string): string[] {
  return text.split('\n').map((l) => l.replace(/\s+$/, '').replace(/^ {0,3}#{1,6}\s+/, '')).filter((l) => l.length > 0);
}

/** Word-level parts of one edited line, or null when too little of it was kept to read as an edit (or time ran out). */
function inlineDiff(before: string, after: string, lang: Lang, deadline: number): InlinePart[] | null {
  const left = deadline - Date.now();
  if (left <= 0) return null;
  if (before.length > MAX_CHARS_PER_LINE || after.length > MAX_CHARS_PER_LINE) return null;
  const a = words(before, lang);
  const b = words(after, lang);
  const changes = diffArrays(a, b, { maxEditLength: MAX_WORD_EDITS, timeout: left });
  if (!changes) return null;
  const raw: InlinePart[] = changes.map((c) => ({ kind: c.added ? 'ins' : c.removed ? 'del' : 'same', text: c.value.join('') }));
  const kept = raw.filter((p) => p.kind === 'same').reduce((n, p) => n + p.text.replace(/\s/g, '').length, 0);
  const longest = Math.max(before.replace(/\s/g, '').length, after.replace(/\s/g, '').length, 1);
  if (kept / longest < MIN_KEPT_SHARE) return null;
  return tidy(raw);
}

const isFiller = (text: string) => text.trim().length <= 1 || /^[\s\p{P}]+$/u.test(text);

/**
 * Folds short unchanged runs that sit between two changes into them, then writes each change as all of
 * its removed text followed by all of its added text.
 */
function tidy(parts: InlinePart[]): InlinePart[] {
  const out: InlinePart[] = [];
  let del = '';
  let ins = '';
  const flush = () => {
    if (del) out.push({ kind: 'del', text: del });
    if (ins) out.push({ kind: 'ins', text: ins });
    del = '';
    ins = '';
  };
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i]!;
    if (p.kind === 'del') del += p.text;
    else if (p.kind === 'ins') ins += p.text;
    else {
      const inChange = del !== '' || ins !== '';
      const changeFollows = parts[i + 1] !== undefined && parts[i + 1]!.kind !== 'same';
      if (inChange && changeFollows && isFiller(p.text)) {
        del += p.text;
        ins += p.text;
        continue;
      }
      flush();
      const last = out[out.length - 1];
      if (last?.kind === 'same') last.text += p.text;
      else out.push({ kind: 'same', text: p.text });
    }
  }
  flush();
  return out;
}

export function diffTerms(before: string, after: string, lang: Lang): TermsDiff {
  const oldLines = linesOf(before);
  const newLines = linesOf(after);
  const result: TermsDiff = { blocks: [], added: 0, removed: 0, changed: 0 };
  const push = (block: DiffBlock) => {
    const last = result.blocks[result.blocks.length - 1];
    if (last && last.kind === block.kind && block.kind !== 'changed' && 'lines' in last) last.lines.push(...block.lines);
    else result.blocks.push(block);
    if (block.kind === 'added') result.added += block.lines.length;
    if (block.kind === 'removed') result.removed += block.lines.length;
    if (block.kind === 'changed') result.changed++;
  };
  const deadline = Date.now() + TIME_BUDGET_MS;
  const changes = diffArrays(oldLines, newLines, { maxEditLength: MAX_LINE_EDITS, timeout: TIME_BUDGET_MS });
  if (!changes) {
    if (oldLines.length) push({ kind: 'removed', lines: oldLines });
    if (newLines.length) push({ kind: 'added', lines: newLines });
    return result;
  }
  for (let i = 0; i < changes.length; i++) {
    const c = changes[i]!;
    if (!c.added && !c.removed) {
      push({ kind: 'same', lines: c.value });
      continue;
    }
    // A removal next to an addition is a replacement: pair their lines in order.
    const next = changes[i + 1];
    const pairedWith = next && ((c.removed && next.added) || (c.added && next.removed)) ? next : null;
    if (!pairedWith) {
      push({ kind: c.added ? 'added' : 'removed', lines: c.value });
      continue;
    }
    i++;
    const removed = c.removed ? c.value : pairedWith.value;
    const added = c.added ? c.value : pairedWith.value;
    const pairs = Math.min(removed.length, added.length);
    for (let k = 0; k < pairs; k++) {
      const parts = inlineDiff(removed[k]!, added[k]!, lang, deadline);
      if (parts) push({ kind: 'changed', parts });
      else {
        push({ kind: 'removed', lines: [removed[k]!] });
        push({ kind: 'added', lines: [added[k]!] });
      }
    }
    if (removed.length > pairs) push({ kind: 'removed', lines: removed.slice(pairs) });
    if (added.length > pairs) push({ kind: 'added', lines: added.slice(pairs) });
  }
  return result;
}
