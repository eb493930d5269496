// The supervisor's data: child specs, per-child status, reload results, context and output.
// Types only; nothing here runs. Children never see any of it.
import type { AnyActorLogic, EventObject } from 'xstate';
import type { RestartMode, RestartPolicy } from '../src/core/supervisor-policy.js';

/** One child of the tree, in start order. */
export interface ChildSpec {
  /** actor id and systemId: siblings find it with `system.get(id)` */
  id: string;
  logic: AnyActorLogic;
  input?: unknown;
  restart: RestartMode;
  /** later children start only once this one completed (the one-shot master load) */
  awaitDone?: boolean;
  /**
   * Set only for children that drain: at shutdown they are sent `{ type: 'drain' }` and given this
   * long to reach their final state before they are stopped anyway. Without it: stopped at once.
   */
  shutdownTimeoutMs?: number;
}

/** The diff a reload applies. */
export interface ReloadChanges {
  /** children whose config changed: stopped and started again with the new spec (new ids are added) */
  replace: ChildSpec[];
  /** unchanged children that get their new config as an event of their own vocabulary */
  update: { id: string; event: EventObject }[];
  /** temporary children to run again (master-load re-applies the full plan) */
  rerun: ChildSpec[];
  /** children no longer configured: stopped and forgotten */
  remove?: string[];
}

/** What the provided `reloader` actor resolves with. A refused config leaves the running one alone. */
export type ReloadResult = { ok: true; changes: ReloadChanges } | { ok: false; problems: string[] };

/** What the `reloader` actor gets: the running specs, in start order. */
export interface ReloaderInput {
  children: readonly ChildSpec[];
}

/** Where a child is, as `watcherctl status` shows it. */
export type ChildState = 'waiting' | 'running' | 'restarting' | 'draining' | 'stopped' | 'done';

export interface ChildExit {
  kind: 'error' | 'done';
  at: number;
  error?: string;
}

export interface ChildStatus {
  state: ChildState;
  /** restarts performed since this spec started (a reload replacement starts from 0) */
  restarts: number;
  /** when the current (or last) incarnation started; null before the first start */
  startedAt: number | null;
  /** when a pending restart fires; null when none is pending */
  restartAt: number | null;
  /** delay of the last restart; null: the next restart uses the initial backoff */
  lastDelayMs: number | null;
  lastExit: ChildExit | null;
}

export interface ReloadRecord {
  at: number;
  outcome: 'applied' | 'refused';
  problems: string[];
}

export interface SupervisorInput {
  children: readonly ChildSpec[];
  policy?: Partial<RestartPolicy>;
  /** the clock (Date.now in the daemon, the SimulatedClock in tests): machines never read time */
  now: () => number;
}

export interface SupervisorOutput {
  exitCode: 0 | 1;
  reason?: string;
}

export interface SupervisorContext {
  /** the running config, in start order; shutdown stops in the reverse of this order */
  specs: ChildSpec[];
  children: Record<string, ChildStatus>;
  policy: RestartPolicy;
  /** times of recent restarts across the tree (intensity/period) */
  restartWindow: number[];
  /** index in specs of the next child to start during startup */
  startIndex: number;
  /** during shutdown: ids still to stop, the head first */
  stopQueue: string[];
  /** the output once stopped: exit code 0 for a requested shutdown, 1 after giving up */
  exit: SupervisorOutput;
  lastReload: ReloadRecord | null;
  now: () => number;
}
