// WB flood detection: requests per client and vhost within a fixed window. One counter per pair,
// pruned as time passes, so memory stays bounded by the pairs seen in one window. Pure: time passed in.

export class FloodCounter {
  private readonly counts = new Map<string, { start: number; count: number }>();
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
    const key = `${vhost} ${client}`;
    const c = this.counts.get(key);
    if (!c || now - c.start >= this.windowMs) {
      this.counts.set(key, { start: now, count: 1 });
      return false;
    }
    c.count++;
    return c.count === this.requests + 1;
  }

  get tracked(): number {
    return this.counts.size;
  }

  private prune(now: number): void {
    this.lastPrune = now;
    for (const [k, c] of this.counts) if (now - c.start >= this.windowMs) this.counts.delete(k);
  }
}
