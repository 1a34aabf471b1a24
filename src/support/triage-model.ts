/**
 * The learned half of triage: a multinomial naive Bayes classifier over character 1–4-grams of the normalised
 * text (NFKC, lower case, hiragana folded to katakana, as the rules read it), which needs no word
 * segmentation for Japanese and shrugs off typos, slang and mixed scripts.
 *
 * The model file holds integer counts only (how many training messages of each type contain each n-gram), so it
 * is exact, diffable and byte-identical for the same training data; the log-probabilities are computed on load.
 * Written here rather than taken from a library: the npm text classifiers we looked at tokenise on spaces (no
 * use for Japanese) or store floats whose printing is not reproducible; this is ~150 lines.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { TICKET_TYPES, type TicketType } from '../domain/ticket.ts';

export const MODEL_FORMAT = 'kinkyu-triage-nb/1';
export const DEFAULT_MODEL_PATH = fileURLToPath(new URL('./triage-model.json', import.meta.url));

/** Character n-gram lengths. */
const MIN_GRAM = 1;
const MAX_GRAM = 4;
/** An n-gram must occur in this many training messages (weighted) to be kept (one-offs are names, typos, noise). */
const MIN_DOC_FREQ = 2;
/** Additive smoothing, chosen on the dev split (0.01–1 tried; 0.05 best). */
const ALPHA = 0.05;
/** Calibration of the probabilities (see predict), chosen on the dev split. */
export const GRAMS_PER_UNIT = Number(process.env.KINKYU_TRIAGE_CAL ?? 3);
/** Only this many characters are read: a long message still costs well under a millisecond. */
const MAX_CHARS = 3_000;

export interface TrainingExample {
  text: string;
  category: TicketType;
  /** How many messages this one counts as. */
  weight?: number;
  /** Keep all of its n-grams, even those no other message has (a staff correction: its own words are the point). */
  keepAllGrams?: boolean;
}

export interface ModelFile {
  format: typeof MODEL_FORMAT;
  /** sha256 of the model's content (everything but this field), first 12 hex digits. */
  version: string;
  classes: TicketType[];
  grams: [number, number];
  minDocFreq: number;
  alpha: number;
  /** What it was trained on. */
  trainedOn: { corpus: number; corrections: number };
  /** Training messages per class. */
  docs: number[];
  /** n-gram → messages per class that contain it; keys sorted. */
  counts: Record<string, number[]>;
}

export interface TriageModel {
  version: string;
  classes: readonly TicketType[];
  trainedOn: { corpus: number; corrections: number };
  logPrior: Float64Array;
  /** log P(gram | class) for each known gram, classes in order. */
  logLikelihood: Map<string, Float64Array>;
}

export interface ModelPrediction {
  /** Classes with their probabilities, most likely first. */
  ranked: { type: TicketType; p: number }[];
  /** P(security). */
  security: number;
  /** Probability of the best class minus that of the second. */
  margin: number;
}

const HIRAGANA = /[\u3041-\u3096]/g;
const INVISIBLE = /[\p{Cf}\p{Cc}]/gu;
const SPACES = /[\s\u3000]+/g;

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

/** The distinct character n-grams of a message (a space marks the start and end of the text). */
export function gramsOf(text: string): Set<string> {
  const s = ` ${normalizeForModel(text)} `;
  const grams = new Set<string>();
  for (let i = 0; i < s.length; i++) {
    for (let n = MIN_GRAM; n <= MAX_GRAM && i + n <= s.length; n++) {
      const gram = s.slice(i, i + n);
      if (gram !== ' ') grams.add(gram);
    }
  }
  return grams;
}

function withVersion(content: Omit<ModelFile, 'version'>): ModelFile {
  const version = createHash('sha256').update(JSON.stringify(content)).digest('hex').slice(0, 12);
  const { format, ...rest } = content;
  return { format, version, ...rest };
}

/** Counts the examples into a model file. Deterministic: the same examples in the same order give the same bytes. */
export function trainModel(examples: readonly TrainingExample[], trainedOn: { corpus: number; corrections: number }): ModelFile {
  const classes = [...TICKET_TYPES];
  const docs = classes.map(() => 0);
  const counts = new Map<string, number[]>();
  const docFreq = new Map<string, number>();
  for (const e of examples) {
    const c = classes.indexOf(e.category);
    const w = e.weight ?? 1;
    docs[c]! += w;
    for (const g of gramsOf(e.text)) {
      let row = counts.get(g);
      if (!row) counts.set(g, (row = classes.map(() => 0)));
      row[c]! += w;
      docFreq.set(g, (docFreq.get(g) ?? 0) + (e.keepAllGrams ? MIN_DOC_FREQ : w));
    }
  }
  const kept: Record<string, number[]> = {};
  for (const g of [...counts.keys()].filter((k) => (docFreq.get(k) ?? 0) >= MIN_DOC_FREQ).sort()) kept[g] = counts.get(g)!;
  return withVersion({ format: MODEL_FORMAT, classes, grams: [MIN_GRAM, MAX_GRAM], minDocFreq: MIN_DOC_FREQ, alpha: ALPHA, trainedOn, docs, counts: kept });
}

export function serializeModel(file: ModelFile): string {
  const { counts, ...head } = file;
  // One n-gram a line: readable diffs, and still plain JSON.
  const lines = Object.entries(counts).map(([g, row]) => `    ${JSON.stringify(g)}: [${row.join(',')}]`);
  const headJson = JSON.stringify(head, null, 2).replace(/\n}$/, '');
  return `${headJson},\n  "counts": {\n${lines.join(',\n')}\n  }\n}\n`;
}

/** Checks a parsed model file and turns its counts into log-probabilities. */
export function loadModel(value: unknown): TriageModel {
  const f = value as Partial<ModelFile> | null;
  if (!f || f.format !== MODEL_FORMAT || typeof f.version !== 'string' || !Array.isArray(f.classes) || !Array.isArray(f.docs) || !f.counts || typeof f.counts !== 'object') {
    throw new Error(`not a ${MODEL_FORMAT} model`);
  }
  const classes = f.classes as TicketType[];
  if (classes.length !== TICKET_TYPES.length || classes.some((c, i) => c !== TICKET_TYPES[i])) throw new Error('model classes do not match the ticket types');
  const alpha = typeof f.alpha === 'number' && f.alpha > 0 ? f.alpha : ALPHA;
  const entries = Object.entries(f.counts);
  const totals = classes.map(() => 0);
  for (const [, row] of entries) for (let c = 0; c < classes.length; c++) totals[c]! += row[c] ?? 0;
  const vocabulary = entries.length;
  const docTotal = f.docs.reduce((a, b) => a + b, 0);
  const logPrior = Float64Array.from(classes.map((_, c) => Math.log(((f.docs![c] ?? 0) + 1) / (docTotal + classes.length))));
  const logLikelihood = new Map<string, Float64Array>();
  for (const [g, row] of entries) {
    logLikelihood.set(g, Float64Array.from(classes.map((_, c) => Math.log(((row[c] ?? 0) + alpha) / (totals[c]! + alpha * vocabulary)))));
  }
  return { version: f.version, classes, trainedOn: f.trainedOn ?? { corpus: 0, corrections: 0 }, logPrior, logLikelihood };
}

export function predict(model: TriageModel, text: string): ModelPrediction {
  const scores = Float64Array.from(model.logPrior);
  let known = 0;
  for (const g of gramsOf(typeof text === 'string' ? text : '')) {
    const ll = model.logLikelihood.get(g);
    if (!ll) continue;
    known++;
    for (let c = 0; c < scores.length; c++) scores[c]! += ll[c]!;
  }
  // Naive Bayes counts every overlapping n-gram as independent evidence, so its raw probabilities are near 0 or 1
  // for any message of a few words. Tempering by the number of n-grams makes them usable as confidence.
  const temperature = Math.max(1, known / GRAMS_PER_UNIT);
  const max = Math.max(...scores);
  const exp = Array.from(scores, (s) => Math.exp((s - max) / temperature));
  const sum = exp.reduce((a, b) => a + b, 0);
  const ranked = model.classes.map((type, c) => ({ type, p: exp[c]! / sum })).sort((a, b) => b.p - a.p);
  return {
    ranked,
    security: ranked.find((r) => r.type === 'security')?.p ?? 0,
    margin: (ranked[0]?.p ?? 0) - (ranked[1]?.p ?? 0),
  };
}

let committed: TriageModel | null = null;
/** The model committed with the code (`npm run train:triage`), loaded once. */
export function committedModel(): TriageModel {
  committed ??= loadModel(JSON.parse(readFileSync(DEFAULT_MODEL_PATH, 'utf8')));
  return committed;
}
