// The nftables backend: table `inet watcher`, one input chain, plain + interval sets per source and family.
// Every change is one `nft -f -` transaction through Exec; it never touches tables other than its own.
import { which, SYSTEM_DIRS, type Exec, type ExecResult } from '../../src/adapters/exec.js';
import { WatcherError } from '../../src/core/errors.js';
import { entryCount, type EntryOp, type ExpectedSet, type FirewallPlan, type PlannedSet } from '../../src/core/fw-plan.js';
import type { ApplyStats, Drift, FirewallBackend, MissingPiece } from './backend.js';
import { kindIsInterval, NFT_PROBE_TABLE, NFT_TABLE_REF, nftSetName } from './nft-names.js';
import { SampleBook } from './nft-samples.js';
import { intervalElements, planInterval } from './nft-intervals.js';
import { renderChanges, setChanges, type SetChange } from './nft-batch.js';
import { renderPlan, renderReplace } from './nft-script.js';
import { blamedLines, elementCount, parseRuleset, structureDrifts } from './nft-verify.js';

const INSTALL = 'apt-get install nftables';
/** Sets up to this size may be listed to tell emptiness (100k plain: ~0.5 s; 1M: ~25 s). */
const LIST_LIMIT = 100_000;
/** Loads scale with the plan (1M entries ~5 s); leave room for slow hosts. */
const LOAD_TIMEOUT_MS = 600_000;

export interface NftBackendOptions {
  /** input hook priority, lower than the standard filter chains (0) so Watcher sees packets first */
  hookPriority: number;
  log?: (msg: string) => void;
  /** the nft program; default: found in the system directories (never on PATH: see Exec's which) */
  nftPath?: string;
}

export class NftBackend implements FirewallBackend {
  readonly name = 'nftables' as const;
  private readonly samples = new SampleBook();
  private readonly log: (msg: string) => void;

  constructor(
    private readonly exec: Exec,
    private readonly opts: NftBackendOptions,
  ) {
    this.log = opts.log ?? (() => undefined);
  }

  async probe(): Promise<MissingPiece[]> {
    try {
      await this.nft(['--version']);
    } catch (e) {
      if (e instanceof WatcherError && e.code === 'WATCHER_E_FW_MISSING') return [{ what: 'the nft program (nftables)', fix: INSTALL }];
      throw e;
    }
    // A scratch table with both set kinds proves the kernel has nf_tables with hash and interval sets.
    const script =
      `table inet ${NFT_PROBE_TABLE} {\n\tset p { type ipv4_addr; }\n\tset n { type ipv6_addr; flags interval; }\n}\n` +
      `delete table inet ${NFT_PROBE_TABLE}\n`;
    const r = await this.run(['-f', '-'], script);
    if (r.code !== 0) {
      return [{ what: `kernel nf_tables with sets (${firstLine(r.stderr)})`, fix: `${INSTALL}; modprobe nf_tables (kernel 5.x or newer)` }];
    }
    return [];
  }

  async applyPlan(plan: FirewallPlan): Promise<ApplyStats> {
    const started = performance.now();
    await this.nft(['-f', '-'], renderPlan(plan, this.opts.hookPriority), LOAD_TIMEOUT_MS);
    this.samples.clear();
    for (const s of plan.sets) this.samples.loaded((k) => nftSetName(s.source, k), s.entries);
    return stats(plan.sets, started);
  }

  async replaceSet(set: PlannedSet, plan: FirewallPlan): Promise<ApplyStats> {
    const started = performance.now();
    await this.nft(['-f', '-'], renderReplace(set, plan, this.opts.hookPriority), LOAD_TIMEOUT_MS);
    this.samples.loaded((k) => nftSetName(set.source, k), set.entries);
    return stats([set], started);
  }

  /**
   * One `nft -f -` process per batch. Interval-set changes are first planned against the set's current
   * contents (one listing per touched interval set; they are small by design), so nothing overlaps.
   * Adds go through `add set`, which also creates a set that went missing (its rule comes back with the
   * next plan or repair) instead of failing, and so blocking, the writer's queue.
   */
  async applyBatch(ops: EntryOp[]): Promise<void> {
    const changes = setChanges(ops);
    const plain = changes.filter((c) => !kindIsInterval(c.kind));
    const byInterval = new Map<string, SetChange[]>();
    for (const c of changes) {
      if (!kindIsInterval(c.kind)) continue;
      const list = byInterval.get(c.set) ?? [];
      list.push(c);
      byInterval.set(c.set, list);
    }
    const planned: SetChange[] = [];
    for (const [set, list] of byInterval) {
      const current = intervalElements((await this.nft(['-j', 'list', 'set', ...NFT_TABLE_REF.split(' '), set])).stdout);
      const plan = planInterval(current, list);
      for (const note of plan.notes) this.log(`nft set ${set}: ${note}`);
      planned.push(...plan.changes.map((c) => ({ set, kind: list[0]!.kind, ...c })));
    }
    const all = [...plain, ...planned];
    if (all.length === 0) return;
    await this.nft(['-f', '-'], renderChanges(all));
    this.samples.applied(all);
  }

  /**
   * Structure from the terse ruleset (no elements: ~10 ms even next to a 1M set), then emptiness of the
   * sets that should hold entries (see emptySets).
   */
  async verify(expected: ExpectedSet[]): Promise<Drift[]> {
    const structure = parseRuleset((await this.nft(['-j', '-t', 'list', 'ruleset'])).stdout);
    const drifts = structureDrifts(structure, expected, this.opts.hookPriority);
    if (!structure.table) return drifts;
    return [...drifts, ...(await this.emptySets(expected, structure.sets))];
  }

  /**
   * A plain set is checked by asking, in one check-mode transaction (`nft -c`: validated by the kernel,
   * never committed), whether its known samples exist; an interval set (small by design) is listed.
   * Without known samples (fresh backend, or all samples unbanned) a family's two sets are listed when
   * the plan gives them at most LIST_LIMIT entries, and skipped with a log line otherwise.
   */
  private async emptySets(expected: readonly ExpectedSet[], existing: ReadonlyMap<string, string>): Promise<Drift[]> {
    const families = expected.flatMap((e) => [
      ...(e.count4 > 0 ? [{ plain: nftSetName(e.source, 'v4'), net: nftSetName(e.source, 'v4n'), count: e.count4 }] : []),
      ...(e.count6 > 0 ? [{ plain: nftSetName(e.source, 'v6'), net: nftSetName(e.source, 'v6n'), count: e.count6 }] : []),
    ]).filter((f) => existing.has(f.plain) && existing.has(f.net)); // missing sets are reported already
    const present = await this.samplesPresent(families.map((f) => f.plain));
    const drifts: Drift[] = [];
    for (const f of families) {
      const plainKnown = this.samples.samples(f.plain).length > 0;
      const netKnown = this.samples.samples(f.net).length > 0;
      if (plainKnown && !present.has(f.plain)) drifts.push({ what: `set ${f.plain} holds none of its entries (emptied)` });
      if (netKnown && (await this.countElements(f.net)) === 0) drifts.push({ what: `set ${f.net} holds none of its entries (emptied)` });
      if (plainKnown || netKnown) continue;
      if (f.count > LIST_LIMIT) {
        this.log(`verify: emptiness of ${f.plain}/${f.net} not checked (no known entry; listing ${f.count} entries is too slow)`);
      } else if ((await this.countElements(f.plain)) + (await this.countElements(f.net)) === 0) {
        drifts.push({ what: `sets ${f.plain} and ${f.net} are empty, expected ${f.count} entries` });
      }
    }
    return drifts;
  }

  async teardown(): Promise<void> {
    // Create-then-delete in one transaction: idempotent whether or not the table exists.
    await this.nft(['-f', '-'], `table ${NFT_TABLE_REF} {}\ndelete table ${NFT_TABLE_REF}\n`, LOAD_TIMEOUT_MS);
    this.samples.clear();
  }

  async close(): Promise<void> {
    // No long-lived nft process: `nft -i` refetches its cache per line (26 s per entry next to a 1M set).
  }

  /**
   * Plain sets among `names` with at least one known sample present in the kernel. Not for interval
   * sets: nft rejects a missing interval in userspace and stops there, so only the first miss is named.
   */
  private async samplesPresent(names: string[]): Promise<Set<string>> {
    const lines: string[] = [];
    const lineSet: string[] = [];
    for (const name of names) {
      for (const s of this.samples.samples(name)) {
        lines.push(`delete element ${NFT_TABLE_REF} ${name} { ${s} }`);
        lineSet.push(name);
      }
    }
    const present = new Set<string>();
    if (lines.length === 0) return present;
    // Check mode: the kernel validates the deletions and aborts; a missing element is blamed by line.
    const r = await this.run(['-c', '-f', '-'], lines.join('\n') + '\n');
    const blamed = new Set(blamedLines(r.stderr));
    if (r.code !== 0 && blamed.size === 0) throw commandError('nft -c -f - (sample check)', r);
    lineSet.forEach((name, i) => {
      if (!blamed.has(i + 1)) present.add(name);
    });
    return present;
  }

  private async countElements(name: string): Promise<number> {
    return elementCount((await this.nft(['-j', 'list', 'set', ...NFT_TABLE_REF.split(' '), name])).stdout);
  }

  /** Runs nft; a missing binary (spawn failure, or `ip netns exec` unable to exec it) is FW_MISSING. */
  private async run(args: string[], input?: string | string[], timeoutMs?: number): Promise<ExecResult> {
    const bin = this.opts.nftPath ?? which('nft');
    if (bin === null) throw new WatcherError('WATCHER_E_FW_MISSING', `nft not found in ${SYSTEM_DIRS.join(', ')}`, { hint: INSTALL });
    let r: ExecResult;
    try {
      r = await this.exec.run(bin, args, { ...(input !== undefined ? { input } : {}), ...(timeoutMs ? { timeoutMs } : {}) });
    } catch (e) {
      throw new WatcherError('WATCHER_E_FW_MISSING', `cannot run nft: ${(e as Error).message}`, { hint: INSTALL, cause: e });
    }
    if (r.code !== 0 && /^exec of ".*" failed/m.test(r.stderr)) {
      throw new WatcherError('WATCHER_E_FW_MISSING', `cannot run nft: ${firstLine(r.stderr)}`, { hint: INSTALL });
    }
    return r;
  }

  private async nft(args: string[], input?: string | string[], timeoutMs?: number): Promise<ExecResult> {
    const r = await this.run(args, input, timeoutMs);
    if (r.code !== 0) throw commandError(`nft ${args.join(' ')}`, r);
    return r;
  }
}

function stats(sets: readonly PlannedSet[], started: number): ApplyStats {
  const perSource = sets.map((s) => ({ source: s.source, entries: entryCount(s.entries) }));
  return { perSource, total: perSource.reduce((a, s) => a + s.entries, 0), seconds: (performance.now() - started) / 1000 };
}

function firstLine(s: string): string {
  return s.trim().split('\n')[0] ?? '';
}

/** nft echoes the offending script line, which can hold thousands of elements: keep messages short. */
function clip(s: string, max = 2000): string {
  const t = s.trim();
  return t.length > max ? `${t.slice(0, max)}…` : t;
}

function commandError(what: string, r: ExecResult): WatcherError {
  return new WatcherError('WATCHER_E_FW_COMMAND', `${what} exited with ${r.code}: ${clip(r.stderr)}`);
}
