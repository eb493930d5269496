// Affairs as rows again, for readers: the table-valued function affair_block_rows(data, strings, base)
// unpacks one block, and the connection's own temporary view `affairs` (id, ip, time, rule, event,
// weight, user, vhost) joins every block with it and its kinds. Registered on every connection Watcher
// opens; the file itself holds no view (the sqlite3 shell could not run it without this code).
import type Database from 'better-sqlite3';
import { BlockReader, MAX_BLOCK_AFFAIRS } from './affair-block.js';

/** Registers affair_block_rows on `db` (any schema version; harmless twice). */
export function registerBlockRows(db: Database.Database): void {
  db.table('affair_block_rows', {
    columns: ['seq', 'ip', 'time', 'kind', 'user', 'vhost'],
    parameters: ['data', 'strings', 'base'],
    rows: function* (data: unknown, strings: unknown, base: unknown) {
      if (!(data instanceof Uint8Array) || typeof strings !== 'string' || typeof base !== 'number') return;
      const r = new BlockReader(data, strings, base);
      while (r.next()) yield [r.seq, r.ip, r.time, r.kind, r.user, r.vhost];
    },
  });
}

/**
 * Creates temp.affairs on `db` when the file keeps its affairs in blocks (schema 6 on). An older file,
 * read as it is, has a view of that name of its own. Blocks are visited in id order, each one unpacked
 * once (CROSS JOIN keeps the planner from reordering the loops).
 */
export function createAffairsView(db: Database.Database): void {
  const has = (name: string) => db.prepare(`SELECT 1 FROM main.sqlite_master WHERE name = ?`).get(name) !== undefined;
  if (!has('affair_blocks') || has('affairs')) return;
  registerBlockRows(db);
  db.exec(`
    CREATE TEMP VIEW IF NOT EXISTS affairs (id, ip, time, rule, event, weight, user, vhost) AS
      SELECT b.id * ${MAX_BLOCK_AFFAIRS} + a.seq, a.ip, a.time, k.rule, k.event, k.weight, a.user, a.vhost
      FROM main.affair_blocks b
        CROSS JOIN affair_block_rows(b.data, b.strings, b.base_time) a
        CROSS JOIN main.affair_kinds k ON k.id = a.kind`);
}
