/**
 * The model's features by name, looked up without building the name: a message's character n-grams are hashed
 * as they are read and compared in place with the stored name, so predicting allocates no string per n-gram.
 * (With a Map of strings, the ~250 n-gram strings of a message, their hashing and the map of counts were a fifth
 * of the server's CPU per contact-form submission under a surge.) Exact: a hit is confirmed character by character.
 */

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

const step = (h: number, code: number): number => Math.imul(h ^ code, FNV_PRIME);
/** The slot hash of a name from its running FNV-1a value and length (murmur3's finaliser spreads the low bits). */
function finish(h: number, length: number): number {
  let x = (h ^ length) >>> 0;
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  return (x ^ (x >>> 16)) >>> 0;
}

function hashString(s: string): number {
  let h = FNV_OFFSET;
  for (let i = 0; i < s.length; i++) h = step(h, s.charCodeAt(i));
  return finish(h, s.length);
}

export class FeatureIndex {
  /** Open addressing: slot → row + 1 (0: empty). */
  private readonly slots: Int32Array;
  private readonly mask: number;

  constructor(private readonly names: readonly string[]) {
    let capacity = 16;
    while (capacity < names.length * 2) capacity *= 2;
    this.slots = new Int32Array(capacity);
    this.mask = capacity - 1;
    names.forEach((name, row) => {
      let slot = hashString(name) & this.mask;
      while (this.slots[slot] !== 0) slot = (slot + 1) & this.mask;
      this.slots[slot] = row + 1;
    });
  }

  get size(): number {
    return this.names.length;
  }

  /** The row of a feature, or -1. */
  rowOf(name: string): number {
    for (let slot = hashString(name) & this.mask; ; slot = (slot + 1) & this.mask) {
      const row = this.slots[slot]! - 1;
      if (row < 0) return -1;
      if (this.names[row] === name) return row;
    }
  }

  /** The row of the text's characters [start, start + length), or -1. */
  private rowOfRange(text: string, start: number, length: number, hash: number): number {
    for (let slot = hash & this.mask; ; slot = (slot + 1) & this.mask) {
      const row = this.slots[slot]! - 1;
      if (row < 0) return -1;
      const name = this.names[row]!;
      if (name.length !== length) continue;
      let same = true;
      for (let j = 0; j < length; j++) {
        if (name.charCodeAt(j) !== text.charCodeAt(start + j)) {
          same = false;
          break;
        }
      }
      if (same) return row;
    }
  }

  /**
   * Calls `onRow` with the row of every character n-gram of `text` (lengths min..max) that is a feature, in the
   * order features.ts counts them (start by start, shorter first); a lone space is not a gram.
   */
  forEachGram(text: string, min: number, max: number, onRow: (row: number) => void): void {
    for (let i = 0; i < text.length; i++) {
      let h = FNV_OFFSET;
      for (let n = 1; n <= max && i + n <= text.length; n++) {
        h = step(h, text.charCodeAt(i + n - 1));
        if (n < min || (n === 1 && text.charCodeAt(i) === 32)) continue;
        const row = this.rowOfRange(text, i, n, finish(h, n));
        if (row >= 0) onRow(row);
      }
    }
  }
}
