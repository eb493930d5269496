// `watcherctl stats` end to end: the periods of a request, the counts of one module database, the table.
// Reads only (the module file is opened read-only by the caller).
import { allCounts } from './history.js';
import type { ModuleFile } from './module-file.js';
import { periodsBetween, type PeriodUnit, type Zone } from './periods.js';
import { statsTable, type StatsTable } from './stats-table.js';

export interface StatsRequest {
  from: number;
  /** exclusive */
  to: number;
  by: PeriodUnit;
  zone: Zone;
  vhost?: string;
}

/** At most this many rows: a year by the hour is 8784. */
export const MAX_PERIODS = 100_000;

export function moduleStats(m: ModuleFile, req: StatsRequest): StatsTable {
  const periods = periodsBetween(req.from, req.to, req.by, req.zone, MAX_PERIODS);
  if (periods.length === 0) return statsTable([], [], req.zone, req.vhost === undefined);
  // whole periods: the range is widened to their bounds, so rollup hours and raw rows line up
  const range = { from: periods[0]!.start, to: periods[periods.length - 1]!.end, ...(req.vhost !== undefined ? { vhost: req.vhost } : {}) };
  return statsTable(periods, allCounts(m, range), req.zone, req.vhost === undefined);
}
