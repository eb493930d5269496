// A hash table from uint32 keys (IPv4 addresses) to non-negative int32 values (slots), in one typed
// array of [key, value] pairs with linear probing: no object per entry, no string to hash or compare
// per lookup, and a probe touches one cache line for both key and value. Pure.

const EMPTY = -1;

export class U32Table {
  // cells[2i] = key | 0, cells[2i + 1] = value or EMPTY
  private cells: Int32Array;
  private mask: number;
  private count = 0;

  constructor(capacity = 1024) {
    let cap = 16;
    while (cap < capacity * 2) cap <<= 1;
    this.cells = new Int32Array(cap * 2).fill(EMPTY);
    this.mask = cap - 1;
  }

  get size(): number {
    return this.count;
  }

  /** The value of `key`, or -1. */
  get(key: number): number {
    const cells = this.cells;
    const mask = this.mask;
    const k = key | 0;
    for (let i = hash(k) & mask; ; i = (i + 1) & mask) {
      const v = cells[2 * i + 1]!;
      if (v === EMPTY || cells[2 * i] === k) return v;
    }
  }

  /** Sets `key` to `value` (>= 0). */
  set(key: number, value: number): void {
    if ((this.count + 1) * 4 > this.cells.length) this.grow();
    const cells = this.cells;
    const mask = this.mask;
    const k = key | 0;
    for (let i = hash(k) & mask; ; i = (i + 1) & mask) {
      const v = cells[2 * i + 1]!;
      if (v === EMPTY) {
        cells[2 * i] = k;
        cells[2 * i + 1] = value;
        this.count++;
        return;
      }
      if (cells[2 * i] === k) {
        cells[2 * i + 1] = value;
        return;
      }
    }
  }

  /** Removes `key`; returns its value or -1. Backward-shift deletion: no tombstones, probes stay short. */
  delete(key: number): number {
    const cells = this.cells;
    const mask = this.mask;
    const k = key | 0;
    let i = hash(k) & mask;
    for (; ; i = (i + 1) & mask) {
      const v = cells[2 * i + 1]!;
      if (v === EMPTY) return EMPTY;
      if (cells[2 * i] === k) break;
    }
    const removed = cells[2 * i + 1]!;
    // move later members of the probe run back into the hole when their home is at or before it
    for (let j = (i + 1) & mask; cells[2 * j + 1] !== EMPTY; j = (j + 1) & mask) {
      const home = hash(cells[2 * j]!) & mask;
      if (((j - home) & mask) >= ((j - i) & mask)) {
        cells[2 * i] = cells[2 * j]!;
        cells[2 * i + 1] = cells[2 * j + 1]!;
        i = j;
      }
    }
    cells[2 * i + 1] = EMPTY;
    this.count--;
    return removed;
  }

  /** Calls fn for every entry (key as uint32); fn must not change the table. */
  forEach(fn: (key: number, value: number) => void): void {
    const cells = this.cells;
    for (let i = 0; i < cells.length; i += 2) if (cells[i + 1] !== EMPTY) fn(cells[i]! >>> 0, cells[i + 1]!);
  }

  /** Keeps only the entries for which keep(key, value) is true; returns how many were dropped. */
  filter(keep: (key: number, value: number) => boolean): number {
    const old = this.cells;
    const before = this.count;
    this.cells = new Int32Array(old.length).fill(EMPTY);
    this.count = 0;
    for (let i = 0; i < old.length; i += 2) {
      const v = old[i + 1]!;
      if (v !== EMPTY && keep(old[i]! >>> 0, v)) this.set(old[i]!, v);
    }
    return before - this.count;
  }

  private grow(): void {
    const old = this.cells;
    this.cells = new Int32Array(old.length * 2).fill(EMPTY);
    this.mask = this.cells.length / 2 - 1;
    this.count = 0;
    for (let i = 0; i < old.length; i += 2) if (old[i + 1] !== EMPTY) this.set(old[i]!, old[i + 1]!);
  }
}

// Fibonacci hashing, folded so the low bits (the ones masked) depend on every key bit.
function hash(key: number): number {
  const h = Math.imul(key, 0x9e3779b1);
  return h ^ (h >>> 15);
}
