// The fw-writer's work queue (pure): jobs built from requests, with bursts of single-entry changes
// coalesced into one batch and superseded full plans merged. No I/O, no clock.
import type { EntryOp, ExpectedSet, FirewallPlan, PlannedSet } from './fw-plan.js';
import { expectedOf } from './fw-plan.js';
import type { FwRequestMeta, FwWriterEvent } from './events.js';

export type FwJob =
  /** live adds/removes, in request order, applied as one batch */
  | { kind: 'entries'; ops: EntryOp[]; metas: FwRequestMeta[] }
  /** replace one source's sets */
  | { kind: 'replace'; set: PlannedSet; metas: FwRequestMeta[] }
  /** replace the whole firewall */
  | { kind: 'plan'; plan: FirewallPlan; metas: FwRequestMeta[] }
  /** rebuild the plan from its sources and apply it (after drift was found) */
  | { kind: 'repair'; drifts: string[]; metas: FwRequestMeta[] }
  /** remove everything Watcher owns */
  | { kind: 'teardown'; metas: FwRequestMeta[] };

/** Largest batch of entry changes handed to the backend at once. */
export const MAX_BATCH = 20_000;

function metaOf(e: FwRequestMeta): FwRequestMeta {
  return e.replyTo ? { opId: e.opId, replyTo: e.replyTo } : { opId: e.opId };
}

/** Appends a request to the queue, coalescing where it is safe to. Returns a new array. */
export function enqueue(queue: readonly FwJob[], ev: FwWriterEvent): FwJob[] {
  const q = queue.slice();
  switch (ev.type) {
    case 'ban.requested':
    case 'unban.requested': {
      const last = q[q.length - 1];
      // Only the tail may grow: the head may be in flight in the backend right now. The tail batch
      // is appended in place (amortised O(1)): copying it per request made a 10,000-ban burst
      // quadratic. A job is never changed once it is the head.
      if (last && last.kind === 'entries' && q.length > 1 && last.ops.length + ev.ops.length <= MAX_BATCH) {
        for (const op of ev.ops) last.ops.push(op);
        last.metas.push(metaOf(ev));
      } else {
        q.push({ kind: 'entries', ops: [...ev.ops], metas: [metaOf(ev)] });
      }
      return q;
    }
    case 'set.replace': {
      // A newer list for the same source supersedes a queued one that has not started.
      const i = q.findIndex((j, idx) => idx > 0 && j.kind === 'replace' && j.set.source === ev.set.source);
      if (i > 0) {
        const old = q[i] as Extract<FwJob, { kind: 'replace' }>;
        q.splice(i, 1);
        q.push({ kind: 'replace', set: ev.set, metas: [...old.metas, metaOf(ev)] });
      } else q.push({ kind: 'replace', set: ev.set, metas: [metaOf(ev)] });
      return q;
    }
    case 'plan.apply': {
      // A full plan supersedes queued plans and repairs (not yet started): their requesters get its outcome.
      const merged: FwRequestMeta[] = [];
      const kept = q.filter((j, idx) => {
        if (idx > 0 && (j.kind === 'plan' || j.kind === 'repair')) {
          merged.push(...j.metas);
          return false;
        }
        return true;
      });
      kept.push({ kind: 'plan', plan: ev.plan, metas: [...merged, metaOf(ev)] });
      return kept;
    }
    case 'fw.teardown':
      q.push({ kind: 'teardown', metas: [metaOf(ev)] });
      return q;
    default:
      return q;
  }
}

/** Puts a repair job right behind the job in flight (or first when idle), unless one is queued. */
export function enqueueRepair(queue: readonly FwJob[], drifts: string[], inFlight: boolean): FwJob[] {
  if (queue.some((j) => j.kind === 'repair' || j.kind === 'plan')) return [...queue];
  const q = [...queue];
  q.splice(inFlight ? 1 : 0, 0, { kind: 'repair', drifts, metas: [] });
  return q;
}

/**
 * What the kernel should hold after a job, for drift checks. Entry counts are a lower bound kept
 * from plan counts plus adds minus removes: a set expected non-empty that is empty has drifted.
 */
export function expectedAfter(expected: readonly ExpectedSet[], job: FwJob, appliedPlan?: FirewallPlan): ExpectedSet[] {
  switch (job.kind) {
    case 'plan':
      return expectedOf(job.plan);
    case 'repair':
      return appliedPlan ? expectedOf(appliedPlan) : [...expected];
    case 'teardown':
      return [];
    case 'replace': {
      const fresh = expectedOf({ sets: [job.set] })[0]!;
      const i = expected.findIndex((e) => e.source === job.set.source);
      const next = [...expected];
      if (i >= 0) next[i] = fresh;
      else next.push(fresh);
      return next;
    }
    case 'entries': {
      const next = expected.map((e) => ({ ...e }));
      for (const op of job.ops) {
        const e = next.find((x) => x.source === op.source);
        if (!e) continue;
        const d = op.op === 'add' ? 1 : -1;
        if (op.family === 4) e.count4 = Math.max(0, e.count4 + d);
        else e.count6 = Math.max(0, e.count6 + d);
      }
      return next;
    }
  }
}

/**
 * Splits entry changes into those for sets the kernel has and those for sources that have no set
 * (e.g. a module that is not enabled): the latter can never succeed and are refused at once.
 * Before the first plan is applied every source is accepted.
 */
export function splitKnown(ops: readonly EntryOp[], expected: readonly ExpectedSet[]): { known: readonly EntryOp[]; unknown: EntryOp[] } {
  // The common case (every op known) allocates nothing but the answer: `known` is `ops` itself.
  if (allKnown(ops, expected)) return { known: ops, unknown: [] };
  const known: EntryOp[] = [];
  const unknown: EntryOp[] = [];
  for (const op of ops) (hasSet(expected, op.source) ? known : unknown).push(op);
  return { known, unknown };
}

/** Whether every op targets a set the kernel has; before the first plan every source is accepted. */
export function allKnown(ops: readonly EntryOp[], expected: readonly ExpectedSet[]): boolean {
  if (expected.length === 0) return true;
  for (let i = 0; i < ops.length; i++) if (!hasSet(expected, ops[i]!.source)) return false;
  return true;
}

/** A linear scan: a firewall has a handful of sets, fewer than a Set would pay for. */
function hasSet(expected: readonly ExpectedSet[], source: string): boolean {
  for (let i = 0; i < expected.length; i++) if (expected[i]!.source === source) return true;
  return false;
}
