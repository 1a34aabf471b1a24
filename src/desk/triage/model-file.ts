/**
 * The triage model as a file: written one feature a line (serializeModel, readable diffs, still plain JSON), read
 * back line by line from its bytes (parseModelText; JSON.parse of the whole file built ~90,000 arrays and left V8's
 * heap 30 MB larger), or from parsed JSON (loadModel); the committed model (model.json, `npm run train:triage`).
 */
import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
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
function modelBuilder(f: ReturnType<typeof checkHead>, count: number): { width: number; put(name: string, row: unknown): void; done(): TriageModel } {
  const { classes, priorities } = f;
  const width = 1 + classes.length + priorities.length;
  const grams = Array.isArray(f.grams) && f.grams.length === 2 ? ([Number(f.grams[0]), Number(f.grams[1])] as const) : ([1, 4] as const);
  const weights = new Float32Array(count * width);
  const index = new FeatureIndex(count);
  let r = 0;
  return {
    width,
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

/** The line that opens the features and the one that closes them, as serializeModel() writes them. */
const FEATURES_OPEN = '  "features": {';
const FEATURES_CLOSE = '  }';
/** Every line of a model's text, from its beginning, each call: a view valid until the next line is asked for. */
type Lines = () => Iterable<Buffer>;

/**
 * A model from the text serializeModel() writes (the committed file, a retrained model in the database), read line
 * by line from its bytes: JSON.parse of the whole file builds ~100,000 arrays to copy into one typed array, and the
 * heap V8 grows for them stays reserved (measured: +42 MB resident and 0.4 s with the event loop blocked on the first
 * ticket). Text in another layout, or damaged, is parsed as JSON (which refuses what is damaged).
 */
export function parseModelText(source: Buffer | string): TriageModel {
  return runSteps(textSteps(source));
}

/** The same, giving the event loop a turn every few thousand features (the first ticket of a surge loads it). */
export function parseModelTextAsync(source: Buffer | string): Promise<TriageModel> {
  return runStepsAsync(textSteps(source));
}

function textSteps(source: Buffer | string): Generator<void, TriageModel> {
  const bytes = typeof source === 'string' ? Buffer.from(source, 'utf8') : source;
  return parseSteps(bufferLines(bytes), () => bytes.toString('utf8'));
}

/**
 * A model file read in chunks through one small buffer (fileLines): the whole 8 MB file is never in memory at once
 * (read whole, its buffer stayed in the allocator's heap after use: ~9 MB more resident after the first ticket).
 */
function fileSteps(path: string): Generator<void, TriageModel> {
  return parseSteps(fileLines(path), () => readFileSync(path, 'utf8'));
}

/** A model file on disk, read in chunks (as the committed model is). */
export function readModelFile(path: string): TriageModel {
  return runSteps(fileSteps(path));
}

function runSteps(steps: Generator<void, TriageModel>): TriageModel {
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
  }
}

async function runStepsAsync(steps: Generator<void, TriageModel>): Promise<TriageModel> {
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

function bufferLines(bytes: Buffer): Lines {
  return function* () {
    for (let at = 0; at < bytes.length; ) {
      const newline = bytes.indexOf(10, at);
      const end = newline === -1 ? bytes.length : newline;
      yield bytes.subarray(at, end);
      at = end + 1;
    }
  };
}

const CHUNK_BYTES = 64 * 1024;

function fileLines(path: string): Lines {
  return function* () {
    const fd = openSync(path, 'r');
    try {
      let buffer = Buffer.allocUnsafe(CHUNK_BYTES);
      let filled = 0;
      let at = 0;
      let ended = false;
      for (;;) {
        const newline = buffer.indexOf(10, at);
        if (newline !== -1 && newline < filled) {
          yield buffer.subarray(at, newline);
          at = newline + 1;
          continue;
        }
        if (ended) {
          if (at < filled) yield buffer.subarray(at, filled);
          return;
        }
        buffer.copy(buffer, 0, at, filled);
        filled -= at;
        at = 0;
        if (filled === buffer.length) {
          const longer = Buffer.allocUnsafe(buffer.length * 2); // a line longer than the buffer
          buffer.copy(longer, 0, 0, filled);
          buffer = longer;
        }
        const read = readSync(fd, buffer, filled, buffer.length - filled, null);
        if (read === 0) ended = true;
        else filled += read;
      }
    } finally {
      closeSync(fd);
    }
  };
}

/** Features read between turns of the event loop (~15 ms of reading on this machine). */
const LINES_PER_STEP = 5_000;

function* parseSteps(lines: Lines, whole: () => string): Generator<void, TriageModel> {
  // First pass: the head (everything before the features, as JSON) and how many features there are.
  const headLines: string[] = [];
  let count = 0;
  let state: 'head' | 'features' | 'tail' = 'head';
  let tail = '';
  for (const line of lines()) {
    if (state === 'head') {
      const text = line.toString('utf8');
      if (text === FEATURES_OPEN) state = 'features';
      else headLines.push(text);
    } else if (state === 'features') {
      if (line.length === FEATURES_CLOSE.length && line.toString('latin1') === FEATURES_CLOSE) state = 'tail';
      else if (line.length > 0) count++;
    } else tail += line.toString('latin1');
  }
  const lastHead = headLines.length - 1;
  if (state !== 'tail' || tail.trim() !== '}' || lastHead < 0 || !headLines[lastHead]!.endsWith(',')) return loadModel(JSON.parse(whole()));
  headLines[lastHead] = headLines[lastHead]!.slice(0, -1);
  const head = checkHead(JSON.parse(`${headLines.join('\n')}\n}`));
  const builder = modelBuilder(head, count);
  const row = new Float64Array(builder.width);
  // Second pass: `    "name": [w,w,…]` with a comma after all but the last. The name is a JSON string (escapes and
  // all, in UTF-8, hence decoded on its own), the weights JSON numbers read from the bytes (no string per line:
  // loading is on a ticket's path). A line in any other shape (the same JSON laid out otherwise, or damaged) sends
  // the whole text to JSON.parse, which reads the one and refuses the other.
  let skip = headLines.length + 1;
  let done = 0;
  for (const line of lines()) {
    if (skip > 0) {
      skip--;
      continue;
    }
    if (done === count) break;
    if (line.length === 0) continue;
    const nameEnd = jsonStringEnd(line, 4);
    const arrayEnd = line[line.length - 1] === 44 ? line.length - 2 : line.length - 1;
    const shaped = nameEnd > 0 && line.toString('latin1', 0, 5) === '    "' && line.toString('latin1', nameEnd, nameEnd + 4) === '": [' && line[arrayEnd] === 93;
    const n = shaped ? readJsonNumbers(line, nameEnd + 4, arrayEnd, row) : -1;
    if (n < 0) return loadModel(JSON.parse(whole()));
    const escaped = line.indexOf(92, 5) !== -1 && line.indexOf(92, 5) < nameEnd;
    const name = escaped ? (JSON.parse(line.toString('utf8', 4, nameEnd + 1)) as string) : line.toString('utf8', 5, nameEnd);
    builder.put(name, n === builder.width ? row : row.subarray(0, n));
    if (++done % LINES_PER_STEP === 0) yield;
  }
  return builder.done();
}

/** Powers of ten a double holds exactly: m / 10^k with such a k and m < 2^53 is correctly rounded (as Number() is). */
const EXACT_POWERS_OF_TEN = Array.from({ length: 23 }, (_, k) => 10 ** k);

/**
 * Reads `w,w,…` (JSON numbers, strictly: no spaces, no leading zeros, no `+`) from bytes[from, to) into `out`;
 * returns how many, or -1 when the bytes are anything else (or more than `out` holds).
 */
function readJsonNumbers(bytes: Buffer, from: number, to: number, out: Float64Array): number {
  let n = 0;
  let i = from;
  for (;;) {
    if (n === out.length) return -1;
    const start = i;
    const negative = bytes[i] === 45;
    if (negative) i++;
    let mantissa = 0;
    let digits = 0;
    if (bytes[i] === 48) {
      i++;
      digits = 1;
    } else {
      while (i < to && bytes[i]! >= 48 && bytes[i]! <= 57) {
        mantissa = mantissa * 10 + (bytes[i]! - 48);
        digits++;
        i++;
      }
      if (digits === 0) return -1;
    }
    let decimals = 0;
    if (bytes[i] === 46) {
      i++;
      while (i < to && bytes[i]! >= 48 && bytes[i]! <= 57) {
        mantissa = mantissa * 10 + (bytes[i]! - 48);
        decimals++;
        digits++;
        i++;
      }
      if (decimals === 0) return -1;
    }
    let exact = digits <= 15 && decimals < EXACT_POWERS_OF_TEN.length;
    if (bytes[i] === 101 || bytes[i] === 69) {
      i++;
      if (bytes[i] === 43 || bytes[i] === 45) i++;
      const expStart = i;
      while (i < to && bytes[i]! >= 48 && bytes[i]! <= 57) i++;
      if (i === expStart) return -1;
      exact = false;
    }
    if (i > to) return -1;
    const magnitude = exact ? mantissa / EXACT_POWERS_OF_TEN[decimals]! : Math.abs(Number(bytes.toString('latin1', start, i)));
    out[n++] = negative ? -magnitude : magnitude;
    if (i === to) return n;
    if (bytes[i] !== 44) return -1;
    i++;
  }
}

/** Where the JSON string starting at `start` (its opening quote) ends (its closing quote), or -1 (UTF-8 bytes: no
 * byte of a multi-byte character is a quote or a backslash). */
function jsonStringEnd(bytes: Buffer, start: number): number {
  if (bytes[start] !== 34) return -1;
  for (let i = start + 1; i < bytes.length; i++) {
    const c = bytes[i];
    if (c === 92) i++; // a backslash: the next character is escaped
    else if (c === 34) return i;
  }
  return -1;
}

let committed: TriageModel | null = null;
let committedLoading: Promise<TriageModel> | null = null;
/** The model committed with the code (`npm run train:triage`), loaded once. */
export function committedModel(): TriageModel {
  committed ??= readModelFile(DEFAULT_MODEL_PATH);
  return committed;
}

/** The same, loaded without holding up the event loop (concurrent callers share one load). */
export function committedModelAsync(): Promise<TriageModel> {
  if (committed) return Promise.resolve(committed);
  committedLoading ??= runStepsAsync(fileSteps(DEFAULT_MODEL_PATH)).then((m) => {
    committed ??= m;
    return committed;
  }, (err: unknown) => {
    committedLoading = null;
    throw err;
  });
  return committedLoading;
}
