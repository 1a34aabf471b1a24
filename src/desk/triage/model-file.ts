/**
 * The triage model as a file: written one feature a line (serializeModel, readable diffs, still plain JSON), read
 * back line by line from its bytes (parseModelText; JSON.parse of the whole file built ~90,000 arrays and left V8's
 * heap 30 MB larger), or from parsed JSON (loadModel); the committed model (model.json, `npm run train:triage`).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { PRIORITIES, TICKET_TYPES } from '../../domain/ticket.ts';
import { FeatureIndex } from './feature-index.ts';
import { MODEL_FORMAT, type ModelFile, type TriageModel } from './model.ts';

/** The first format: character 1–4-grams only, no word features, no type-dependent priority (still read). */
const MODEL_FORMAT_V1 = 'kinkyu-triage-linear/1';

export const DEFAULT_MODEL_PATH = fileURLToPath(new URL('./model.json', import.meta.url));

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
 * ticket). Text in another layout, or damaged, is parsed as JSON (which refuses what is damaged).
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

const JSON_NUMBER = '-?(?:0|[1-9]\\d*)(?:\\.\\d+)?(?:[eE][+-]?\\d+)?';
/** A feature's weights: JSON numbers and commas, nothing else (one test a line: loading is on a ticket's path). */
const JSON_NUMBERS = new RegExp(`^${JSON_NUMBER}(?:,${JSON_NUMBER})*$`);

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
    // UTF-8, hence decoded on its own), the weights JSON numbers. A line in any other shape (the same JSON laid out
    // otherwise, or damaged) sends the whole text to JSON.parse, which reads the one and refuses the other.
    const nameEnd = jsonStringEnd(line, 4);
    const arrayEnd = line.endsWith(',') ? line.length - 2 : line.length - 1;
    const weights = nameEnd > 0 && line.startsWith('    "') && line.startsWith('": [', nameEnd) && line[arrayEnd] === ']'
      ? line.slice(nameEnd + 4, arrayEnd)
      : null;
    if (weights === null || !JSON_NUMBERS.test(weights)) return loadModel(JSON.parse(bytes.toString('utf8')));
    const name = JSON.parse(bytes.toString('utf8', at + 4, at + nameEnd + 1)) as string;
    builder.put(name, weights.split(',').map(Number));
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
