// The offenders in memory as flat records: one run of numbers per offender in a Float64Array (times, ban,
// DNS class, flags and up to four window pairs inline), found by slot. One cache line or three per
// affair instead of an object, its window array and that array's store, and nothing for the GC to trace.
// Also the transaction's undo log of the records it changed. Pure data; no SQL here.
import type { AddressMatcher } from '../../core/ip-matcher.js';
import type { IpValue } from '../../core/ip.js';
import { truncatePairs, type WindowPairs } from '../../core/policy/affair-window.js';
import { DNS_CLASSES, type DnsClass } from '../../core/policy/dns-class.js';
import type { LiveOffender } from '../../core/policy/offender.js';
import { ownString } from '../../core/own-string.js';
import { OffenderIndex } from './offender-index.js';

// one record: these fields, then the window's numbers when they fit inline
const FIRST = 0;
const LAST = 1;
/** end of the current ban (Infinity: permanent); NaN: not banned */
const UNTIL = 2;
/** the latest ban row's id; NaN: none */
const BAN_ID = 3;
const BANS = 4;
const DNS = 5;
const FLAGS = 6;
/** the transaction that last saved the record for a rollback */
const SAVED_IN = 7;
/** the whitelist epoch the memo in FLAGS answers for (0: none) */
const WL_EPOCH = 8;
/** numbers in the window (two per affair) */
const WIN_N = 9;
const WIN = 10;
/** window numbers kept inline: four affairs, what a limit of 5 ever holds; longer windows live in `long` */
const INLINE = 8;
const STRIDE = WIN + INLINE;

/** changed since its state was last written (log or row) */
export const BEHIND = 1;
/** its state is in the offender log, its row is older */
export const LOGGED = 2;
const WL_HIT = 4;

// undo entries: FRESH (freed on rollback) or SAVED followed by the record and any long window
const FRESH = 0;
const SAVED = 1;

/**
 * The one LiveOffender the pure policy changes in place: a record is loaded into it, judged, stored
 * back. Reused for every affair; its window array too.
 */
export class OffenderCursor implements LiveOffender {
  window: WindowPairs = [];
  dnsClass: DnsClass = 'unknown';
  bans = 0;
  bannedUntil: number | null = null;
  checkedAgainst: AddressMatcher | null = null;
  whitelistHit = false;

  /** A first-seen offender: nothing known. */
  fresh(): void {
    truncatePairs(this.window);
    this.dnsClass = 'unknown';
    this.bans = 0;
    this.bannedUntil = null;
    this.checkedAgainst = null;
    this.whitelistHit = false;
  }
}

export class OffenderSlots {
  private readonly index = new OffenderIndex();
  private rec = new Float64Array(1024 * STRIDE);
  private capacity = 1024;
  private used = 0;
  private readonly free: number[] = [];
  // by slot: the canonical text (undefined: slot free), IPv4 number, family, IPv6 value
  private readonly ips: (string | undefined)[] = [];
  private v4s = new Uint32Array(1024);
  private fams = new Uint8Array(1024);
  private readonly v6s: (IpValue | null)[] = [];
  /** windows longer than INLINE numbers, by slot */
  private readonly long = new Map<number, WindowPairs>();
  // whitelist memo: the matcher of the current epoch
  private matcher: AddressMatcher | null = null;
  private epoch = 0;
  // the open transaction: what a rollback restores (flat, so saving allocates nothing)
  private tx = 1;
  private undoSlots: number[] = [];
  private undo = new Float64Array(4096);
  private undoUsed = 0;

  get size(): number {
    return this.index.size;
  }

  /** The slot of address text `text` (need not be canonical: a miss then just costs a parse), or -1. */
  find(text: string): number {
    return this.index.find(text);
  }

  /** The slot of IPv4 address `v4` (unsigned number), or -1. */
  findV4(v4: number): number {
    return this.index.findV4(v4);
  }

  /** A new offender's slot, indexed (inside a transaction: a rollback frees it again). */
  create(ip: string, value: IpValue, time: number): number {
    let s = this.free.pop();
    if (s === undefined) {
      if (this.used === this.capacity) this.grow();
      s = this.used++;
    }
    const b = s * STRIDE;
    this.rec.fill(0, b, b + STRIDE);
    this.rec[FIRST + b] = time;
    this.rec[LAST + b] = time;
    this.rec[UNTIL + b] = Number.NaN;
    this.rec[BAN_ID + b] = Number.NaN;
    this.rec[SAVED_IN + b] = this.tx;
    // held as long as the offender is: never a slice of the line it came from (see ownString)
    const text = ownString(ip);
    this.ips[s] = text;
    this.fams[s] = value.family;
    this.v4s[s] = value.family === 4 ? value.v4 : 0;
    this.v6s[s] = value.family === 6 ? { family: 6, v6: value.v6, prefix: value.prefix, normalised: false } : null;
    this.index.add(text, value.family, this.v4s[s]!, s);
    this.reserveUndo(1);
    this.undo[this.undoUsed++] = FRESH;
    this.undoSlots.push(s);
    return s;
  }

  /** Drops the offender in `s` from memory. */
  remove(s: number): void {
    this.index.delete(this.ips[s]!, this.family(s), this.v4s[s]!);
    this.ips[s] = undefined;
    this.v6s[s] = null;
    this.long.delete(s);
    this.free.push(s);
  }

  /** `s` holds an offender (it was not freed). */
  isLive(s: number): boolean {
    return this.ips[s] !== undefined;
  }

  ip(s: number): string {
    return this.ips[s]!;
  }

  family(s: number): 4 | 6 {
    return this.fams[s] === 6 ? 6 : 4;
  }

  /** IPv4: the address as a number (what its affair rows store) */
  v4(s: number): number {
    return this.v4s[s]!;
  }

  /** The address parsed, for the rare paths (a whitelist check, a ban's subnet); IPv4 built on each call. */
  value(s: number): IpValue {
    return this.v6s[s] ?? { family: 4, v4: this.v4s[s]!, prefix: 32, normalised: false };
  }

  firstSeen(s: number): number {
    return this.rec[FIRST + s * STRIDE]!;
  }

  lastSeen(s: number): number {
    return this.rec[LAST + s * STRIDE]!;
  }

  /** An affair at `time`: first and last seen widen to it. */
  seen(s: number, time: number): void {
    const b = s * STRIDE;
    if (time < this.rec[FIRST + b]!) this.rec[FIRST + b] = time;
    if (time > this.rec[LAST + b]!) this.rec[LAST + b] = time;
  }

  banId(s: number): number | null {
    const id = this.rec[BAN_ID + s * STRIDE]!;
    return id === id ? id : null;
  }

  setBanId(s: number, id: number | null): void {
    this.rec[BAN_ID + s * STRIDE] = id ?? Number.NaN;
  }

  bannedUntil(s: number): number | null {
    const u = this.rec[UNTIL + s * STRIDE]!;
    return u === u ? u : null;
  }

  setBannedUntil(s: number, until: number | null): void {
    this.rec[UNTIL + s * STRIDE] = until ?? Number.NaN;
  }

  bans(s: number): number {
    return this.rec[BANS + s * STRIDE]!;
  }

  dnsClass(s: number): DnsClass {
    return DNS_CLASSES[this.rec[DNS + s * STRIDE]!] ?? 'unknown';
  }

  flags(s: number): number {
    return this.rec[FLAGS + s * STRIDE]!;
  }

  setFlags(s: number, flags: number): void {
    this.rec[FLAGS + s * STRIDE] = flags;
  }

  /** Sets the fields of a record read from its row (just created). */
  restore(s: number, window: WindowPairs, dnsClass: DnsClass, bans: number, bannedUntil: number | null, lastSeen: number, banId: number | null): void {
    const b = s * STRIDE;
    this.rec[DNS + b] = DNS_CLASSES.indexOf(dnsClass);
    this.rec[BANS + b] = bans;
    this.rec[UNTIL + b] = bannedUntil ?? Number.NaN;
    this.rec[LAST + b] = lastSeen;
    this.rec[BAN_ID + b] = banId ?? Number.NaN;
    this.storeWindow(s, window);
  }

  /** The window, copied into `into` (cleared first); returns it. */
  window(s: number, into: WindowPairs = []): WindowPairs {
    const b = s * STRIDE;
    const n = this.rec[WIN_N + b]!;
    truncatePairs(into);
    if (n > INLINE) {
      const w = this.long.get(s)!;
      for (let i = 0; i < n; i++) into.push(w[i]!);
    } else for (let i = 0; i < n; i++) into.push(this.rec[WIN + b + i]!);
    return into;
  }

  /** Numbers in the window. */
  windowLength(s: number): number {
    return this.rec[WIN_N + s * STRIDE]!;
  }

  /** Loads the record into the cursor for the policy. */
  load(s: number, c: OffenderCursor): void {
    const r = this.rec;
    const b = s * STRIDE;
    this.window(s, c.window);
    c.dnsClass = DNS_CLASSES[r[DNS + b]!] ?? 'unknown';
    c.bans = r[BANS + b]!;
    const until = r[UNTIL + b]!;
    c.bannedUntil = until === until ? until : null;
    const memo = r[WL_EPOCH + b] === this.epoch && this.matcher !== null;
    c.checkedAgainst = memo ? this.matcher : null;
    c.whitelistHit = memo && (r[FLAGS + b]! & WL_HIT) !== 0;
  }

  /** Stores the cursor (as the policy left it) back into the record. */
  store(s: number, c: OffenderCursor): void {
    const r = this.rec;
    const b = s * STRIDE;
    r[DNS + b] = DNS_CLASSES.indexOf(c.dnsClass);
    r[BANS + b] = c.bans;
    r[UNTIL + b] = c.bannedUntil ?? Number.NaN;
    if (c.checkedAgainst !== null) {
      if (c.checkedAgainst !== this.matcher) {
        // a reload brought a new whitelist: every memo of the old one is stale at once
        this.matcher = c.checkedAgainst;
        this.epoch++;
      }
      r[WL_EPOCH + b] = this.epoch;
      r[FLAGS + b] = c.whitelistHit ? r[FLAGS + b]! | WL_HIT : r[FLAGS + b]! & ~WL_HIT;
    }
    this.storeWindow(s, c.window);
  }

  /** Call (inside a transaction) before changing `s`: a rollback puts it back as it is now. */
  willChange(s: number): void {
    const r = this.rec;
    const b = s * STRIDE;
    if (r[SAVED_IN + b] === this.tx) return;
    r[SAVED_IN + b] = this.tx;
    const n = r[WIN_N + b]!;
    const extra = n > INLINE ? n : 0;
    this.reserveUndo(1 + STRIDE + extra);
    const u = this.undo;
    let p = this.undoUsed;
    u[p++] = SAVED;
    for (let i = 0; i < STRIDE; i++) u[p++] = r[b + i]!;
    if (extra > 0) {
      const w = this.long.get(s)!;
      for (let i = 0; i < n; i++) u[p++] = w[i]!;
    }
    this.undoUsed = p;
    this.undoSlots.push(s);
  }

  /** The transaction committed: nothing to restore. */
  committed(): void {
    this.endTx();
  }

  /** The transaction rolled back: every record it changed is as before, every one it made is gone. */
  rolledBack(): void {
    const u = this.undo;
    const r = this.rec;
    let p = 0;
    for (const s of this.undoSlots) {
      if (u[p++] === FRESH) {
        this.remove(s);
        continue;
      }
      const b = s * STRIDE;
      for (let i = 0; i < STRIDE; i++) r[b + i] = u[p++]!;
      const n = r[WIN_N + b]!;
      if (n > INLINE) {
        const w: WindowPairs = [];
        for (let i = 0; i < n; i++) w.push(u[p++]!);
        this.long.set(s, w);
      } else this.long.delete(s);
    }
    this.endTx();
  }

  /** Every offender's slot; fn may remove the one it is given. */
  forEach(fn: (s: number) => void): void {
    for (let s = 0; s < this.used; s++) if (this.ips[s] !== undefined) fn(s);
  }

  private storeWindow(s: number, w: readonly number[]): void {
    const b = s * STRIDE;
    const n = w.length;
    this.rec[WIN_N + b] = n;
    if (n > INLINE) {
      this.long.set(s, w.slice());
      return;
    }
    for (let i = 0; i < n; i++) this.rec[WIN + b + i] = w[i]!;
    if (this.long.size > 0) this.long.delete(s);
  }

  private endTx(): void {
    // the slots are reused: what is left in them is overwritten by the next transaction
    this.undoSlots = [];
    this.undoUsed = 0;
    this.tx++;
  }

  private reserveUndo(n: number): void {
    if (this.undoUsed + n <= this.undo.length) return;
    const bigger = new Float64Array(Math.max(this.undo.length * 2, this.undoUsed + n));
    bigger.set(this.undo.subarray(0, this.undoUsed));
    this.undo = bigger;
  }

  private grow(): void {
    const cap = this.capacity * 2;
    const rec = new Float64Array(cap * STRIDE);
    rec.set(this.rec);
    this.rec = rec;
    const v4s = new Uint32Array(cap);
    v4s.set(this.v4s);
    this.v4s = v4s;
    const fams = new Uint8Array(cap);
    fams.set(this.fams);
    this.fams = fams;
    this.capacity = cap;
  }
}
