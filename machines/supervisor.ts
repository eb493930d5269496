// The root of the actor tree: starts children in order, restarts them (one_for_one, backoff,
// intensity), applies reloads and stops everything in reverse order. Only it starts or stops actors.
// Children only ever receive events from it; nothing a child can send asks for a reload or restart.
import { and, assign, cancel, emit, enqueueActions, fromPromise, raise, setup, stateIn, type AnyActorRef } from 'xstate';
import type { SupervisorEvent, SupervisorNotice } from '../src/core/events.js';
import type { ExitKind } from '../src/core/supervisor-policy.js';
import {
  allStarted,
  awaitedSettled,
  headDrainTimeout,
  initialContext,
  planBeginStop,
  planDrainHead,
  planExit,
  planReload,
  planReloadRefused,
  planRestartDue,
  planStartBatch,
  planStopHead,
  planStoppingExit,
  stopHead,
  type Plan,
} from './supervisor-plan.js';
import type {
  ChildSpec,
  ReloadChanges,
  ReloaderInput,
  ReloadResult,
  SupervisorContext,
  SupervisorInput,
  SupervisorOutput,
} from './supervisor-types.js';

/** Events only the supervisor sends itself (timers, give-up); not part of anyone's vocabulary. */
type InternalEvent =
  | { type: 'supervisor.restart.due'; id: string }
  | { type: 'supervisor.give-up'; reason: string }
  | { type: 'supervisor.drain.timeout'; id: string }
  | { type: 'supervisor.reload.taken' };

/** What xstate itself sends a parent when a child completes or throws. */
type ChildExitEvent =
  | { type: `xstate.done.actor.${string}`; output?: unknown }
  | { type: `xstate.error.actor.${string}`; error?: unknown };

type MachineEvent = SupervisorEvent | InternalEvent | ChildExitEvent;

type PlanName =
  | 'startBatch'
  | 'childExit'
  | 'restartDue'
  | 'reloadDone'
  | 'reloadFailed'
  | 'beginStop'
  | 'stopHead'
  | 'drainHead'
  | 'drainTimedOut'
  | 'stoppingExit';

const RELOADER_ID = '@reloader';
const DONE = 'xstate.done.actor.';
const ERROR = 'xstate.error.actor.';

const restartTimerId = (id: string) => `restart:${id}`;

/** Which child an xstate done/error event is about, and how it ended. */
function exitOf(event: MachineEvent): { id: string; kind: ExitKind; error: unknown } | undefined {
  if (event.type.startsWith(DONE)) return { id: event.type.slice(DONE.length), kind: 'done', error: undefined };
  if (event.type.startsWith(ERROR)) return { id: event.type.slice(ERROR.length), kind: 'error', error: 'error' in event ? event.error : undefined };
  return undefined;
}

/**
 * An exit is about the current incarnation only if the actor under that id has ended: a late report
 * from a replaced or already handled incarnation finds a live actor, or none, and is ignored.
 */
function isCurrentExit(self: AnyActorRef, id: string): boolean {
  const children = self.getSnapshot().children as Record<string, AnyActorRef | undefined>;
  const ref = children[id];
  return ref !== undefined && ref.getSnapshot().status !== 'active';
}

function reloadOutcome(output: unknown): ReloadResult {
  const r = output as { ok?: unknown; changes?: ReloadChanges; problems?: unknown } | undefined;
  if (r?.ok === true && r.changes) return { ok: true, changes: r.changes };
  if (r?.ok === false && Array.isArray(r.problems)) return { ok: false, problems: r.problems.map(String) };
  return { ok: false, problems: ['reloader returned no result'] };
}

function planFor(name: PlanName, ctx: SupervisorContext, event: MachineEvent, self: AnyActorRef): Plan {
  const now = ctx.now();
  const exit = exitOf(event);
  switch (name) {
    case 'startBatch':
      return planStartBatch(ctx, now);
    case 'childExit':
      return exit && isCurrentExit(self, exit.id) ? planExit(ctx, exit.id, exit.kind, exit.error, now) : { context: ctx, ops: [] };
    case 'restartDue':
      return event.type === 'supervisor.restart.due' ? planRestartDue(ctx, event.id, now) : { context: ctx, ops: [] };
    case 'reloadDone': {
      const result = reloadOutcome('output' in event ? event.output : undefined);
      return result.ok ? planReload(ctx, result.changes, now) : planReloadRefused(ctx, result.problems, now);
    }
    case 'reloadFailed':
      return planReloadRefused(ctx, [`reloader failed: ${exit?.error instanceof Error ? exit.error.message : String(exit?.error)}`], now);
    case 'beginStop':
      return planBeginStop(ctx);
    case 'stopHead':
      return planStopHead(ctx, 'stopped');
    case 'drainHead':
      return planDrainHead(ctx);
    case 'drainTimedOut':
      return planStopHead(ctx, `drain timed out after ${headDrainTimeout(ctx) ?? 0} ms; stopped`);
    case 'stoppingExit':
      return exit && isCurrentExit(self, exit.id) ? planStoppingExit(ctx, exit.id, exit.kind, exit.error, now) : { context: ctx, ops: [] };
  }
}

/** Loose signature of spawnChild: specs bring their own logic, which setup's actor map cannot type. */
type SpawnAny = (logic: ChildSpec['logic'], options: { id: string; systemId: string; input?: unknown }) => void;

export const supervisorMachine = setup({
  types: {
    context: {} as SupervisorContext,
    events: {} as MachineEvent,
    input: {} as SupervisorInput,
    output: {} as SupervisorOutput,
    emitted: {} as SupervisorNotice,
  },
  actors: {
    // provided by the daemon: re-reads and validates the config and diffs it against the running one
    reloader: fromPromise<ReloadResult, ReloaderInput>(async () => ({ ok: false, problems: ['no reloader provided'] })),
  },
  actions: {
    /** Computes a plan (pure) and interprets its operations: the only place children are touched. */
    runPlan: enqueueActions(({ context, event, self, enqueue }, params: { plan: PlanName }) => {
      const { context: next, ops } = planFor(params.plan, context, event, self);
      enqueue.assign(() => next);
      for (const o of ops) {
        switch (o.op) {
          case 'spawn':
            (enqueue.spawnChild as unknown as SpawnAny)(o.spec.logic, {
              id: o.spec.id,
              systemId: o.spec.id,
              input: o.spec.input,
            });
            break;
          case 'stop':
            enqueue.stopChild(o.id);
            break;
          case 'send':
            enqueue.sendTo(o.id, o.event);
            break;
          case 'schedule-restart':
            enqueue.raise({ type: 'supervisor.restart.due', id: o.id }, { delay: o.delayMs, id: restartTimerId(o.id) });
            break;
          case 'cancel-restart':
            enqueue.cancel(restartTimerId(o.id));
            break;
          case 'notice': {
            const notice: SupervisorNotice = { type: 'supervisor.notice', level: o.level, message: o.message };
            enqueue.emit(o.childId === undefined ? notice : { ...notice, childId: o.childId });
            break;
          }
          case 'give-up':
            enqueue.raise({ type: 'supervisor.give-up', reason: o.reason });
            break;
        }
      }
    }),
  },
  guards: {
    allStarted: ({ context }) => allStarted(context),
    awaitedSettled: ({ context }) => awaitedSettled(context),
    nothingToStop: ({ context }) => stopHead(context) === undefined,
    headDrains: ({ context }) => headDrainTimeout(context) !== undefined,
    isHeadExit: ({ context, event }) => exitOf(event)?.id === stopHead(context),
    isHeadTimeout: ({ context, event }) => event.type === 'supervisor.drain.timeout' && event.id === stopHead(context),
    // reloads wait for the startup to finish; the pending mark is consumed when reloading starts
    reloadDue: and([stateIn('#supervisor.active.lifecycle.running'), stateIn('#supervisor.active.reloadRequest.pending')]),
  },
}).createMachine({
  id: 'supervisor',
  context: ({ input }) => initialContext(input),
  initial: 'active',
  output: ({ context }) => context.exit,
  states: {
    active: {
      type: 'parallel',
      on: {
        // any child's completion or crash, whatever its id
        'xstate.done.actor.*': { actions: { type: 'runPlan', params: { plan: 'childExit' } } },
        'xstate.error.actor.*': { actions: { type: 'runPlan', params: { plan: 'childExit' } } },
        'supervisor.restart.due': { actions: { type: 'runPlan', params: { plan: 'restartDue' } } },
        'supervisor.give-up': {
          target: 'stopping',
          actions: assign({ exit: ({ event }) => ({ exitCode: 1 as const, reason: event.reason }) }),
        },
        'shutdown.requested': {
          target: 'stopping',
          actions: [
            assign({ exit: { exitCode: 0 as const } }),
            emit({ type: 'supervisor.notice', level: 'info', message: 'shutdown requested' }),
          ],
        },
      },
      states: {
        lifecycle: {
          initial: 'starting',
          states: {
            starting: {
              initial: 'next',
              states: {
                next: {
                  always: [
                    { guard: 'allStarted', target: '#supervisor.active.lifecycle.running' },
                    { target: 'awaiting', actions: { type: 'runPlan', params: { plan: 'startBatch' } } },
                  ],
                },
                awaiting: { always: { guard: 'awaitedSettled', target: 'next' } },
              },
            },
            running: {},
          },
        },
        // the reload work: exactly one state runs it, one reload at a time
        reload: {
          initial: 'idle',
          states: {
            idle: { always: { guard: 'reloadDue', target: 'reloading' } },
            reloading: {
              entry: raise({ type: 'supervisor.reload.taken' }),
              invoke: {
                id: RELOADER_ID,
                src: 'reloader',
                input: ({ context }) => ({ children: context.specs }),
                onDone: { target: 'idle', actions: { type: 'runPlan', params: { plan: 'reloadDone' } } },
                onError: { target: 'idle', actions: { type: 'runPlan', params: { plan: 'reloadFailed' } } },
              },
            },
          },
        },
        // the one "pending" mark: a request while one is pending (or running) coalesces into it
        reloadRequest: {
          initial: 'none',
          states: {
            none: { on: { 'reload.requested': 'pending' } },
            pending: { on: { 'supervisor.reload.taken': 'none' } },
          },
        },
      },
    },
    stopping: {
      entry: { type: 'runPlan', params: { plan: 'beginStop' } },
      initial: 'next',
      on: {
        'xstate.done.actor.*': { actions: { type: 'runPlan', params: { plan: 'stoppingExit' } } },
        'xstate.error.actor.*': { actions: { type: 'runPlan', params: { plan: 'stoppingExit' } } },
      },
      states: {
        next: {
          always: [
            { guard: 'nothingToStop', target: '#supervisor.stopped' },
            { guard: 'headDrains', target: 'draining' },
            // stops one child; the changed context makes xstate evaluate this list again
            { actions: { type: 'runPlan', params: { plan: 'stopHead' } } },
          ],
        },
        draining: {
          entry: [
            { type: 'runPlan', params: { plan: 'drainHead' } },
            raise(({ context }) => ({ type: 'supervisor.drain.timeout' as const, id: stopHead(context) ?? '' }), {
              delay: ({ context }) => headDrainTimeout(context) ?? 0,
              id: 'drain-timeout',
            }),
          ],
          exit: cancel('drain-timeout'),
          on: {
            'xstate.done.actor.*': { guard: 'isHeadExit', target: 'next', actions: { type: 'runPlan', params: { plan: 'stoppingExit' } } },
            'xstate.error.actor.*': { guard: 'isHeadExit', target: 'next', actions: { type: 'runPlan', params: { plan: 'stoppingExit' } } },
            'supervisor.drain.timeout': { guard: 'isHeadTimeout', target: 'next', actions: { type: 'runPlan', params: { plan: 'drainTimedOut' } } },
          },
        },
      },
    },
    stopped: { type: 'final' },
  },
});

export type SupervisorMachine = typeof supervisorMachine;
