// Builds the runnable master load: the one-shot machine with its plan builder and the summary the
// original printed at start (entries per source, seconds, total, load rate).
import { fromPromise } from 'xstate';
import { masterLoadMachine, type BuiltPlan } from '../machines/master-load.js';
import type { ApplyStats } from './fw/backend.js';
import type { Logger } from '../src/log.js';

export interface MasterLoadDeps {
  buildPlan: () => Promise<BuiltPlan>;
  log: Logger;
}

/** The lines printed after a master load. */
export function summaryLines(built: BuiltPlan | null, stats: ApplyStats | null, error: string | null): string[] {
  const lines: string[] = [];
  if (stats) {
    for (const s of stats.perSource) lines.push(`  ${s.source.padEnd(24)} ${String(s.entries).padStart(10)} entries`);
    const seconds = stats.seconds + (built?.planSeconds ?? 0);
    const rate = seconds > 0 ? Math.round(stats.total / seconds) : stats.total;
    lines.push(
      `  total ${stats.total} entries in ${seconds.toFixed(2)} s (plan ${(built?.planSeconds ?? 0).toFixed(2)} s, firewall ${stats.seconds.toFixed(2)} s): ${rate} entries/s`,
    );
    if (built && built.problems > 0) lines.push(`  ${built.problems} list problems were skipped (see the warnings above)`);
  } else {
    lines.push(`  not loaded: ${error ?? 'unknown error'}`);
  }
  return lines;
}

export function masterLoadLogic(deps: MasterLoadDeps) {
  return masterLoadMachine.provide({
    actors: { buildPlan: fromPromise<BuiltPlan>(() => deps.buildPlan()) },
    actions: {
      report: (_, params) => {
        const lines = summaryLines(params.built, params.stats, params.error);
        const level = params.stats ? 'info' : 'warn';
        deps.log.log(level, `master load ${params.stats ? 'done' : 'incomplete'}:\n${lines.join('\n')}`);
      },
    },
  });
}
