// One dynloader: idle -> fetching -> validating -> storing -> handingOver -> idle, on a schedule or on
// `watcherctl dynload <name>`. Every error state returns to idle and leaves the last good list in force:
// nothing reaches fw-writer before it was fetched, validated and stored. Side effects are provided.
import { assign, fromPromise, sendTo, setup, type AnyActorRef } from 'xstate';
import type { FwReplyEvent } from '../src/core/events.js';
import type { SetEntries, SourceName } from '../src/core/fw-plan.js';

/** What a fetch gave: a new body, or "not modified" (304) which ends the run with no work at all. */
export type Fetched =
  | { kind: 'not-modified'; at: number }
  | { kind: 'body'; text: string; at: number; etag?: string; lastModified?: string };

/** A validated list, ready for the pool and the firewall. */
export interface ReadyList {
  entries: SetEntries;
  /** the entry lines as the load pool stores them */
  body: string;
  checksum: string;
  count: number;
  notes: string[];
}

export interface DynloaderInput {
  name: string;
  /** checksum and validators of the list in force (the load pool header), if any */
  checksum: string | null;
  etag: string | null;
  lastModified: string | null;
  lastSuccessAt: number | null;
  intervalMs: number;
  /** manual runs closer together than this are refused (Spamhaus: one hour) */
  minSpacingMs: number;
  /** delay of the first scheduled run (staggered by the caller so loaders never fetch together) */
  firstDelayMs: number;
  /** how long fw-writer may take to confirm the swap before the run counts as failed */
  handoverPatienceMs: number;
}

export interface DynloaderContext extends DynloaderInput {
  source: SourceName;
  fetched: Extract<Fetched, { kind: 'body' }> | null;
  ready: ReadyList | null;
  runs: number;
  firstRun: boolean;
  lastAttemptAt: number | null;
  lastError: string | null;
  count: number | null;
  outcome: string | null;
}

export type DynloaderEvent =
  /** run now (watcherctl dynload <name>); `at` is the caller's clock, machines read none */
  | { type: 'dynload.now'; at: number }
  /** finish the current run, then stop */
  | { type: 'drain' }
  | FwReplyEvent;

type Level = 'info' | 'warn' | 'error';

export const dynloaderMachine = setup({
  types: {
    context: {} as DynloaderContext,
    events: {} as DynloaderEvent,
    input: {} as DynloaderInput,
  },
  actors: {
    fetch: fromPromise<Fetched, { etag: string | null; lastModified: string | null }>(async () => ({ kind: 'not-modified', at: 0 })),
    validate: fromPromise<ReadyList, { text: string }>(async () => {
      throw new Error('validate not provided');
    }),
    store: fromPromise<void, { ready: ReadyList; fetched: Extract<Fetched, { kind: 'body' }> }>(async () => undefined),
  },
  delays: {
    nextRun: ({ context }) => (context.firstRun ? context.firstDelayMs : context.intervalMs),
    handoverPatience: ({ context }) => context.handoverPatienceMs,
  },
  actions: {
    /** one log line (provided: logging is a side effect) */
    report: (_: unknown, _p: { level: Level; message: string }) => undefined,
    /** publishes the status for `watcherctl dynload status` (provided) */
    publish: (_: unknown, _p: { context: DynloaderContext }) => undefined,
  },
  guards: {
    spacingOk: ({ context, event }) =>
      event.type !== 'dynload.now' || context.lastAttemptAt === null || event.at - context.lastAttemptAt >= context.minSpacingMs,
  },
}).createMachine({
  id: 'dynloader',
  context: ({ input }) => ({
    ...input,
    source: `dl:${input.name}` as SourceName,
    fetched: null,
    ready: null,
    runs: 0,
    firstRun: true,
    lastAttemptAt: null,
    lastError: null,
    count: null,
    outcome: null,
  }),
  initial: 'idle',
  // drain in any state: an abandoned run leaves the list in force and the pool file whole (atomic writes)
  on: { drain: '.stopped' },
  states: {
    idle: {
      entry: [assign({ fetched: null, ready: null }), { type: 'publish', params: ({ context }) => ({ context }) }],
      after: { nextRun: { target: 'fetching', actions: assign({ firstRun: false }) } },
      on: {
        'dynload.now': [
          { guard: 'spacingOk', target: 'fetching' },
          {
            actions: {
              type: 'report',
              params: ({ context }) => ({
                level: 'warn' as const,
                message: `dynloader ${context.name}: manual run refused, the source asks for at least ${Math.round(context.minSpacingMs / 60_000)} min between downloads`,
              }),
            },
          },
        ],
      },
    },
    fetching: {
      entry: assign({ runs: ({ context }) => context.runs + 1 }),
      invoke: {
        src: 'fetch',
        input: ({ context }) => ({ etag: context.etag, lastModified: context.lastModified }),
        onDone: [
          {
            guard: ({ event }) => event.output.kind === 'not-modified',
            target: 'idle',
            actions: [
              assign({ lastAttemptAt: ({ event }) => event.output.at, lastSuccessAt: ({ event }) => event.output.at, lastError: null, outcome: 'not modified' }),
              { type: 'report', params: ({ context }) => ({ level: 'info' as const, message: `dynloader ${context.name}: not modified, no firewall work` }) },
            ],
          },
          {
            target: 'validating',
            actions: assign({
              fetched: ({ event }) => (event.output.kind === 'body' ? event.output : null),
              lastAttemptAt: ({ event }) => event.output.at,
            }),
          },
        ],
        onError: { target: 'fetchFailed', actions: assign({ lastError: ({ event }) => describe(event.error), outcome: 'fetch failed' }) },
      },
      // a request while running is already answered by this run: it coalesces instead of queueing
    },
    validating: {
      invoke: {
        src: 'validate',
        input: ({ context }) => ({ text: context.fetched!.text }),
        onDone: [
          {
            guard: ({ context, event }) => event.output.checksum === context.checksum,
            target: 'idle',
            actions: [
              assign({
                lastSuccessAt: ({ context }) => context.fetched!.at,
                etag: ({ context }) => context.fetched!.etag ?? null,
                lastModified: ({ context }) => context.fetched!.lastModified ?? null,
                lastError: null,
                outcome: 'unchanged',
              }),
              { type: 'report', params: ({ context }) => ({ level: 'info' as const, message: `dynloader ${context.name}: list unchanged (same checksum), no firewall work` }) },
            ],
          },
          { target: 'storing', actions: assign({ ready: ({ event }) => event.output }) },
        ],
        onError: { target: 'rejected', actions: assign({ lastError: ({ event }) => describe(event.error), outcome: 'rejected' }) },
      },
    },
    storing: {
      invoke: {
        src: 'store',
        input: ({ context }) => ({ ready: context.ready!, fetched: context.fetched! }),
        onDone: 'handingOver',
        onError: { target: 'storeFailed', actions: assign({ lastError: ({ event }) => describe(event.error), outcome: 'store failed' }) },
      },
    },
    handingOver: {
      entry: sendTo(
        ({ system }) => system.get('fw-writer') as AnyActorRef,
        ({ context, self }) => ({
          type: 'set.replace' as const,
          opId: `dl:${context.name}#${context.runs}`,
          set: { source: context.source, verdict: 'drop' as const, entries: context.ready!.entries },
          replyTo: self,
        }),
      ),
      after: { handoverPatience: { target: 'handoverFailed', actions: assign({ lastError: 'fw-writer did not confirm the swap in time', outcome: 'handover failed' }) } },
      on: {
        'fw.applied': {
          guard: ({ context, event }) => event.opId === `dl:${context.name}#${context.runs}`,
          target: 'idle',
          actions: [
            assign({
              checksum: ({ context }) => context.ready!.checksum,
              count: ({ context }) => context.ready!.count,
              etag: ({ context }) => context.fetched!.etag ?? null,
              lastModified: ({ context }) => context.fetched!.lastModified ?? null,
              lastSuccessAt: ({ context }) => context.fetched!.at,
              lastError: null,
              outcome: 'replaced',
            }),
            {
              type: 'report',
              params: ({ context }) => ({
                level: 'info' as const,
                message: `dynloader ${context.name}: ${context.ready!.count} entries swapped in${context.ready!.notes.length > 0 ? `; ${context.ready!.notes.join('; ')}` : ''}`,
              }),
            },
          ],
        },
        'fw.failed': {
          guard: ({ context, event }) => event.opId === `dl:${context.name}#${context.runs}`,
          target: 'handoverFailed',
          actions: assign({ lastError: ({ event }) => event.error, outcome: 'handover failed' }),
        },
      },
    },
    // Error states: say what happened and go back to idle; the list in force stays in force.
    fetchFailed: {
      entry: {
        type: 'report',
        params: ({ context }) => ({ level: 'warn' as const, message: `dynloader ${context.name}: ${context.outcome}: ${context.lastError}; the previous list stays in force` }),
      },
      always: 'idle',
    },
    rejected: {
      entry: {
        type: 'report',
        params: ({ context }) => ({ level: 'warn' as const, message: `dynloader ${context.name}: ${context.outcome}: ${context.lastError}; the previous list stays in force` }),
      },
      always: 'idle',
    },
    storeFailed: {
      entry: {
        type: 'report',
        params: ({ context }) => ({ level: 'warn' as const, message: `dynloader ${context.name}: ${context.outcome}: ${context.lastError}; the previous list stays in force` }),
      },
      always: 'idle',
    },
    handoverFailed: {
      entry: {
        type: 'report',
        params: ({ context }) => ({ level: 'warn' as const, message: `dynloader ${context.name}: ${context.outcome}: ${context.lastError}; the previous list stays in force` }),
      },
      always: 'idle',
    },
    stopped: { type: 'final' },
  },
});

function describe(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
