// Totals that only grow although the counters they are read from start again at 0 when an actor
// restarts: what Prometheus counters need. Read at scrape time; nothing here runs on the hot path.

/**
 * Sums counters kept per incarnation (a pipeline's stats object, a module actor): when the source
 * of a key changes, the old one's final count is retired into the base. The old source stays
 * readable (its object or stopped actor outlives it), so nothing counted before the change is lost.
 */
export class IncarnationTotals<S> {
  private readonly retired = new Map<string, number>();
  private readonly current = new Map<string, S>();

  constructor(private readonly read: (source: S) => number) {}

  /** The total for key, given its live source now (undefined while it is restarting or removed). */
  total(key: string, source: S | undefined): number | undefined {
    const cur = this.current.get(key);
    if (source !== undefined && cur !== source) {
      if (cur !== undefined) this.retired.set(key, (this.retired.get(key) ?? 0) + this.read(cur));
      this.current.set(key, source);
    }
    const live = this.current.get(key);
    if (live === undefined) return undefined;
    return (this.retired.get(key) ?? 0) + this.read(live);
  }
}

/**
 * A counter read as a plain number that may restart from 0 (the supervisor's restart count of a
 * child replaced by a reload): a drop is taken as a restart from 0, so the total keeps growing.
 */
export class GrowingTotals {
  private readonly base = new Map<string, number>();
  private readonly last = new Map<string, number>();

  total(key: string, value: number): number {
    const last = this.last.get(key) ?? 0;
    const base = (this.base.get(key) ?? 0) + (value >= last ? value - last : value);
    this.base.set(key, base);
    this.last.set(key, value);
    return base;
  }
}
