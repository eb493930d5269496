// Builds the runnable fw-writer: the machine from machines/fw-writer.ts with its side effects
// provided by one firewall backend. Nothing else in Watcher holds a backend.
import { fromCallback, fromPromise } from 'xstate';
import { performance } from 'node:perf_hooks';
import { fwWriterMachine, type ApplierCommand, type ApplierReport, type JobResult } from '../machines/fw-writer.js';
import { expectedAfter, type FwJob } from '../src/core/fw-queue.js';
import { emptyEntries, type ExpectedSet, type FirewallPlan, type PlannedSet } from '../src/core/fw-plan.js';
import type { Drift, FirewallBackend, MissingPiece } from './fw/backend.js';
import type { Logger } from '../src/log.js';

export interface FwWriterDeps {
  backend: FirewallBackend;
  /** Rebuilds the full plan from its sources (lists, load pool, module databases) for repairs. */
  rebuildPlan: () => Promise<FirewallPlan>;
  log: Logger;
}

/** The rule order the kernel has now, with the replaced set in place (or appended when new). */
function skeletonWith(expected: ExpectedSet[], set: PlannedSet): FirewallPlan {
  const sets: PlannedSet[] = expected.map((e) =>
    e.source === set.source ? set : { source: e.source, verdict: e.verdict, entries: emptyEntries() },
  );
  if (!expected.some((e) => e.source === set.source)) sets.push(set);
  return { sets };
}

async function runJob(deps: FwWriterDeps, job: FwJob, expected: ExpectedSet[]): Promise<JobResult> {
  const t0 = performance.now();
  const { backend } = deps;
  switch (job.kind) {
    case 'entries':
      await backend.applyBatch(job.ops);
      return { ms: performance.now() - t0 };
    case 'replace':
      return { stats: await backend.replaceSet(job.set, skeletonWith(expected, job.set)), ms: performance.now() - t0 };
    case 'plan':
      return { stats: await backend.applyPlan(job.plan), ms: performance.now() - t0 };
    case 'repair': {
      deps.log.warn(`firewall drifted (${job.drifts.join('; ')}): re-applying the full plan`);
      const plan = await deps.rebuildPlan();
      const stats = await backend.applyPlan(plan);
      deps.log.warn(`firewall repaired: ${stats.total} entries re-applied in ${stats.seconds.toFixed(2)} s`);
      return { stats, plan, ms: performance.now() - t0 };
    }
    case 'teardown':
      await backend.teardown();
      return { ms: performance.now() - t0 };
  }
}

/**
 * The fw-writer actor logic, ready to be started by the supervisor. The closure outlives one
 * incarnation of the machine: it remembers what was applied so a restarted writer can verify it.
 */
export function fwWriterLogic(deps: FwWriterDeps) {
  let applied: ExpectedSet[] = [];
  return fwWriterMachine.provide({
    actors: {
      probe: fromPromise<MissingPiece[]>(async () => {
        const missing = await deps.backend.probe();
        // Said once per probe, with what to do; requests stay queued until the firewall is usable.
        for (const m of missing) deps.log.error(`firewall unusable: ${m.what} — ${m.fix}; requests stay queued and are applied once it is fixed`);
        return missing;
      }),
      recall: fromPromise<ExpectedSet[]>(async () => applied),
      applier: fromCallback<ApplierCommand>(({ receive, sendBack }) => {
        receive(({ job, expected }) => {
          runJob(deps, job, expected).then(
            (result) => {
              applied = expectedAfter(expected, job, result.plan);
              sendBack({ type: 'job.done', result } satisfies ApplierReport);
            },
            (error: unknown) => {
              deps.log.warn(`${job.kind} failed, will retry: ${error instanceof Error ? error.message : String(error)}`);
              sendBack({ type: 'job.failed', error } satisfies ApplierReport);
            },
          );
        });
      }),
      verify: fromPromise<Drift[], { expected: ExpectedSet[] }>(({ input }) =>
        deps.backend.verify(input.expected).catch((e: unknown) => {
          deps.log.warn(`drift check failed, next try at the next interval: ${e instanceof Error ? e.message : String(e)}`);
          throw e;
        }),
      ),
    },
  });
}
