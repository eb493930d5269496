// WB flood detection: requests per client and vhost within a fixed window. One counter per pair, in
// typed arrays indexed by a slot (no object per pair, no key string built per line; IPv4 clients are
// found by their number), pruned as time passes, so memory stays bounded by the pairs of one window. Pure.
import { scanDottedQuad } from '../ip.js';
import { U32Table } from '../u32-table.js';
import { ownString } from '../own-string.js';

/** One vhost's clients: IPv4 ones by number, any other text (IPv6, mapped) by string. */
interface Clients {
  v4: U32Table;
  other: Map<string, number>;
}

const scratch = new Uint32Array(2);

export class FloodCounter {
  // vhost -> client -> slot; two levels so a line's own field strings are the keys (nothing concatenated)
  private readonly byVhost = new Map<string, Clients>();
  private start = new Float64Array(1024);
  private count = new Uint32Array(1024);
  private readonly free: number[] = [];
  private used = 0;
  private pairs = 0;
  private lastPrune = 0;

  /** requests: how many within windowMs are allowed; the next one is a flood (0 = off) */
  constructor(
    private readonly requests: number,
    private readonly windowMs: number,
  ) {}

  /** Counts one request; true exactly once per window, when the pair goes over the limit. */
  hit(vhost: string, client: string, now: number): boolean {
    if (this.requests <= 0) return false;
    if (now - this.lastPrune > this.windowMs) this.prune(now);
    let clients = this.byVhost.get(vhost);
    if (clients === undefined) {
      clients = { v4: new U32Table(), other: new Map() };
      this.byVhost.set(ownString(vhost), clients);
    }
    const v4 = scanDottedQuad(client, 0, client.length, scratch) === 32 && scratch[1] === client.length;
    const key = scratch[0]!;
    const found = v4 ? clients.v4.get(key) : (clients.other.get(client) ?? -1);
    if (found < 0) {
      const s = this.slot();
      this.start[s] = now;
      this.count[s] = 1;
      if (v4) clients.v4.set(key, s);
      else clients.other.set(ownString(client), s);
      this.pairs++;
      return false;
    }
    const slot = found;
    if (now - this.start[slot]! >= this.windowMs) {
      this.start[slot] = now;
      this.count[slot] = 1;
      return false;
    }
    const c = this.count[slot]! + 1;
    // saturates: a pair keeps flooding for the rest of its window without wrapping back to the limit
    if (c <= this.requests + 1) this.count[slot] = c;
    return c === this.requests + 1;
  }

  get tracked(): number {
    return this.pairs;
  }

  private slot(): number {
    const f = this.free.pop();
    if (f !== undefined) return f;
    if (this.used === this.start.length) {
      const start = new Float64Array(this.used * 2);
      start.set(this.start);
      this.start = start;
      const count = new Uint32Array(this.used * 2);
      count.set(this.count);
      this.count = count;
    }
    return this.used++;
  }

  private prune(now: number): void {
    this.lastPrune = now;
    const expired = (s: number): boolean => {
      if (now - this.start[s]! < this.windowMs) return false;
      this.free.push(s);
      this.pairs--;
      return true;
    };
    for (const [vhost, clients] of this.byVhost) {
      clients.v4.filter((_, s) => !expired(s));
      for (const [client, s] of clients.other) if (expired(s)) clients.other.delete(client);
      if (clients.v4.size === 0 && clients.other.size === 0) this.byVhost.delete(vhost);
    }
  }
}
