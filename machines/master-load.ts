// The master load, a one-shot machine: build the full firewall plan from every source, hand it
// to fw-writer as one plan.apply, wait for the outcome and finish with the load summary.
// It never touches the firewall itself; its only side effects are the provided actors/actions.
import { assign, fromPromise, sendTo, setup, type AnyActorRef } from 'xstate';
import type { FirewallPlan } from '../src/core/fw-plan.js';
import type { FwReplyEvent } from '../src/core/events.js';
import type { ApplyStats } from '../actors/fw/backend.js';

/** The plan with what it took to build it (measured by the actor: machines read no clock). */
export interface BuiltPlan {
  plan: FirewallPlan;
  planSeconds: number;
  /** warnings found in the sources (invalid list entries with file:line), already logged */
  problems: number;
}

export interface MasterLoadOutput {
  outcome: 'loaded' | 'deferred' | 'failed';
  stats?: ApplyStats;
  planSeconds: number;
  error?: string;
}

export interface MasterLoadContext {
  built: BuiltPlan | null;
  error: string | null;
  stats: ApplyStats | null;
  opId: string;
  patienceMs: number;
  outcome: MasterLoadOutput['outcome'];
}

export const masterLoadMachine = setup({
  types: {
    context: {} as MasterLoadContext,
    events: {} as FwReplyEvent,
    input: {} as { opId: string; patienceMs: number },
    output: {} as MasterLoadOutput,
  },
  actors: {
    buildPlan: fromPromise<BuiltPlan>(async () => ({ plan: { sets: [] }, planSeconds: 0, problems: 0 })),
  },
  delays: {
    applyPatience: ({ context }) => context.patienceMs,
  },
  actions: {
    /** prints the load summary (provided: logging is a side effect) */
    report: (_: unknown, _params: { built: BuiltPlan | null; stats: ApplyStats | null; error: string | null }) => undefined,
  },
}).createMachine({
  id: 'master-load',
  context: ({ input }) => ({ built: null, error: null, stats: null, opId: input.opId, patienceMs: input.patienceMs, outcome: 'failed' }),
  initial: 'planning',
  states: {
    planning: {
      invoke: {
        src: 'buildPlan',
        onDone: { target: 'applying', actions: assign({ built: ({ event }) => event.output }) },
        onError: { target: 'failed', actions: assign({ error: ({ event }) => String(event.error) }) },
      },
    },
    applying: {
      entry: sendTo(
        ({ system }) => system.get('fw-writer') as AnyActorRef,
        ({ context, self }) => ({ type: 'plan.apply' as const, opId: context.opId, plan: context.built!.plan, replyTo: self }),
      ),
      // The writer retries until the plan is in; past this the rest of the tree starts anyway and
      // the plan stays queued in the writer (detection must not wait for a broken firewall).
      after: { applyPatience: 'deferred' },
      on: {
        'fw.applied': {
          guard: ({ context, event }) => event.opId === context.opId,
          target: 'loaded',
          actions: assign({ stats: ({ event }) => event.stats ?? null }),
        },
        'fw.failed': {
          guard: ({ context, event }) => event.opId === context.opId,
          target: 'failed',
          actions: assign({ error: ({ event }) => event.error }),
        },
      },
    },
    loaded: {
      type: 'final',
      entry: [assign({ outcome: 'loaded' as const }), { type: 'report', params: ({ context }) => ({ built: context.built, stats: context.stats, error: null }) }],
    },
    deferred: {
      type: 'final',
      entry: [
        assign({ outcome: 'deferred' as const, error: 'the firewall has not confirmed the load yet; it stays queued and is retried' }),
        { type: 'report', params: ({ context }) => ({ built: context.built, stats: null, error: context.error }) },
      ],
    },
    failed: {
      type: 'final',
      entry: [
        assign({ outcome: 'failed' as const }),
        { type: 'report', params: ({ context }) => ({ built: context.built, stats: null, error: context.error }) },
      ],
    },
  },
  output: ({ context }) => ({
    outcome: context.outcome,
    ...(context.stats ? { stats: context.stats } : {}),
    planSeconds: context.built?.planSeconds ?? 0,
    ...(context.error ? { error: context.error } : {}),
  }),
});
