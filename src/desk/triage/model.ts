/**
 * The learned half of triage: two linear classifiers (multinomial logistic regression) over character 1–4-grams
 * of the normalised text (NFKC, lower case, hiragana folded to katakana, as the rules read it) — one for the
 * type, one for the priority. Character n-grams need no word segmentation for Japanese and shrug off typos,
 * slang and mixed scripts; logistic regression weighs n-grams against each other instead of counting each as
 * independent evidence (naive Bayes, which this replaced, was 5 points worse on the dev split and gave
 * probabilities near 0 or 1).
 *
 * Training is deterministic: a fixed seed for the order of examples, a fixed number of passes, AdaGrad steps,
 * and weights rounded to 4 decimals in the file, so the same examples give a byte-identical, diffable file.
 * Written here rather than taken from a library: the npm text classifiers we looked at tokenise on spaces (no
 * use for Japanese) or are not reproducible; this is ~250 lines.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { PRIORITIES, TICKET_TYPES, type Priority, type TicketType } from '../../domain/ticket.ts';

export const MODEL_FORMAT = 'kinkyu-triage-linear/1';
export const DEFAULT_MODEL_PATH = fileURLToPath(new URL('./model.json', import.meta.url));

/** Character n-gram lengths. */
const MIN_GRAM = 1;
const MAX_GRAM = 4;
/** An n-gram must occur in this many training messages (weighted) to be a feature (one-offs are names, typos, noise). */
const MIN_DOC_FREQ = 3;
/** Training: passes over the examples, AdaGrad's step, L2 penalty, seed of the example order (chosen on the dev split). */
const TRAINING = { epochs: 40, rate: 0.2, l2: 1e-4, seed: 42 } as const;
/** Weights are stored to this many decimals (4 gave the same dev figures in a larger file). */
const DECIMALS = 3;
/** Only this many characters are read: a long message still costs well under a millisecond. */
const MAX_CHARS = 3_000;

export interface TrainingExample {
  text: string;
  category: TicketType;
  /** Learned for the priority model too when given. */
  priority?: Priority;
  /** How many messages this one counts as. */
  weight?: number;
  /** Make all of its n-grams features, even those no other message has (a staff correction: its own words are the point). */
  keepAllGrams?: boolean;
}

export interface ModelFile {
  format: typeof MODEL_FORMAT;
  /** sha256 of the model's content (everything but this field), first 12 hex digits. */
  version: string;
  classes: TicketType[];
  priorities: Priority[];
  grams: [number, number];
  minDocFreq: number;
  training: { epochs: number; rate: number; l2: number; seed: number };
  /** What it was trained on. */
  trainedOn: { corpus: number; corrections: number };
  /** Bias of each type, then of each priority. */
  bias: number[];
  /**
   * n-gram → [idf, weight for each type…, weight for each priority…]; keys sorted. A message's features are the idf
   * of its known n-grams, scaled to unit length.
   */
  features: Record<string, number[]>;
}

export interface TriageModel {
  version: string;
  classes: readonly TicketType[];
  priorities: readonly Priority[];
  trainedOn: { corpus: number; corrections: number };
  bias: Float64Array;
  /** n-gram → [idf, type weights…, priority weights…]. */
  features: Map<string, Float64Array>;
}

export interface ModelPrediction {
  /** Types with their probabilities, most likely first. */
  ranked: { type: TicketType; p: number }[];
  /** P(security). */
  security: number;
  /** Probability of the best type minus that of the second. */
  margin: number;
  /** Priorities with their probabilities, most likely first. */
  priorities: { priority: Priority; p: number }[];
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

/** A small deterministic generator (LCG) for the order of training examples. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

const round = (x: number): number => {
  const r = Number(x.toFixed(DECIMALS));
  return Object.is(r, -0) ? 0 : r;
};

function withVersion(content: Omit<ModelFile, 'version'>): ModelFile {
  const version = createHash('sha256').update(JSON.stringify(content)).digest('hex').slice(0, 12);
  const { format, ...rest } = content;
  return { format, version, ...rest };
}

interface SparseVector {
  index: Int32Array;
  value: Float64Array;
}

/** The unit-length idf vector of a message over the known n-grams. */
function vectorOf(grams: Iterable<string>, indexOf: (gram: string) => number, idfOf: (i: number) => number): SparseVector {
  const index: number[] = [];
  const value: number[] = [];
  let norm = 0;
  for (const g of grams) {
    const i = indexOf(g);
    if (i < 0) continue;
    const v = idfOf(i);
    index.push(i);
    value.push(v);
    norm += v * v;
  }
  const scale = norm > 0 ? 1 / Math.sqrt(norm) : 0;
  return { index: Int32Array.from(index), value: Float64Array.from(value, (v) => v * scale) };
}

/** In place: scores → probabilities. */
function softmax(scores: Float64Array): Float64Array {
  let max = -Infinity;
  for (const s of scores) if (s > max) max = s;
  let sum = 0;
  for (let k = 0; k < scores.length; k++) sum += scores[k] = Math.exp(scores[k]! - max);
  for (let k = 0; k < scores.length; k++) scores[k]! /= sum;
  return scores;
}

/**
 * Softmax regression with AdaGrad and an L2 penalty. `labels[n]` is the class of example n, or -1 to leave it out.
 * Returns the weights (class-major: weights[k * dims + i]) and biases.
 */
function* fitSoftmax(vectors: readonly SparseVector[], labels: readonly number[], weights: readonly number[], classes: number, dims: number): Generator<void, { w: Float64Array; b: Float64Array }> {
  const w = new Float64Array(classes * dims);
  const b = new Float64Array(classes);
  const gw = new Float64Array(classes * dims).fill(1e-8);
  const gb = new Float64Array(classes).fill(1e-8);
  const order = vectors.map((_, n) => n).filter((n) => labels[n]! >= 0);
  const random = seededRandom(TRAINING.seed);
  const p = new Float64Array(classes);
  for (let epoch = 0; epoch < TRAINING.epochs; epoch++) {
    if (epoch > 0) yield; // a pause point between passes (see trainModelAsync)
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    for (const n of order) {
      const { index, value } = vectors[n]!;
      for (let k = 0; k < classes; k++) {
        let z = b[k]!;
        for (let t = 0; t < index.length; t++) z += w[k * dims + index[t]!]! * value[t]!;
        p[k] = z;
      }
      softmax(p);
      const weight = weights[n]!;
      for (let k = 0; k < classes; k++) {
        const g = weight * (p[k]! - (labels[n] === k ? 1 : 0));
        for (let t = 0; t < index.length; t++) {
          const at = k * dims + index[t]!;
          const grad = g * value[t]! + TRAINING.l2 * w[at]!;
          gw[at]! += grad * grad;
          w[at]! -= (TRAINING.rate / Math.sqrt(gw[at]!)) * grad;
        }
        gb[k]! += g * g;
        b[k]! -= (TRAINING.rate / Math.sqrt(gb[k]!)) * g;
      }
    }
  }
  return { w, b };
}

/**
 * The training as steps: it yields between passes over the examples so that a caller in a server can let the
 * event loop breathe (a retrain from the console must not stall every request for seconds).
 */
function* training(examples: readonly TrainingExample[], trainedOn: { corpus: number; corrections: number }): Generator<void, ModelFile> {
  const classes = [...TICKET_TYPES];
  const priorities = [...PRIORITIES];
  const gramsByExample = examples.map((e) => gramsOf(e.text));
  const docFreq = new Map<string, number>();
  const forced = new Set<string>();
  examples.forEach((e, n) => {
    for (const g of gramsByExample[n]!) {
      docFreq.set(g, (docFreq.get(g) ?? 0) + (e.weight ?? 1));
      if (e.keepAllGrams) forced.add(g);
    }
  });
  const vocabulary = [...docFreq.keys()].filter((g) => docFreq.get(g)! >= MIN_DOC_FREQ || forced.has(g)).sort();
  const position = new Map(vocabulary.map((g, i) => [g, i]));
  const total = examples.reduce((a, e) => a + (e.weight ?? 1), 0);
  const idf = vocabulary.map((g) => round(Math.log((total + 1) / (docFreq.get(g)! + 1)) + 1));
  const vectors = gramsByExample.map((grams) => vectorOf(grams, (g) => position.get(g) ?? -1, (i) => idf[i]!));
  const weights = examples.map((e) => e.weight ?? 1);
  const dims = vocabulary.length;
  const type = yield* fitSoftmax(vectors, examples.map((e) => classes.indexOf(e.category)), weights, classes.length, dims);
  const priority = yield* fitSoftmax(vectors, examples.map((e) => (e.priority ? priorities.indexOf(e.priority) : -1)), weights, priorities.length, dims);
  const features: Record<string, number[]> = {};
  vocabulary.forEach((g, i) => {
    features[g] = [idf[i]!, ...classes.map((_, k) => round(type.w[k * dims + i]!)), ...priorities.map((_, k) => round(priority.w[k * dims + i]!))];
  });
  const bias = [...Array.from(type.b, round), ...Array.from(priority.b, round)];
  return withVersion({ format: MODEL_FORMAT, classes, priorities, grams: [MIN_GRAM, MAX_GRAM], minDocFreq: MIN_DOC_FREQ, training: { ...TRAINING }, trainedOn, bias, features });
}

/** Trains both classifiers. Deterministic: the same examples in the same order give the same bytes. */
export function trainModel(examples: readonly TrainingExample[], trainedOn: { corpus: number; corrections: number }): ModelFile {
  const steps = training(examples, trainedOn);
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
  }
}

/** The same training (the same bytes), giving the event loop a turn between passes. */
export async function trainModelAsync(examples: readonly TrainingExample[], trainedOn: { corpus: number; corrections: number }): Promise<ModelFile> {
  const steps = training(examples, trainedOn);
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

export function serializeModel(file: ModelFile): string {
  const { features, ...head } = file;
  // One n-gram a line: readable diffs, and still plain JSON.
  const lines = Object.entries(features).map(([g, row]) => `    ${JSON.stringify(g)}: [${row.join(',')}]`);
  const headJson = JSON.stringify(head, null, 2).replace(/\n}$/, '');
  return `${headJson},\n  "features": {\n${lines.join(',\n')}\n  }\n}\n`;
}

/** Checks a parsed model file. */
export function loadModel(value: unknown): TriageModel {
  const f = value as Partial<ModelFile> | null;
  if (!f || f.format !== MODEL_FORMAT || typeof f.version !== 'string' || !Array.isArray(f.classes) || !Array.isArray(f.priorities) || !Array.isArray(f.bias) || !f.features || typeof f.features !== 'object') {
    throw new Error(`not a ${MODEL_FORMAT} model`);
  }
  const classes = f.classes as TicketType[];
  const priorities = f.priorities as Priority[];
  if (classes.length !== TICKET_TYPES.length || classes.some((c, i) => c !== TICKET_TYPES[i])) throw new Error('model classes do not match the ticket types');
  if (priorities.length !== PRIORITIES.length || priorities.some((c, i) => c !== PRIORITIES[i])) throw new Error('model priorities do not match the priorities');
  const width = 1 + classes.length + priorities.length;
  if (f.bias.length !== classes.length + priorities.length) throw new Error('model bias has the wrong length');
  const features = new Map<string, Float64Array>();
  for (const [g, row] of Object.entries(f.features)) {
    if (!Array.isArray(row) || row.length !== width) throw new Error(`model feature ${JSON.stringify(g)} has the wrong length`);
    features.set(g, Float64Array.from(row));
  }
  return { version: f.version, classes, priorities, trainedOn: f.trainedOn ?? { corpus: 0, corrections: 0 }, bias: Float64Array.from(f.bias), features };
}

export function predict(model: TriageModel, text: string): ModelPrediction {
  const types = model.classes.length;
  const typeScores = Float64Array.from(model.bias.subarray(0, types));
  const priorityScores = Float64Array.from(model.bias.subarray(types));
  const rows: Float64Array[] = [];
  let norm = 0;
  for (const g of gramsOf(typeof text === 'string' ? text : '')) {
    const row = model.features.get(g);
    if (!row) continue;
    rows.push(row);
    norm += row[0]! * row[0]!;
  }
  const scale = norm > 0 ? 1 / Math.sqrt(norm) : 0;
  for (const row of rows) {
    const x = row[0]! * scale;
    for (let k = 0; k < types; k++) typeScores[k]! += row[1 + k]! * x;
    for (let k = 0; k < priorityScores.length; k++) priorityScores[k]! += row[1 + types + k]! * x;
  }
  softmax(typeScores);
  softmax(priorityScores);
  const ranked = model.classes.map((type, k) => ({ type, p: typeScores[k]! })).sort((a, b) => b.p - a.p);
  const priorities = model.priorities.map((priority, k) => ({ priority, p: priorityScores[k]! })).sort((a, b) => b.p - a.p);
  return {
    ranked,
    security: ranked.find((r) => r.type === 'security')?.p ?? 0,
    margin: (ranked[0]?.p ?? 0) - (ranked[1]?.p ?? 0),
    priorities,
  };
}

let committed: TriageModel | null = null;
/** The model committed with the code (`npm run train:triage`), loaded once. */
export function committedModel(): TriageModel {
  committed ??= loadModel(JSON.parse(readFileSync(DEFAULT_MODEL_PATH, 'utf8')));
  return committed;
}
