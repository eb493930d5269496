// Spreads ban ends: a deterministic extra time per ban (from its entry and start), so that thousands of
// bans set in the same second do not all lift in the same second. Pure; never shortens a ban.
import { parseIpValue, type IpValue } from '../ip.js';

/** How far ban ends are spread: up to `percent` of the ban's duration, never more than `maxMs`. */
export interface BanSpread {
  /** 0 < percent <= 100 */
  readonly percent: number;
  readonly maxMs: number;
}

const TWO_32 = 4_294_967_296;

// murmur3's 32-bit finaliser: every input bit reaches every output bit, so neighbouring addresses and
// consecutive milliseconds land far apart
function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function mix(h: number, word: number): number {
  return fmix((Math.imul(h ^ word, 0x9e3779b1) + 0x7f4a7c15) >>> 0);
}

// The words of an entry: its numbers when it parses (the same for every textual form), its characters otherwise.
function entryHash(entry: string | IpValue): number {
  let ip: IpValue | null = typeof entry === 'string' ? null : entry;
  if (ip === null) {
    const r = parseIpValue(entry as string);
    if (r.ok) ip = r.ip;
  }
  if (ip === null) {
    let h = 0x811c9dc5;
    const s = entry as string;
    for (let i = 0; i < s.length; i++) h = mix(h, s.charCodeAt(i));
    return h;
  }
  let h = mix(ip.family, ip.prefix);
  if (ip.family === 4) return mix(h, ip.v4);
  for (let shift = 96n; shift >= 0n; shift -= 32n) h = mix(h, Number((ip.v6 >> shift) & 0xffffffffn));
  return h;
}

/** A number in [0, 1) fixed by the entry (address or CIDR, any textual form) and the ban's start. */
export function spreadFraction(entry: string | IpValue, since: number): number {
  let h = entryHash(entry);
  h = mix(h, since >>> 0);
  h = mix(h, Math.floor(since / TWO_32) >>> 0);
  return h / TWO_32;
}

/**
 * The extra milliseconds a ban of `entry` starting at `since` and lasting `durationMs` gets: whole
 * milliseconds in [0, min(durationMs * percent / 100, maxMs)). Zero for permanent bans (null) and when
 * spreading is off (spread null).
 */
export function banSpreadMs(spread: BanSpread | null, entry: string | IpValue, since: number, durationMs: number | null): number {
  if (spread === null || durationMs === null || !Number.isFinite(durationMs)) return 0;
  const range = Math.min((durationMs * spread.percent) / 100, spread.maxMs);
  if (!(range >= 1)) return 0;
  return Math.floor(spreadFraction(entry, since) * range);
}
