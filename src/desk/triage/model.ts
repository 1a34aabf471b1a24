/**
 * The learned half of triage: two linear classifiers (multinomial logistic regression) — one for the type, one for
 * the priority — over what features.ts reads of a message: character n-grams of the normalised text (NFKC, lower
 * case, hiragana folded to katakana), Latin words, and the names of the rules that fired (the rules know phrasings
 * n-grams cannot see; the model learns how far to trust each). Character n-grams need no word segmentation for
 * Japanese and shrug off typos, slang and mixed scripts; logistic regression weighs features against each other
 * instead of counting each as independent evidence (naive Bayes, which this replaced, was 5 points worse).
 * The options (ModelOptions) were chosen by cross-validation over train ∪ dev (scripts/cv-triage.ts); word
 * segmentation with kuromoji (readings and base forms as features) and kana-to-kanji rewriting of the input
 * were tried there and did not help.
 *
 * Training is deterministic: each pass visits the examples in an order drawn from their texts, AdaGrad steps, a
 * fixed number of passes, and weights rounded to 3 decimals in the file, so the same examples give a
 * byte-identical, diffable file. Written here rather than taken from a library: the npm text classifiers we looked
 * at tokenise on spaces (no use for Japanese) or are not reproducible.
 */
import { createHash } from 'node:crypto';
import { PRIORITIES, TICKET_TYPES, type Priority, type TicketType } from '../../domain/ticket.ts';
import { featuresOf, forEachWord, gramText, normalizeForModel, SIGNAL_PREFIX, type FeatureSpec } from './features.ts';
import type { FeatureIndex } from './feature-index.ts';

export const MODEL_FORMAT = 'kinkyu-triage-linear/2';

/** How a model is built (chosen by cross-validation over train ∪ dev: scripts/cv-triage.ts). */
export interface ModelOptions {
  features: FeatureSpec;
  /** A feature's value before idf: 1 when present ('binary'), or 1 + ln(count) ('log'). */
  tf: 'binary' | 'log';
  /** A feature must occur in this many training messages (weighted) to be kept (one-offs are names, typos, noise). */
  minDocFreq: number;
  /** Passes over the examples, AdaGrad's step, L2 penalty, seed of the example order. */
  training: { epochs: number; rate: number; l2: number; seed: number };
  /** How much a security example counts in the type model (missing a takeover is worse than a false alarm). */
  securityWeight: number;
}

export const DEFAULT_OPTIONS: ModelOptions = {
  features: { grams: [1, 5], words: true, signals: 0.1 },
  tf: 'binary',
  minDocFreq: 3,
  // 20 → 10 passes with 7,540 messages: cross-validated (train ∪ dev, 6,377) category 94.7 → 94.8 %, security recall
  // 99.3 % and incidents below high 2 both unchanged, priority 80.0 → 79.9 %; training takes half the time.
  training: { epochs: 10, rate: 0.2, l2: 1e-4, seed: 42 },
  // 1.5 → 2 with 6,209 messages: cross-validated (train ∪ dev) security recall 99.3 → 99.6 %, incidents below high
  // 3 → 2, category unchanged (94.5 %); 2.5 cost category (94.3 %).
  securityWeight: 2,
};

/** Weights are stored to this many decimals (4 gave the same dev figures in a larger file). */
const DECIMALS = 3;

export interface TrainingExample {
  text: string;
  category: TicketType;
  /** Learned for the priority model too when given. */
  priority?: Priority;
  /** How many messages this one counts as. */
  weight?: number;
  /** Make all of its n-grams features, even those no other message has (a staff correction: its own words are the point). */
  keepAllGrams?: boolean;
  /** The rules that fired on it (RuleVerdict.signals), for a model that reads them. */
  signals?: readonly string[];
}

export interface ModelFile {
  format: typeof MODEL_FORMAT;
  /** sha256 of the model's content (everything but this field), first 12 hex digits. */
  version: string;
  classes: TicketType[];
  priorities: Priority[];
  grams: [number, number];
  /** Latin word unigrams and bigrams are features too (keys start with WORD_PREFIX). */
  words: boolean;
  /** The value of a rule signal (keys start with SIGNAL_PREFIX; their idf column holds this value); 0: none. */
  signals: number;
  tf: ModelOptions['tf'];
  minDocFreq: number;
  training: ModelOptions['training'] & { securityWeight: number };
  /** What it was trained on. */
  trainedOn: { corpus: number; corrections: number };
  /** Bias of each type, then of each priority. */
  bias: number[];
  /**
   * feature → [idf, weight for each type…, weight for each priority…]; keys sorted. A message's features are the
   * idf (times its tf) of its known features, scaled to unit length.
   */
  features: Record<string, number[]>;
}

export interface TriageModel {
  version: string;
  classes: readonly TicketType[];
  priorities: readonly Priority[];
  trainedOn: { corpus: number; corrections: number };
  spec: FeatureSpec;
  tf: ModelOptions['tf'];
  bias: Float64Array;
  /** feature → its row in `weights`. */
  index: FeatureIndex;
  /**
   * Row after row, each [idf, type weights…, priority weights…] (`width` numbers). One array rather than a typed
   * array per feature: 60,000 small arrays made prediction memory-bound (measured: 70 → 35 µs per message).
   */
  weights: Float32Array;
  width: number;
  /** Scratch for predict(): which rows a message has already hit (rows hit in the current call hold `stamp`). */
  scratch: { seen: Uint32Array; position: Int32Array; stamp: number };
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

/** FNV-1a of a text: where the example goes in each pass's order. */
function textKey(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** A 32-bit mix (murmur3's finaliser) of an example's key with the pass and the seed. */
function passKey(key: number, epoch: number, seed: number): number {
  let h = (key ^ Math.imul(epoch + 1, 0x9e3779b1) ^ seed) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
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

const tfValue = (tf: ModelOptions['tf'], count: number): number => (tf === 'log' ? 1 + Math.log(count) : 1);

/** The unit-length tf·idf vector of a message over the known features, then its rule signals at their value. */
function vectorOf(counts: Map<string, number>, signals: Iterable<string>, tf: ModelOptions['tf'], indexOf: (feature: string) => number, idfOf: (i: number) => number, signalValue: number): SparseVector {
  const index: number[] = [];
  const value: number[] = [];
  let norm = 0;
  for (const [f, count] of counts) {
    const i = indexOf(f);
    if (i < 0) continue;
    const v = idfOf(i) * tfValue(tf, count);
    index.push(i);
    value.push(v);
    norm += v * v;
  }
  const scale = norm > 0 ? 1 / Math.sqrt(norm) : 0;
  for (let k = 0; k < value.length; k++) value[k]! *= scale;
  for (const s of signals) {
    const i = indexOf(s);
    if (i < 0) continue;
    index.push(i);
    value.push(signalValue);
  }
  return { index: Int32Array.from(index), value: Float64Array.from(value) };
}

/** A message's rule signals as feature keys (none when the model reads no signals). */
const signalKeys = (signals: readonly string[] | undefined, spec: FeatureSpec): string[] =>
  spec.signals > 0 && signals ? [...new Set(signals)].map((s) => SIGNAL_PREFIX + s) : [];

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
 * Each pass visits the examples in an order drawn from their texts (`keys`), not their positions: one more example
 * (a staff correction) leaves the others' order, and so the model, nearly as it was. Returns the weights
 * (feature-major: weights[i * classes + k], so one feature's classes sit together in memory) and biases.
 */
function* fitSoftmax(
  vectors: readonly SparseVector[], labels: readonly number[], weights: readonly number[], keys: readonly number[], classes: number, dims: number,
  training: ModelOptions['training'],
): Generator<void, { w: Float64Array; b: Float64Array }> {
  const { epochs, rate, l2, seed } = training;
  const w = new Float64Array(classes * dims);
  const b = new Float64Array(classes);
  const gw = new Float64Array(classes * dims).fill(1e-8);
  const gb = new Float64Array(classes).fill(1e-8);
  const examples = vectors.map((_, n) => n).filter((n) => labels[n]! >= 0);
  const p = new Float64Array(classes);
  for (let epoch = 0; epoch < epochs; epoch++) {
    if (epoch > 0) yield; // a pause point between passes (see trainModelAsync)
    const at = new Float64Array(vectors.length);
    for (const n of examples) at[n] = passKey(keys[n]!, epoch, seed);
    const order = [...examples].sort((x, y) => at[x]! - at[y]! || x - y);
    for (const n of order) {
      const { index, value } = vectors[n]!;
      for (let k = 0; k < classes; k++) {
        let z = b[k]!;
        for (let t = 0; t < index.length; t++) z += w[index[t]! * classes + k]! * value[t]!;
        p[k] = z;
      }
      softmax(p);
      const weight = weights[n]!;
      for (let k = 0; k < classes; k++) {
        const g = weight * (p[k]! - (labels[n] === k ? 1 : 0));
        for (let t = 0; t < index.length; t++) {
          const at = index[t]! * classes + k;
          const grad = g * value[t]! + l2 * w[at]!;
          gw[at]! += grad * grad;
          w[at]! -= (rate / Math.sqrt(gw[at]!)) * grad;
        }
        gb[k]! += g * g;
        b[k]! -= (rate / Math.sqrt(gb[k]!)) * g;
      }
    }
  }
  return { w, b };
}

/**
 * The training as steps: it yields between passes over the examples so that a caller in a server can let the
 * event loop breathe (a retrain from the console must not stall every request for seconds).
 */
function* training(examples: readonly TrainingExample[], trainedOn: { corpus: number; corrections: number }, options: ModelOptions): Generator<void, ModelFile> {
  const classes = [...TICKET_TYPES];
  const priorities = [...PRIORITIES];
  const countsByExample = examples.map((e) => featuresOf(e.text, options.features));
  const signalsByExample = examples.map((e) => signalKeys(e.signals, options.features));
  const docFreq = new Map<string, number>();
  const forced = new Set<string>();
  examples.forEach((e, n) => {
    for (const f of [...countsByExample[n]!.keys(), ...signalsByExample[n]!]) {
      docFreq.set(f, (docFreq.get(f) ?? 0) + (e.weight ?? 1));
      if (e.keepAllGrams) forced.add(f);
    }
  });
  const vocabulary = [...docFreq.keys()].filter((f) => docFreq.get(f)! >= options.minDocFreq || forced.has(f)).sort();
  const position = new Map(vocabulary.map((f, i) => [f, i]));
  const total = examples.reduce((a, e) => a + (e.weight ?? 1), 0);
  const signalValue = options.features.signals;
  const idf = vocabulary.map((f) => (f.startsWith(SIGNAL_PREFIX) ? signalValue : round(Math.log((total + 1) / (docFreq.get(f)! + 1)) + 1)));
  const vectors = countsByExample.map((counts, n) => vectorOf(counts, signalsByExample[n]!, options.tf, (f) => position.get(f) ?? -1, (i) => idf[i]!, signalValue));
  const weights = examples.map((e) => e.weight ?? 1);
  const keys = examples.map((e) => textKey(e.text));
  const typeOf = examples.map((e) => classes.indexOf(e.category));
  const typeWeights = examples.map((e, n) => weights[n]! * (e.category === 'security' ? options.securityWeight : 1));
  const dims = vocabulary.length;
  const type = yield* fitSoftmax(vectors, typeOf, typeWeights, keys, classes.length, dims, options.training);
  const priorityLabels = examples.map((e) => (e.priority ? priorities.indexOf(e.priority) : -1));
  const priority = yield* fitSoftmax(vectors, priorityLabels, weights, keys, priorities.length, dims, options.training);
  const features: Record<string, number[]> = {};
  vocabulary.forEach((f, i) => {
    features[f] = [idf[i]!, ...classes.map((_, k) => round(type.w[i * classes.length + k]!)), ...priorities.map((_, k) => round(priority.w[i * priorities.length + k]!))];
  });
  const bias = [...Array.from(type.b, round), ...Array.from(priority.b, round)];
  const { features: spec, tf, minDocFreq } = options;
  return withVersion({
    format: MODEL_FORMAT, classes, priorities, grams: [spec.grams[0], spec.grams[1]], words: spec.words, signals: spec.signals, tf, minDocFreq,
    training: { ...options.training, securityWeight: options.securityWeight }, trainedOn, bias, features,
  });
}

/** Trains both classifiers. Deterministic: the same examples in the same order give the same bytes. */
export function trainModel(examples: readonly TrainingExample[], trainedOn: { corpus: number; corrections: number }, options: ModelOptions = DEFAULT_OPTIONS): ModelFile {
  const steps = training(examples, trainedOn, options);
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
  }
}

/** The same training (the same bytes), giving the event loop a turn between passes. */
export async function trainModelAsync(examples: readonly TrainingExample[], trainedOn: { corpus: number; corrections: number }, options: ModelOptions = DEFAULT_OPTIONS): Promise<ModelFile> {
  const steps = training(examples, trainedOn, options);
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

const rank = <T extends string, K extends string>(names: readonly T[], p: Float64Array, key: K): ({ [k in K]: T } & { p: number })[] =>
  names.map((name, k) => ({ [key]: name, p: p[k]! }) as { [k in K]: T } & { p: number }).sort((a, b) => b.p - a.p);

/** `signals`: the rules that fired on the text (RuleVerdict.signals), for a model that reads them. */
export function predict(model: TriageModel, text: string, signals?: readonly string[]): ModelPrediction {
  const types = model.classes.length;
  const levels = model.priorities.length;
  const { index, weights, width, spec, scratch } = model;
  const typeScores = Float64Array.from(model.bias.subarray(0, types));
  const priorityScores = Float64Array.from(model.bias.subarray(types));
  // The message's known features, each once, in the order featuresOf() counts them (so sums round the same way).
  const rows: number[] = [];
  const counts: number[] = [];
  if (++scratch.stamp > 0xffffffff) {
    scratch.seen.fill(0);
    scratch.stamp = 1;
  }
  const stamp = scratch.stamp;
  const hit = (row: number): void => {
    if (row < 0) return;
    if (scratch.seen[row] === stamp) {
      counts[scratch.position[row]!]! += 1;
      return;
    }
    scratch.seen[row] = stamp;
    scratch.position[row] = rows.length;
    rows.push(row);
    counts.push(1);
  };
  const normalized = normalizeForModel(typeof text === 'string' ? text : '');
  index.forEachGram(gramText(normalized), spec.grams[0], spec.grams[1], hit);
  if (spec.words) forEachWord(normalized, (key) => hit(index.rowOf(key)));
  const values: number[] = [];
  let norm = 0;
  for (let r = 0; r < rows.length; r++) {
    const v = weights[rows[r]! * width]! * tfValue(model.tf, counts[r]!);
    rows[r] = rows[r]! * width;
    values.push(v);
    norm += v * v;
  }
  const scale = norm > 0 ? 1 / Math.sqrt(norm) : 0;
  for (let r = 0; r < values.length; r++) values[r]! *= scale;
  for (const key of signalKeys(signals, spec)) {
    const r = index.rowOf(key);
    if (r < 0) continue;
    rows.push(r * width);
    values.push(weights[r * width]!);
  }
  for (let r = 0; r < rows.length; r++) {
    const x = values[r]!;
    const base = rows[r]! + 1;
    for (let k = 0; k < types; k++) typeScores[k]! += weights[base + k]! * x;
    for (let k = 0; k < levels; k++) priorityScores[k]! += weights[base + types + k]! * x;
  }
  const ranked = rank(model.classes, softmax(typeScores), 'type');
  return {
    ranked,
    security: ranked.find((r) => r.type === 'security')?.p ?? 0,
    margin: (ranked[0]?.p ?? 0) - (ranked[1]?.p ?? 0),
    priorities: rank(model.priorities, softmax(priorityScores), 'priority'),
  };
}
