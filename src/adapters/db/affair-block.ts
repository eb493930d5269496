// Affairs packed into blocks: one row per recorded batch instead of one SQLite row per affair (a row's
// insert, not the affair, was most of the hot path's storage cost). The codec only: what a block holds
// and how it is read back; AffairBlocks (affair-blocks.ts) stores them. Pure.
//
// A block's `data` is a run of affairs, each: the address (a 0 byte and the 4 bytes of an IPv4 address,
// or k + 1 for the k-th string), the time as a zigzag varint delta from the previous affair's (the first
// from the block's base_time), the kind (varint), the user and the vhost (each 0 for none, else k + 1 for
// the k-th string). `strings` is a JSON array of the texts the block refers to.
import { dottedQuad } from '../../core/ip.js';

/** At most this many affairs per block: a block's affairs are numbered block id * 65536 + position. */
export const MAX_BLOCK_AFFAIRS = 65_536;

/** A block's values as stored (its id aside). */
export interface BlockValues {
  /** the first affair's time: the base of the time deltas */
  base_time: number;
  /** the block's time range (log times need not arrive in order) */
  min_time: number;
  max_time: number;
  affairs: number;
  /** JSON array of the strings the data refers to */
  strings: string;
  data: Buffer;
}

/** Builds blocks, one after another (take() starts the next). */
export class BlockEncoder {
  private buf = Buffer.allocUnsafe(64 << 10);
  private pos = 0;
  private n = 0;
  private readonly strings: string[] = [];
  private readonly stringIds = new Map<string, number>();
  private base = 0;
  private prev = 0;
  private min = 0;
  private max = 0;

  /** Affairs added since the last take(). */
  get size(): number {
    return this.n;
  }

  /**
   * Adds one affair. `v4` is the IPv4 address as an unsigned number, or -1 when `ip` (canonical text) is
   * another address. Times are stored in whole milliseconds.
   */
  add(v4: number, ip: string, time: number, kind: number, user: string | null, vhost: string | null): void {
    // the longest affair: 4 varints of at most 8 bytes, one of at most 10, 5 address bytes
    if (this.pos + 64 > this.buf.length) this.grow();
    const t = Number.isFinite(time) ? Math.round(time) : this.prev;
    if (this.n === 0) {
      this.base = this.prev = this.min = this.max = t;
    } else if (t < this.min) this.min = t;
    else if (t > this.max) this.max = t;
    const b = this.buf;
    let p = this.pos;
    if (v4 >= 0) {
      b[p] = 0;
      b[p + 1] = v4 >>> 24;
      b[p + 2] = (v4 >>> 16) & 255;
      b[p + 3] = (v4 >>> 8) & 255;
      b[p + 4] = v4 & 255;
      p += 5;
    } else p = this.varint(p, this.stringId(ip) + 1);
    const d = t - this.prev;
    this.prev = t;
    p = this.varint(p, d >= 0 ? d * 2 : -d * 2 - 1);
    p = this.varint(p, kind);
    p = this.varint(p, user === null ? 0 : this.stringId(user) + 1);
    p = this.varint(p, vhost === null ? 0 : this.stringId(vhost) + 1);
    this.pos = p;
    this.n++;
  }

  /** The block built so far (its data copied out) and starts the next one; undefined when empty. */
  take(): BlockValues | undefined {
    if (this.n === 0) return undefined;
    const block: BlockValues = {
      base_time: this.base,
      min_time: this.min,
      max_time: this.max,
      affairs: this.n,
      strings: JSON.stringify(this.strings),
      data: Buffer.from(this.buf.subarray(0, this.pos)),
    };
    this.reset();
    return block;
  }

  /** Drops what was added (its transaction rolled back). */
  reset(): void {
    this.pos = 0;
    this.n = 0;
    this.strings.length = 0;
    this.stringIds.clear();
  }

  private stringId(s: string): number {
    let k = this.stringIds.get(s);
    if (k === undefined) {
      k = this.strings.length;
      this.strings.push(s);
      this.stringIds.set(s, k);
    }
    return k;
  }

  private varint(p: number, v: number): number {
    const b = this.buf;
    while (v >= 128) {
      b[p++] = (v % 128) | 128;
      v = Math.floor(v / 128);
    }
    b[p++] = v;
    return p;
  }

  private grow(): void {
    const next = Buffer.allocUnsafe(this.buf.length * 2);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }
}

/** Reads a block's affairs in order: next() moves to the following one and fills the fields. */
export class BlockReader {
  /** position in the block, 0-based */
  seq = -1;
  /** IPv4 address as an unsigned number; -1: the address is `text` */
  v4 = -1;
  text = '';
  time: number;
  kind = 0;
  user: string | null = null;
  vhost: string | null = null;
  private p = 0;
  private readonly strings: readonly string[];

  /** Throws when `strings` is not a JSON array of strings. */
  constructor(
    private readonly data: Uint8Array,
    strings: string,
    base: number,
  ) {
    const list: unknown = JSON.parse(strings);
    if (!Array.isArray(list) || !list.every((s) => typeof s === 'string')) throw new Error('affair block: strings is not an array of strings');
    this.strings = list as string[];
    this.time = base;
  }

  /** The address as canonical text. */
  get ip(): string {
    return this.v4 >= 0 ? dottedQuad(this.v4) : this.text;
  }

  /** Moves to the next affair; false at the end. Throws on a truncated or inconsistent block. */
  next(): boolean {
    const d = this.data;
    if (this.p >= d.length) return false;
    const tag = this.varint();
    if (tag === 0) {
      if (this.p + 4 > d.length) throw new Error('affair block: truncated address');
      const p = this.p;
      this.v4 = (d[p]! * 16_777_216 + ((d[p + 1]! << 16) | (d[p + 2]! << 8) | d[p + 3]!)) >>> 0;
      this.p += 4;
    } else {
      this.v4 = -1;
      this.text = this.string(tag);
    }
    const z = this.varint();
    this.time += z % 2 === 0 ? z / 2 : -(z + 1) / 2;
    this.kind = this.varint();
    const u = this.varint();
    this.user = u === 0 ? null : this.string(u);
    const v = this.varint();
    this.vhost = v === 0 ? null : this.string(v);
    this.seq++;
    return true;
  }

  private string(ref: number): string {
    const s = this.strings[ref - 1];
    if (s === undefined) throw new Error('affair block: string reference out of range');
    return s;
  }

  private varint(): number {
    const d = this.data;
    let v = 0;
    let scale = 1;
    for (;;) {
      if (this.p >= d.length || scale > 2 ** 56) throw new Error('affair block: truncated number');
      const byte = d[this.p++]!;
      v += (byte & 127) * scale;
      if (byte < 128) return v;
      scale *= 128;
    }
  }
}
