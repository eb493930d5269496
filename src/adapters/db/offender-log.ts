// The binary form of offender states in the offender log: one blob per flush, appended, never updated,
// so writing a second's changes costs one sequential write. Pure encoding; no SQL here.
import { DNS_CLASSES, type DnsClass } from '../../core/policy/dns-class.js';

/** One offender's stored state (what its row holds; bannedUntil comes from its ban row). */
export interface LoggedState {
  ip: string;
  family: 4 | 6;
  /** the window, flat (WindowPairs) */
  window: number[];
  dnsClass: DnsClass;
  firstSeen: number;
  lastSeen: number;
  bans: number;
  banId: number | null;
}

// One state, little-endian: family u8, address length u8, DNS class u8, 0 u8, window length u32; first
// seen, last seen, bans, ban id (NaN: none) as f64; the window's (time, weight) pairs as f64; the address
// (ASCII), zero-padded to a multiple of 8 bytes.
const FIXED = 8 + 4 * 8;

/** Bytes one state takes for an address of `ipLength` characters and a flat window of `numbers` numbers. */
export function stateBytes(ipLength: number, numbers: number): number {
  return FIXED + numbers * 8 + ((ipLength + 7) & ~7);
}

/** Writes one state at `off` (stateBytes must fit); returns the offset after it. */
export function encodeState(
  view: DataView,
  off: number,
  ip: string,
  family: 4 | 6,
  window: readonly number[],
  dnsClass: DnsClass,
  firstSeen: number,
  lastSeen: number,
  bans: number,
  banId: number | null,
): number {
  const n = window.length;
  const len = ip.length; // canonical addresses are ASCII and at most 39 characters
  view.setUint8(off, family);
  view.setUint8(off + 1, len);
  view.setUint8(off + 2, DNS_CLASSES.indexOf(dnsClass));
  view.setUint8(off + 3, 0);
  view.setUint32(off + 4, n >> 1, true);
  view.setFloat64(off + 8, firstSeen, true);
  view.setFloat64(off + 16, lastSeen, true);
  view.setFloat64(off + 24, bans, true);
  view.setFloat64(off + 32, banId ?? Number.NaN, true);
  let p = off + FIXED;
  for (let i = 0; i < n; i++) {
    view.setFloat64(p, window[i]!, true);
    p += 8;
  }
  const end = p + ((len + 7) & ~7);
  for (let i = 0; i < len; i++) view.setUint8(p + i, ip.charCodeAt(i));
  for (let i = p + len; i < end; i++) view.setUint8(i, 0);
  return end;
}

/** Every state in one blob, in the order written. Throws on a truncated blob (never written so). */
export function decodeStates(blob: Uint8Array, into: (s: LoggedState) => void): void {
  const view = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
  let off = 0;
  while (off < blob.length) {
    if (off + FIXED > blob.length) throw new Error('offender log: truncated state');
    const len = view.getUint8(off + 1);
    const n = 2 * view.getUint32(off + 4, true);
    const end = off + stateBytes(len, n);
    if (end > blob.length) throw new Error('offender log: truncated state');
    const banId = view.getFloat64(off + 32, true);
    const s: LoggedState = {
      ip: '',
      family: view.getUint8(off) === 6 ? 6 : 4,
      window: [],
      dnsClass: DNS_CLASSES[view.getUint8(off + 2)] ?? 'unknown',
      firstSeen: view.getFloat64(off + 8, true),
      lastSeen: view.getFloat64(off + 16, true),
      bans: view.getFloat64(off + 24, true),
      banId: Number.isNaN(banId) ? null : banId,
    };
    let p = off + FIXED;
    for (let i = 0; i < n; i++) {
      s.window.push(view.getFloat64(p, true));
      p += 8;
    }
    s.ip = String.fromCharCode(...blob.subarray(p, p + len));
    into(s);
    off = end;
  }
}
