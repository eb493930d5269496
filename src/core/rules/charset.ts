// Over-approximated character sets for the static analysis of rule patterns: exact for ASCII, one
// bit for "some non-ASCII character". Never used to match text, only to reason about patterns.

/** A set of characters: 128 ASCII bits plus one bit standing for every code unit >= 128. */
export class CharSet {
  private readonly bits = new Uint32Array(4);
  high = false;

  static of(...codes: number[]): CharSet {
    const s = new CharSet();
    for (const c of codes) s.add(c);
    return s;
  }

  static range(from: number, to: number): CharSet {
    const s = new CharSet();
    s.addRange(from, to);
    return s;
  }

  static all(): CharSet {
    return CharSet.range(0, 127).withHigh(true);
  }

  withHigh(high: boolean): this {
    this.high = high;
    return this;
  }

  add(code: number): this {
    if (code >= 128) this.high = true;
    else this.bits[code >>> 5]! |= 1 << (code & 31);
    return this;
  }

  addRange(from: number, to: number): this {
    for (let c = from; c <= Math.min(to, 127); c++) this.add(c);
    if (to >= 128) this.high = true;
    return this;
  }

  addSet(o: CharSet): this {
    for (let i = 0; i < 4; i++) this.bits[i]! |= o.bits[i]!;
    this.high ||= o.high;
    return this;
  }

  has(code: number): boolean {
    return code >= 128 ? this.high : (this.bits[code >>> 5]! & (1 << (code & 31))) !== 0;
  }

  /** The ASCII complement; non-ASCII stays possible (over-approximation is the safe side here). */
  complement(): CharSet {
    const s = new CharSet();
    for (let i = 0; i < 4; i++) s.bits[i] = ~this.bits[i]! >>> 0;
    s.high = true;
    return s;
  }

  intersects(o: CharSet): boolean {
    for (let i = 0; i < 4; i++) if ((this.bits[i]! & o.bits[i]!) !== 0) return true;
    return this.high && o.high;
  }

  isEmpty(): boolean {
    return !this.high && this.bits.every((b) => b === 0);
  }

  /** ASCII members, for bucketing rules by the first character of a message. */
  asciiMembers(): number[] {
    const out: number[] = [];
    for (let c = 0; c < 128; c++) if (this.has(c)) out.push(c);
    return out;
  }
}

export const DIGITS = CharSet.range(48, 57);
export const WORD = CharSet.range(48, 57).addRange(65, 90).addRange(97, 122).add(95);
/** \s: ASCII white space; Unicode spaces make it non-ASCII too */
export const SPACES = CharSet.of(9, 10, 11, 12, 13, 32).withHigh(true);
