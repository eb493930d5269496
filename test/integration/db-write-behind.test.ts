// Offender write-behind against real SQLite files: changes stay in memory until a flush (or the interval,
// or the bound) appends them to the offender log, a compaction folds the log into rows, expire and close
// compact first, a rollback keeps what earlier batches left behind, a second connection may open the file.
import test from 'ava';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ModuleDb, type BatchContext, type OpenOptions } from '../../src/adapters/db/module-db.js';
import { AddressMatcher, aggregate } from '../../src/core/aggregate.js';
import { parseIp } from '../../src/core/ip.js';
import type { Detection } from '../../src/core/logline/types.js';
import { resolveBanPolicy, type BanPolicyInput } from '../../src/core/policy/ban-policy.js';
import { openReader } from '../helpers/read-db.js';

const S = 1000;
const H = 3600 * S;
const T0 = 1_700_000_000_000;

type T = { teardown: (fn: () => void) => void };

function tempFile(t: T): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'watcher-wb-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return path.join(dir, 'LG.sqlite');
}

function open(t: T, file: string, opts: OpenOptions = {}): ModuleDb {
  const db = ModuleDb.open(file, 'LG', { clock: () => 0, ...opts });
  t.teardown(() => db.close());
  return db;
}

function matcher(...entries: string[]): AddressMatcher {
  return AddressMatcher.fromEntries(
    aggregate(
      entries.map((e) => {
        const r = parseIp(e);
        if (!r.ok) throw new Error(r.error);
        return r.ip;
      }),
    ),
  );
}

function ctx(now: number, policy: BanPolicyInput = {}, whitelist = matcher()): BatchContext {
  return { policy: resolveBanPolicy({ limit: 3, windowMs: 60 * S, banMs: H, ...policy }), whitelist, now };
}

function det(ip: string, time: number, over: Partial<Detection> = {}): Detection {
  return { ip, family: ip.includes(':') ? 6 : 4, rule: 'sshd-failed-password', event: 'auth-failure', weight: 1, time, ...over };
}

function raw<R>(file: string, sql: string): R {
  const db = openReader(file);
  try {
    return db.prepare(sql).pluck().get() as R;
  } finally {
    db.close();
  }
}

test('offender changes reach the file at flush: one log row; compact folds the log into rows', (t) => {
  const file = tempFile(t);
  const db = open(t, file);
  db.recordBatch([det('198.51.100.7', T0), det('198.51.100.7', T0 + S)], ctx(T0 + S));
  t.is(raw(file, 'SELECT COUNT(*) FROM affairs'), 2, 'affairs are committed with their batch');
  t.is(raw(file, 'SELECT COUNT(*) FROM offenders'), 0);
  t.is(db.unwrittenOffenders, 1);
  t.is(db.flush(), 1);
  t.is(db.unwrittenOffenders, 0);
  t.is(raw(file, 'SELECT COUNT(*) FROM offender_log'), 1);
  t.is(db.flush(), 0, 'nothing changed since');
  t.is(raw(file, 'SELECT COUNT(*) FROM offender_log'), 1);
  t.is(db.compact(), 1);
  t.is(raw(file, 'SELECT COUNT(*) FROM offender_log'), 0);
  t.is(raw(file, `SELECT length(affairs_in_window) FROM offenders WHERE ip = '198.51.100.7'`), 32);
  t.is(db.compact(), 0, 'nothing to fold');
});

test('a batch writes behind once the interval has passed, or when too many offenders wait', (t) => {
  const file = tempFile(t);
  let now = 0;
  const db = open(t, file, { clock: () => now, writeBehind: { intervalMs: 1000, maxUnwritten: 3 } });
  db.recordBatch([det('198.51.100.1', T0)], ctx(T0));
  t.is(db.unwrittenOffenders, 1);
  now = 999;
  db.recordBatch([det('198.51.100.2', T0)], ctx(T0));
  t.is(db.unwrittenOffenders, 2);
  now = 1000;
  db.recordBatch([det('198.51.100.3', T0)], ctx(T0));
  t.is(db.unwrittenOffenders, 0, 'a second passed: written with the batch');
  db.recordBatch([det('198.51.100.4', T0), det('198.51.100.5', T0)], ctx(T0));
  t.is(db.unwrittenOffenders, 2);
  db.recordBatch([det('198.51.100.6', T0)], ctx(T0));
  t.is(db.unwrittenOffenders, 0, 'three waiting: written with the batch');
  t.is(raw(file, 'SELECT COUNT(*) FROM offender_log'), 2);
});

test('a write compacts once the log has grown past maxLogBytes', (t) => {
  const file = tempFile(t);
  const db = open(t, file, { writeBehind: { maxLogBytes: 1 } });
  db.recordBatch([det('198.51.100.1', T0)], ctx(T0));
  db.flush();
  t.is(raw(file, 'SELECT COUNT(*) FROM offender_log'), 1);
  t.is(raw(file, 'SELECT COUNT(*) FROM offenders'), 0);
  db.recordBatch([det('198.51.100.2', T0)], ctx(T0));
  db.flush();
  t.is(raw(file, 'SELECT COUNT(*) FROM offender_log'), 0);
  t.is(raw(file, 'SELECT COUNT(*) FROM offenders'), 2);
});

test('close compacts: the next open reads current rows, and the offender counts on', (t) => {
  const file = tempFile(t);
  const first = ModuleDb.open(file, 'LG', { clock: () => 0 });
  first.recordBatch([det('2001:db8::5', T0), det('2001:db8::5', T0 + S)], ctx(T0 + S));
  first.close();
  first.close(); // twice: nothing happens
  t.is(raw(file, 'SELECT COUNT(*) FROM offender_log'), 0);
  const db = open(t, file);
  t.deepEqual(db.offender('2001:db8::5')?.state.window, { times: [T0, T0 + S], weights: [1, 1] });
  t.is(db.recordBatch([det('2001:db8::5', T0 + 2 * S)], ctx(T0 + 2 * S)).bans.length, 1);
  t.is(db.flush(), 1);
  db.close();
  t.is(db.flush(), 0, 'a no-op after close');
});

test('expire compacts first: an offender seen again lately is not deleted by its old row', (t) => {
  const file = tempFile(t);
  const db = open(t, file);
  db.recordBatch([det('198.51.100.7', T0, { weight: 0 })], ctx(T0));
  db.compact();
  db.recordBatch([det('198.51.100.7', T0 + 3 * H, { weight: 0 })], ctx(T0 + 3 * H));
  const r = db.expire(T0 + 3 * H + 1, { offendersMs: H, idleMs: H });
  t.is(r.offendersDeleted, 0);
  t.like(db.offender('198.51.100.7'), { firstSeen: T0, lastSeen: T0 + 3 * H });
  t.is(raw(file, `SELECT last_seen FROM offenders WHERE ip = '198.51.100.7'`), T0 + 3 * H);
});

test('a failed batch keeps what earlier batches left unwritten, and writes it later', (t) => {
  const file = tempFile(t);
  let db = ModuleDb.open(file, 'LG', { clock: () => 0 });
  const c = ctx(T0 + 10);
  db.recordBatch([det('198.51.100.7', T0), det('198.51.100.8', T0)], c);
  db.recordBatch([det('198.51.100.7', T0 + 1)], c);
  const broken = det('198.51.100.9', T0 + 2, { event: null as unknown as string }); // NOT NULL
  t.throws(() => db.recordBatch([det('198.51.100.7', T0 + 2), det('198.51.100.8', T0 + 2), broken], c), { any: true, message: /NOT NULL/ });
  t.is(db.unwrittenOffenders, 2, 'the two offenders of the earlier batches are still behind');
  t.is(db.offender('198.51.100.9'), undefined, 'the new one is gone again');
  t.is(db.cachedOffenders, 2);
  t.is(db.flush(), 2);
  db.close();
  db = open(t, file);
  t.deepEqual(db.offender('198.51.100.7')?.state.window.times, [T0, T0 + 1]);
  t.deepEqual(db.offender('198.51.100.8')?.state.window.times, [T0]);
  t.is(raw(file, 'SELECT COUNT(*) FROM affairs'), 3);
});

test('a failed ban batch rolls its ban back and the retry bans once', (t) => {
  const file = tempFile(t);
  const db = open(t, file);
  const c = ctx(T0 + 10);
  db.recordBatch([det('198.51.100.7', T0), det('198.51.100.7', T0 + 1)], c);
  const broken = det('198.51.100.9', T0 + 2, { rule: null as unknown as string });
  t.throws(() => db.recordBatch([det('198.51.100.7', T0 + 2), broken], c), { any: true, message: /NOT NULL/ });
  t.is(raw(file, 'SELECT COUNT(*) FROM bans'), 0);
  t.like(db.offender('198.51.100.7'), { banId: null, state: { bans: 0, bannedUntil: null } });
  const r = db.recordBatch([det('198.51.100.7', T0 + 2)], c);
  t.is(r.bans.length, 1);
  t.is(r.bans[0]!.id, 1, 'the rolled-back row left no gap that matters');
});

test('a new whitelist (a reload) applies to offenders already known', (t) => {
  const file = tempFile(t);
  const db = open(t, file);
  t.like(db.recordBatch([det('198.51.100.7', T0)], ctx(T0)), { recorded: 1, ignored: 0 });
  t.like(db.recordBatch([det('198.51.100.7', T0 + 1)], ctx(T0 + 1, {}, matcher('198.51.100.0/24'))), { recorded: 0, ignored: 1 });
  t.like(db.recordBatch([det('198.51.100.7', T0 + 2)], ctx(T0 + 2)), { recorded: 1, ignored: 0 });
  t.deepEqual(db.offender('198.51.100.7')?.state.window.times, [T0, T0 + 2]);
});

test('unban: the offender in memory is no longer banned; a new ban later supersedes nothing', (t) => {
  const file = tempFile(t);
  const db = open(t, file);
  const c = ctx(T0, { limit: 1 });
  const [first] = db.recordBatch([det('198.51.100.7', T0)], c).bans;
  db.flush();
  t.deepEqual(db.unban('198.51.100.7').map((b) => b.id), [first!.id]);
  t.like(db.offender('198.51.100.7')?.state, { bannedUntil: null, bans: 1 });
  const [second] = db.recordBatch([det('198.51.100.7', T0 + 1)], ctx(T0 + 1, { limit: 1 })).bans;
  t.is(db.ban(first!.id)?.state, 'removed');
  t.is(db.ban(second!.id)?.state, 'pending');
  t.is(second!.until! - second!.since, 2 * H, 'escalation remembers the lifted ban');
});

test('a second connection (the master load) may open and close the file while the module writes', (t) => {
  const file = tempFile(t);
  const db = open(t, file);
  const c = ctx(T0, { limit: 2 });
  db.recordBatch([det('198.51.100.7', T0), det('198.51.100.8', T0)], c);
  db.flush();
  db.recordBatch([det('198.51.100.7', T0 + 1)], c); // bans, not flushed
  const reader = ModuleDb.open(file, 'LG');
  t.deepEqual(reader.pendingBans().map((b) => b.entry), ['198.51.100.7']);
  reader.close();
  db.recordBatch([det('198.51.100.8', T0 + 1)], c);
  db.close();
  const again = open(t, file);
  t.like(again.offender('198.51.100.7')?.state, { bans: 1, bannedUntil: T0 + H });
  t.like(again.offender('198.51.100.8')?.state, { bans: 1, bannedUntil: T0 + H });
  t.is(raw(file, 'SELECT COUNT(*) FROM bans'), 2);
});
