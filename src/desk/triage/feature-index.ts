/**
 * The model's features by name, looked up without building the name: a message's character n-grams are hashed as
 * they are read, so predicting allocates no string per n-gram. (With a Map of strings, the ~250 n-gram strings of a
 * message, their hashing and the map of counts were a fifth of the server's CPU per contact-form submission under a
 * surge.) A name is known by a 64-bit fingerprint (two independent 32-bit hashes), kept with its row in one slot of
 * an open-addressing table: one memory access per look-up, which is what a look-up costs on a busy server. Loading
 * checks that no two features share a fingerprint; that a gram outside the model shares one with a feature has a
 * chance of about 2⁻⁶⁴ per look-up.
 */

const H1_OFFSET = 0x811c9dc5; // FNV-1a
const H1_PRIME = 0x01000193;
const H2_OFFSET = 0x9e3779b9;
const H2_PRIME = 0x85ebca77;

/** murmur3's finaliser over a running hash and the name's length. */
function finish(h: number, length: number): number {
  let x = (h ^ length) >>> 0;
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  return (x ^ (x >>> 16)) >>> 0;
}

/** A whole name's fingerprint: what forEachGram() computes for a gram character by character. */
function fingerprint(name: string): [number, number] {
  let h1 = H1_OFFSET;
  let h2 = H2_OFFSET;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, H1_PRIME);
    h2 = Math.imul(h2 ^ c, H2_PRIME);
  }
  return [finish(h1, name.length) | 0, finish(h2, name.length) | 0];
}

/** Ints per slot: row + 1 (0: empty), first hash, second hash. */
const SLOT = 3;

export class FeatureIndex {
  private readonly table: Int32Array;
  private readonly mask: number;
  private readonly limit: number;
  private count = 0;

  /** An index for up to `capacityFor` features, filled with add(). */
  constructor(capacityFor: number) {
    let capacity = 16;
    while (capacity < capacityFor * 2) capacity *= 2;
    this.table = new Int32Array(capacity * SLOT);
    this.mask = capacity - 1;
    this.limit = capacityFor;
  }

  /** Adds a feature at `row`; a name whose fingerprint is already there is refused. */
  add(name: string, row: number): void {
    if (this.count >= this.limit) throw new Error('triage model: more features than the index was made for');
    const [f1, f2] = fingerprint(name);
    if (this.find(f1, f2) >= 0) throw new Error(`triage model: two features share a fingerprint (${JSON.stringify(name)})`);
    let slot = f1 & this.mask;
    while (this.table[slot * SLOT] !== 0) slot = (slot + 1) & this.mask;
    this.table[slot * SLOT] = row + 1;
    this.table[slot * SLOT + 1] = f1;
    this.table[slot * SLOT + 2] = f2;
    this.count++;
  }

  /** How many features it holds. */
  get size(): number {
    return this.count;
  }

  /** The row of the fingerprint (f1, f2), or -1. */
  private find(f1: number, f2: number): number {
    const table = this.table;
    for (let slot = f1 & this.mask; ; slot = (slot + 1) & this.mask) {
      const at = slot * SLOT;
      const row = table[at]!;
      if (row === 0) return -1;
      if (table[at + 1] === f1 && table[at + 2] === f2) return row - 1;
    }
  }

  /** The row of a feature, or -1. */
  rowOf(name: string): number {
    const [f1, f2] = fingerprint(name);
    return this.find(f1, f2);
  }

  /**
   * Calls `onRow` with the row of every character n-gram of `text` (lengths min..max) that is a feature, in the
   * order features.ts counts them (start by start, shorter first); a lone space is not a gram.
   */
  forEachGram(text: string, min: number, max: number, onRow: (row: number) => void): void {
    for (let i = 0; i < text.length; i++) {
      let h1 = H1_OFFSET;
      let h2 = H2_OFFSET;
      for (let n = 1; n <= max && i + n <= text.length; n++) {
        const c = text.charCodeAt(i + n - 1);
        h1 = Math.imul(h1 ^ c, H1_PRIME);
        h2 = Math.imul(h2 ^ c, H2_PRIME);
        if (n < min || (n === 1 && c === 32)) continue;
        const row = this.find(finish(h1, n) | 0, finish(h2, n) | 0);
        if (row >= 0) onRow(row);
      }
    }
  }
}
