// Opens one module's SQLite file: permissions, WAL and durability settings, migrations, and the check
// that the file belongs to this module. Returns the connection; knows nothing about affairs or bans.
import { chmodSync } from 'node:fs';
import Database from 'better-sqlite3';
import { WatcherError } from '../../core/errors.js';
import type { ModuleName } from '../../core/logline/types.js';
import { createAffairsView, registerBlockRows } from './affairs-view.js';
import { migrate } from './migrations.js';

/** Opens (creating and migrating as needed) `file` (":memory:" for tests) for `module`; throws WatcherError. */
export function openModuleFile(file: string, module: ModuleName): Database.Database {
  const db = new Database(file);
  try {
    if (file !== ':memory:') chmodSync(file, 0o600); // addresses and user names: not for other users
    db.pragma('journal_mode = WAL');
    // NORMAL in WAL mode: a commit survives a crash of the daemon; only a power loss may take the last ones
    db.pragma('synchronous = NORMAL');
    // 16 MB of page cache: the offenders table stays in memory between batches
    db.pragma('cache_size = -16000');
    // the function migration 6 and expiry's rollup unpack blocks with, then the readers' affairs view
    registerBlockRows(db);
    migrate(db, file);
    createAffairsView(db);
    db.prepare(`INSERT OR IGNORE INTO meta (key, value) VALUES ('module', ?)`).run(module);
    const owner = db.prepare(`SELECT value FROM meta WHERE key = 'module'`).pluck().get() as string;
    if (owner !== module) {
      throw new WatcherError('WATCHER_E_IO', `${file} is the database of module ${owner}, not ${module}`, {
        location: { file },
        hint: 'each module needs its own database file',
      });
    }
    return db;
  } catch (e) {
    db.close();
    throw e;
  }
}
