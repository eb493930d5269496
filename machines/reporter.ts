// The reporter: waiting -> producing -> waiting, on the configured schedule (daily or weekly). It only
// reads (databases read-only, the daemon's status) and writes its own report file and mail: it never
// talks to fw-writer or a module. Side effects and the clock are provided (actors/reporter.ts).
import { assign, fromPromise, setup } from 'xstate';

/** What one run did; `nextDelayMs`: the actor's wait until the next scheduled time (it reads the clock). */
export interface ReportRun {
  at: number;
  outcome: 'done' | 'failed';
  /** the file written, if any */
  file: string | null;
  /** recipients handed to sendmail */
  mailed: number;
  error: string | null;
  nextDelayMs: number;
}

export interface ReporterInput {
  /** wait before the first run (the time until the next scheduled time when the child starts) */
  firstDelayMs: number;
}

export interface ReporterContext {
  delayMs: number;
  runs: number;
  last: ReportRun | null;
}

export type ReporterEvent =
  /** finish or abandon the current run, then stop (the file is written atomically) */
  { type: 'drain' };

export const reporterMachine = setup({
  types: {
    context: {} as ReporterContext,
    events: {} as ReporterEvent,
    input: {} as ReporterInput,
  },
  actors: {
    /** produces and delivers one report; resolves with the outcome (a failed delivery is an outcome) */
    produce: fromPromise<ReportRun>(async () => {
      throw new Error('produce not provided');
    }),
  },
  actions: {
    /** one log line for the run (provided) */
    logRun: (_: unknown, _p: { run: ReportRun }) => undefined,
  },
  delays: {
    next: ({ context }) => context.delayMs,
  },
}).createMachine({
  id: 'reporter',
  context: ({ input }) => ({ delayMs: input.firstDelayMs, runs: 0, last: null }),
  initial: 'waiting',
  on: { drain: '.stopped' },
  states: {
    waiting: {
      after: { next: 'producing' },
    },
    producing: {
      // an unexpected rejection is not handled here: the supervisor restarts the child
      invoke: {
        src: 'produce',
        onDone: {
          target: 'waiting',
          actions: [
            assign({ last: ({ event }) => event.output, delayMs: ({ event }) => event.output.nextDelayMs, runs: ({ context }) => context.runs + 1 }),
            { type: 'logRun', params: ({ event }) => ({ run: event.output }) },
          ],
        },
      },
    },
    stopped: { type: 'final' },
  },
});
