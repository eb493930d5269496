// One expiry run inside a module's actor (the only writer of its database): age out the database, send
// the entries of ended bans to fw-writer for removal in bounded batches, then the file's upkeep.
import type { AnyActorRef } from 'xstate';
import type { ExpiryReport } from '../../machines/expirer.js';
import { banOp, type BanRow } from '../../src/adapters/db/ban-row.js';
import type { ModuleDb, Retention } from '../../src/adapters/db/module-db.js';
import type { WatcherConfig } from '../../src/config/schema.js';
import { DEFAULT_UPKEEP, planUpkeep, type UpkeepPolicy } from '../../src/core/module/upkeep.js';
import type { ModuleName } from '../../src/core/logline/types.js';
import type { Logger } from '../../src/log.js';

/** At most this many entries per `unban.requested`: a mass expiry becomes several small firewall jobs. */
export const UNBAN_BATCH = 1000;

export interface ExpirySettings {
  retention: Partial<Retention>;
  upkeep: UpkeepPolicy;
}

/** The configuration's expiry section in ModuleDb's and the upkeep's terms. */
export function expirySettings(config: WatcherConfig): ExpirySettings {
  const e = config.expiry;
  return {
    retention: { affairsMs: e.affairs_retention, offendersMs: e.offenders_retention },
    upkeep: { ...DEFAULT_UPKEEP, vacuumIntervalMs: e.vacuum_interval },
  };
}

export interface ExpiryTarget {
  module: ModuleName;
  db: ModuleDb;
  log: Logger;
}

let unbans = 0;

/** Sends the removal of ended bans' entries to fw-writer, UNBAN_BATCH entries per request. */
export function requestUnbans(module: ModuleName, ended: readonly BanRow[], fw: AnyActorRef | undefined, log: Logger): number {
  if (ended.length === 0) return 0;
  if (!fw) {
    log.warn(`fw-writer is not running: ${ended.length} ended bans stay in the firewall until the next master load`);
    return 0;
  }
  let requests = 0;
  for (let i = 0; i < ended.length; i += UNBAN_BATCH) {
    const ops = ended.slice(i, i + UNBAN_BATCH).map((b) => banOp(module, b, 'del'));
    fw.send({ type: 'unban.requested', opId: `${module}:expire:${++unbans}`, ops });
    requests++;
  }
  return requests;
}

/**
 * Ages out the database at `now` and keeps the file small; returns the report the expirer gets. A
 * failure is logged and reported (the next run tries again), never thrown: the module keeps running.
 */
export function runExpiry(t: ExpiryTarget, now: number, runId: number, settings: ExpirySettings, fw: AnyActorRef | undefined, clock: () => number = Date.now): ExpiryReport {
  const started = clock();
  const report: ExpiryReport = { module: `module:${t.module}`, runId, bansEnded: 0, affairsDeleted: 0, offendersDeleted: 0, bansDeleted: 0, vacuumed: false, ms: 0 };
  try {
    const r = t.db.expire(now, settings.retention);
    requestUnbans(t.module, r.ended, fw, t.log);
    Object.assign(report, { bansEnded: r.ended.length, affairsDeleted: r.affairsDeleted, offendersDeleted: r.offendersDeleted, bansDeleted: r.bansDeleted });
    for (const b of r.ended) t.log.debug(`ban of ${b.entry} ended (${new Date(b.until ?? now).toISOString()})`);
    t.db.optimize();
    const space = t.db.space();
    const deletedRows = r.affairsDeleted + r.offendersDeleted + r.bansDeleted;
    const plan = planUpkeep({ now, deletedRows, ...space, lastVacuumAt: t.db.lastVacuum() }, settings.upkeep);
    let note = '';
    if (plan.vacuum) {
      t.db.vacuum(now);
      report.vacuumed = true;
      const after = t.db.space();
      note = `; file rebuilt: ${mb(space.pages * space.pageSize)} -> ${mb(after.pages * after.pageSize)}`;
    } else if (plan.checkpoint) {
      t.db.checkpoint();
    }
    report.ms = clock() - started;
    if (r.ended.length > 0 || deletedRows > 0 || report.vacuumed) {
      t.log.info(
        `expiry: ${r.ended.length} bans ended, ${r.affairsDeleted} affairs, ${r.offendersDeleted} offenders and ${r.bansDeleted} old bans deleted in ${report.ms} ms${note}`,
      );
    }
  } catch (e) {
    report.error = e instanceof Error ? e.message : String(e);
    report.ms = clock() - started;
    t.log.warn(`expiry failed, the next run tries again: ${report.error}`);
  }
  return report;
}

function mb(bytes: number): string {
  return `${(bytes / 1048576).toFixed(1)} MB`;
}
