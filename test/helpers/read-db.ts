// Opens a module database read-only the way Watcher's readers do: with the connection's `affairs` view
// over the packed blocks (src/adapters/db/affairs-view.ts).
import Database from 'better-sqlite3';
import { createAffairsView } from '../../src/adapters/db/affairs-view.js';

export function openReader(file: string): Database.Database {
  const db = new Database(file, { readonly: true });
  createAffairsView(db);
  return db;
}
