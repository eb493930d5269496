// The default firewall backend: one hash:net ipset per source and family, matched by a WATCHER chain
// that INPUT jumps to first. Loads fill temporary sets and swap them in; live bans go through `ipset -`.
import { availableParallelism } from 'node:os';
import type { Exec } from '../../src/adapters/exec.js';
import { WatcherError } from '../../src/core/errors.js';
import type { EntryOp, ExpectedSet, Family, FirewallPlan, PlannedSet } from '../../src/core/fw-plan.js';
import type { ApplyStats, Drift, FirewallBackend, MissingPiece } from './backend.js';
import { findDrifts, parseSetHeaders } from './ipset-drift.js';
import { probeIpset } from './ipset-probe.js';
import { runChecked } from './ipset-run.js';
import {
  entriesOf,
  renderDestroy,
  renderLoad,
  renderOpsInteractive,
  renderOpsRestore,
  renderSwap,
  SET_PREFIX,
  setName,
  tempName,
  type SwapStep,
} from './ipset-script.js';
import { SerialQueue } from './ipset-queue.js';
import { IpsetSession } from './ipset-session.js';
import { jumpCount, parseFilter, renderChain, renderRemoval, type ChainRule, type FilterState } from './iptables-rules.js';

export interface IpsetBackendOptions {
  /** batches of at least this many ops go through one `ipset restore` instead of the session */
  batchThreshold: number;
  log?: (msg: string) => void;
  /**
   * Temporary sets loaded at once by a master load. Measured on 2 cores, 4 sets of 250k: one at a time
   * 3.0 s, two 1.55 s, four 4.9-6.0 s. Default: 2, or 1 on a single core.
   */
  loadConcurrency?: number;
}

const FAMILIES = [4, 6] as const;
/** A load of several million entries takes tens of seconds; Exec's 120 s default is too tight for it. */
const LOAD_TIMEOUT_MS = 15 * 60_000;

interface Target extends SwapStep {
  set: PlannedSet;
}

export class IpsetBackend implements FirewallBackend {
  readonly name = 'ipset' as const;
  private readonly session: IpsetSession;
  private readonly log: (msg: string) => void;
  /** one firewall operation at a time: a live ban must not land in a set that is being swapped out */
  private readonly queue = new SerialQueue();

  constructor(
    private readonly exec: Exec,
    private readonly opts: IpsetBackendOptions,
  ) {
    this.log = opts.log ?? (() => undefined);
    this.session = new IpsetSession(exec, this.log);
  }

  probe(): Promise<MissingPiece[]> {
    return probeIpset(this.exec);
  }

  applyPlan(plan: FirewallPlan): Promise<ApplyStats> {
    return this.queue.run(async () => {
      const lap = laps();
      const existing = await this.setNames();
      const targets = plan.sets.flatMap((set) => this.targetsOf(set, existing));
      const names = new Set(targets.map((t) => t.name));
      if (names.size !== targets.length) throw new WatcherError('WATCHER_E_CONFIG', 'the firewall plan names a source twice');
      lap('list');
      await this.loadTemps(targets);
      lap('load');
      await this.ipsetRestore(renderSwap(targets));
      lap('swap');
      await this.writeRules(plan.sets);
      lap('rules');
      // Only now no rule references them any more (a referenced set cannot be destroyed).
      const stale = [...existing].filter((n) => n.startsWith(SET_PREFIX) && !names.has(n));
      if (stale.length > 0) {
        // The plan is live already; a stale set someone else references is worth a warning, not a retry.
        await this.ipsetRestore(renderDestroy(stale)).catch((e: unknown) => this.log(`stale sets kept: ${String(e)}`));
      }
      const result = stats(plan.sets, lap('stale'));
      this.log(`master load of ${result.total} entries in ${result.seconds.toFixed(3)} s (${lap.summary()})`);
      // Live bans follow a master load: have their session ready (a spawn costs milliseconds).
      await this.session.warm();
      return result;
    });
  }

  replaceSet(set: PlannedSet, plan: FirewallPlan): Promise<ApplyStats> {
    return this.queue.run(async () => {
      const lap = laps();
      const existing = await this.setNames();
      const targets = this.targetsOf(set, existing);
      // Both loads first, both swaps last, in one process: a failed load leaves the live sets untouched.
      const script = [...targets.flatMap((t) => renderLoad(t.name, t.family, set.entries)), renderSwap(targets)];
      await this.ipsetRestore(script).catch(async (e: unknown) => {
        await this.dropTemps(targets);
        throw e;
      });
      if (targets.some((t) => !t.exists)) await this.writeRules(withSet(plan, set));
      return stats([set], lap('done'));
    });
  }

  applyBatch(ops: EntryOp[]): Promise<void> {
    if (ops.length === 0) return Promise.resolve();
    return this.queue.run(async () => {
      if (ops.length < this.opts.batchThreshold) await this.session.run(renderOpsInteractive(ops));
      else await this.ipsetRestore(renderOpsRestore(ops));
    });
  }

  verify(expected: ExpectedSet[]): Promise<Drift[]> {
    return this.queue.run(async () => {
      const [headers, f4, f6] = await Promise.all([
        runChecked(this.exec, 'ipset', ['list', '-t']),
        this.filterState(4),
        this.filterState(6),
      ]);
      return findDrifts(expected, parseSetHeaders(headers), { 4: f4, 6: f6 });
    });
  }

  teardown(): Promise<void> {
    return this.queue.run(async () => {
      for (const family of FAMILIES) {
        const script = renderRemoval(await this.filterState(family));
        if (script !== null) await runChecked(this.exec, restoreCmd(family), ['-w', '--noflush'], { input: script });
      }
      const ours = [...(await this.setNames())].filter((n) => n.startsWith(SET_PREFIX));
      if (ours.length > 0) await this.ipsetRestore(renderDestroy(ours));
    });
  }

  close(): Promise<void> {
    return this.queue.run(() => this.session.close());
  }

  private targetsOf(set: PlannedSet, existing: Set<string>): Target[] {
    return FAMILIES.map((family) => {
      const name = setName(set.source, family);
      return { set, name, family, count: entriesOf(set.entries, family), exists: existing.has(name) };
    });
  }

  /**
   * Fills every temporary set, `loadConcurrency` processes at a time; the script of the next set is
   * built while another one loads. On a failure the others finish, then every temporary set goes.
   */
  private async loadTemps(targets: readonly Target[]): Promise<void> {
    const errors: unknown[] = [];
    let next = 0;
    const worker = async (): Promise<void> => {
      while (errors.length === 0 && next < targets.length) {
        const t = targets[next++]!;
        try {
          await this.ipsetRestore(renderLoad(t.name, t.family, t.set.entries));
        } catch (e) {
          errors.push(e);
        }
      }
    };
    const width = Math.max(1, Math.min(this.opts.loadConcurrency ?? Math.min(2, availableParallelism()), targets.length));
    await Promise.all(Array.from({ length: width }, worker));
    if (errors.length > 0) {
      await this.dropTemps(targets);
      throw errors[0];
    }
  }

  private async dropTemps(targets: readonly Target[]): Promise<void> {
    await this.ipsetRestore(renderDestroy(targets.map((t) => tempName(t.name)))).catch((e: unknown) =>
      this.log(`temporary sets kept after a failed load: ${String(e)}`),
    );
  }

  private async writeRules(sets: readonly PlannedSet[]): Promise<void> {
    await Promise.all(
      FAMILIES.map(async (family) => {
        const rules: ChainRule[] = sets.map((s) => ({ set: setName(s.source, family), verdict: s.verdict }));
        const jumps = jumpCount(await this.filterState(family));
        await runChecked(this.exec, restoreCmd(family), ['-w', '--noflush'], { input: renderChain(rules, jumps) });
      }),
    );
  }

  private async filterState(family: Family): Promise<FilterState> {
    return parseFilter(await runChecked(this.exec, family === 4 ? 'iptables' : 'ip6tables', ['-w', '-S']));
  }

  private async setNames(): Promise<Set<string>> {
    const out = await runChecked(this.exec, 'ipset', ['list', '-n']);
    return new Set(out.split('\n').map((l) => l.trim()).filter((l) => l !== ''));
  }

  /** `-exist`: destroying an absent temporary set and re-adding a present entry are not errors. */
  private async ipsetRestore(input: string | (string | Buffer)[]): Promise<void> {
    await runChecked(this.exec, 'ipset', ['-exist', 'restore'], { input, timeoutMs: LOAD_TIMEOUT_MS });
  }
}

function restoreCmd(family: Family): string {
  return family === 4 ? 'iptables-restore' : 'ip6tables-restore';
}

/** The plan's sets with `set` in its place, or added (accept sets before the first drop set). */
function withSet(plan: FirewallPlan, set: PlannedSet): PlannedSet[] {
  if (plan.sets.some((s) => s.source === set.source)) return plan.sets.map((s) => (s.source === set.source ? set : s));
  const firstDrop = plan.sets.findIndex((s) => s.verdict === 'drop');
  const at = set.verdict === 'accept' && firstDrop >= 0 ? firstDrop : plan.sets.length;
  return [...plan.sets.slice(0, at), set, ...plan.sets.slice(at)];
}

function stats(sets: readonly PlannedSet[], ms: number): ApplyStats {
  const perSource = sets.map((s) => ({ source: s.source, entries: entriesOf(s.entries, 4) + entriesOf(s.entries, 6) }));
  return { perSource, total: perSource.reduce((n, p) => n + p.entries, 0), seconds: ms / 1000 };
}

/** A stopwatch: each call records the phase that just ended and returns the milliseconds since the start. */
function laps(): ((phase: string) => number) & { summary: () => string } {
  const start = performance.now();
  let last = start;
  const parts: string[] = [];
  const lap = (phase: string): number => {
    const now = performance.now();
    parts.push(`${phase} ${Math.round(now - last)} ms`);
    last = now;
    return now - start;
  };
  return Object.assign(lap, { summary: () => parts.join(', ') });
}
