// The supervisor's decisions as pure functions: context in, new context and a list of operations out
// (spawn, stop, send, timers, notices). The machine only interprets the operations; this never runs them.
import type { EventObject } from 'xstate';
import { decideExit, resolvePolicy, type ExitKind } from '../src/core/supervisor-policy.js';
import type {
  ChildSpec,
  ChildStatus,
  ReloadChanges,
  SupervisorContext,
  SupervisorInput,
} from './supervisor-types.js';

export type SupervisorOp =
  | { op: 'spawn'; spec: ChildSpec }
  | { op: 'stop'; id: string }
  | { op: 'send'; id: string; event: EventObject }
  | { op: 'schedule-restart'; id: string; delayMs: number }
  | { op: 'cancel-restart'; id: string }
  | { op: 'notice'; level: 'info' | 'warn' | 'error'; message: string; childId?: string }
  | { op: 'give-up'; reason: string };

export interface Plan {
  context: SupervisorContext;
  ops: SupervisorOp[];
}

const nothing = (context: SupervisorContext): Plan => ({ context, ops: [] });

export function initialContext(input: SupervisorInput): SupervisorContext {
  const seen = new Set<string>();
  for (const spec of input.children) {
    // a programming error in the daemon's wiring, not a config problem: fail the start loudly
    if (seen.has(spec.id)) throw new Error(`supervisor: duplicate child id '${spec.id}'`);
    seen.add(spec.id);
  }
  const children: Record<string, ChildStatus> = {};
  for (const spec of input.children) children[spec.id] = freshStatus('waiting', null);
  return {
    specs: [...input.children],
    children,
    policy: resolvePolicy(input.policy),
    restartWindow: [],
    startIndex: 0,
    stopQueue: [],
    exit: { exitCode: 0 },
    lastReload: null,
    now: input.now,
  };
}

function freshStatus(state: ChildStatus['state'], startedAt: number | null): ChildStatus {
  return { state, restarts: 0, startedAt, restartAt: null, lastDelayMs: null, lastExit: null };
}

function specOf(ctx: SupervisorContext, id: string): ChildSpec | undefined {
  return ctx.specs.find((s) => s.id === id);
}

function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

// --- startup ---------------------------------------------------------------------------------

export function allStarted(ctx: SupervisorContext): boolean {
  return ctx.startIndex >= ctx.specs.length;
}

/** Starts children in order, up to and including the next awaitDone child. */
export function planStartBatch(ctx: SupervisorContext, now: number): Plan {
  const children = { ...ctx.children };
  const ops: SupervisorOp[] = [];
  let i = ctx.startIndex;
  while (i < ctx.specs.length) {
    const spec = ctx.specs[i++]!;
    children[spec.id] = freshStatus('running', now);
    ops.push({ op: 'spawn', spec }, { op: 'notice', level: 'info', message: 'started', childId: spec.id });
    if (spec.awaitDone) break;
  }
  return { context: { ...ctx, children, startIndex: i }, ops };
}

/**
 * Whether startup may go on past the last started child: it is not awaitDone, or it completed once
 * (even a permanent one that is being restarted), or it will not run again (a failed temporary one).
 */
export function awaitedSettled(ctx: SupervisorContext): boolean {
  const last = ctx.specs[ctx.startIndex - 1];
  if (!last?.awaitDone) return true;
  const st = ctx.children[last.id];
  return st === undefined || st.state === 'done' || st.state === 'stopped' || st.lastExit?.kind === 'done';
}

// --- exits and restarts ----------------------------------------------------------------------

/** A running child ended (the caller checked the event is about the current incarnation). */
export function planExit(ctx: SupervisorContext, id: string, exit: ExitKind, error: unknown, now: number): Plan {
  const spec = specOf(ctx, id);
  const st = ctx.children[id];
  if (!spec || st?.state !== 'running') return nothing(ctx);
  const lastExit = exit === 'error' ? { kind: exit, at: now, error: describeError(error) } : { kind: exit, at: now };
  const decision = decideExit(ctx.policy, {
    childId: id,
    mode: spec.restart,
    exit,
    startedAt: st.startedAt ?? now,
    previousDelayMs: st.lastDelayMs,
    window: ctx.restartWindow,
    now,
  });
  // the finished actor leaves the children map so a restart can take the same id and systemId
  const ops: SupervisorOp[] = [{ op: 'stop', id }];
  const how = exit === 'error' ? `failed: ${lastExit.error}` : 'completed';
  switch (decision.kind) {
    case 'leave': {
      const status: ChildStatus = { ...st, state: decision.state, lastExit };
      ops.push({ op: 'notice', level: exit === 'error' ? 'warn' : 'info', message: `${how}; not restarted (${spec.restart})`, childId: id });
      return { context: { ...ctx, children: { ...ctx.children, [id]: status } }, ops };
    }
    case 'restart': {
      const status: ChildStatus = { ...st, state: 'restarting', lastExit, lastDelayMs: decision.delayMs, restartAt: now + decision.delayMs };
      ops.push(
        { op: 'schedule-restart', id, delayMs: decision.delayMs },
        { op: 'notice', level: 'warn', message: `${how}; restart in ${decision.delayMs} ms`, childId: id },
      );
      return { context: { ...ctx, restartWindow: decision.window, children: { ...ctx.children, [id]: status } }, ops };
    }
    case 'give-up': {
      const status: ChildStatus = { ...st, state: 'stopped', lastExit };
      ops.push(
        { op: 'notice', level: 'error', message: `${how}; giving up: ${decision.reason}`, childId: id },
        { op: 'give-up', reason: decision.reason },
      );
      return { context: { ...ctx, restartWindow: decision.window, children: { ...ctx.children, [id]: status } }, ops };
    }
  }
}

/** A restart timer fired: start the child again if it is still waiting for exactly this. */
export function planRestartDue(ctx: SupervisorContext, id: string, now: number): Plan {
  const spec = specOf(ctx, id);
  const st = ctx.children[id];
  if (!spec || st?.state !== 'restarting') return nothing(ctx);
  const status: ChildStatus = { ...st, state: 'running', restarts: st.restarts + 1, startedAt: now, restartAt: null };
  return {
    context: { ...ctx, children: { ...ctx.children, [id]: status } },
    ops: [{ op: 'spawn', spec }, { op: 'notice', level: 'info', message: `restarted (#${status.restarts})`, childId: id }],
  };
}

// --- reload ----------------------------------------------------------------------------------

/** Ends whatever runs or waits under this id (a running actor or a pending restart). */
function retire(st: ChildStatus | undefined, id: string): SupervisorOp[] {
  if (st?.state === 'running') return [{ op: 'stop', id }];
  if (st?.state === 'restarting') return [{ op: 'cancel-restart', id }];
  return [];
}

/** Applies an accepted reload: remove, replace, update, then rerun (master load last). */
export function planReload(ctx: SupervisorContext, changes: ReloadChanges, now: number): Plan {
  let specs = [...ctx.specs];
  const children = { ...ctx.children };
  const ops: SupervisorOp[] = [];

  for (const id of changes.remove ?? []) {
    ops.push(...retire(children[id], id), { op: 'notice', level: 'info', message: 'removed by reload', childId: id });
    specs = specs.filter((s) => s.id !== id);
    delete children[id];
  }
  const startAgain = (spec: ChildSpec, why: string, keepRestarts: boolean) => {
    const before = children[spec.id];
    ops.push(...retire(before, spec.id));
    const at = specs.findIndex((s) => s.id === spec.id);
    if (at >= 0) specs[at] = spec;
    else specs.push(spec);
    children[spec.id] = { ...freshStatus('running', now), restarts: keepRestarts ? (before?.restarts ?? 0) : 0 };
    ops.push({ op: 'spawn', spec }, { op: 'notice', level: 'info', message: why, childId: spec.id });
  };
  for (const spec of changes.replace) startAgain(spec, 'replaced by reload', false);
  for (const { id, event } of changes.update) {
    if (children[id]?.state === 'running') ops.push({ op: 'send', id, event });
    else ops.push({ op: 'notice', level: 'warn', message: `not running; reload update '${event.type}' dropped`, childId: id });
  }
  for (const spec of changes.rerun) startAgain(spec, 'run again by reload', true);

  return { context: { ...ctx, specs, children, lastReload: { at: now, outcome: 'applied', problems: [] } }, ops };
}

/** A refused reload: the running config stays, the problems are logged and kept for status. */
export function planReloadRefused(ctx: SupervisorContext, problems: string[], now: number): Plan {
  const ops: SupervisorOp[] = problems.map((p) => ({ op: 'notice', level: 'error', message: `reload refused: ${p}` }));
  if (problems.length === 0) ops.push({ op: 'notice', level: 'error', message: 'reload refused' });
  return { context: { ...ctx, lastReload: { at: now, outcome: 'refused', problems } }, ops };
}

// --- shutdown --------------------------------------------------------------------------------

/** Cancels pending restarts and queues the running children in reverse start order. */
export function planBeginStop(ctx: SupervisorContext): Plan {
  const children = { ...ctx.children };
  const ops: SupervisorOp[] = [];
  for (const [id, st] of Object.entries(children)) {
    if (st.state !== 'restarting') continue;
    ops.push({ op: 'cancel-restart', id });
    children[id] = { ...st, state: 'stopped', restartAt: null };
  }
  const stopQueue = ctx.specs
    .map((s) => s.id)
    .filter((id) => children[id]?.state === 'running')
    .reverse();
  return { context: { ...ctx, children, stopQueue }, ops };
}

export function stopHead(ctx: SupervisorContext): string | undefined {
  return ctx.stopQueue[0];
}

/** The drain timeout of the child at the head of the stop queue; undefined: it does not drain. */
export function headDrainTimeout(ctx: SupervisorContext): number | undefined {
  const head = stopHead(ctx);
  return head === undefined ? undefined : specOf(ctx, head)?.shutdownTimeoutMs;
}

function withStopped(ctx: SupervisorContext, id: string, patch: Partial<ChildStatus>): SupervisorContext {
  const st = ctx.children[id];
  const children = st ? { ...ctx.children, [id]: { ...st, ...patch, state: 'stopped' as const } } : ctx.children;
  return { ...ctx, children, stopQueue: ctx.stopQueue.filter((q) => q !== id) };
}

/** Stops the head child now (it does not drain, or its drain timed out). */
export function planStopHead(ctx: SupervisorContext, why: string): Plan {
  const id = stopHead(ctx);
  if (id === undefined) return nothing(ctx);
  return {
    context: withStopped(ctx, id, {}),
    ops: [{ op: 'stop', id }, { op: 'notice', level: why === 'stopped' ? 'info' : 'warn', message: why, childId: id }],
  };
}

/** Asks the head child to drain; the machine arms the timeout. */
export function planDrainHead(ctx: SupervisorContext): Plan {
  const id = stopHead(ctx);
  const st = id === undefined ? undefined : ctx.children[id];
  if (id === undefined || !st) return nothing(ctx);
  return {
    context: { ...ctx, children: { ...ctx.children, [id]: { ...st, state: 'draining' } } },
    ops: [{ op: 'send', id, event: { type: 'drain' } }],
  };
}

/** A child ended during shutdown (drained, or crashed meanwhile): it is never restarted now. */
export function planStoppingExit(ctx: SupervisorContext, id: string, exit: ExitKind, error: unknown, now: number): Plan {
  if (!ctx.children[id]) return nothing(ctx);
  const lastExit = exit === 'error' ? { kind: exit, at: now, error: describeError(error) } : { kind: exit, at: now };
  const message = exit === 'error' ? `failed while stopping: ${lastExit.error}` : 'drained and stopped';
  return {
    context: withStopped(ctx, id, { lastExit }),
    ops: [{ op: 'stop', id }, { op: 'notice', level: exit === 'error' ? 'warn' : 'info', message, childId: id }],
  };
}
