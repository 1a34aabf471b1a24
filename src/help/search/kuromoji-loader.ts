/**
 * kuromoji's tokenizer built synchronously from the dictionary files in its npm package (its own builder only
 * loads asynchronously, which would make every search index wait on a promise). Two savings over the builder:
 * the decompressed copy of the dictionary the build keeps in dist/, and the trie-id → entries map read in place.
 */
import { closeSync, fstatSync, openSync, readFileSync, readSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import type { IpadicFeatures } from 'kuromoji';

export interface KuromojiTokenizer {
  tokenize(text: string): IpadicFeatures[];
}
interface DynamicDictionaries {
  token_info_dictionary: TokenInfoDictionary;
  loadTrie(base: Int32Array, check: Int32Array): unknown;
  loadConnectionCosts(costs: Int16Array): unknown;
  loadUnknownDictionaries(unk: Uint8Array, pos: Uint8Array, map: Uint8Array, charMap: Uint8Array, compat: Uint32Array, invoke: Uint8Array): unknown;
}

const requireCjs = createRequire(import.meta.url);

/**
 * The build (scripts/build.mjs) keeps a decompressed copy of the dictionary here: reading 100 MB from disk costs
 * a few tens of milliseconds, inflating it ~0.6 s of CPU in every process that searches. The same relative path
 * from src/ and from dist/.
 */
const DECOMPRESSED_DIR = fileURLToPath(new URL('../../../dist/kuromoji-dict/', import.meta.url));

interface ManifestEntry {
  /** The inflated size of the package's file (a gzip trailer), to know the copy is of this dictionary. */
  inflated: number;
  size: number;
}

function readManifest(): Record<string, ManifestEntry> {
  try {
    return JSON.parse(readFileSync(join(DECOMPRESSED_DIR, 'manifest.json'), 'utf8')) as Record<string, ManifestEntry>;
  } catch {
    return {}; // a development tree never built: the package's files are inflated instead
  }
}

function dictionaryFile(root: string, name: string, manifest: Record<string, ManifestEntry>): ArrayBuffer {
  const packed = join(root, 'dict', `${name}.dat.gz`);
  const entry = manifest[name];
  let bytes: Buffer | null = null;
  if (entry && entry.inflated === inflatedSize(packed)) {
    try {
      const copy = readFileSync(join(DECOMPRESSED_DIR, `${name}.dat`));
      if (copy.byteLength === entry.size) bytes = copy;
    } catch {
      // Removed since the build: inflate the package's file.
    }
  }
  bytes ??= gunzipSync(readFileSync(packed));
  const whole = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;
  return (whole ? bytes.buffer : bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)) as ArrayBuffer;
}

/** A gzip file's last four bytes hold the inflated size (mod 2^32; the dictionary's files are far smaller). */
function inflatedSize(gzPath: string): number {
  const fd = openSync(gzPath, 'r');
  try {
    const trailer = Buffer.alloc(4);
    readSync(fd, trailer, 0, 4, fstatSync(fd).size - 4);
    return trailer.readUInt32LE(0);
  } finally {
    closeSync(fd);
  }
}

/**
 * kuromoji turns the dictionary's map from a word's trie id to its entries into a JavaScript object of arrays
 * (about 390,000 keys: ~0.5 s and tens of MB of heap at every load). Its one reader, the lattice builder, only
 * indexes it by trie id and reads `length` and elements, so a view over the file's own integers does the same.
 * The file is a count, then for each key in ascending order: key, n, n entry offsets (little-endian int32).
 */
function targetMapOver(file: ArrayBuffer): Record<number, Int32Array> {
  const ints = new Int32Array(file, 0, file.byteLength >> 2);
  let maxKey = -1;
  for (let at = 1; at + 1 < ints.length; at += 2 + ints[at + 1]!) maxKey = Math.max(maxKey, ints[at]!);
  const startOf = new Int32Array(maxKey + 1).fill(-1);
  // Keys come in ascending order; padding after the data reads as key 0 with no entries, which must not hide key 0.
  for (let at = 1; at + 1 < ints.length; at += 2 + ints[at + 1]!) if (startOf[ints[at]!]! < 0) startOf[ints[at]!] = at;
  return new Proxy({} as Record<number, Int32Array>, {
    get(_target, property) {
      if (typeof property !== 'string') return undefined;
      const key = Number(property);
      const at = Number.isInteger(key) && key >= 0 && key <= maxKey ? startOf[key]! : -1;
      return at < 0 ? undefined : ints.subarray(at + 2, at + 2 + ints[at + 1]!);
    },
  });
}

interface TokenInfoDictionary {
  loadDictionary(buffer: Uint8Array): unknown;
  loadPosVector(buffer: Uint8Array): unknown;
  target_map: Record<number, ArrayLike<number>>;
}

/** A tokenizer over the package's IPADIC dictionary (kuromoji 0.1.2 is pinned: this reads its internals). */
export function loadKuromoji(): KuromojiTokenizer {
  const root = dirname(dirname(requireCjs.resolve('kuromoji')));
  const Dictionaries = requireCjs(join(root, 'src/dict/DynamicDictionaries.js')) as new () => DynamicDictionaries;
  const Tokenizer = requireCjs(join(root, 'src/Tokenizer.js')) as new (dic: DynamicDictionaries) => KuromojiTokenizer;
  const manifest = readManifest();
  const file = (name: string): ArrayBuffer => dictionaryFile(root, name, manifest);
  const dic = new Dictionaries();
  dic.loadTrie(new Int32Array(file('base')), new Int32Array(file('check')));
  const tokenInfo = dic.token_info_dictionary;
  tokenInfo.loadDictionary(new Uint8Array(file('tid')));
  tokenInfo.loadPosVector(new Uint8Array(file('tid_pos')));
  tokenInfo.target_map = targetMapOver(file('tid_map'));
  dic.loadConnectionCosts(new Int16Array(file('cc')));
  dic.loadUnknownDictionaries(
    new Uint8Array(file('unk')),
    new Uint8Array(file('unk_pos')),
    new Uint8Array(file('unk_map')),
    new Uint8Array(file('unk_char')),
    new Uint32Array(file('unk_compat')),
    new Uint8Array(file('unk_invoke')),
  );
  return new Tokenizer(dic);
}
