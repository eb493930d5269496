// Owns turning one address or CIDR token into a canonical, normalised value (mapped IPv6 becomes IPv4).
// Must never guess: ambiguous or unusual forms (leading zeros, octal/hex, short forms, zone ids) are errors.
import ipaddr from 'ipaddr.js';

/** An IPv4 address or network as numbers: `v4` is the host-order network address (host bits cleared). */
export interface V4Value {
  readonly family: 4;
  readonly v4: number;
  readonly prefix: number;
  /** true when the input had host bits set (10.1.2.3/8) and was reduced to its network (10.0.0.0/8) */
  readonly normalised: boolean;
}

/** An IPv6 address or network as numbers: `v6` is the 128-bit network address (host bits cleared). */
export interface V6Value {
  readonly family: 6;
  readonly v6: bigint;
  readonly prefix: number;
  readonly normalised: boolean;
}

/** The numbers of an entry without its text: what hot loops (list loading, aggregation) work with. */
export type IpValue = V4Value | V6Value;

/** canonical text of the network address: dotted quad, or RFC 5952 (lower case, compressed) */
export interface ParsedV4 extends V4Value {
  readonly addr: string;
}

export interface ParsedV6 extends V6Value {
  readonly addr: string;
}

export type ParsedIp = ParsedV4 | ParsedV6;

export type IpValueResult = { ok: true; ip: IpValue } | { ok: false; error: string };
export type IpParseResult = { ok: true; ip: ParsedIp } | { ok: false; error: string };

export const V6_MAX = (1n << 128n) - 1n;
const V4_SPAN = 2 ** 32;

/** Netmask of an IPv4 prefix as a host-order uint32 (`<< 32` is a no-op in JS, hence the special case). */
export function v4Mask(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

export function v4Network(addr: number, prefix: number): number {
  return (addr & v4Mask(prefix)) >>> 0;
}

/** Number of addresses in an IPv4 network; a double because /0 holds 2^32. */
export function v4Size(prefix: number): number {
  return V4_SPAN / 2 ** prefix;
}

export function v6Mask(prefix: number): bigint {
  return prefix === 0 ? 0n : (V6_MAX >> BigInt(128 - prefix)) << BigInt(128 - prefix);
}

export function v6Network(addr: bigint, prefix: number): bigint {
  return addr & v6Mask(prefix);
}

/** Canonical RFC 5952 text of a 128-bit value; ipaddr.js does the zero compression. */
export function formatV6(v: bigint): string {
  // three 48/48/32-bit numbers: far fewer BigInt operations than eight 16-bit slices
  const hi = Number(v >> 80n);
  const mid = Number((v >> 32n) & 0xffffffffffffn);
  const lo = Number(v & 0xffffffffn);
  const parts = [
    Math.floor(hi / 2 ** 32),
    Math.floor(hi / 65536) % 65536,
    hi % 65536,
    Math.floor(mid / 2 ** 32),
    Math.floor(mid / 65536) % 65536,
    mid % 65536,
    lo >>> 16,
    lo & 0xffff,
  ];
  return new ipaddr.IPv6(parts).toRFC5952String();
}

/** The dotted-quad text of an unsigned 32-bit IPv4 address. */
export function dottedQuad(n: number): string {
  return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

/** Canonical entry text: the bare address for a host (/32, /128), "addr/prefix" for a network. */
export function formatIp(p: IpValue): string {
  const addr = p.family === 4 ? dottedQuad(p.v4) : formatV6(p.v6);
  return p.prefix === (p.family === 4 ? 32 : 128) ? addr : `${addr}/${p.prefix}`;
}

function v4Value(raw: number, prefix: number): V4Value {
  const v4 = v4Network(raw, prefix);
  return { family: 4, v4, prefix, normalised: v4 !== raw };
}

/** Adds the canonical text: the public result, for callers that store or show the address. */
function withAddr(v: IpValue): ParsedIp {
  // literals, not spreads: a spread of these objects gave each result its own hidden class (measured:
  // ~200 bytes more per object kept, e.g. one per offender)
  return v.family === 4
    ? { family: 4, v4: v.v4, prefix: v.prefix, normalised: v.normalised, addr: dottedQuad(v.v4) }
    : { family: 6, v6: v.v6, prefix: v.prefix, normalised: v.normalised, addr: formatV6(v.v6) };
}

/**
 * Hot path for list loading: reads a strict dotted quad with optional "/prefix" starting at s[start],
 * stopping at `end` or at the first character that cannot continue it, without allocating. Returns the
 * prefix (32 when absent), writes the address as written (host bits kept) to out[0] and the stop index
 * to out[1]; the caller decides whether the character there ends the token. Returns -1 for anything
 * else, and the caller asks parseIpValue, which decides and explains. Hand-written because ipaddr.js
 * runs regexes and builds objects per token, and a master load parses up to 1,000,000 tokens within
 * ~0.5 s; results go through a typed array because a returned uint32 above 2^30 would be boxed into a
 * fresh heap number per call.
 */
export function scanDottedQuad(s: string, start: number, end: number, out: Uint32Array): number {
  let i = start;
  let addr = 0;
  for (let octet = 0; octet < 4; octet++) {
    if (octet > 0) {
      if (i >= end || s.charCodeAt(i) !== 46 /* . */) return -1;
      i++;
    }
    const first = i;
    let v = 0;
    while (i < end) {
      const d = s.charCodeAt(i) - 48;
      if (d < 0 || d > 9) break;
      v = v * 10 + d;
      i++;
    }
    const len = i - first;
    // leading zeros are ambiguous (octal to some tools): leave them to the general path to reject
    if (len === 0 || len > 3 || v > 255 || (len > 1 && s.charCodeAt(first) === 48)) return -1;
    addr = (addr << 8) | v;
  }
  let p = 32;
  if (i < end && s.charCodeAt(i) === 47 /* / */) {
    const first = ++i;
    p = 0;
    while (i < end) {
      const d = s.charCodeAt(i) - 48;
      if (d < 0 || d > 9) break;
      p = p * 10 + d;
      i++;
    }
    const len = i - first;
    if (len === 0 || len > 2 || p > 32 || (len > 1 && s.charCodeAt(first) === 48)) return -1;
  }
  out[0] = addr;
  out[1] = i;
  return p;
}

function show(token: string): string {
  return JSON.stringify(token.length > 60 ? `${token.slice(0, 57)}...` : token);
}

/**
 * The ipaddr.js path without building text: accepts every form parseIp accepts and explains every
 * rejection. List loading calls it for whatever the dotted-quad scanner leaves over.
 */
export function parseIpValue(token: string): IpValueResult {
  if (token === '') return { ok: false, error: 'empty address' };
  if (token.includes('%')) return { ok: false, error: `zone ids are not allowed: ${show(token)}` };
  const slash = token.indexOf('/');
  const addrPart = slash < 0 ? token : token.slice(0, slash);
  let prefix: number | undefined;
  if (slash >= 0) {
    const pText = token.slice(slash + 1);
    // a decimal without leading zeros, like the octets; anything else (/08, /+8, /255.0.0.0) is refused
    if (!/^(0|[1-9][0-9]{0,2})$/.test(pText)) {
      return { ok: false, error: `prefix must be a decimal number without leading zeros: ${show(token)}` };
    }
    prefix = Number(pText);
  }
  if (addrPart.includes(':')) {
    let parsed: ipaddr.IPv6;
    try {
      parsed = ipaddr.IPv6.parse(addrPart); // one parse: isValid() would parse a second time
    } catch {
      return { ok: false, error: `not an IPv6 address: ${show(token)}` };
    }
    // an embedded IPv4 tail is read as decimal by ipaddr.js even with leading zeros: refuse the ambiguity
    const lastColon = addrPart.lastIndexOf(':');
    const tail = addrPart.slice(lastColon + 1);
    if (tail.includes('.') && !ipaddr.IPv4.isValidFourPartDecimal(tail)) {
      return { ok: false, error: `ambiguous embedded IPv4 (use four decimal octets without leading zeros): ${show(token)}` };
    }
    const p = prefix ?? 128;
    if (p > 128) return { ok: false, error: `prefix /${p} is out of range for IPv6 (0-128): ${show(token)}` };
    const [a = 0, b = 0, c = 0, d = 0, e = 0, f = 0, g = 0, h = 0] = parsed.parts;
    // IPv4-mapped (::ffff:a.b.c.d/96..128) is the IPv4 address itself: the kernel and the logs see IPv4.
    if (p >= 96 && a === 0 && b === 0 && c === 0 && d === 0 && e === 0 && f === 0xffff) {
      return { ok: true, ip: v4Value(((g << 16) | h) >>> 0, p - 96) };
    }
    // three BigInt conversions instead of eight: BigInt arithmetic dominates the IPv6 share of a load
    const raw =
      (BigInt((a * 65536 + b) * 65536 + c) << 80n) | (BigInt((d * 65536 + e) * 65536 + f) << 32n) | BigInt(g * 65536 + h);
    const v6 = p === 128 ? raw : v6Network(raw, p);
    return { ok: true, ip: { family: 6, v6, prefix: p, normalised: v6 !== raw } };
  }
  if (!ipaddr.IPv4.isValidFourPartDecimal(addrPart)) {
    const error = ipaddr.IPv4.isValid(addrPart)
      ? `ambiguous IPv4 form (use four decimal octets without leading zeros): ${show(token)}`
      : `not an IPv4 or IPv6 address: ${show(token)}`;
    return { ok: false, error };
  }
  const p = prefix ?? 32;
  if (p > 32) return { ok: false, error: `prefix /${p} is out of range for IPv4 (0-32): ${show(token)}` };
  const [a = 0, b = 0, c = 0, d = 0] = ipaddr.IPv4.parse(addrPart).octets;
  return { ok: true, ip: v4Value(((a << 24) | (b << 16) | (c << 8) | d) >>> 0, p) };
}

/** The ipaddr.js path with canonical text: exported so tests can check the fast path agrees with it. */
export function parseIpGeneral(token: string): IpParseResult {
  const r = parseIpValue(token);
  return r.ok ? { ok: true, ip: withAddr(r.ip) } : r;
}

const scratch = new Uint32Array(2);

/** Parse one address or CIDR token: the dotted-quad fast path first, ipaddr.js for everything else. */
export function parseIp(token: string): IpParseResult {
  const prefix = scanDottedQuad(token, 0, token.length, scratch);
  if (prefix >= 0 && scratch[1] === token.length) return { ok: true, ip: withAddr(v4Value(scratch[0]!, prefix)) };
  return parseIpGeneral(token);
}
