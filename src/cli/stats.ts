// `watcherctl stats`: per period, a module's affairs by event kind, new offenders, bans, unbans,
// expiries and DNS classes, from its database opened read-only; CSV (RFC 4180) or a table. No daemon needed.
import path from 'node:path';
import { parseArgs } from 'node:util';
import { moduleDbPath } from '../../actors/module/runtime.js';
import { MODULES, type ModuleName } from '../core/logline/types.js';
import { openModuleFileReadOnly } from '../report/module-file.js';
import { parseDateArg, periodStart, nextPeriod, type PeriodUnit, type Zone } from '../report/periods.js';
import { MAX_PERIODS, moduleStats, type StatsRequest } from '../report/stats.js';
import { toCsv, toTextTable } from '../report/stats-table.js';
import { loadOptionsOf, locationOptions, type Flags } from './options.js';
import { configForControl } from './service.js';

export const STATS_HELP = `watcherctl stats — statistics of one module per hour, day or month

Usage: watcherctl stats --module <LG|MX|MB|WB> [--from D] [--to D] [--by hour|day|month] [--csv]
                        [--tz utc|local] [--vhost V]

Per period: affairs (all, and one column per event kind), new offenders, bans, unbans, expiries, and
new offenders per DNS class. Read from <state_dir>/db/<M>.sqlite (read-only; the daemon may run).
Older than the affair retention, the counts come from hourly rollups kept by expiry.

Options:
  --module M       the module (required)
  --from D         first day or time: YYYY-MM-DD or an ISO 8601 timestamp (default: 7 days before --to)
  --to D           end: a date counts that whole day; a timestamp is exclusive (default: now)
  --by U           hour, day (default) or month; periods are whole (D is rounded to their bounds)
  --tz Z           utc (default) or local: period bounds and the from/to columns
  --csv            CSV with a header row (RFC 4180), loads into a spreadsheet as is
  --vhost V        WB only: affairs of this virtual host only (no address columns)
  --json           the table as JSON {columns, rows}
  --state-dir D, --config-dir D   as for watcher (--run-dir and --socket are accepted, not needed)

Exit status: 0 done; 1 the database could not be read; 2 the command line is wrong.

Examples:
  watcherctl stats --module LG --from 2026-11-01 --to 2026-11-30 --csv > lg-november.csv
  watcherctl stats --module WB --vhost shop.example.org --by hour --from 2026-11-22
`;

export interface StatsArgs {
  module: ModuleName;
  req: StatsRequest;
  format: 'csv' | 'json' | 'text';
  flags: Flags;
}

/** The command line, or a usage message; `now` is the default end. */
export function parseStatsArgs(argv: string[], now: number): { ok: true; args: StatsArgs } | { ok: false; message: string } {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      allowPositionals: false,
      strict: true,
      options: {
        module: { type: 'string' },
        from: { type: 'string' },
        to: { type: 'string' },
        by: { type: 'string' },
        tz: { type: 'string' },
        csv: { type: 'boolean' },
        json: { type: 'boolean' },
        vhost: { type: 'string' },
        // run-dir and socket are accepted like every watcherctl command, though stats needs no daemon
        ...locationOptions,
      },
    }));
  } catch (e) {
    return { ok: false, message: e instanceof Error ? e.message : String(e) };
  }
  if (values.help) return { ok: false, message: '' };
  const module = values.module;
  if (module === undefined || !(MODULES as readonly string[]).includes(module)) return { ok: false, message: 'stats needs --module LG, MX, MB or WB' };
  const by = values.by ?? 'day';
  if (by !== 'hour' && by !== 'day' && by !== 'month') return { ok: false, message: `--by must be hour, day or month, not "${by}"` };
  const tz = values.tz ?? 'utc';
  if (tz !== 'utc' && tz !== 'local') return { ok: false, message: `--tz must be utc or local, not "${tz}"` };
  const zone: Zone = tz;
  if (values.vhost !== undefined && module !== 'WB') return { ok: false, message: '--vhost applies to module WB only' };
  if (values.csv && values.json) return { ok: false, message: 'choose one of --csv and --json' };
  let to = now;
  if (values.to !== undefined) {
    const r = parseDateArg(values.to, zone);
    if (!r.ok) return { ok: false, message: `--to: ${r.message}` };
    to = r.dateOnly ? nextPeriod(periodStart(r.t, 'day', zone), 'day', zone) : r.t;
  }
  let from = to - 7 * 86_400_000;
  if (values.from !== undefined) {
    const r = parseDateArg(values.from, zone);
    if (!r.ok) return { ok: false, message: `--from: ${r.message}` };
    from = r.t;
  }
  if (from >= to) return { ok: false, message: '--from must be before --to' };
  const unit = by as PeriodUnit;
  const approx = (to - from) / (unit === 'hour' ? 3_600_000 : unit === 'day' ? 86_400_000 : 28 * 86_400_000);
  if (approx > MAX_PERIODS) return { ok: false, message: `that is more than ${MAX_PERIODS} periods; use a larger --by` };
  const flags: Flags = {
    ...(values['state-dir'] !== undefined ? { 'state-dir': values['state-dir'] } : {}),
    ...(values['config-dir'] !== undefined ? { 'config-dir': values['config-dir'] } : {}),
  };
  return {
    ok: true,
    args: {
      module: module as ModuleName,
      req: { from, to, by: unit, zone, ...(values.vhost !== undefined ? { vhost: values.vhost } : {}) },
      format: values.csv ? 'csv' : values.json ? 'json' : 'text',
      flags,
    },
  };
}

export function runStats(argv: string[]): number {
  const parsed = parseStatsArgs(argv, Date.now());
  if (!parsed.ok) {
    if (parsed.message === '') {
      process.stdout.write(STATS_HELP);
      return 0;
    }
    process.stderr.write(`watcherctl stats: ${parsed.message}\n\n${STATS_HELP}`);
    return 2;
  }
  const { module, req, format, flags } = parsed.args;
  const config = configForControl(loadOptionsOf(flags));
  const file = moduleDbPath(config, module);
  let m;
  try {
    m = openModuleFileReadOnly(file, module);
  } catch (e) {
    process.stderr.write(`watcherctl stats: ${path.basename(file)}: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }
  if (m === null) {
    process.stderr.write(`watcherctl stats: no database for ${module} at ${file} (has the module ever run?)\n`);
    return 1;
  }
  try {
    const table = moduleStats(m, req);
    if (format === 'csv') process.stdout.write(toCsv(table));
    else if (format === 'json') process.stdout.write(JSON.stringify(table, null, 2) + '\n');
    else process.stdout.write(toTextTable(table));
    return 0;
  } finally {
    m.close();
  }
}
