// The module database against real SQLite files: batches, bans written pending, DNS re-evaluation, subnet
// aggregation, expiry, unban, source positions, rollback and reopening. Each test owns a temp directory.
import test from 'ava';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { banOp } from '../../src/adapters/db/ban-row.js';
import { SCHEMA_VERSION } from '../../src/adapters/db/migrations.js';
import { ModuleDb, type BatchContext } from '../../src/adapters/db/module-db.js';
import { AddressMatcher, aggregate } from '../../src/core/aggregate.js';
import { WatcherError } from '../../src/core/errors.js';
import { formatV4 } from '../../src/core/fw-plan.js';
import { parseIp } from '../../src/core/ip.js';
import type { Detection } from '../../src/core/logline/types.js';
import { resolveBanPolicy, type BanPolicyInput } from '../../src/core/policy/ban-policy.js';
import type { DnsClass } from '../../src/core/policy/dns-class.js';
import { openReader } from '../helpers/read-db.js';

const S = 1000;
const H = 3600 * S;
const T0 = 1_700_000_000_000;

function tempFile(t: { teardown: (fn: () => void) => void }, name = 'LG.sqlite'): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'watcher-db-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return path.join(dir, name);
}

function open(t: { teardown: (fn: () => void) => void }, file = tempFile(t)): ModuleDb {
  const db = ModuleDb.open(file, 'LG');
  t.teardown(() => {
    try {
      db.close();
    } catch {
      // closed by the test already
    }
  });
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

const noWhitelist = matcher();

function ctx(now: number, policy: BanPolicyInput = {}, extra: Partial<BatchContext> = {}): BatchContext {
  return { policy: resolveBanPolicy({ limit: 3, windowMs: 60 * S, banMs: H, factor: 2, maxBanMs: 8 * H, ...policy }), whitelist: noWhitelist, now, ...extra };
}

function det(ip: string, time: number | null, over: Partial<Detection> = {}): Detection {
  return { ip, family: ip.includes(':') ? 6 : 4, rule: 'sshd-failed-password', event: 'auth-failure', weight: 1, user: 'root', time, ...over };
}

function count(file: string, sql: string): number {
  const db = openReader(file);
  try {
    return db.prepare(sql).pluck().get() as number;
  } finally {
    db.close();
  }
}

test('open: WAL, synchronous NORMAL, schema at the newest version, file readable by root only', (t) => {
  const file = tempFile(t);
  const db = open(t, file);
  const raw = openReader(file);
  t.is(raw.pragma('journal_mode', { simple: true }), 'wal');
  t.is(raw.pragma('user_version', { simple: true }), SCHEMA_VERSION);
  raw.close();
  t.is(statSync(file).mode & 0o777, 0o600);
  t.is(db.module, 'LG');
});

test('open: a file of another module is refused with a coded error', (t) => {
  const file = tempFile(t);
  ModuleDb.open(file, 'MX').close();
  const e = t.throws(() => ModuleDb.open(file, 'LG'), { instanceOf: WatcherError });
  t.is(e?.code, 'WATCHER_E_IO');
  t.regex(e?.message ?? '', /module MX, not LG/);
});

test('recordBatch: the limit-th affair in one batch writes exactly one pending ban, committed', (t) => {
  const file = tempFile(t);
  const db = open(t, file);
  const r = db.recordBatch([det('198.51.100.7', T0), det('198.51.100.7', T0 + S), det('198.51.100.8', T0 + S), det('198.51.100.7', T0 + 2 * S), det('198.51.100.7', T0 + 3 * S)], ctx(T0 + 3 * S));
  t.like(r, { recorded: 5, ignored: 0, invalid: 0 });
  t.is(r.bans.length, 1);
  t.like(r.bans[0], { entry: '198.51.100.7', family: 4, state: 'pending', since: T0 + 3 * S, until: T0 + 3 * S + H, rule: 'sshd-failed-password' });
  t.deepEqual(banOp('LG', r.bans[0]!, 'add'), { op: 'add', source: 'mod:LG', entry: '198.51.100.7', family: 4 });
  // visible to another connection at once: the transaction committed before recordBatch returned
  t.is(count(file, `SELECT COUNT(*) FROM bans WHERE state = 'pending'`), 1);
  t.is(count(file, 'SELECT COUNT(*) FROM affairs'), 5);
  t.like(db.offender('198.51.100.7'), { firstSeen: T0, lastSeen: T0 + 3 * S, banId: r.bans[0]!.id, state: { bans: 1, bannedUntil: T0 + 3 * S + H } });
  t.like(db.offender('198.51.100.8')?.state, { bans: 0, bannedUntil: null });
});

test('recordBatch: across one-line batches the ban lands on exactly the limit-th affair', (t) => {
  const db = open(t);
  const got: number[] = [];
  for (let k = 0; k < 5; k++) got.push(db.recordBatch([det('2001:db8::66', T0 + k * S)], ctx(T0 + k * S)).bans.length);
  t.deepEqual(got, [0, 0, 1, 0, 0]);
});

test('recordBatch: whitelisted addresses are neither stored nor counted; bad addresses are counted as invalid', (t) => {
  const file = tempFile(t);
  const db = open(t, file);
  const c = { ...ctx(T0), whitelist: matcher('192.0.2.0/24') };
  const r = db.recordBatch([det('192.0.2.5', T0, { weight: 100 }), det('not-an-ip', T0), det('198.51.100.0/24', T0), det('::ffff:198.51.100.9', T0)], c);
  t.like(r, { recorded: 1, ignored: 1, invalid: 2, bans: [] });
  t.is(db.offender('192.0.2.5'), undefined);
  t.truthy(db.offender('198.51.100.9'), 'the IPv4-mapped form is stored as IPv4');
  t.is(count(file, `SELECT COUNT(*) FROM affairs WHERE ip = '198.51.100.9'`), 1);
});

test('recordBatch: a detection without a time uses the module clock', (t) => {
  const db = open(t);
  db.recordBatch([det('198.51.100.7', null)], ctx(T0 + 42));
  t.like(db.offender('198.51.100.7'), { firstSeen: T0 + 42, lastSeen: T0 + 42 });
});

test('offender state survives closing and reopening the file', (t) => {
  const file = tempFile(t);
  let db = ModuleDb.open(file, 'LG');
  db.recordBatch([det('198.51.100.7', T0), det('198.51.100.7', T0 + S)], ctx(T0 + S, {}, { classOf: () => undefined }));
  db.close();
  db = open(t, file);
  t.deepEqual(db.offender('198.51.100.7')?.state.window, { times: [T0, T0 + S], weights: [1, 1] });
  t.is(db.recordBatch([det('198.51.100.7', T0 + 2 * S)], ctx(T0 + 2 * S)).bans.length, 1);
});

test('DNS: a class known at the first affair (peek) makes the second affair ban', (t) => {
  const db = open(t);
  const classOf = (ip: string): DnsClass | undefined => (ip === '203.0.113.5' ? 'NXDOMAIN' : undefined);
  const c = ctx(T0, { limit: 5 }, { classOf });
  t.is(db.recordBatch([det('203.0.113.5', T0)], c).bans.length, 0);
  t.is(db.recordBatch([det('203.0.113.5', T0 + S)], c).bans.length, 1);
  t.is(db.offender('203.0.113.5')?.state.dnsClass, 'NXDOMAIN');
});

test('DNS: a failed lookup (unknown) never erases a class already stored', (t) => {
  const db = open(t);
  db.recordBatch([det('203.0.113.5', T0)], ctx(T0, { limit: 5 }, { classOf: () => 'NXDOMAIN' }));
  t.is(db.recordBatch([det('203.0.113.5', T0 + S)], ctx(T0 + S, { limit: 5 }, { classOf: () => 'unknown' })).bans.length, 1);
  t.is(db.offender('203.0.113.5')?.state.dnsClass, 'NXDOMAIN');
});

test('DNS: a late class re-evaluates the offender and may ban then', (t) => {
  const db = open(t);
  const c = ctx(T0 + 2 * S, { limit: 5 });
  db.recordBatch([det('198.51.100.20', T0)], c);
  t.deepEqual(db.applyDnsClass('198.51.100.20', 'FAKEHOST', c), [], 'one affair: not yet');
  const second = db.recordBatch([det('198.51.100.20', T0 + S)], c);
  t.is(second.bans.length, 1, 'the second affair after FAKEHOST bans');

  db.recordBatch([det('198.51.100.21', T0), det('198.51.100.21', T0 + S)], c);
  const late = db.applyDnsClass('198.51.100.21', 'NXDOMAIN', c);
  t.is(late.length, 1, 'two affairs already: the class bans at once');
  t.like(late[0], { entry: '198.51.100.21', state: 'pending', rule: null });
  t.regex(late[0]!.reason, /NXDOMAIN/);
  t.deepEqual(db.applyDnsClass('192.0.2.99', 'NXDOMAIN', c), [], 'never seen: nothing to do');
  t.is(db.offender('198.51.100.21')?.state.dnsClass, 'NXDOMAIN');
});

test('bans: pending until fw-writer confirms, then active; the master load gets pending and active ones', (t) => {
  const db = open(t);
  const c = ctx(T0, { limit: 1 });
  const a = db.recordBatch([det('198.51.100.7', T0), det('2001:db8::1', T0), det('198.51.100.9', T0)], c).bans;
  t.deepEqual(db.pendingBans().map((b) => b.entry), ['198.51.100.7', '2001:db8::1', '198.51.100.9']);
  t.is(db.markBanActive([a[0]!.id, a[1]!.id]), 2);
  t.is(db.markBanActive([a[0]!.id]), 0, 'already active');
  t.deepEqual(db.pendingBans().map((b) => b.entry), ['198.51.100.9']);
  t.is(db.ban(a[0]!.id)?.state, 'active');
  const entries = db.activeBans(T0 + 1);
  t.deepEqual(Array.from(entries.v4, formatV4), ['198.51.100.7', '198.51.100.9']);
  t.deepEqual(entries.v6, ['2001:db8::1']);
  t.deepEqual(Array.from(db.activeBans(T0 + H).v4), [], 'past their end they are not loaded');
});

test('expire: ended bans come back once as expired, old affairs and forgotten offenders go', (t) => {
  const file = tempFile(t);
  const db = open(t, file);
  const c = ctx(T0, { limit: 1 });
  const [ban] = db.recordBatch([det('198.51.100.7', T0)], c).bans;
  db.markBanActive([ban!.id]);
  db.recordBatch([det('198.51.100.8', T0, { weight: 0 })], c);
  t.deepEqual(db.expire(T0 + H - 1).ended, [], 'not yet');
  const r = db.expire(T0 + H, { affairsMs: H, offendersMs: 2 * H });
  t.deepEqual(r.ended.map((b) => [b.entry, b.state]), [['198.51.100.7', 'expired']]);
  t.deepEqual(db.expire(T0 + H).ended, [], 'reported once');
  t.is(count(file, 'SELECT COUNT(*) FROM affairs'), 2, 'affairs are kept for affairsMs');
  const later = db.expire(T0 + 3 * H + 1, { affairsMs: H, offendersMs: 2 * H });
  t.like(later, { affairsDeleted: 2, offendersDeleted: 2, bansDeleted: 1 });
  t.is(db.offender('198.51.100.7'), undefined, 'the memory was dropped with the row');
  t.is(db.cachedOffenders, 0);
});

test('expire: a banned offender is never forgotten while its ban lasts', (t) => {
  const db = open(t);
  db.recordBatch([det('198.51.100.7', T0)], ctx(T0, { limit: 1, permanentAfter: 0 }));
  const r = db.expire(T0 + 1000 * H, { offendersMs: H });
  t.like(r, { ended: [], offendersDeleted: 0 });
  t.like(db.offender('198.51.100.7')?.state, { bannedUntil: Number.POSITIVE_INFINITY });
});

test('repeat offenders: the next ban is longer, also after reopening the file', (t) => {
  const file = tempFile(t);
  let db = ModuleDb.open(file, 'LG');
  const first = db.recordBatch([det('198.51.100.7', T0)], ctx(T0, { limit: 1 })).bans[0]!;
  t.is(first.until, T0 + H);
  db.expire(T0 + H);
  db.close();
  db = open(t, file);
  const second = db.recordBatch([det('198.51.100.7', T0 + 2 * H)], ctx(T0 + 2 * H, { limit: 1 })).bans[0]!;
  t.is(second.until! - second.since, 2 * H);
});

test('a ban whose time ran out but was not swept yet is superseded, so its expiry cannot delete the new entry', (t) => {
  const db = open(t);
  const c1 = ctx(T0, { limit: 1 });
  const old = db.recordBatch([det('198.51.100.7', T0)], c1).bans[0]!;
  db.markBanActive([old.id]);
  const fresh = db.recordBatch([det('198.51.100.7', T0 + H + 1)], ctx(T0 + H + 1, { limit: 1 })).bans[0]!;
  t.is(db.ban(old.id)?.state, 'expired');
  t.deepEqual(db.expire(T0 + H + 2).ended, []);
  t.is(db.ban(fresh.id)?.state, 'pending');
});

test('unban: an operator lifts the ban; the offender counts from zero again', (t) => {
  const db = open(t);
  const c = ctx(T0);
  db.recordBatch([det('2001:db8::7', T0), det('2001:db8::7', T0 + 1), det('2001:db8::7', T0 + 2)], c);
  const lifted = db.unban('2001:DB8:0::7');
  t.deepEqual(lifted.map((b) => [b.entry, b.state]), [['2001:db8::7', 'removed']]);
  t.is(db.offender('2001:db8::7')?.state.bannedUntil, null);
  t.deepEqual(db.pendingBans(), []);
  t.is(db.recordBatch([det('2001:db8::7', T0 + 3), det('2001:db8::7', T0 + 4)], c).bans.length, 0);
  t.is(db.recordBatch([det('2001:db8::7', T0 + 5)], c).bans.length, 1);
  t.deepEqual(db.unban('garbage'), []);
});

test('subnet aggregation: the third banned address of a /24 bans the /24 too, once', (t) => {
  const db = open(t);
  const c = ctx(T0, { limit: 1, subnet: { threshold: 3, windowMs: H } });
  const r1 = db.recordBatch([det('198.51.100.1', T0), det('198.51.100.2', T0)], c);
  t.deepEqual(r1.bans.map((b) => b.entry), ['198.51.100.1', '198.51.100.2']);
  const r2 = db.recordBatch([det('198.51.100.3', T0)], c);
  t.deepEqual(r2.bans.map((b) => [b.entry, b.family]), [['198.51.100.3', 4], ['198.51.100.0/24', 4]]);
  t.is(r2.bans[1]!.rule, null);
  t.regex(r2.bans[1]!.reason, /3 addresses of 198\.51\.100\.0\/24/);
  const r3 = db.recordBatch([det('198.51.100.4', T0)], c);
  t.deepEqual(r3.bans.map((b) => b.entry), ['198.51.100.4'], 'already banned: no second subnet ban');
  t.deepEqual(db.activeBans(T0 + 1).v4nets, ['198.51.100.0/24']);
});

test('subnet aggregation: IPv6 /64, only bans within the window count', (t) => {
  const db = open(t);
  const p: BanPolicyInput = { limit: 1, subnet: { threshold: 2, windowMs: 10 * S } };
  db.recordBatch([det('2001:db8:0:1::a', T0)], ctx(T0, p));
  t.is(db.recordBatch([det('2001:db8:0:1::b', T0 + 11 * S)], ctx(T0 + 11 * S, p)).bans.length, 1, 'the first ban is outside the window');
  const r = db.recordBatch([det('2001:db8:0:1::c', T0 + 12 * S)], ctx(T0 + 12 * S, p));
  t.deepEqual(r.bans.map((b) => b.entry), ['2001:db8:0:1::c', '2001:db8:0:1::/64']);
});

test('subnet aggregation: never when the subnet overlaps the whitelist', (t) => {
  const db = open(t);
  const c = { ...ctx(T0, { limit: 1, subnet: { threshold: 2 } }), whitelist: matcher('198.51.100.200') };
  const r = db.recordBatch([det('198.51.100.1', T0), det('198.51.100.2', T0), det('198.51.100.3', T0)], c);
  t.deepEqual(r.bans.map((b) => b.entry), ['198.51.100.1', '198.51.100.2', '198.51.100.3']);
});

test('a batch that fails rolls back entirely: no affair, no ban, no position, and the memory is not ahead', (t) => {
  const file = tempFile(t);
  const db = open(t, file);
  const store = db.positionStore('file:/var/log/auth.log');
  const c = ctx(T0);
  db.recordBatch([det('198.51.100.7', T0), det('198.51.100.7', T0 + 1)], c, { key: 'file:/var/log/auth.log', position: { inode: 7, offset: 100, firstLineHash: 'h', journalCursor: null } });
  const broken = det('198.51.100.7', T0 + 2, { rule: null as unknown as string }); // violates NOT NULL after the ban decision
  t.throws(() => db.recordBatch([broken], c, { key: 'file:/var/log/auth.log', position: { inode: 7, offset: 200, firstLineHash: 'h', journalCursor: null } }), { any: true, message: /NOT NULL/ });
  t.is(count(file, 'SELECT COUNT(*) FROM affairs'), 2);
  t.is(count(file, 'SELECT COUNT(*) FROM bans'), 0);
  t.is(store.load()?.offset, 100);
  t.deepEqual(db.offender('198.51.100.7')?.state.window.times, [T0, T0 + 1]);
  t.is(db.recordBatch([det('198.51.100.7', T0 + 3)], c).bans.length, 1, 'the retried line still bans on the third affair');
});

test('positionStore: unknown source, then saved and loaded; also saved with a batch', (t) => {
  const file = tempFile(t);
  let db = ModuleDb.open(file, 'LG', { clock: () => 5 });
  const file1 = db.positionStore('file:/var/log/auth.log');
  const journal = db.positionStore('journal:sshd.service');
  t.is(file1.load(), undefined);
  file1.save({ inode: 1234567, offset: 4096, firstLineHash: 'abc', journalCursor: null });
  db.recordBatch([det('198.51.100.7', T0)], ctx(T0), { key: 'journal:sshd.service', position: { inode: null, offset: 0, firstLineHash: null, journalCursor: 's=1;i=2' } });
  db.close();
  db = open(t, file);
  t.deepEqual(db.positionStore('file:/var/log/auth.log').load(), { inode: 1234567, offset: 4096, firstLineHash: 'abc', journalCursor: null });
  t.is(db.positionStore('journal:sshd.service').load()?.journalCursor, 's=1;i=2');
  t.is(journal.load, journal.load, 'stores are plain objects');
});
