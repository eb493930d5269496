// History in the module database (migration 4): when a ban ended is stamped by expiry, supersession and
// unban; a version-3 file gets a best guess for its ended bans; expiry rolls up exactly what it deletes,
// so raw rows plus rollups always add up to everything ever recorded. Real SQLite files.
import test from 'ava';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { migrate, SCHEMA_VERSION } from '../../src/adapters/db/migrations.js';
import { ModuleDb, type BatchContext } from '../../src/adapters/db/module-db.js';
import { AddressMatcher, aggregate } from '../../src/core/aggregate.js';
import type { Detection } from '../../src/core/logline/types.js';
import { resolveBanPolicy } from '../../src/core/policy/ban-policy.js';
import { openReader } from '../helpers/read-db.js';

const S = 1000;
const H = 3600 * S;
const D = 24 * H;
const T0 = 1_700_000_000_000 - (1_700_000_000_000 % H);

function tempFile(t: { teardown: (fn: () => void) => void }): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'watcher-dbhist-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return path.join(dir, 'LG.sqlite');
}

const whitelist = AddressMatcher.fromEntries(aggregate([]));
const ctx = (now: number): BatchContext => ({ policy: resolveBanPolicy({ limit: 2, windowMs: H, banMs: H, factor: 1, maxBanMs: H }), whitelist, now });
const det = (ip: string, time: number, vhost?: string): Detection => ({ ip, family: 4, rule: 'r1', event: 'auth-failure', weight: 1, time, ...(vhost ? { vhost } : {}) });

function query<T>(file: string, sql: string): T {
  const db = openReader(file);
  try {
    return db.prepare(sql).pluck().get() as T;
  } finally {
    db.close();
  }
}

test('ended is stamped when a ban expires and when an operator lifts it', (t) => {
  const file = tempFile(t);
  let now = T0;
  const db = ModuleDb.open(file, 'LG', { clock: () => now });
  const a = db.recordBatch([det('192.0.2.1', T0), det('192.0.2.1', T0 + 1)], ctx(T0)).bans[0]!;
  const b = db.recordBatch([det('192.0.2.2', T0), det('192.0.2.2', T0 + 1)], ctx(T0)).bans[0]!;
  now = T0 + 10 * 60 * S;
  t.is(db.unban('192.0.2.2').length, 1);
  db.expire(T0 + 2 * H);
  db.close();
  const ended = (id: number) => query<number>(file, `SELECT ended FROM bans WHERE id = ${id}`);
  t.is(ended(a.id), T0 + 2 * H, 'expired: the sweep time, when the entry left the firewall');
  t.is(ended(b.id), T0 + 10 * 60 * S, 'removed: the unban time');
});

test('a version-3 file gets ended for its ended bans and the rollup tables', (t) => {
  const file = tempFile(t);
  const old = new Database(file);
  migrate(old, file, 3);
  old.exec(`
    INSERT INTO meta (key, value) VALUES ('module', 'LG');
    INSERT INTO bans (id, ip_or_cidr, family, since, until, state, reason) VALUES
      (1, '192.0.2.1', 4, ${T0}, ${T0 + H}, 'expired', 'x'),
      (2, '192.0.2.2', 4, ${T0}, ${T0 + H}, 'removed', 'x'),
      (3, '192.0.2.3', 4, ${T0}, ${T0 + H}, 'active', 'x');
  `);
  old.close();
  ModuleDb.open(file, 'LG').close();
  t.is(query<number>(file, 'PRAGMA user_version'), SCHEMA_VERSION);
  t.is(query<string>(file, `SELECT group_concat(coalesce(ended, 'null'), ',') FROM (SELECT ended FROM bans ORDER BY id)`), `${T0 + H},${T0},null`);
  for (const table of ['affair_hours', 'offender_hours', 'ban_hours']) t.is(query<number>(file, `SELECT count(*) FROM ${table}`), 0);
});

test('expiry rolls up exactly what it deletes: raw + rollup totals stay equal to what was recorded', (t) => {
  const file = tempFile(t);
  let now = T0;
  const db = ModuleDb.open(file, 'LG', { clock: () => now });
  let recorded = 0;
  const perVhost = new Map<string, number>();
  // 10 days, one batch an hour; addresses change every 3 days so old offenders age out
  for (let h = 0; h < 240; h++) {
    now = T0 + h * H;
    const ip = `198.51.100.${1 + Math.floor(h / 72)}`;
    const vhost = h % 2 ? 'a.example' : 'b.example';
    const r = db.recordBatch([det(ip, now, vhost), det(`203.0.113.${h % 7}`, now + 1, vhost)], ctx(now));
    recorded += r.recorded;
    perVhost.set(vhost, (perVhost.get(vhost) ?? 0) + r.recorded);
    db.markBanActive(r.bans.map((b) => b.id));
    if (h % 24 === 0) db.expire(now, { affairsMs: 3 * D, offendersMs: 4 * D });
  }
  const bansBefore = () => query<number>(file, 'SELECT count(*) FROM bans') + query<number>(file, `SELECT coalesce(sum(bans), 0) FROM ban_hours WHERE kind = 'ban'`);
  db.flush();
  const bansTotal = bansBefore();
  const x = db.expire(now + H, { affairsMs: 3 * D, offendersMs: 4 * D });
  db.close();
  t.true(x.affairsDeleted > 0 && x.offendersDeleted >= 0);
  const raw = query<number>(file, 'SELECT count(*) FROM affairs');
  const rolled = query<number>(file, 'SELECT sum(affairs) FROM affair_hours');
  t.true(rolled > 200, `rolled up: ${rolled}`);
  t.is(raw + rolled, recorded, 'every affair counted once');
  for (const [v, n] of perVhost) {
    t.is(query<number>(file, `SELECT count(*) FROM affairs WHERE vhost = '${v}'`) + query<number>(file, `SELECT sum(affairs) FROM affair_hours WHERE vhost = '${v}'`), n, v);
  }
  t.true(query<number>(file, 'SELECT count(*) FROM affair_hours WHERE hour % 3600000 != 0') === 0, 'rollup hours are whole hours');
  t.is(bansBefore(), bansTotal, 'every ban counted once');
  t.true(query<number>(file, 'SELECT coalesce(sum(offenders), 0) FROM offender_hours') > 0, 'forgotten offenders were rolled up');
  t.is(
    query<number>(file, 'SELECT count(*) FROM offenders') + query<number>(file, 'SELECT sum(offenders) FROM offender_hours'),
    11,
    'each of the 4 + 7 addresses counted once as a new offender (none came back after being forgotten)',
  );
});
