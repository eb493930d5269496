// The fw-writer machine: the single owner of firewall mutations. It queues requests, hands one job at
// a time to a long-lived applier actor, retries failures with backoff (a ban is never dropped),
// checks for drift periodically, and drains its queue before stopping. Pure: no I/O, no clock.
import { and, assign, emit, fromCallback, fromPromise, raise, sendTo, setup, stateIn, type AnyActorRef } from 'xstate';
import type { FwReplyEvent, FwRequestMeta, FwWriterEvent } from '../src/core/events.js';
import type { ExpectedSet, FirewallPlan } from '../src/core/fw-plan.js';
import { allKnown, enqueue, enqueueRepair, expectedAfter, splitKnown, type FwJob } from '../src/core/fw-queue.js';
import type { ApplyStats, Drift, MissingPiece } from '../actors/fw/backend.js';

export interface FwWriterInput {
  verifyIntervalMs: number;
  retryInitialMs: number;
  retryMaxMs: number;
}

/** What a job resolves with: stats of a load and, for a repair, the plan it applied. */
export interface JobResult {
  stats?: ApplyStats;
  plan?: FirewallPlan;
  /** how long the backend took, measured by the actor (machines read no clock) */
  ms?: number;
}

/** What the machine asks of the applier: run this job (the head of the queue) now. */
export type ApplierCommand = { type: 'job.run'; job: FwJob; expected: ExpectedSet[] };

/** What the applier reports back, exactly once per `job.run`. Internal: no other actor sends these. */
export type ApplierReport = { type: 'job.done'; result: JobResult } | { type: 'job.failed'; error: unknown };

export interface FwWriterContext extends FwWriterInput {
  queue: FwJob[];
  expected: ExpectedSet[];
  /** consecutive failures of the job at the head of the queue */
  failures: number;
  lastError: string | null;
  missing: MissingPiece[];
  applied: number;
}

/** Notifications emitted for observers (logging, metrics, status). */
export type FwWriterEmitted =
  | { type: 'fw.job.done'; kind: FwJob['kind']; ops: number; ms: number; stats?: ApplyStats }
  | { type: 'fw.job.failed'; kind: FwJob['kind']; error: string; retryInMs: number }
  | { type: 'fw.drift'; drifts: string[] }
  | { type: 'fw.missing'; missing: MissingPiece[] };

/** Raised by the machine itself when a drift check starts, so the verify clock counts again. */
type VerifyBegun = { type: 'verify.begun' };

function reply(metas: FwRequestMeta[], ev: (opId: string) => FwReplyEvent) {
  for (const m of metas) if (m.replyTo) (m.replyTo as AnyActorRef).send(ev(m.opId));
}

function backoffMs(ctx: FwWriterContext): number {
  return Math.min(ctx.retryMaxMs, ctx.retryInitialMs * 2 ** Math.max(0, ctx.failures - 1));
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

export const fwWriterMachine = setup({
  types: {
    context: {} as FwWriterContext,
    events: {} as FwWriterEvent | ApplierReport | VerifyBegun,
    input: {} as FwWriterInput,
    emitted: {} as FwWriterEmitted,
  },
  actors: {
    probe: fromPromise<MissingPiece[]>(async () => []),
    /**
     * Runs the jobs it is sent, one per `job.run`, and answers each with `job.done` or `job.failed`.
     * Long-lived (one for the writer's life) so a live ban costs no actor creation.
     */
    applier: fromCallback<ApplierCommand>(() => undefined),
    verify: fromPromise<Drift[], { expected: ExpectedSet[] }>(async () => []),
    /** what a previous incarnation of the writer had applied (empty at the daemon's first start) */
    recall: fromPromise<ExpectedSet[]>(async () => []),
  },
  delays: {
    verifyInterval: ({ context }) => context.verifyIntervalMs,
    retryDelay: ({ context }) => backoffMs(context),
  },
  guards: {
    hasWork: ({ context }) => context.queue.length > 0,
    hasMoreWork: ({ context }) => context.queue.length > 1,
    /** every op of a live request targets a set the kernel has (or no plan was applied yet) */
    allKnown: ({ context, event }) =>
      (event.type === 'ban.requested' || event.type === 'unban.requested') && allKnown(event.ops, context.expected),
    draining: stateIn('#fw-writer.active.lifecycle.draining'),
    hasExpected: ({ context }) => context.expected.length > 0,
    verifyDue: stateIn('#fw-writer.active.lifecycle.verifyDue'),
  },
  actions: {
    enqueueRequest: assign({ queue: ({ context, event }) => enqueue(context.queue, event as FwWriterEvent) }),
    /** live changes for sources without a set can never succeed: refuse them now, queue the rest */
    enqueueEntries: assign(({ context, event }) => {
      if (event.type !== 'ban.requested' && event.type !== 'unban.requested') return {};
      const { known, unknown } = splitKnown(event.ops, context.expected);
      if (unknown.length > 0 && event.replyTo) {
        const names = [...new Set(unknown.map((o) => o.source))].join(', ');
        (event.replyTo as AnyActorRef).send({ type: 'fw.failed', opId: event.opId, error: `no firewall set for ${names} (not in the applied plan)` });
      }
      if (known.length === 0) return {};
      if (unknown.length === 0) return { queue: enqueue(context.queue, event) };
      // the requester already has its answer: the rest is applied without a reply
      return { queue: enqueue(context.queue, { type: event.type, opId: event.opId, ops: [...known] }) };
    }),
    /** a live batch that keeps failing may target a set someone destroyed: repair before retrying */
    repairBeforeRetry: assign({
      queue: ({ context }) =>
        context.failures >= 2 && context.queue[0]?.kind === 'entries'
          ? enqueueRepair(context.queue, ['a live batch failed twice'], false)
          : context.queue,
    }),
    /** the head job is in the kernel: tell its requesters */
    replyHead: ({ context, event }) => {
      if (event.type !== 'job.done') return;
      const { stats } = event.result;
      reply(context.queue[0]!.metas, (opId) => (stats ? { type: 'fw.applied', opId, stats } : { type: 'fw.applied', opId }));
    },
    emitDone: emit(({ context, event }) => {
      const job = context.queue[0]!;
      const result = event.type === 'job.done' ? event.result : {};
      const done: FwWriterEmitted = { type: 'fw.job.done', kind: job.kind, ops: job.kind === 'entries' ? job.ops.length : 1, ms: result.ms ?? 0 };
      if (result.stats) done.stats = result.stats;
      return done;
    }),
    dropHead: assign(({ context, event }) => ({
      expected: expectedAfter(context.expected, context.queue[0]!, event.type === 'job.done' ? event.result.plan : undefined),
      queue: context.queue.slice(1),
      failures: 0,
      lastError: null,
      applied: context.applied + 1,
    })),
    runHead: sendTo('applier', ({ context }): ApplierCommand => ({ type: 'job.run', job: context.queue[0]!, expected: context.expected })),
  },
}).createMachine({
  id: 'fw-writer',
  context: ({ input }) => ({ ...input, queue: [], expected: [], failures: 0, lastError: null, missing: [], applied: 0 }),
  initial: 'active',
  states: {
    active: {
      type: 'parallel',
      invoke: { id: 'applier', src: 'applier' },
      on: {
        'ban.requested': { actions: 'enqueueEntries' },
        'unban.requested': { actions: 'enqueueEntries' },
        'set.replace': { actions: 'enqueueRequest' },
        'plan.apply': { actions: 'enqueueRequest' },
        'fw.teardown': { actions: 'enqueueRequest' },
      },
      states: {
        // The verify clock: drift is checked every verify interval whatever the load (a timer re-armed
        // on each idle entry let a steady stream of bans postpone it forever); a due check waits until
        // no job is in flight. Draining checks nothing more. One flat region: each region and nesting
        // level costs every machine step (every ban) more work.
        lifecycle: {
          initial: 'running',
          states: {
            running: { on: { drain: 'draining' }, after: { verifyInterval: 'verifyDue' } },
            verifyDue: { on: { drain: 'draining', 'verify.begun': 'running' } },
            draining: {},
          },
        },
        work: {
          initial: 'probing',
          states: {
            probing: {
              invoke: {
                src: 'probe',
                onDone: [
                  {
                    guard: ({ event }) => event.output.length > 0,
                    target: 'unavailable',
                    actions: [
                      assign({ missing: ({ event }) => event.output, failures: ({ context }) => context.failures + 1 }),
                      emit(({ event }) => ({ type: 'fw.missing' as const, missing: event.output })),
                    ],
                  },
                  { target: 'recalling', actions: assign({ missing: [], failures: 0 }) },
                ],
                onError: {
                  target: 'unavailable',
                  actions: assign({ lastError: ({ event }) => String(event.error), failures: ({ context }) => context.failures + 1 }),
                },
              },
            },
            // The firewall tools are missing: requests stay queued; probe again with backoff.
            unavailable: {
              always: { guard: 'draining', target: '#fw-writer.stopped' },
              after: { retryDelay: 'probing' },
            },
            // After a crash restart the queue is gone: check the kernel against what the previous
            // incarnation applied, so a lost job is repaired instead of silently missing.
            recalling: {
              invoke: {
                src: 'recall',
                onDone: [
                  { guard: ({ event }) => event.output.length > 0, target: 'verifying', actions: assign({ expected: ({ event }) => event.output }) },
                  { target: 'idle' },
                ],
                onError: 'idle',
              },
            },
            idle: {
              always: [
                { guard: 'hasWork', target: 'working' },
                { guard: 'draining', target: '#fw-writer.stopped' },
                { guard: and(['verifyDue', 'hasExpected']), target: 'verifying' },
              ],
              on: {
                // The common case goes straight to work in one step (no eventless step in between).
                'ban.requested': { guard: 'allKnown', target: 'working', actions: 'enqueueEntries' },
                'unban.requested': { guard: 'allKnown', target: 'working', actions: 'enqueueEntries' },
                'fw.verify': { guard: 'hasExpected', target: 'verifying' },
              },
            },
            // The head of the queue is with the applier; it answers exactly once.
            working: {
              entry: 'runHead',
              on: {
                'job.done': [
                  // more queued: hand over the next job at once (re-entering runs runHead again)
                  { guard: 'hasMoreWork', target: 'working', reenter: true, actions: ['replyHead', 'emitDone', 'dropHead'] },
                  { target: 'idle', actions: ['replyHead', 'emitDone', 'dropHead'] },
                ],
                'job.failed': {
                  target: 'backoff',
                  actions: [
                    assign({
                      failures: ({ context }) => context.failures + 1,
                      lastError: ({ event }) => errorText(event.error),
                    }),
                    emit(({ context }) => ({
                      type: 'fw.job.failed' as const,
                      kind: context.queue[0]!.kind,
                      error: context.lastError ?? 'unknown error',
                      retryInMs: backoffMs(context),
                    })),
                  ],
                },
              },
            },
            // A failed job stays at the head of the queue and is tried again: nothing is lost.
            backoff: {
              entry: 'repairBeforeRetry',
              after: { retryDelay: 'working' },
            },
            verifying: {
              entry: raise({ type: 'verify.begun' }),
              invoke: {
                src: 'verify',
                input: ({ context }) => ({ expected: context.expected }),
                onDone: [
                  {
                    guard: ({ event }) => event.output.length > 0,
                    target: 'idle',
                    actions: [
                      emit(({ event }) => ({ type: 'fw.drift' as const, drifts: event.output.map((d) => d.what) })),
                      assign({ queue: ({ context, event }) => enqueueRepair(context.queue, event.output.map((d) => d.what), false) }),
                    ],
                  },
                  { target: 'idle' },
                ],
                // A verify that cannot run is not drift: try again at the next interval.
                onError: { target: 'idle', actions: assign({ lastError: ({ event }) => String(event.error) }) },
              },
            },
          },
        },
      },
    },
    stopped: { type: 'final' },
  },
});
