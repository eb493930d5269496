// Builds the runnable expirer: the expirer machine with its settings from the configuration and its
// log line. The work itself happens in each module (actors/module/expiry.ts), which owns its database.
import { expirerMachine, type ExpirerInput, type ExpirerSettings, type ExpiryRun } from '../machines/expirer.js';
import type { WatcherConfig } from '../src/config/schema.js';
import type { Logger } from '../src/log.js';

/** How long a run waits for a module's answer; one that is busy (a rebuild) or gone is not waited for longer. */
export const EXPIRY_PATIENCE_MS = 30_000;

/** The modules to ask and how often, from the configuration (also sent on reload as config.updated). */
export function expirerSettings(config: WatcherConfig): ExpirerSettings {
  const modules = (Object.keys(config.modules) as (keyof WatcherConfig['modules'])[]).filter((m) => config.modules[m].enabled).map((m) => `module:${m}`);
  return { intervalMs: config.expiry.interval, patienceMs: EXPIRY_PATIENCE_MS, modules };
}

export function expirerInput(config: WatcherConfig, now: () => number = Date.now): ExpirerInput {
  return { ...expirerSettings(config), now };
}

/** One line per run that did something or missed a module; quiet runs only at debug level. */
export function runSummary(run: ExpiryRun): { level: 'debug' | 'info' | 'warn'; message: string } {
  const sum = (f: (r: ExpiryRun['reports'][number]) => number) => run.reports.reduce((n, r) => n + f(r), 0);
  const ended = sum((r) => r.bansEnded);
  const deleted = sum((r) => r.affairsDeleted + r.offendersDeleted + r.bansDeleted);
  const failed = run.reports.filter((r) => r.error !== undefined).map((r) => r.module);
  const problems = [
    ...(run.unanswered.length > 0 ? [`no answer from ${run.unanswered.join(', ')}`] : []),
    ...(failed.length > 0 ? [`failed in ${failed.join(', ')}`] : []),
  ];
  const message = `expiry run ${run.id}: ${run.reports.length} modules, ${ended} bans ended, ${deleted} rows deleted in ${run.finishedAt - run.startedAt} ms${problems.length > 0 ? `; ${problems.join('; ')}` : ''}`;
  return { level: problems.length > 0 ? 'warn' : ended + deleted > 0 ? 'info' : 'debug', message };
}

export function expirerLogic(log: Logger) {
  return expirerMachine.provide({
    actions: {
      report: (_, { run }) => {
        const s = runSummary(run);
        log.log(s.level, s.message);
      },
    },
  });
}
