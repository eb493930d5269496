// The dry-run backend: records every operation (in memory, optionally as JSON lines in a journal file)
// and keeps a model of the sets so verify() and has() answer. It never runs a command.
import { appendFile } from 'node:fs/promises';
import { WatcherError } from '../../src/core/errors.js';
import {
  emptyEntries,
  entryCount,
  formatV4,
  type EntryOp,
  type ExpectedSet,
  type FirewallPlan,
  type PlannedSet,
  type SetEntries,
  type SourceName,
  type Verdict,
} from '../../src/core/fw-plan.js';
import type { ApplyStats, Drift, FirewallBackend, MissingPiece } from './backend.js';

/** One operation; plans are summarised (counts per source), never copied. */
export type DryRunOp =
  | { op: 'probe' | 'teardown' | 'close' }
  | { op: 'applyPlan'; sets: { source: SourceName; verdict: Verdict; entries: number }[] }
  | { op: 'replaceSet'; source: SourceName; verdict: Verdict; entries: number }
  | { op: 'applyBatch'; ops: EntryOp[] }
  | { op: 'verify'; drifts: string[] };

export type DryRunRecord = DryRunOp & { at: string };

/**
 * One source's set: the loaded entries as given (IPv4 singles stay a typed array: a 1M load costs 4 MB
 * here, not 60 MB of strings) plus the live changes since. "1.2.3.4/32" and "1.2.3.4" are one entry.
 */
class ModelSet {
  private readonly loadedText: Set<string>;
  private readonly added = new Set<string>();
  private readonly removed = new Set<string>();

  constructor(
    readonly verdict: Verdict,
    private readonly loaded: SetEntries,
  ) {
    this.loadedText = new Set([...loaded.v4nets, ...loaded.v6, ...loaded.v6nets]);
  }

  has(entry: string): boolean {
    if (this.added.has(entry)) return true;
    return !this.removed.has(entry) && this.inLoaded(entry);
  }

  add(entry: string): void {
    if (this.has(entry)) return;
    if (this.removed.delete(entry)) return;
    this.added.add(entry);
  }

  del(entry: string): void {
    if (!this.has(entry)) return;
    if (!this.added.delete(entry)) this.removed.add(entry);
  }

  count(family: 4 | 6): number {
    const l = this.loaded;
    const base = family === 4 ? l.v4.length + l.v4nets.length : l.v6.length + l.v6nets.length;
    const mine = (e: string): boolean => e.includes(':') === (family === 6);
    return base + [...this.added].filter(mine).length - [...this.removed].filter(mine).length;
  }

  private inLoaded(entry: string): boolean {
    if (this.loadedText.has(entry)) return true;
    const n = dottedQuad(entry);
    return n !== null && binarySearch(this.loaded.v4, n);
  }
}

function dottedQuad(s: string): number | null {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (!m) return null;
  const n = ((Number(m[1]) << 24) | (Number(m[2]) << 16) | (Number(m[3]) << 8) | Number(m[4])) >>> 0;
  return formatV4(n) === s ? n : null; // refuses 1.2.3.256 and leading zeros
}

function binarySearch(a: Uint32Array, n: number): boolean {
  let lo = 0;
  let hi = a.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const v = a[mid]!;
    if (v === n) return true;
    if (v < n) lo = mid + 1;
    else hi = mid - 1;
  }
  return false;
}

/** The canonical single-entry form: host routes are bare addresses, as in the kernel sets. */
function bare(entry: string): string {
  const host = entry.includes(':') ? '/128' : '/32';
  return entry.endsWith(host) ? entry.slice(0, -host.length) : entry;
}

export interface DryRunOptions {
  /** clock for record times (tests pass a fixed one) */
  now?: () => Date;
}

export class DryRunBackend implements FirewallBackend {
  readonly name = 'dry-run' as const;
  /** every operation, in order */
  readonly records: DryRunRecord[] = [];
  private model = new Map<SourceName, ModelSet>();
  private readonly now: () => Date;

  constructor(
    private readonly journalFile?: string,
    opts: DryRunOptions = {},
  ) {
    this.now = opts.now ?? (() => new Date());
  }

  /** Whether the set of `source` holds exactly this entry (address or CIDR, canonical form). */
  has(source: SourceName, entry: string): boolean {
    return this.model.get(source)?.has(bare(entry)) ?? false;
  }

  /** The sources with a set, in rule order. */
  sources(): SourceName[] {
    return [...this.model.keys()];
  }

  async probe(): Promise<MissingPiece[]> {
    await this.record({ op: 'probe' });
    return [];
  }

  async applyPlan(plan: FirewallPlan): Promise<ApplyStats> {
    const started = performance.now();
    await this.record({ op: 'applyPlan', sets: plan.sets.map((s) => ({ source: s.source, verdict: s.verdict, entries: entryCount(s.entries) })) });
    this.model = new Map(plan.sets.map((s) => [s.source, new ModelSet(s.verdict, s.entries)]));
    return stats(plan.sets, started);
  }

  async replaceSet(set: PlannedSet, _plan: FirewallPlan): Promise<ApplyStats> {
    const started = performance.now();
    await this.record({ op: 'replaceSet', source: set.source, verdict: set.verdict, entries: entryCount(set.entries) });
    this.model.set(set.source, new ModelSet(set.verdict, set.entries));
    return stats([set], started);
  }

  async applyBatch(ops: EntryOp[]): Promise<void> {
    if (ops.length === 0) return;
    await this.record({ op: 'applyBatch', ops: [...ops] });
    for (const o of ops) {
      // Like `add set` in the nft backend: a live ban into a set that does not exist creates it.
      let set = this.model.get(o.source);
      if (!set) {
        set = new ModelSet(o.source === 'whitelist' ? 'accept' : 'drop', emptyEntries());
        this.model.set(o.source, set);
      }
      if (o.op === 'add') set.add(bare(o.entry));
      else set.del(bare(o.entry));
    }
  }

  async verify(expected: ExpectedSet[]): Promise<Drift[]> {
    const drifts: Drift[] = [];
    for (const e of expected) {
      const set = this.model.get(e.source);
      if (!set) drifts.push({ what: `set of ${e.source} is missing` });
      else if (set.verdict !== e.verdict) drifts.push({ what: `set of ${e.source} has verdict ${set.verdict}, expected ${e.verdict}` });
      else {
        if (e.count4 > 0 && set.count(4) === 0) drifts.push({ what: `set of ${e.source} holds no IPv4 entries, expected ${e.count4}` });
        if (e.count6 > 0 && set.count(6) === 0) drifts.push({ what: `set of ${e.source} holds no IPv6 entries, expected ${e.count6}` });
      }
    }
    await this.record({ op: 'verify', drifts: drifts.map((d) => d.what) });
    return drifts;
  }

  async teardown(): Promise<void> {
    await this.record({ op: 'teardown' });
    this.model = new Map();
  }

  async close(): Promise<void> {
    await this.record({ op: 'close' });
  }

  /** Journal first, model after: a failed write leaves the model as it was, so a retry is exact. */
  private async record(op: DryRunOp): Promise<void> {
    const rec: DryRunRecord = { ...op, at: this.now().toISOString() };
    if (this.journalFile !== undefined) {
      try {
        await appendFile(this.journalFile, JSON.stringify(rec) + '\n');
      } catch (e) {
        throw new WatcherError('WATCHER_E_IO', `dry-run journal ${this.journalFile}: ${(e as Error).message}`, {
          location: { file: this.journalFile },
          cause: e,
        });
      }
    }
    this.records.push(rec);
  }
}

function stats(sets: readonly PlannedSet[], started: number): ApplyStats {
  const perSource = sets.map((s) => ({ source: s.source, entries: entryCount(s.entries) }));
  return { perSource, total: perSource.reduce((a, s) => a + s.entries, 0), seconds: (performance.now() - started) / 1000 };
}
