// Owns collecting parsed entries of one source and aggregating them into canonical SetEntries.
// Must never hold one object per IPv4 entry: IPv4 lives in typed arrays (a load can hold 1M entries).
import { emptyEntries, formatV4, type SetEntries } from './fw-plan.js';
import { formatV6, v4Network, v6Network, type IpValue } from './ip.js';
import { decomposeV4, decomposeV6, unionV4, unionV6, v4NetKey } from './ip-intervals.js';
import { sortUint32 } from './ip-sort.js';

export { AddressMatcher } from './ip-matcher.js';

/**
 * Accumulates entries, then finish() yields them aggregated: duplicates and contained entries removed,
 * adjacent aligned blocks merged into their supernet, each family split into singles and networks, sorted.
 * finish() does not consume the collector: more entries may be added and finish() called again.
 */
export class EntryCollector {
  private singles: Uint32Array;
  private nSingles = 0;
  // IPv4 networks as sort keys (start * 64 + prefix): one double each instead of one object each
  private netKeys = new Float64Array(256);
  private nNets = 0;
  private v6Starts: bigint[] = [];
  private v6Prefixes: number[] = [];

  /** capacityHint: expected IPv4 single count, to skip the early regrowth copies on big loads. */
  constructor(capacityHint = 1024) {
    this.singles = new Uint32Array(Math.max(16, capacityHint));
  }

  /** Number of entries added so far, before aggregation. */
  get size(): number {
    return this.nSingles + this.nNets + this.v6Starts.length;
  }

  add(p: IpValue): void {
    if (p.family === 4) this.addV4(p.v4, p.prefix);
    else this.addV6(p.v6, p.prefix);
  }

  /**
   * Hot path for list loading: addr is host order, prefix 0..32 (not checked: callers hold parsed values).
   * Host bits are cleared here too, so no caller can break the invariants of finish().
   */
  addV4(addr: number, prefix: number): void {
    if (prefix === 32) {
      if (this.nSingles === this.singles.length) this.singles = grow(this.singles);
      this.singles[this.nSingles++] = addr;
      return;
    }
    if (this.nNets === this.netKeys.length) this.netKeys = grow(this.netKeys);
    this.netKeys[this.nNets++] = v4NetKey(v4Network(addr, prefix), prefix);
  }

  /** addr is the 128-bit value, prefix 0..128; host bits are cleared here. */
  addV6(addr: bigint, prefix: number): void {
    this.v6Starts.push(v6Network(addr, prefix));
    this.v6Prefixes.push(prefix);
  }

  finish(): SetEntries {
    if (this.size === 0) return emptyEntries();
    const out = emptyEntries();
    this.finishV4(out);
    this.finishV6(out);
    return out;
  }

  private finishV4(out: SetEntries): void {
    sortUint32(this.singles, this.nSingles);
    this.netKeys.subarray(0, this.nNets).sort();
    // Aggregation never yields more singles than went in: a lone /32 block needs an odd interval end
    // or start, and only input singles have those.
    const singles = new Uint32Array(this.nSingles);
    let n = 0;
    const netKeys: number[] = [];
    const { starts, ends, count } = unionV4(this.singles, this.nSingles, this.netKeys, this.nNets);
    for (let k = 0; k < count; k++) {
      const a = starts[k]!;
      const b = ends[k]!;
      if (a === b) singles[n++] = a; // the common case: a lone address, no split needed
      else n = decomposeV4(a, b, singles, n, netKeys);
    }
    out.v4 = n === singles.length ? singles : singles.slice(0, n);
    for (const key of netKeys) {
      const p = key % 64;
      out.v4nets.push(`${formatV4((key - p) / 64)}/${p}`);
    }
  }

  private finishV6(out: SetEntries): void {
    const block = (start: bigint, prefix: number): void => {
      if (prefix === 128) out.v6.push(formatV6(start));
      else out.v6nets.push(`${formatV6(start)}/${prefix}`);
    };
    unionV6(this.v6Starts, this.v6Prefixes, (start, end) => {
      if (start === end) out.v6.push(formatV6(start));
      else decomposeV6(start, end, block);
    });
  }
}

function grow<T extends Uint32Array | Float64Array>(a: T): T {
  const bigger = new (a.constructor as new (n: number) => T)(a.length * 2);
  bigger.set(a);
  return bigger;
}

/** Aggregates a list of parsed entries in one go. */
export function aggregate(entries: Iterable<IpValue>): SetEntries {
  const c = new EntryCollector();
  for (const e of entries) c.add(e);
  return c.finish();
}
