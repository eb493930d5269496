// Opens a module database read-only for reports and statistics (WAL lets it be read while the daemon
// writes) and says which history it holds. Never writes, never migrates: an older file is read as it is.
// Offenders are read as `offenders_now`: the table overlaid with the offender log the module writes
// behind (folded into the table only at compaction), so a running module's recent offenders count too.
import { existsSync, statSync } from 'node:fs';
import Database from 'better-sqlite3';
import { createAffairsView } from '../adapters/db/affairs-view.js';
import { decodeStates } from '../adapters/db/offender-log.js';
import type { ModuleName } from '../core/logline/types.js';

export interface ModuleFile {
  module: ModuleName;
  file: string;
  db: Database.Database;
  /** PRAGMA user_version: 4 and later have bans.ended and the hourly rollups */
  version: number;
  /** the file and its WAL, bytes */
  bytes: number;
  hasRollups: boolean;
  close(): void;
}

/** Null when the file does not exist (the module never ran); throws when it is not a module database. */
export function openModuleFileReadOnly(file: string, module: ModuleName): ModuleFile | null {
  if (!existsSync(file)) return null;
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    // a busy writer holds its lock for milliseconds; wait rather than fail
    db.pragma('busy_timeout = 5000');
    const owner = db.prepare(`SELECT value FROM meta WHERE key = 'module'`).pluck().get() as string | undefined;
    if (owner !== undefined && owner !== module) throw new Error(`${file} is the database of module ${owner}, not ${module}`);
    const version = db.pragma('user_version', { simple: true }) as number;
    currentOffenders(db);
    createAffairsView(db);
    const size = (f: string): number => (existsSync(f) ? statSync(f).size : 0);
    return {
      module,
      file,
      db,
      version,
      bytes: size(file) + size(`${file}-wal`),
      hasRollups: version >= 4,
      close: () => db.close(),
    };
  } catch (e) {
    db.close();
    throw e;
  }
}

/**
 * Builds temp.offenders_now (the connection's own temporary table; the file is not written): the
 * offenders table, then every state in the offender log in order, the latest winning. One snapshot.
 */
function currentOffenders(db: Database.Database): void {
  db.exec(`CREATE TEMP TABLE offenders_now (ip TEXT PRIMARY KEY, dns_class TEXT NOT NULL, first_seen INTEGER NOT NULL,
             last_seen INTEGER NOT NULL, bans_count INTEGER NOT NULL, ban_id INTEGER)`);
  db.transaction(() => {
    db.exec(`INSERT INTO offenders_now SELECT ip, dns_class, first_seen, last_seen, bans_count, ban_id FROM main.offenders`);
    const hasLog = db.prepare(`SELECT 1 FROM main.sqlite_master WHERE type = 'table' AND name = 'offender_log'`).get() !== undefined;
    if (!hasLog) return;
    const put = db.prepare<[string, string, number, number, number, number | null]>(`INSERT OR REPLACE INTO offenders_now VALUES (?, ?, ?, ?, ?, ?)`);
    // all(), not iterate(): better-sqlite3 cannot write (the temp table) while a statement iterates
    for (const row of db.prepare<[], { states: Buffer }>('SELECT states FROM main.offender_log ORDER BY id').all()) {
      decodeStates(row.states, (s) => put.run(s.ip, s.dnsClass, s.firstSeen, s.lastSeen, s.bans, s.banId));
    }
  })();
}
