// The module database's schema history: an ordered list of migrations, the file's version in PRAGMA
// user_version. Append new steps at the end; never edit a step that has shipped.
import type Database from 'better-sqlite3';
import { WatcherError } from '../../core/errors.js';
import { parseIp } from '../../core/ip.js';
import { BlockEncoder } from './affair-block.js';
import { AffairBlocks } from './affair-blocks.js';

export type Migration = (db: Database.Database) => void;

export const MIGRATIONS: readonly Migration[] = [
  // 1: affairs, offenders and bans
  (db) => {
    db.exec(`
      CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
      CREATE TABLE affairs (
        id INTEGER PRIMARY KEY,
        ip TEXT NOT NULL,
        time INTEGER NOT NULL,
        rule TEXT NOT NULL,
        event TEXT NOT NULL,
        weight INTEGER NOT NULL,
        user TEXT,
        vhost TEXT
      );
      -- no index on time: ids follow arrival, and arrival follows time closely enough for expiry
      -- (see ModuleDb.expire); each index costs every insert on the hot path
      CREATE TABLE bans (
        id INTEGER PRIMARY KEY,
        ip_or_cidr TEXT NOT NULL,
        family INTEGER NOT NULL CHECK (family IN (4, 6)),
        since INTEGER NOT NULL,
        until INTEGER,
        state TEXT NOT NULL CHECK (state IN ('pending', 'active', 'expired', 'removed')),
        reason TEXT NOT NULL,
        rule TEXT
      );
      CREATE INDEX bans_entry ON bans (ip_or_cidr);
      CREATE INDEX bans_state ON bans (state, until);
      CREATE TABLE offenders (
        -- id: a stable integer key, so the per-batch update is by integer; ip is the natural key
        id INTEGER PRIMARY KEY,
        ip TEXT NOT NULL UNIQUE,
        family INTEGER NOT NULL CHECK (family IN (4, 6)),
        affairs_in_window BLOB,
        dns_class TEXT NOT NULL DEFAULT 'unknown',
        first_seen INTEGER NOT NULL,
        last_seen INTEGER NOT NULL,
        bans_count INTEGER NOT NULL DEFAULT 0,
        ban_id INTEGER
      );
      -- no index on last_seen: every batch updates it for most of its offenders, while only the periodic
      -- expiry reads it (one scan)
      -- ban_id: the offender's latest ban; a dangling id (ban row deleted) just means "not banned"
    `);
  },
  // 2: log reader positions, and the subnet of each address ban for subnet aggregation
  (db) => {
    db.exec(`
      CREATE TABLE source_positions (
        key TEXT PRIMARY KEY,
        inode INTEGER,
        offset INTEGER NOT NULL DEFAULT 0,
        first_line_hash TEXT,
        journal_cursor TEXT,
        saved INTEGER NOT NULL
      ) WITHOUT ROWID;
      ALTER TABLE bans ADD COLUMN subnet TEXT;
      CREATE INDEX bans_subnet ON bans (subnet, since) WHERE subnet IS NOT NULL;
    `);
  },
  // 3: offender changes are written behind: appended to a log (one blob of states per flush, see
  // offender-log.ts), folded into the offenders table by a compaction. An address ban supersedes its
  // offender's latest ban (by id): only subnet bans are looked up by entry; an index of every entry put
  // one random page per ban into each batch's commit.
  (db) => {
    db.exec(`
      CREATE TABLE offender_log (
        id INTEGER PRIMARY KEY,
        states BLOB NOT NULL,
        -- the newest ban when it was written: every ban up to it is in these states or in the rows
        through_ban INTEGER NOT NULL
      );
      DROP INDEX bans_entry;
      CREATE INDEX bans_cidr ON bans (ip_or_cidr) WHERE instr(ip_or_cidr, '/') > 0;
    `);
  },
  // 4: history that outlives retention. bans.ended: when a ban left the firewall (expired or removed; rows
  // ended before this step get their best guess: until, or since for removals). Hourly rollups, filled by
  // ModuleDb.expire from exactly the rows it deletes, in the same transaction: every affair, offender and
  // ban is counted either in its table or in a rollup, never both (src/adapters/db/rollup.ts).
  (db) => {
    db.exec(`
      ALTER TABLE bans ADD COLUMN ended INTEGER;
      UPDATE bans SET ended = CASE state WHEN 'expired' THEN coalesce(until, since) ELSE since END
        WHERE state IN ('expired', 'removed');
      -- hour: start of the UTC hour, ms; vhost '' when the affair had none
      CREATE TABLE affair_hours (
        hour INTEGER NOT NULL,
        event TEXT NOT NULL,
        rule TEXT NOT NULL,
        vhost TEXT NOT NULL,
        affairs INTEGER NOT NULL,
        weight INTEGER NOT NULL,
        PRIMARY KEY (hour, event, rule, vhost)
      ) WITHOUT ROWID;
      -- offenders by the hour they were first seen and their last DNS class
      CREATE TABLE offender_hours (
        hour INTEGER NOT NULL,
        dns_class TEXT NOT NULL,
        offenders INTEGER NOT NULL,
        PRIMARY KEY (hour, dns_class)
      ) WITHOUT ROWID;
      -- kind ban: by the hour of since; expiry and unban: by the hour of ended
      CREATE TABLE ban_hours (
        hour INTEGER NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('ban', 'expiry', 'unban')),
        bans INTEGER NOT NULL,
        PRIMARY KEY (hour, kind)
      ) WITHOUT ROWID;
    `);
  },
  // 5: smaller affair rows, since every affair is one row on the hot path: rule, event and weight become
  // one integer (a kind, from a dictionary), an IPv4 address is stored as its 32-bit number (INTEGER
  // affinity; other addresses stay text). `affairs` becomes a view with the old columns, so readers
  // (reports, watcherctl) keep `SELECT ip, time, rule, event, weight, user, vhost FROM affairs`.
  (db) => {
    db.exec(`
      CREATE TABLE affair_kinds (
        id INTEGER PRIMARY KEY,
        rule TEXT NOT NULL,
        event TEXT NOT NULL,
        weight INTEGER NOT NULL,
        UNIQUE (rule, event, weight)
      );
      CREATE TABLE affair_rows (
        -- ids follow arrival (expiry deletes by id, see ModuleDb.expire): no index on time or ip
        id INTEGER PRIMARY KEY,
        -- IPv4: the address as an unsigned 32-bit number; IPv6: canonical text
        ip INTEGER NOT NULL,
        time INTEGER NOT NULL,
        kind INTEGER NOT NULL,
        user TEXT,
        vhost TEXT
      );
      INSERT INTO affair_kinds (rule, event, weight) SELECT DISTINCT rule, event, weight FROM affairs ORDER BY rule, event, weight;
      -- rows written before keep their address as text: the view shows either form the same way
      INSERT INTO affair_rows (id, ip, time, kind, user, vhost)
        SELECT a.id, a.ip, a.time, k.id, a.user, a.vhost FROM affairs a JOIN affair_kinds k USING (rule, event, weight) ORDER BY a.id;
      DROP TABLE affairs;
      CREATE VIEW affairs (id, ip, time, rule, event, weight, user, vhost) AS
        SELECT r.id,
               CASE WHEN typeof(r.ip) = 'integer'
                 THEN (r.ip >> 24) || '.' || ((r.ip >> 16) & 255) || '.' || ((r.ip >> 8) & 255) || '.' || (r.ip & 255)
                 ELSE r.ip END,
               r.time, k.rule, k.event, k.weight, r.user, r.vhost
        FROM affair_rows r JOIN affair_kinds k ON k.id = r.kind;
      -- code written against the old table keeps working: rows deleted or inserted through the view
      -- (slower than the module's own statements, which use affair_rows)
      CREATE TRIGGER affairs_delete INSTEAD OF DELETE ON affairs BEGIN
        DELETE FROM affair_rows WHERE id = old.id;
      END;
      CREATE TRIGGER affairs_insert INSTEAD OF INSERT ON affairs BEGIN
        INSERT OR IGNORE INTO affair_kinds (rule, event, weight) VALUES (new.rule, new.event, new.weight);
        INSERT INTO affair_rows (id, ip, time, kind, user, vhost) VALUES (new.id, new.ip, new.time,
          (SELECT id FROM affair_kinds WHERE rule = new.rule AND event = new.event AND weight = new.weight), new.user, new.vhost);
      END;
    `);
  },
  // 6: affairs packed, one block per recorded batch (affair-block.ts) instead of one row each: a row's
  // insert was most of the hot path's storage cost. The rows so far become blocks of up to 4096, in id
  // order. Readers get `affairs` from their connection (affairs-view.ts): a view in the file would need
  // Watcher's block reader to run, which the sqlite3 shell does not have.
  (db) => {
    db.exec(`
      CREATE TABLE affair_blocks (
        -- ids follow arrival (expiry deletes by id, see AffairBlocks.cut): no index on time or address
        id INTEGER PRIMARY KEY,
        -- the first affair's time (the base of the data's time deltas) and the block's time range, ms
        base_time INTEGER NOT NULL,
        min_time INTEGER NOT NULL,
        max_time INTEGER NOT NULL,
        affairs INTEGER NOT NULL,
        -- JSON array of the IPv6 addresses, users and vhosts the data refers to
        strings TEXT NOT NULL,
        data BLOB NOT NULL
      );
    `);
    packAffairRows(db);
    db.exec(`
      DROP TRIGGER affairs_insert;
      DROP TRIGGER affairs_delete;
      DROP VIEW affairs;
      DROP TABLE affair_rows;
    `);
  },
  // 7: bans_state indexes the state alone (within a state, entries follow the rowid): a new ban's entry
  // is appended, instead of landing at its spread end time among every pending ban (a random index page
  // per ban in each batch's commit: 5% of the mixed log's pipeline). Expiry's "current and ended by
  // now" reads the current bans' entries instead of a range (tens of ms for 100,000 current bans).
  (db) => {
    db.exec(`
      DROP INDEX bans_state;
      CREATE INDEX bans_state ON bans (state);
    `);
  },
];

// Migration 6: affair_rows, a page at a time in id order, into blocks of up to 4096 affairs.
function packAffairRows(db: Database.Database): void {
  const page = db.prepare<[number], { id: number; ip: number | string; time: number; kind: number; user: string | null; vhost: string | null }>(
    'SELECT id, ip, time, kind, user, vhost FROM affair_rows WHERE id > ? ORDER BY id LIMIT 4096',
  );
  const blocks = new AffairBlocks(db);
  const enc = new BlockEncoder();
  for (let after = -1; ; ) {
    const rows = page.all(after);
    if (rows.length === 0) return;
    for (const r of rows) {
      // IPv4 as its number since migration 5; rows from before it kept their text
      const p = typeof r.ip === 'number' ? undefined : parseIp(r.ip);
      if (typeof r.ip === 'number') enc.add(r.ip, '', r.time, r.kind, r.user, r.vhost);
      else if (p?.ok && p.ip.family === 4) enc.add(p.ip.v4, '', r.time, r.kind, r.user, r.vhost);
      else enc.add(-1, p?.ok ? p.ip.addr : r.ip, r.time, r.kind, r.user, r.vhost);
    }
    blocks.write(enc);
    after = rows[rows.length - 1]!.id;
  }
}

export const SCHEMA_VERSION = MIGRATIONS.length;

/** The first schema version whose affairs are packed in affair_blocks. */
export const PACKED_AFFAIRS = 6;

export function schemaVersion(db: Database.Database): number {
  return db.pragma('user_version', { simple: true }) as number;
}

/**
 * Brings the file to `target` (default: the newest version), each step in its own transaction together
 * with its user_version bump, so a crash mid-way leaves a file at a well-defined version.
 */
export function migrate(db: Database.Database, file: string, target = SCHEMA_VERSION): number {
  const from = schemaVersion(db);
  if (from > SCHEMA_VERSION) {
    throw new WatcherError('WATCHER_E_IO', `${file}: database schema version ${from} is newer than this Watcher knows (${SCHEMA_VERSION})`, {
      location: { file },
      hint: 'it was written by a newer Watcher; upgrade, or move the file away to start empty',
    });
  }
  for (let v = from; v < target; v++) {
    const step = MIGRATIONS[v]!;
    db.transaction(() => {
      step(db);
      db.pragma(`user_version = ${v + 1}`);
    }).immediate();
  }
  return from;
}
