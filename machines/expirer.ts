// The expirer: every interval (or on `watcherctl expire`) it asks each running module to age out its
// own database (`expiry.due`) and collects their answers. It writes no database and touches no
// firewall itself: only a module writes its database, only fw-writer changes the firewall.
import { assign, enqueueActions, setup, type AnyActorRef } from 'xstate';

/** One module's answer to `expiry.due`: what its run did. */
export interface ExpiryReport {
  module: string;
  runId: number;
  /** bans whose time was up: expired in the database, their entries sent to fw-writer for removal */
  bansEnded: number;
  affairsDeleted: number;
  offendersDeleted: number;
  /** ended ban rows deleted after the offenders retention */
  bansDeleted: number;
  /** the file was rebuilt (VACUUM) */
  vacuumed: boolean;
  /** how long the run took in the module, ms */
  ms: number;
  /** set when the run failed (the next run tries again) */
  error?: string;
}

export interface ExpirerSettings {
  intervalMs: number;
  /** how long a run waits for the modules' answers; a module that does not answer is reported, not awaited */
  patienceMs: number;
  /** module actor ids (`module:LG`, ...); those not running at a run are skipped */
  modules: readonly string[];
}

export interface ExpirerInput extends ExpirerSettings {
  /** the clock (Date.now in the daemon, the SimulatedClock in tests): machines never read time */
  now: () => number;
}

export type ExpirerEvent =
  /** run now (`watcherctl expire`); while a run is going, at most one more run follows it */
  | { type: 'expire.now' }
  /** a module finished its part of a run */
  | { type: 'expiry.done'; report: ExpiryReport }
  /** the configuration was reloaded: the next runs use these settings */
  | { type: 'config.updated'; settings: ExpirerSettings };

/** What the expirer sends each module (the module's own vocabulary: ModuleEvent). */
export interface ExpiryDue {
  type: 'expiry.due';
  /** the time to age out at */
  now: number;
  runId: number;
  replyTo: AnyActorRef;
}

/** Sums over runs, for status and metrics. */
export interface ExpiryTotals {
  runs: number;
  bansEnded: number;
  affairsDeleted: number;
  offendersDeleted: number;
  bansDeleted: number;
  vacuums: number;
  errors: number;
  unanswered: number;
}

export interface ExpiryRun {
  id: number;
  startedAt: number;
  finishedAt: number;
  reports: ExpiryReport[];
  /** modules asked that did not answer within patienceMs */
  unanswered: string[];
}

interface CurrentRun {
  id: number;
  startedAt: number;
  awaiting: string[];
  reports: ExpiryReport[];
  unanswered: string[];
}

export interface ExpirerContext {
  settings: ExpirerSettings;
  now: () => number;
  runs: number;
  current: CurrentRun | null;
  last: ExpiryRun | null;
  totals: ExpiryTotals;
  /** when the next scheduled run starts (null while a run is going) */
  nextRunAt: number | null;
}

const ZERO: ExpiryTotals = { runs: 0, bansEnded: 0, affairsDeleted: 0, offendersDeleted: 0, bansDeleted: 0, vacuums: 0, errors: 0, unanswered: 0 };

function addUp(t: ExpiryTotals, run: ExpiryRun): ExpiryTotals {
  const sum = (f: (r: ExpiryReport) => number) => run.reports.reduce((n, r) => n + f(r), 0);
  return {
    runs: t.runs + 1,
    bansEnded: t.bansEnded + sum((r) => r.bansEnded),
    affairsDeleted: t.affairsDeleted + sum((r) => r.affairsDeleted),
    offendersDeleted: t.offendersDeleted + sum((r) => r.offendersDeleted),
    bansDeleted: t.bansDeleted + sum((r) => r.bansDeleted),
    vacuums: t.vacuums + sum((r) => (r.vacuumed ? 1 : 0)),
    errors: t.errors + sum((r) => (r.error !== undefined ? 1 : 0)),
    unanswered: t.unanswered + run.unanswered.length,
  };
}

export const expirerMachine = setup({
  types: {
    context: {} as ExpirerContext,
    events: {} as ExpirerEvent,
    input: {} as ExpirerInput,
  },
  delays: {
    interval: ({ context }) => context.settings.intervalMs,
    patience: ({ context }) => context.settings.patienceMs,
  },
  actions: {
    /** a finished run, for the log (provided: logging is a side effect) */
    report: (_: unknown, _p: { run: ExpiryRun }) => undefined,
    /** the current run becomes the last one and counts into the totals */
    settle: assign(({ context }) => {
      const c = context.current!;
      const run: ExpiryRun = { id: c.id, startedAt: c.startedAt, finishedAt: context.now(), reports: c.reports, unanswered: c.unanswered };
      return { last: run, current: null, totals: addUp(context.totals, run) };
    }),
  },
  guards: {
    awaited: ({ context, event }) =>
      event.type === 'expiry.done' && context.current !== null && event.report.runId === context.current.id && context.current.awaiting.includes(event.report.module),
    allAnswered: ({ context }) => context.current !== null && context.current.awaiting.length === 0,
  },
}).createMachine({
  id: 'expirer',
  context: ({ input }) => ({
    settings: { intervalMs: input.intervalMs, patienceMs: input.patienceMs, modules: input.modules },
    now: input.now,
    runs: 0,
    current: null,
    last: null,
    totals: ZERO,
    nextRunAt: null,
  }),
  initial: 'idle',
  on: {
    'config.updated': { actions: assign({ settings: ({ event }) => event.settings }) },
  },
  states: {
    idle: {
      entry: assign({ nextRunAt: ({ context }) => context.now() + context.settings.intervalMs }),
      after: { interval: 'running' },
      on: { 'expire.now': 'running' },
    },
    running: {
      // ask every running module; those not running are not awaited
      entry: enqueueActions(({ context, enqueue, self, system }) => {
        const id = context.runs + 1;
        const now = context.now();
        const asked: string[] = [];
        for (const m of context.settings.modules) {
          const ref = system.get(m) as AnyActorRef | undefined;
          if (!ref) continue;
          asked.push(m);
          enqueue.sendTo(ref, { type: 'expiry.due', now, runId: id, replyTo: self } satisfies ExpiryDue);
        }
        enqueue.assign({ runs: id, nextRunAt: null, current: { id, startedAt: now, awaiting: asked, reports: [], unanswered: [] } });
      }),
      after: {
        // a module that does not answer must not wedge the expirer: the run ends without it
        patience: {
          actions: assign({
            current: ({ context }) => context.current && { ...context.current, awaiting: [], unanswered: context.current.awaiting },
          }),
        },
      },
      on: {
        'expiry.done': {
          guard: 'awaited',
          actions: assign({
            current: ({ context, event }) => {
              const c = context.current!;
              return { ...c, awaiting: c.awaiting.filter((m) => m !== event.report.module), reports: [...c.reports, event.report] };
            },
          }),
        },
      },
      initial: 'once',
      states: {
        once: {
          always: { guard: 'allAnswered', target: '#expirer.idle', actions: ['settle', { type: 'report', params: ({ context }) => ({ run: context.last! }) }] },
          on: { 'expire.now': 'again' },
        },
        // a request during a run: one more run right after this one, however many requests came
        again: {
          always: {
            guard: 'allAnswered',
            target: '#expirer.running',
            reenter: true,
            actions: ['settle', { type: 'report', params: ({ context }) => ({ run: context.last! }) }],
          },
        },
      },
    },
  },
});
