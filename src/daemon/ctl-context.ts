// What the daemon's control handlers work with: the root actor, the tree's dependencies, the trace
// hub and the stop function. Also how a handler asks a module actor something and awaits its reply.
import type { AnyActorRef } from 'xstate';
import type { ManualOutcome, ModuleEvent } from '../../machines/module.js';
import type { TreeDeps } from './children.js';
import type { TraceHub } from './trace.js';
import { loggerFor } from '../log.js';
import type { LookupDeps } from './set-lookup.js';

export interface ControlContext {
  root: AnyActorRef;
  deps: TreeDeps;
  backend: string;
  startedAt: number;
  trace: TraceHub;
  /** stops the daemon (flush: remove Watcher's firewall entries first) */
  stop: (flush: boolean) => void;
}

/** How long a module gets to answer an operator's ban or unban. */
const MODULE_ANSWER_MS = 10_000;

export function lookupDeps(ctx: ControlContext): LookupDeps {
  return { config: ctx.deps.holder.current, exec: ctx.deps.exec, log: loggerFor('control') };
}

/** Sends a module an event carrying a reply callback and waits for the answer (bounded). */
export function askModule(
  ref: AnyActorRef,
  module: string,
  make: (reply: (o: ManualOutcome) => void) => Extract<ModuleEvent, { reply?: unknown }>,
): Promise<ManualOutcome> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve({ ok: false, module, error: `module ${module} did not answer within ${MODULE_ANSWER_MS / 1000} s (still opening?)` }), MODULE_ANSWER_MS);
    ref.send(
      make((o) => {
        clearTimeout(timer);
        resolve(o);
      }),
    );
  });
}
