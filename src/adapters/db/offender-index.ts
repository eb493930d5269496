// The offenders held in memory, found by address: IPv4 ones through a uint32 hash table, any other by
// its canonical text; both give the offender's slot in the offender book. Holds no state of its own
// beyond who is in memory.
import { scanDottedQuad } from '../../core/ip.js';
import { U32Table } from '../../core/u32-table.js';

const scratch = new Uint32Array(2);

export class OffenderIndex {
  private readonly v4 = new U32Table(256);
  private readonly other = new Map<string, number>();

  get size(): number {
    return this.v4.size + this.other.size;
  }

  /** The slot of address text `text` (canonical, or a miss), or -1. */
  find(text: string): number {
    if (scanDottedQuad(text, 0, text.length, scratch) === 32 && scratch[1] === text.length) return this.v4.get(scratch[0]!);
    return this.other.get(text) ?? -1;
  }

  /** The slot of IPv4 address `v4` (unsigned number), or -1. */
  findV4(v4: number): number {
    return this.v4.get(v4);
  }

  /** Indexes `slot` under its address: `v4` for an IPv4 one, else its canonical text `ip`. */
  add(ip: string, family: 4 | 6, v4: number, slot: number): void {
    if (family === 4) this.v4.set(v4, slot);
    else this.other.set(ip, slot);
  }

  delete(ip: string, family: 4 | 6, v4: number): void {
    if (family === 4) this.v4.delete(v4);
    else this.other.delete(ip);
  }
}
