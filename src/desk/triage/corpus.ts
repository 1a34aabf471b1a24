/**
 * The labelled triage corpus (`eval/triage/corpus.jsonl`, written to docs/triage-guide.md by writers who never saw
 * the code) and its fixed split. A message's split follows from its own text alone — the first byte of
 * sha256(text): below 0xB3 train (70 %), below 0xD9 dev (15 %), the rest test (15 %) — so adding messages never
 * moves old ones between splits, and the test split can be kept out of training and tuning by construction.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Priority, TicketType } from '../../domain/ticket.ts';
import { parseTriageJsonl } from './eval.ts';

export type CorpusSplit = 'train' | 'dev' | 'test';
export type CorpusLang = 'ja' | 'en';

export interface CorpusSample {
  text: string;
  category: TicketType;
  priority: Priority;
  lang: CorpusLang;
  writer: string;
}

export const CORPUS_PATH = fileURLToPath(new URL('../../../eval/triage/corpus.jsonl', import.meta.url));

const TRAIN_BELOW = 0xb3;
const DEV_BELOW = 0xd9;

export function splitOf(text: string): CorpusSplit {
  const first = createHash('sha256').update(text, 'utf8').digest()[0] ?? 0;
  return first < TRAIN_BELOW ? 'train' : first < DEV_BELOW ? 'dev' : 'test';
}

/** A message without a `lang` is Japanese when it has any kana or kanji, else English. */
export function guessLang(text: string): CorpusLang {
  return /[\u3040-\u30ff\u3400-\u9fff\uff66-\uff9d]/u.test(text) ? 'ja' : 'en';
}

/** Parses corpus JSON Lines (the triage eval's format); a missing `lang` is guessed from the text. */
export function parseCorpus(content: string): CorpusSample[] {
  return parseTriageJsonl(content).map((r) => ({
    text: r.text, category: r.category, priority: r.priority,
    lang: r.lang === 'ja' || r.lang === 'en' ? r.lang : guessLang(r.text), writer: r.writer ?? '',
  }));
}

export function readCorpus(path = CORPUS_PATH): CorpusSample[] {
  return parseCorpus(readFileSync(path, 'utf8'));
}

/** The corpus divided by split, each part in corpus order. */
export function splitCorpus<T extends { text: string }>(samples: readonly T[]): Record<CorpusSplit, T[]> {
  const out: Record<CorpusSplit, T[]> = { train: [], dev: [], test: [] };
  for (const s of samples) out[splitOf(s.text)].push(s);
  return out;
}
