// A FirewallBackend decorator that times every apply (for the watcher_fw_apply_seconds histogram)
// and counts the module bans it added. It changes nothing it forwards: fw-writer stays the only
// caller and the backend the only thing that touches the firewall.
import { performance } from 'node:perf_hooks';
import type { FirewallBackend } from '../../../actors/fw/backend.js';
import type { EntryOp } from '../../core/fw-plan.js';

export type ApplyKind = 'batch' | 'replace' | 'plan' | 'teardown';

export interface ApplyObserver {
  /** one backend call finished (ok) or threw (not ok) after this many seconds */
  applied(kind: ApplyKind, seconds: number, ok: boolean): void;
  /** a live batch was applied: these are its operations */
  batch(ops: readonly EntryOp[]): void;
}

export function timedBackend(backend: FirewallBackend, observer: ApplyObserver): FirewallBackend {
  const timed = async <T>(kind: ApplyKind, run: () => Promise<T>): Promise<T> => {
    const t0 = performance.now();
    try {
      const r = await run();
      observer.applied(kind, (performance.now() - t0) / 1000, true);
      return r;
    } catch (e) {
      observer.applied(kind, (performance.now() - t0) / 1000, false);
      throw e;
    }
  };
  return {
    name: backend.name,
    probe: () => backend.probe(),
    applyPlan: (plan) => timed('plan', () => backend.applyPlan(plan)),
    replaceSet: (set, plan) => timed('replace', () => backend.replaceSet(set, plan)),
    applyBatch: async (ops) => {
      await timed('batch', () => backend.applyBatch(ops));
      observer.batch(ops);
    },
    verify: (expected) => backend.verify(expected),
    teardown: () => timed('teardown', () => backend.teardown()),
    close: () => backend.close(),
  };
}
