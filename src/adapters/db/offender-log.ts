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

// Format 2 (written since the affair blocks): a blob starts with FORMAT_2 and a base time (f64); then
// per state: flags (u8: DNS class index, IPv6, has ban id, raw), the address (4 bytes of IPv4, or its
// length and ASCII), then either varints (last seen as a zigzag delta from the base, first seen and each
// window time back from last seen, window pair count, weights, bans, ban id) or, when a number is not a
// whole one (RAW), the times and weights as f64. About a third of format 1's bytes per state.
// Format 1 (first byte 4 or 6), still read: fixed f64 fields per state, 8-byte aligned.
export const FORMAT_2 = 0xf2;
const IPV6 = 4;
const HAS_BAN = 8;
const RAW = 16;
/** Bytes of a blob's header. */
export const HEADER_BYTES = 9;

/** At most the bytes one state takes for an address of `ipLength` characters and a flat window of `numbers` numbers. */
export function stateBytes(ipLength: number, numbers: number): number {
  return 64 + ipLength + numbers * 10;
}

/** Writes a blob's header (FORMAT_2 and the base time states are written against) at 0; returns HEADER_BYTES. */
export function encodeHeader(buf: Uint8Array, base: number): number {
  buf[0] = FORMAT_2;
  new DataView(buf.buffer, buf.byteOffset, buf.byteLength).setFloat64(1, base, true);
  return HEADER_BYTES;
}

const whole = (x: number): boolean => Number.isSafeInteger(x);
const f64 = new Float64Array(1);
const f64Bytes = new Uint8Array(f64.buffer);

/** Writes one state at `off` (stateBytes must fit) against the header's `base`; returns the offset after it. */
export function encodeState(
  buf: Uint8Array,
  off: number,
  base: number,
  ip: string,
  family: 4 | 6,
  v4: number,
  window: readonly number[],
  dnsClass: DnsClass,
  firstSeen: number,
  lastSeen: number,
  bans: number,
  banId: number | null,
): number {
  const n = window.length >> 1;
  let raw = !(whole(firstSeen) && whole(lastSeen) && whole(bans) && bans >= 0 && (banId === null || (whole(banId) && banId >= 0)) && whole(lastSeen - base));
  for (let i = 0; i < 2 * n && !raw; i++) raw = !whole(window[i]!);
  let p = off;
  buf[p++] = DNS_CLASSES.indexOf(dnsClass) | (family === 6 ? IPV6 : 0) | (banId !== null ? HAS_BAN : 0) | (raw ? RAW : 0);
  if (family === 4) {
    buf[p++] = v4 >>> 24;
    buf[p++] = (v4 >>> 16) & 255;
    buf[p++] = (v4 >>> 8) & 255;
    buf[p++] = v4 & 255;
  } else {
    const len = ip.length; // canonical addresses are ASCII and at most 39 characters
    buf[p++] = len;
    for (let i = 0; i < len; i++) buf[p++] = ip.charCodeAt(i);
  }
  if (raw) {
    p = putF64(buf, p, lastSeen);
    p = putF64(buf, p, firstSeen);
    p = putVarint(buf, p, n);
    for (let i = 0; i < 2 * n; i++) p = putF64(buf, p, window[i]!);
    p = putF64(buf, p, bans);
    if (banId !== null) p = putF64(buf, p, banId);
    return p;
  }
  p = putZigzag(buf, p, lastSeen - base);
  p = putZigzag(buf, p, lastSeen - firstSeen);
  p = putVarint(buf, p, n);
  for (let i = 0; i < 2 * n; i += 2) {
    p = putZigzag(buf, p, lastSeen - window[i]!);
    p = putZigzag(buf, p, window[i + 1]!);
  }
  p = putVarint(buf, p, bans);
  if (banId !== null) p = putVarint(buf, p, banId);
  return p;
}

function putF64(buf: Uint8Array, p: number, x: number): number {
  f64[0] = x;
  for (let i = 0; i < 8; i++) buf[p + i] = f64Bytes[i]!;
  return p + 8;
}

function putVarint(buf: Uint8Array, p: number, v: number): number {
  while (v >= 128) {
    buf[p++] = (v % 128) | 128;
    v = Math.floor(v / 128);
  }
  buf[p++] = v;
  return p;
}

function putZigzag(buf: Uint8Array, p: number, v: number): number {
  return putVarint(buf, p, v >= 0 ? v * 2 : -v * 2 - 1);
}

// Format 1, still read after an upgrade: family u8, address length u8, DNS class u8, 0 u8, window
// length u32; first seen, last seen, bans, ban id (NaN: none) as f64; the window's pairs as f64; the
// address (ASCII), zero-padded to a multiple of 8 bytes.
const FIXED = 8 + 4 * 8;

/** Every state in one blob, in the order written (either format). Throws on a truncated blob (never written so). */
export function decodeStates(blob: Uint8Array, into: (s: LoggedState) => void): void {
  if (blob.length > 0 && blob[0] === FORMAT_2) decodeV2(blob, into);
  else decodeV1(blob, into);
}

function decodeV1(blob: Uint8Array, into: (s: LoggedState) => void): void {
  const view = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
  let off = 0;
  while (off < blob.length) {
    if (off + FIXED > blob.length) throw new Error('offender log: truncated state');
    const len = view.getUint8(off + 1);
    const n = 2 * view.getUint32(off + 4, true);
    const end = off + FIXED + n * 8 + ((len + 7) & ~7);
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

function decodeV2(blob: Uint8Array, into: (s: LoggedState) => void): void {
  if (blob.length < HEADER_BYTES) throw new Error('offender log: truncated state');
  const view = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
  const base = view.getFloat64(1, true);
  let p = HEADER_BYTES;
  const need = (k: number): void => {
    if (p + k > blob.length) throw new Error('offender log: truncated state');
  };
  const u8 = (): number => {
    need(1);
    return blob[p++]!;
  };
  const varint = (): number => {
    let v = 0;
    for (let scale = 1; ; scale *= 128) {
      const b = u8();
      v += (b & 127) * scale;
      if (b < 128) return v;
      if (scale > 2 ** 49) throw new Error('offender log: bad number');
    }
  };
  const zigzag = (): number => {
    const z = varint();
    return z % 2 === 0 ? z / 2 : -(z + 1) / 2;
  };
  const float = (): number => {
    need(8);
    const x = view.getFloat64(p, true);
    p += 8;
    return x;
  };
  while (p < blob.length) {
    const flags = u8();
    const family = (flags & IPV6) !== 0 ? 6 : 4;
    let ip: string;
    if (family === 4) {
      need(4);
      ip = `${blob[p]}.${blob[p + 1]}.${blob[p + 2]}.${blob[p + 3]}`;
      p += 4;
    } else {
      const len = u8();
      need(len);
      ip = String.fromCharCode(...blob.subarray(p, p + len));
      p += len;
    }
    const s: LoggedState = { ip, family, window: [], dnsClass: DNS_CLASSES[flags & 3]!, firstSeen: 0, lastSeen: 0, bans: 0, banId: null };
    if ((flags & RAW) !== 0) {
      s.lastSeen = float();
      s.firstSeen = float();
      const n = varint();
      for (let i = 0; i < 2 * n; i++) s.window.push(float());
      s.bans = float();
      if ((flags & HAS_BAN) !== 0) s.banId = float();
    } else {
      s.lastSeen = base + zigzag();
      s.firstSeen = s.lastSeen - zigzag();
      const n = varint();
      for (let i = 0; i < n; i++) s.window.push(s.lastSeen - zigzag(), zigzag());
      s.bans = varint();
      if ((flags & HAS_BAN) !== 0) s.banId = varint();
    }
    into(s);
  }
}
