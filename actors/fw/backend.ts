// The contract every firewall backend (ipset+iptables, nftables, dry-run) fulfils. Only fw-writer
// holds a backend; nothing else may call these methods.
import type { EntryOp, ExpectedSet, FirewallPlan, PlannedSet } from '../../src/core/fw-plan.js';

export type BackendName = 'ipset' | 'nftables' | 'dry-run';

/** A piece missing on the host, with what to do about it. */
export interface MissingPiece {
  what: string;
  fix: string;
}

export interface ApplyStats {
  /** entries loaded per source */
  perSource: { source: string; entries: number }[];
  total: number;
  seconds: number;
}

/** One difference between the kernel and what Watcher applied. */
export interface Drift {
  what: string;
}

export interface FirewallBackend {
  readonly name: BackendName;
  /** Checks binaries and kernel set support; returns what is missing (empty = usable). */
  probe(): Promise<MissingPiece[]>;
  /** Atomically replaces everything Watcher owns in the firewall with the plan. */
  applyPlan(plan: FirewallPlan): Promise<ApplyStats>;
  /** Atomically replaces one source's sets (creating them and their rule if new); others untouched. */
  replaceSet(set: PlannedSet, plan: FirewallPlan): Promise<ApplyStats>;
  /** Applies live adds/removes of single entries as one batch; idempotent (add of present is fine). */
  applyBatch(ops: EntryOp[]): Promise<void>;
  /** Compares the kernel with the expected structure; lists the drifts (empty = in order). */
  verify(expected: ExpectedSet[]): Promise<Drift[]>;
  /** Removes every table, chain, rule and set Watcher created. */
  teardown(): Promise<void>;
  /** Stops long-lived helper processes. */
  close(): Promise<void>;
}
