// A detection module (LG, MX, MB, WB): opens its runtime (database, rules, DNS), runs its pipeline
// (sources -> header parse -> rules, in the pipeline actor: lines that match nothing never reach this
// machine), records affairs, and asks fw-writer for bans. Side effects are provided actions.
import { assign, fromCallback, fromPromise, sendTo, setup } from 'xstate';
import type { Detection } from '../src/core/logline/types.js';
import type { DnsClass } from '../src/core/policy/dns-class.js';
import type { FwReplyEvent } from '../src/core/events.js';
import type { ExpiryDue } from './expirer.js';

/** Events a module receives. */
export type ModuleEvent =
  /** the pipeline matched lines of one read batch (hop 1) */
  | { type: 'affair.detected'; detections: Detection[] }
  /** an offender's DNS class arrived (asynchronous lookup) */
  | { type: 'dns.classified'; ip: string; cls: DnsClass }
  /** lines handed in by `watcherctl inject` / the control socket, judged as if read from a source */
  | { type: 'lines.injected'; lines: string[] }
  /** the pipeline failed (source unreadable, journalctl exited): the module fails and is restarted */
  | { type: 'pipeline.failed'; error: string }
  /** the expirer's run: age out the database at `now`, unban ended bans, answer `expiry.done` to replyTo */
  | ExpiryDue
  /** an operator's ban (`watcherctl ban`): a pending ban with reason "manual", then ban.requested to fw-writer */
  | { type: 'ban.manual'; entry: string; durationMs: number | null; reply?: (outcome: ManualOutcome) => void }
  /** an operator's unban (`watcherctl unban`): the ban is lifted, the address's affairs and offender cleared */
  | { type: 'unban.manual'; entry: string; reply?: (outcome: ManualOutcome) => void }
  /** the configuration was reloaded: re-read rules and whitelist without restarting */
  | { type: 'config.updated' }
  /** the finish of the queue at shutdown */
  | { type: 'drain' }
  | FwReplyEvent;

/** What a module answers to an operator's ban or unban (through the event's reply callback). */
export type ManualOutcome =
  | { ok: true; module: string; bans: { entry: string; since: number; until: number | null; state: string }[]; affairsCleared: number; offenderCleared: boolean }
  | { ok: false; module: string; error: string };

export interface ModuleCounters {
  affairs: number;
  bansRequested: number;
  bansApplied: number;
  banFailures: number;
}

export interface ModuleContext<R> {
  module: string;
  runtime: R | null;
  counters: ModuleCounters;
  error: string | null;
}

/** The module machine, generic in its runtime (the actor code decides what a runtime holds). */
export function moduleMachine<R>() {
  return setup({
    types: {
      context: {} as ModuleContext<R>,
      events: {} as ModuleEvent,
      input: {} as { module: string },
    },
    actors: {
      open: fromPromise<R, { module: string }>(async () => {
        throw new Error('open not provided');
      }),
      pipeline: fromCallback<ModuleEvent, { runtime: R }>(() => undefined),
    },
    // Provided by actors/module: they get the action arguments (context, event, self, system) and
    // use the runtime in context. Declared here so the machine names every side effect it has.
    actions: {
      /** affair.detected: record in the database, send bans to fw-writer, start DNS lookups */
      record: () => undefined,
      /** dns.classified: re-evaluate the offender, maybe ban */
      applyDns: () => undefined,
      /** fw.applied: mark the bans of that operation active */
      banApplied: () => undefined,
      /** fw.failed: log; the ban stays pending and is re-applied by the next repair */
      banFailed: () => undefined,
      /** entering running: bans left pending by a crash go to fw-writer again */
      resendPending: () => undefined,
      /** expiry.due: age out the database, unban ended bans through fw-writer, answer the expirer */
      expire: () => undefined,
      /** entering running: bans that ended while the daemon was down leave the database and the firewall */
      expireOnStart: () => undefined,
      /** config.updated: reload rules and whitelist in place */
      refresh: () => undefined,
      /** ban.manual: write the operator's pending ban, send it to fw-writer, reply */
      manualBan: () => undefined,
      /** unban.manual: lift the bans of the entry, clear its history, ask fw-writer to remove it, reply */
      manualUnban: () => undefined,
    },
  }).createMachine({
    id: 'module',
    context: ({ input }) => ({
      module: input.module,
      runtime: null,
      counters: { affairs: 0, bansRequested: 0, bansApplied: 0, banFailures: 0 },
      error: null,
    }),
    initial: 'opening',
    states: {
      opening: {
        invoke: {
          src: 'open',
          input: ({ context }) => ({ module: context.module }),
          onDone: { target: 'running', actions: assign({ runtime: ({ event }) => event.output }) },
          onError: { target: 'failed', actions: assign({ error: ({ event }) => String(event.error) }) },
        },
      },
      running: {
        // expire first: a pending ban already past its end is not sent again
        entry: ['expireOnStart', 'resendPending'],
        invoke: { id: 'pipeline', src: 'pipeline', input: ({ context }) => ({ runtime: context.runtime! }) },
        on: {
          'affair.detected': {
            actions: [
              'record',
              assign({ counters: ({ context, event }) => ({ ...context.counters, affairs: context.counters.affairs + event.detections.length }) }),
            ],
          },
          'dns.classified': {
            actions: 'applyDns',
          },
          'lines.injected': { actions: sendTo('pipeline', ({ event }) => event) },
          'fw.applied': {
            actions: [
              'banApplied',
              assign({ counters: ({ context }) => ({ ...context.counters, bansApplied: context.counters.bansApplied + 1 }) }),
            ],
          },
          'fw.failed': {
            actions: [
              'banFailed',
              assign({ counters: ({ context }) => ({ ...context.counters, banFailures: context.counters.banFailures + 1 }) }),
            ],
          },
          'expiry.due': { actions: 'expire' },
          'config.updated': { actions: 'refresh' },
          'ban.manual': { actions: 'manualBan' },
          'unban.manual': { actions: 'manualUnban' },
          'pipeline.failed': { target: 'failed', actions: assign({ error: ({ event }) => event.error }) },
          drain: 'stopped',
        },
      },
      // A failure ends the actor with an error so the supervisor restarts it with backoff.
      failed: {
        entry: ({ context }) => {
          throw new Error(`module ${context.module}: ${context.error ?? 'failed'}`);
        },
      },
      stopped: { type: 'final' },
    },
  });
}
