// Every event of Watcher's actor system, as one discriminated union per receiver, each event with a
// one-line doc. Children of the supervisor never see reload/restart events: they are not in their
// vocabulary (the import-boundary test checks that nothing outside the supervisor sends them).
import type { AnyActorRef } from 'xstate';
import type { EntryOp, FirewallPlan, PlannedSet } from './fw-plan.js';
import type { ApplyStats } from '../../actors/fw/backend.js';

// ---------------------------------------------------------------------------------------------
// fw-writer: the single component that mutates the firewall.

/** Who asked for a firewall operation and how to answer: fw.applied / fw.failed go to replyTo. */
export interface FwRequestMeta {
  opId: string;
  replyTo?: AnyActorRef;
}

export type FwWriterEvent =
  /** add entries (single addresses or CIDRs) to a source's set: a live ban */
  | ({ type: 'ban.requested'; ops: EntryOp[] } & FwRequestMeta)
  /** remove entries from a source's set: an unban or an expiry */
  | ({ type: 'unban.requested'; ops: EntryOp[] } & FwRequestMeta)
  /** atomically replace the contents of one source's set (a dynloader's new list) */
  | ({ type: 'set.replace'; set: PlannedSet } & FwRequestMeta)
  /** build every set and the hook chain and swap them in atomically (master load, reload) */
  | ({ type: 'plan.apply'; plan: FirewallPlan } & FwRequestMeta)
  /** remove everything Watcher put into the firewall (`watcher full`, `stop --flush`) */
  | ({ type: 'fw.teardown' } & FwRequestMeta)
  /** check now that the kernel still holds what Watcher applied, and repair if not */
  | { type: 'fw.verify' }
  /** finish the queue, then stop (sent by the supervisor at shutdown) */
  | { type: 'drain' };

/** Answers of fw-writer to the requester of an operation. */
export type FwReplyEvent =
  /** the operation is in the kernel */
  | { type: 'fw.applied'; opId: string; stats?: ApplyStats }
  /** the operation failed for good (it is retried before this is sent only for non-retryable errors) */
  | { type: 'fw.failed'; opId: string; error: string };

// ---------------------------------------------------------------------------------------------
// supervisor: the root of the tree. Only signal handlers and the control socket send it events; its
// children only ever receive events from it (SupervisedChildEvent) and have nothing to send it.

/** What the supervisor accepts from its owner (signal handlers, control socket), never from a child. */
export type SupervisorEvent =
  /** re-read the configuration, diff it and apply it (SIGHUP, `watcherctl reload`) */
  | { type: 'reload.requested' }
  /** stop every child in reverse start order, then finish with exit code 0 (SIGTERM, SIGINT) */
  | { type: 'shutdown.requested' };

/** What the supervisor sends to its children (a reload may also send a child its own update event). */
export type SupervisedChildEvent =
  /** finish pending work, then reach a final state (shutdown; only children with a shutdownTimeoutMs) */
  { type: 'drain' };

/** Emitted by the supervisor for observers (the daemon's log bridge); nobody sends it to anyone. */
export type SupervisorNotice =
  /** a start, exit, restart, reload outcome or give-up, for the log, tagged with the child it concerns */
  { type: 'supervisor.notice'; level: 'info' | 'warn' | 'error'; message: string; childId?: string };
