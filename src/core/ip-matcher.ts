// Owns fast "is this address (or whole network) inside these entries?" answers, e.g. for whitelists.
// Must never mutate the entries it was built from; lookups are allocation-free for IPv4 numbers.
import type { SetEntries } from './fw-plan.js';
import { parseIp, v4Size, V6_MAX, type IpValue } from './ip.js';
import { unionV4, unionV6, v4NetKey } from './ip-intervals.js';
import { sortUint32 } from './ip-sort.js';

/**
 * Membership over the union of one or more SetEntries, kept as sorted, disjoint, non-adjacent intervals
 * so that every lookup is one binary search (IPv4 in typed arrays, IPv6 in bigint arrays).
 */
export class AddressMatcher {
  private constructor(
    private readonly v4Starts: Uint32Array,
    private readonly v4Ends: Uint32Array,
    private readonly v6Starts: readonly bigint[],
    private readonly v6Ends: readonly bigint[],
  ) {}

  /** Builds from entries; overlapping or unsorted input is accepted. Throws on non-canonical network text. */
  static fromEntries(...sources: SetEntries[]): AddressMatcher {
    let total = 0;
    for (const e of sources) total += e.v4.length;
    const singles = new Uint32Array(total);
    let off = 0;
    for (const e of sources) {
      singles.set(e.v4, off);
      off += e.v4.length;
    }
    sortUint32(singles); // a copy: the caller's arrays stay untouched
    const keys: number[] = [];
    const v6s: bigint[] = [];
    const v6p: number[] = [];
    for (const e of sources) {
      for (const text of [...e.v4nets, ...e.v6, ...e.v6nets]) {
        const r = parseIp(text);
        if (!r.ok) throw new Error(`AddressMatcher: entry is not canonical: ${r.error}`);
        if (r.ip.family === 4) keys.push(v4NetKey(r.ip.v4, r.ip.prefix));
        else {
          v6s.push(r.ip.v6);
          v6p.push(r.ip.prefix);
        }
      }
    }
    const keyArr = Float64Array.from(keys).sort();
    const v4 = unionV4(singles, singles.length, keyArr, keyArr.length);
    const s6: bigint[] = [];
    const e6: bigint[] = [];
    unionV6(v6s, v6p, (s, e) => {
      s6.push(s);
      e6.push(e);
    });
    return new AddressMatcher(v4.starts.slice(0, v4.count), v4.ends.slice(0, v4.count), s6, e6);
  }

  /** Number of disjoint intervals held (diagnostics and tests). */
  get intervalCount(): number {
    return this.v4Starts.length + this.v6Starts.length;
  }

  /** True when the whole address or network is inside the entries. Unparseable input is not covered. */
  covers(ip: string | IpValue): boolean {
    const p = typeof ip === 'string' ? parsed(ip) : ip;
    if (p === undefined) return false;
    if (p.family === 4) return this.v4Range(p.v4, p.v4 + v4Size(p.prefix) - 1, true);
    return this.v6Range(p.v6, p.v6 + (V6_MAX >> BigInt(p.prefix)), true);
  }

  /** True when any part of the address or network is inside the entries (a ban on it would hit them). */
  overlaps(ip: string | IpValue): boolean {
    const p = typeof ip === 'string' ? parsed(ip) : ip;
    if (p === undefined) return false;
    if (p.family === 4) return this.v4Range(p.v4, p.v4 + v4Size(p.prefix) - 1, false);
    return this.v6Range(p.v6, p.v6 + (V6_MAX >> BigInt(p.prefix)), false);
  }

  /** Hot path: one host-order IPv4 address. */
  coversV4(addr: number): boolean {
    return this.v4Range(addr, addr, true);
  }

  // Last interval starting at or before `key`: for covers the key is the range start (the range must sit
  // inside that interval), for overlaps it is the range end (that interval must reach back to the start).
  private v4Range(start: number, end: number, whole: boolean): boolean {
    const a = this.v4Starts;
    const key = whole ? start : end;
    let lo = 0;
    let hi = a.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (a[mid]! <= key) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    if (found < 0) return false;
    const e = this.v4Ends[found]!;
    return whole ? end <= e : start <= e;
  }

  private v6Range(start: bigint, end: bigint, whole: boolean): boolean {
    const a = this.v6Starts;
    const key = whole ? start : end;
    let lo = 0;
    let hi = a.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (a[mid]! <= key) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    if (found < 0) return false;
    const e = this.v6Ends[found]!;
    return whole ? end <= e : start <= e;
  }
}

function parsed(text: string): IpValue | undefined {
  const r = parseIp(text);
  return r.ok ? r.ip : undefined;
}
