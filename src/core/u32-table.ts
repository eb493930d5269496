// A hash table from uint32 keys (IPv4 addresses) to non-negative int32 values (slots), in two typed
// arrays with linear probing: no object per entry and no string to hash or compare per lookup. Pure.

const EMPTY = -1;

export class U32Table {
  private keys: Uint32Array;
  private vals: Int32Array;
  private mask: number;
  private count = 0;

  constructor(capacity = 1024) {
    let cap = 16;
    while (cap < capacity * 2) cap <<= 1;
    this.keys = new Uint32Array(cap);
    this.vals = new Int32Array(cap).fill(EMPTY);
    this.mask = cap - 1;
  }

  get size(): number {
    return this.count;
  }

  /** The value of `key`, or -1. */
  get(key: number): number {
    const keys = this.keys;
    const vals = this.vals;
    const mask = this.mask;
    for (let i = hash(key) & mask; ; i = (i + 1) & mask) {
      const v = vals[i]!;
      if (v === EMPTY || keys[i] === key) return v;
    }
  }

  /** Sets `key` to `value` (>= 0). */
  set(key: number, value: number): void {
    if ((this.count + 1) * 2 > this.keys.length) this.grow();
    const keys = this.keys;
    const vals = this.vals;
    const mask = this.mask;
    for (let i = hash(key) & mask; ; i = (i + 1) & mask) {
      const v = vals[i]!;
      if (v === EMPTY) {
        keys[i] = key;
        vals[i] = value;
        this.count++;
        return;
      }
      if (keys[i] === key) {
        vals[i] = value;
        return;
      }
    }
  }

  /** Removes `key`; returns its value or -1. Backward-shift deletion: no tombstones, probes stay short. */
  delete(key: number): number {
    const keys = this.keys;
    const vals = this.vals;
    const mask = this.mask;
    let i = hash(key) & mask;
    for (; ; i = (i + 1) & mask) {
      const v = vals[i]!;
      if (v === EMPTY) return EMPTY;
      if (keys[i] === key) break;
    }
    const removed = vals[i]!;
    // move later members of the probe run back into the hole when their home is at or before it
    for (let j = (i + 1) & mask; vals[j] !== EMPTY; j = (j + 1) & mask) {
      const home = hash(keys[j]!) & mask;
      if (((j - home) & mask) >= ((j - i) & mask)) {
        keys[i] = keys[j]!;
        vals[i] = vals[j]!;
        i = j;
      }
    }
    vals[i] = EMPTY;
    this.count--;
    return removed;
  }

  /** Calls fn for every entry; fn must not change the table. */
  forEach(fn: (key: number, value: number) => void): void {
    const keys = this.keys;
    const vals = this.vals;
    for (let i = 0; i < vals.length; i++) if (vals[i] !== EMPTY) fn(keys[i]!, vals[i]!);
  }

  /** Keeps only the entries for which keep(key, value) is true; returns how many were dropped. */
  filter(keep: (key: number, value: number) => boolean): number {
    const oldKeys = this.keys;
    const oldVals = this.vals;
    const before = this.count;
    this.keys = new Uint32Array(oldKeys.length);
    this.vals = new Int32Array(oldVals.length).fill(EMPTY);
    this.count = 0;
    for (let i = 0; i < oldVals.length; i++) {
      const v = oldVals[i]!;
      if (v !== EMPTY && keep(oldKeys[i]!, v)) this.set(oldKeys[i]!, v);
    }
    return before - this.count;
  }

  private grow(): void {
    const oldKeys = this.keys;
    const oldVals = this.vals;
    this.keys = new Uint32Array(oldKeys.length * 2);
    this.vals = new Int32Array(oldVals.length * 2).fill(EMPTY);
    this.mask = this.keys.length - 1;
    this.count = 0;
    for (let i = 0; i < oldVals.length; i++) if (oldVals[i] !== EMPTY) this.set(oldKeys[i]!, oldVals[i]!);
  }
}

// Fibonacci hashing, folded so the low bits (the ones masked) depend on every key bit.
function hash(key: number): number {
  const h = Math.imul(key, 0x9e3779b1);
  return (h ^ (h >>> 15)) >>> 0;
}
