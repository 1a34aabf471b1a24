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
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { PRIORITIES, TICKET_TYPES, type Priority, type TicketType } from '../../domain/ticket.ts';
import { featuresOf, forEachWord, gramText, normalizeForModel, SIGNAL_PREFIX, type FeatureSpec } from './features.ts';
import { FeatureIndex } from './feature-index.ts';

export const MODEL_FORMAT = 'kinkyu-triage-linear/2';
/** The first format: character 1–4-grams only, no word features, no type-dependent priority (still read). */
const MODEL_FORMAT_V1 = 'kinkyu-triage-linear/1';
export const DEFAULT_MODEL_PATH = fileURLToPath(new URL('./model.json', import.meta.url));

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
  training: { epochs: 20, rate: 0.2, l2: 1e-4, seed: 42 },
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
  weights: Float64Array;
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

export function serializeModel(file: ModelFile): string {
  const { features, ...head } = file;
  // One feature a line: readable diffs, and still plain JSON.
  const lines = Object.entries(features).map(([g, row]) => `    ${JSON.stringify(g)}: [${row.join(',')}]`);
  const headJson = JSON.stringify(head, null, 2).replace(/\n}$/, '');
  return `${headJson},\n  "features": {\n${lines.join(',\n')}\n  }\n}\n`;
}

/** Checks a parsed model file (this format, or the first one: character n-grams only). */
export function loadModel(value: unknown): TriageModel {
  const f = checkHead(value);
  if (!f.features || typeof f.features !== 'object') throw new Error(`not a ${MODEL_FORMAT} model`);
  const entries = Object.entries(f.features);
  const builder = modelBuilder(f, entries.length);
  for (const [name, row] of entries) builder.put(name, row);
  return builder.done();
}

/** The head of a model file (everything but its features), checked. */
function checkHead(value: unknown): Partial<ModelFile> & Pick<ModelFile, 'version' | 'classes' | 'priorities' | 'bias'> {
  const f = value as Partial<ModelFile> | null;
  const format = (f as { format?: unknown } | null)?.format;
  if (!f || (format !== MODEL_FORMAT && format !== MODEL_FORMAT_V1) || typeof f.version !== 'string' || !Array.isArray(f.classes) || !Array.isArray(f.priorities) || !Array.isArray(f.bias)) {
    throw new Error(`not a ${MODEL_FORMAT} model`);
  }
  const { classes, priorities } = f;
  if (classes.length !== TICKET_TYPES.length || classes.some((c, i) => c !== TICKET_TYPES[i])) throw new Error('model classes do not match the ticket types');
  if (priorities.length !== PRIORITIES.length || priorities.some((c, i) => c !== PRIORITIES[i])) throw new Error('model priorities do not match the priorities');
  if (f.bias.length !== classes.length + priorities.length) throw new Error('model bias has the wrong length');
  return f as Partial<ModelFile> & Pick<ModelFile, 'version' | 'classes' | 'priorities' | 'bias'>;
}

/** Builds a model from its checked head and its `count` features, put one by one in file order. */
function modelBuilder(f: ReturnType<typeof checkHead>, count: number): { put(name: string, row: unknown): void; done(): TriageModel } {
  const { classes, priorities } = f;
  const width = 1 + classes.length + priorities.length;
  const grams = Array.isArray(f.grams) && f.grams.length === 2 ? ([Number(f.grams[0]), Number(f.grams[1])] as const) : ([1, 4] as const);
  const weights = new Float64Array(count * width);
  const index = new FeatureIndex(count);
  let r = 0;
  return {
    put(name, row) {
      const values = row as ArrayLike<unknown> | null;
      if (r >= count || values === null || typeof values !== 'object' || values.length !== width) throw new Error(`model feature ${JSON.stringify(name)} has the wrong length`);
      for (let k = 0; k < width; k++) {
        const v = values[k];
        if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`model feature ${JSON.stringify(name)} has a value that is not a number`);
        weights[r * width + k] = v;
      }
      index.add(name, r);
      r++;
    },
    done() {
      if (r !== count) throw new Error(`model has ${r} features, expected ${count}`);
      return {
        version: f.version, classes, priorities, trainedOn: f.trainedOn ?? { corpus: 0, corrections: 0 },
        spec: { grams, words: f.words === true, signals: typeof f.signals === 'number' ? f.signals : 0 }, tf: f.tf === 'log' ? 'log' : 'binary',
        bias: Float64Array.from(f.bias), index, weights, width,
        scratch: { seen: new Uint32Array(count), position: new Int32Array(count), stamp: 0 },
      };
    },
  };
}

const FEATURES_OPEN = Buffer.from(',\n  "features": {\n');
const FEATURES_CLOSE = Buffer.from('\n  }\n}');

/**
 * A model from the text serializeModel() writes (the committed file, a retrained model in the database), read line
 * by line from its bytes: JSON.parse of the whole file builds ~90,000 arrays to copy into one typed array, and the
 * heap V8 grows for them stays reserved (measured: +42 MB resident and 0.4 s with the event loop blocked on the first
 * ticket). Text in another layout is parsed as JSON.
 */
export function parseModelText(source: Buffer | string): TriageModel {
  const steps = parseSteps(source);
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
  }
}

/** The same, giving the event loop a turn every few thousand features (the first ticket of a surge loads it). */
export async function parseModelTextAsync(source: Buffer | string): Promise<TriageModel> {
  const steps = parseSteps(source);
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

/** Features read between turns of the event loop (~15 ms of reading on this machine). */
const LINES_PER_STEP = 5_000;

function* parseSteps(source: Buffer | string): Generator<void, TriageModel> {
  const bytes = typeof source === 'string' ? Buffer.from(source, 'utf8') : source;
  const open = bytes.indexOf(FEATURES_OPEN);
  const close = bytes.lastIndexOf(FEATURES_CLOSE);
  if (open < 0 || close < open) return loadModel(JSON.parse(bytes.toString('utf8')));
  const head = checkHead(JSON.parse(`${bytes.toString('utf8', 0, open)}\n}`));
  const from = open + FEATURES_OPEN.length;
  let lines = 0;
  for (let at = from; at < close; at = bytes.indexOf(10, at) + 1 || close) lines++;
  const builder = modelBuilder(head, close > from ? lines : 0);
  let done = 0;
  for (let at = from; at < close; ) {
    const newline = bytes.indexOf(10, at);
    const end = newline === -1 ? close : Math.min(close, newline);
    const line = bytes.toString('latin1', at, end);
    // `    "name": [w,w,…]` with a comma after all but the last: the name is a JSON string (escapes and all, in
    // UTF-8, hence decoded on its own), the weights plain numbers.
    const nameEnd = jsonStringEnd(line, 4);
    const arrayStart = line.indexOf('[', nameEnd);
    const arrayEnd = line.lastIndexOf(']');
    if (line.slice(0, 5) !== '    "' || nameEnd < 0 || arrayStart < 0 || arrayEnd < arrayStart) throw new Error(`model feature line ${JSON.stringify(line.slice(0, 60))} is not "name": [weights]`);
    const name = JSON.parse(bytes.toString('utf8', at + 4, at + nameEnd + 1)) as string;
    builder.put(name, line.slice(arrayStart + 1, arrayEnd).split(',').map(Number));
    at = end + 1;
    if (++done % LINES_PER_STEP === 0) yield;
  }
  return builder.done();
}

/** Where the JSON string starting at `start` (its opening quote) ends (its closing quote), or -1. */
function jsonStringEnd(text: string, start: number): number {
  for (let i = start + 1; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 92) i++; // a backslash: the next character is escaped
    else if (c === 34) return i;
  }
  return -1;
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

let committed: TriageModel | null = null;
let committedLoading: Promise<TriageModel> | null = null;
/** The model committed with the code (`npm run train:triage`), loaded once. */
export function committedModel(): TriageModel {
  committed ??= parseModelText(readFileSync(DEFAULT_MODEL_PATH));
  return committed;
}

/** The same, loaded without holding up the event loop (concurrent callers share one load). */
export function committedModelAsync(): Promise<TriageModel> {
  if (committed) return Promise.resolve(committed);
  committedLoading ??= parseModelTextAsync(readFileSync(DEFAULT_MODEL_PATH)).then((m) => {
    committed ??= m;
    return committed;
  }, (err: unknown) => {
    committedLoading = null;
    throw err;
  });
  return committedLoading;
}
