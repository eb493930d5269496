// Upkeep statements of a module database: planner statistics (PRAGMA optimize), the file's free space,
// rebuilds (VACUUM) with their time kept in meta, and WAL truncation. Decides nothing (core/module/upkeep.ts).
import type Database from 'better-sqlite3';

export interface FileSpace {
  pageSize: number;
  pages: number;
  freePages: number;
}

export interface CheckpointResult {
  /** 1 when a reader kept the checkpoint from finishing (it is retried by the next one) */
  busy: number;
  /** WAL frames before, and frames moved into the database */
  log: number;
  checkpointed: number;
}

const LAST_VACUUM = 'last_vacuum';

/** Lets SQLite refresh the planner statistics it finds stale: cheap, meant to run after every expiry. */
export function optimize(db: Database.Database): void {
  db.pragma('optimize');
}

export function fileSpace(db: Database.Database): FileSpace {
  const num = (pragma: string) => db.pragma(pragma, { simple: true }) as number;
  return { pageSize: num('page_size'), pages: num('page_count'), freePages: num('freelist_count') };
}

/** Moves the WAL into the database and truncates the WAL file to zero bytes. */
export function checkpoint(db: Database.Database): CheckpointResult {
  const [r] = db.pragma('wal_checkpoint(TRUNCATE)') as CheckpointResult[];
  return r ?? { busy: 0, log: 0, checkpointed: 0 };
}

/**
 * Rebuilds the file without its free pages (VACUUM, which goes through the WAL), truncates the WAL so
 * the space returns to the filesystem, and records `now` as the time of the rebuild.
 */
export function vacuum(db: Database.Database, now: number): CheckpointResult {
  db.exec('VACUUM');
  db.prepare(`INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)`).run(LAST_VACUUM, String(now));
  return checkpoint(db);
}

export function lastVacuum(db: Database.Database): number | null {
  const v = db.prepare(`SELECT value FROM meta WHERE key = ?`).pluck().get(LAST_VACUUM) as string | undefined;
  const n = v === undefined ? NaN : Number(v);
  return Number.isFinite(n) ? n : null;
}
