// The offenders held in memory, found by address: IPv4 ones through a uint32 hash table into a slot
// array (no string hashed or compared per lookup), any other by its canonical text. Holds no state of
// its own beyond who is in memory.
import { scanDottedQuad } from '../../core/ip.js';
import { U32Table } from '../../core/u32-table.js';

export interface Indexed {
  readonly ip: string;
  readonly family: 4 | 6;
  /** IPv4: the address as a number */
  readonly v4: number;
}

const scratch = new Uint32Array(2);

export class OffenderIndex<T extends Indexed> {
  private readonly v4 = new U32Table(256);
  private readonly slots: (T | undefined)[] = [];
  private readonly free: number[] = [];
  private readonly other = new Map<string, T>();

  get size(): number {
    return this.v4.size + this.other.size;
  }

  /** The one of address text `text` (canonical, or a miss). */
  get(text: string): T | undefined {
    if (scanDottedQuad(text, 0, text.length, scratch) === 32 && scratch[1] === text.length) {
      const slot = this.v4.get(scratch[0]!);
      return slot < 0 ? undefined : this.slots[slot];
    }
    return this.other.get(text);
  }

  add(o: T): void {
    if (o.family !== 4) {
      this.other.set(o.ip, o);
      return;
    }
    const at = this.v4.get(o.v4);
    if (at >= 0) {
      this.slots[at] = o;
      return;
    }
    const slot = this.free.pop() ?? this.slots.length;
    this.slots[slot] = o;
    this.v4.set(o.v4, slot);
  }

  delete(o: T): void {
    if (o.family !== 4) {
      this.other.delete(o.ip);
      return;
    }
    const slot = this.v4.delete(o.v4);
    if (slot < 0) return;
    this.slots[slot] = undefined;
    this.free.push(slot);
  }

  /** Every one in memory; fn may delete the one it is given. */
  forEach(fn: (o: T) => void): void {
    const slots = this.slots;
    for (let i = 0; i < slots.length; i++) {
      const o = slots[i];
      if (o !== undefined) fn(o);
    }
    for (const o of [...this.other.values()]) fn(o);
  }
}
