// Owns the arithmetic of address intervals: union of sorted singles and networks, and the split of an
// interval into the fewest aligned CIDR blocks. Pure numbers only; never parses or formats text.
import { v4Size, V6_MAX } from './ip.js';

/** Sort key of an IPv4 network: start * 64 + prefix, exact in a double (< 2^38), start-major. */
export function v4NetKey(start: number, prefix: number): number {
  return start * 64 + prefix;
}

/** Disjoint, non-adjacent IPv4 intervals in ascending order: [starts[k], ends[k]] for k < count. */
export interface V4Intervals {
  starts: Uint32Array;
  ends: Uint32Array;
  count: number;
}

/**
 * The maximal intervals of the union of the sorted singles s[0, ns) and the networks whose sorted keys
 * are keys[0, nk): ascending, disjoint and non-adjacent (touching ones are joined), which is what makes
 * the CIDR split below minimal. Written into typed arrays rather than reported through a callback: this
 * loop runs once per address of a load, and a per-interval call was most of its cost.
 */
export function unionV4(s: Uint32Array, ns: number, keys: Float64Array, nk: number): V4Intervals {
  const starts = new Uint32Array(ns + nk);
  const ends = new Uint32Array(ns + nk);
  let count = 0;
  let i = 0;
  let j = 0;
  let cs = 0;
  let ce = -2; // no open interval yet: nothing is <= ce + 1; a double, so ce + 1 may reach 2^32
  let netStart = 0;
  let netEnd = 0;
  if (nk > 0) {
    const p = keys[0]! % 64;
    netStart = (keys[0]! - p) / 64;
    netEnd = netStart + v4Size(p) - 1;
  }
  while (i < ns || j < nk) {
    let st: number;
    let en: number;
    if (j >= nk || (i < ns && s[i]! < netStart)) {
      st = en = s[i++]!;
    } else {
      st = netStart;
      en = netEnd;
      if (++j < nk) {
        const p = keys[j]! % 64;
        netStart = (keys[j]! - p) / 64;
        netEnd = netStart + v4Size(p) - 1;
      }
    }
    if (st <= ce + 1) {
      if (en > ce) ce = en;
    } else {
      if (ce >= 0) {
        starts[count] = cs;
        ends[count++] = ce;
      }
      cs = st;
      ce = en;
    }
  }
  if (ce >= 0) {
    starts[count] = cs;
    ends[count++] = ce;
  }
  return { starts, ends, count };
}

/** Number of trailing zero bits of a uint32 held in a double; 32 for 0. */
function ctz32(a: number): number {
  if (a === 0) return 32;
  const low = a & -a; // int32 view; the lowest set bit survives the wrap for a >= 2^31
  return 31 - Math.clz32(low);
}

/**
 * Splits [a, b] into the fewest aligned IPv4 blocks, ascending: single addresses go to singles[n...]
 * and networks to nets as v4NetKey values. Returns the new single count. Typed outputs instead of a
 * callback for the same reason as unionV4.
 */
export function decomposeV4(a: number, b: number, singles: Uint32Array, n: number, nets: number[]): number {
  while (a <= b) {
    let k = ctz32(a);
    const len = b - a + 1;
    while (2 ** k > len) k--;
    if (k === 0) singles[n++] = a;
    else nets.push(v4NetKey(a, 32 - k));
    a += 2 ** k;
  }
  return n;
}

/** Number of trailing zero bits of a 128-bit value; 128 for 0. */
function ctz128(v: bigint): number {
  if (v === 0n) return 128;
  let k = 0;
  while ((v & 0xffffffffn) === 0n) {
    v >>= 32n;
    k += 32;
  }
  return k + ctz32(Number(v & 0xffffffffn));
}

/** Splits [a, b] into the fewest aligned IPv6 blocks, ascending: sink(start, prefix). */
export function decomposeV6(a: bigint, b: bigint, sink: (start: bigint, prefix: number) => void): void {
  while (a <= b) {
    if (a === b) {
      sink(a, 128);
      return;
    }
    let k = ctz128(a);
    const len = b - a + 1n;
    while (1n << BigInt(k) > len) k--;
    sink(a, 128 - k);
    a += 1n << BigInt(k);
  }
}

/**
 * Calls sink(start, end) for each maximal interval of the union of IPv6 networks (start, prefix), in
 * any input order; same guarantees as unionV4. BigInt is fine here: IPv6 is a small share of any load.
 */
export function unionV6(
  starts: readonly bigint[],
  prefixes: readonly number[],
  sink: (start: bigint, end: bigint) => void,
): void {
  const n = starts.length;
  // Compare the top 53 bits as doubles first and fall back to BigInt only on ties: BigInt comparisons
  // are runtime calls, and a comparator made only of them was measured at about three times slower.
  const top = new Float64Array(n);
  for (let i = 0; i < n; i++) top[i] = Number(starts[i]! >> 75n);
  const order = Array.from({ length: n }, (_, i) => i);
  order.sort((x, y) => {
    const d = top[x]! - top[y]!;
    if (d !== 0) return d;
    const a = starts[x]!;
    const b = starts[y]!;
    return a < b ? -1 : a > b ? 1 : 0;
  });
  let cs = 0n;
  let ce = -2n;
  let next = -1n; // ce + 1n, computed once per interval instead of once per entry (BigInts allocate)
  for (const idx of order) {
    const st = starts[idx]!;
    const p = prefixes[idx]!;
    if (st <= next) {
      const en = p === 128 ? st : st + (V6_MAX >> BigInt(p));
      if (en > ce) {
        ce = en;
        next = en + 1n;
      }
    } else {
      if (ce >= 0n) sink(cs, ce);
      cs = st;
      ce = p === 128 ? st : st + (V6_MAX >> BigInt(p));
      next = ce + 1n;
    }
  }
  if (ce >= 0n) sink(cs, ce);
}
