// Opens a module database read-only for reports and statistics (WAL lets it be read while the daemon
// writes) and says which history it holds. Never writes, never migrates: an older file is read as it is.
import { existsSync, statSync } from 'node:fs';
import Database from 'better-sqlite3';
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
    db.pragma('query_only = 1');
    // a busy writer holds its lock for milliseconds; wait rather than fail
    db.pragma('busy_timeout = 5000');
    const owner = db.prepare(`SELECT value FROM meta WHERE key = 'module'`).pluck().get() as string | undefined;
    if (owner !== undefined && owner !== module) throw new Error(`${file} is the database of module ${owner}, not ${module}`);
    const version = db.pragma('user_version', { simple: true }) as number;
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
