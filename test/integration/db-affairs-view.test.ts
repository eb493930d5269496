// Affairs are stored packed, one block per batch (kind ids, IPv4 as a number), and read through the
// connection's `affairs` view: a reader on its own read-only connection sees every column as written,
// for both families, right after the batch; files from before the packing are converted on open.
import test from 'ava';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { MAX_BLOCK_AFFAIRS } from '../../src/adapters/db/affair-block.js';
import { migrate } from '../../src/adapters/db/migrations.js';
import { ModuleDb } from '../../src/adapters/db/module-db.js';
import { AddressMatcher, aggregate } from '../../src/core/aggregate.js';
import type { Detection } from '../../src/core/logline/types.js';
import { resolveBanPolicy } from '../../src/core/policy/ban-policy.js';
import { openReader } from '../helpers/read-db.js';

const T0 = 1_700_000_000_000;
const QUERY = 'SELECT ip, time, rule, event, weight, user, vhost FROM affairs ORDER BY id';

function tempFile(t: { teardown: (fn: () => void) => void }, name: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'watcher-dbview-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return path.join(dir, name);
}

test('a reader sees each affair with its columns as detected, IPv4 and IPv6, as soon as the batch returns', (t) => {
  const file = tempFile(t, 'WB.sqlite');
  const db = ModuleDb.open(file, 'WB');
  t.teardown(() => db.close());
  const reader = openReader(file);
  t.teardown(() => reader.close());
  const ctx = { policy: resolveBanPolicy({ limit: 100 }), whitelist: AddressMatcher.fromEntries(aggregate([])), now: T0 };
  const batch: Detection[] = [
    { ip: '203.0.113.250', family: 4, rule: 'nginx-auth', event: 'auth-failure', weight: 1, user: 'admin', vhost: 'a.example', time: T0 },
    { ip: '2001:db8::7', family: 6, rule: 'nginx-auth', event: 'auth-failure', weight: 1, vhost: 'b.example', time: T0 + 1 },
    { ip: '0.0.0.1', family: 4, rule: 'wb-flood', event: 'flood', weight: 100, time: T0 + 2 },
    { ip: '255.255.255.254', family: 4, rule: 'nginx-auth', event: 'scan', weight: 2, user: "x'; DROP TABLE affairs; --", time: T0 + 3 },
  ];
  db.recordBatch(batch, ctx);
  t.deepEqual(reader.prepare(QUERY).all(), [
    { ip: '203.0.113.250', time: T0, rule: 'nginx-auth', event: 'auth-failure', weight: 1, user: 'admin', vhost: 'a.example' },
    { ip: '2001:db8::7', time: T0 + 1, rule: 'nginx-auth', event: 'auth-failure', weight: 1, user: null, vhost: 'b.example' },
    { ip: '0.0.0.1', time: T0 + 2, rule: 'wb-flood', event: 'flood', weight: 100, user: null, vhost: null },
    { ip: '255.255.255.254', time: T0 + 3, rule: 'nginx-auth', event: 'scan', weight: 2, user: "x'; DROP TABLE affairs; --", vhost: null },
  ]);
  t.is(reader.prepare(`SELECT count(*) FROM affairs WHERE ip = '203.0.113.250' AND time >= ?`).pluck().get(T0), 1);
  t.is(reader.prepare('SELECT count(*) FROM affair_kinds').pluck().get(), 3, 'one kind per (rule, event, weight)');
  t.deepEqual(reader.prepare('SELECT affairs, min_time, max_time FROM affair_blocks').all(), [{ affairs: 4, min_time: T0, max_time: T0 + 3 }], 'one block for the batch');
  t.deepEqual(reader.prepare('SELECT id FROM affairs ORDER BY id').pluck().all(), [MAX_BLOCK_AFFAIRS, MAX_BLOCK_AFFAIRS + 1, MAX_BLOCK_AFFAIRS + 2, MAX_BLOCK_AFFAIRS + 3]);
  t.is(new Database(file, { readonly: true }).prepare(`SELECT count(*) FROM sqlite_master WHERE name = 'affairs'`).pluck().get(), 0, 'the file itself holds no view the sqlite3 shell could not run');
});

test('a batch that rolls back forgets the kinds it added: the next batch adds them again', (t) => {
  const file = tempFile(t, 'LG.sqlite');
  const db = ModuleDb.open(file, 'LG');
  t.teardown(() => db.close());
  const ctx = { policy: resolveBanPolicy({ limit: 100 }), whitelist: AddressMatcher.fromEntries(aggregate([])), now: T0 };
  const d: Detection = { ip: '192.0.2.1', family: 4, rule: 'new-rule', event: 'e', weight: 1, time: T0 };
  // a failing position save after the affairs makes the whole batch roll back
  t.throws(() => db.recordBatch([d], ctx, { key: 'k', position: { inode: 1, offset: Number.NaN, firstLineHash: null, journalCursor: null } as never }), { any: true });
  db.recordBatch([d], ctx);
  const reader = openReader(file);
  t.teardown(() => reader.close());
  t.deepEqual(reader.prepare('SELECT ip, rule FROM affairs').all(), [{ ip: '192.0.2.1', rule: 'new-rule' }]);
});

test('affairs written before the migration read the same through the view, and expire by time', (t) => {
  const file = tempFile(t, 'LG.sqlite');
  const old = new Database(file);
  migrate(old, file, 3);
  old.exec(`
    INSERT INTO meta (key, value) VALUES ('module', 'LG');
    INSERT INTO affairs (ip, time, rule, event, weight, user, vhost) VALUES ('198.51.100.7', ${T0}, 'sshd-failed-password', 'auth-failure', 1, 'root', NULL);
    INSERT INTO affairs (ip, time, rule, event, weight, user, vhost) VALUES ('2001:db8::1', ${T0 + 5}, 'sshd-failed-password', 'auth-failure', 1, NULL, NULL);
  `);
  old.close();
  const db = ModuleDb.open(file, 'LG');
  t.teardown(() => db.close());
  const ctx = { policy: resolveBanPolicy({ limit: 100 }), whitelist: AddressMatcher.fromEntries(aggregate([])), now: T0 + 10 };
  db.recordBatch([{ ip: '198.51.100.7', family: 4, rule: 'sshd-failed-password', event: 'auth-failure', weight: 1, user: 'root', time: T0 + 10 }], ctx);
  const reader = openReader(file);
  t.teardown(() => reader.close());
  t.deepEqual(reader.prepare(QUERY).all(), [
    { ip: '198.51.100.7', time: T0, rule: 'sshd-failed-password', event: 'auth-failure', weight: 1, user: 'root', vhost: null },
    { ip: '2001:db8::1', time: T0 + 5, rule: 'sshd-failed-password', event: 'auth-failure', weight: 1, user: null, vhost: null },
    { ip: '198.51.100.7', time: T0 + 10, rule: 'sshd-failed-password', event: 'auth-failure', weight: 1, user: 'root', vhost: null },
  ]);
  t.is(reader.prepare('SELECT count(*) FROM affair_kinds').pluck().get(), 1, 'the old kind is reused');
  t.is(db.expire(T0 + 7, { affairsMs: 0 }).affairsDeleted, 2);
  t.deepEqual(reader.prepare('SELECT time FROM affairs').pluck().all(), [T0 + 10]);
});

test('rows of a schema 5 file (IPv4 as numbers or text, IPv6 as text) become blocks that read the same', (t) => {
  const file = tempFile(t, 'MB.sqlite');
  const old = new Database(file);
  migrate(old, file, 5);
  old.exec(`INSERT INTO meta (key, value) VALUES ('module', 'MB')`);
  const ins = old.prepare('INSERT INTO affairs (ip, time, rule, event, weight, user, vhost) VALUES (?, ?, ?, ?, ?, ?, ?)');
  // through the schema 5 view's trigger, as Watcher 5 wrote them; and a row from before (IPv4 as text)
  ins.run('192.0.2.1', T0, 'r', 'e', 2, 'u', null);
  ins.run('2001:db8::2', T0 - 10, 'r', 'e', 2, null, 'v');
  old.prepare('INSERT INTO affair_rows (ip, time, kind, user, vhost) VALUES (?, ?, 1, NULL, NULL)').run('198.51.100.3', T0 + 3);
  // enough rows for two blocks
  for (let i = 0; i < 5000; i++) ins.run('203.0.113.9', T0 + 100 + i, 'r', 'f', 1, null, null);
  old.close();
  ModuleDb.open(file, 'MB').close();
  const reader = openReader(file);
  t.teardown(() => reader.close());
  t.deepEqual(reader.prepare(`${QUERY} LIMIT 4`).all(), [
    { ip: '192.0.2.1', time: T0, rule: 'r', event: 'e', weight: 2, user: 'u', vhost: null },
    { ip: '2001:db8::2', time: T0 - 10, rule: 'r', event: 'e', weight: 2, user: null, vhost: 'v' },
    { ip: '198.51.100.3', time: T0 + 3, rule: 'r', event: 'e', weight: 2, user: null, vhost: null },
    { ip: '203.0.113.9', time: T0 + 100, rule: 'r', event: 'f', weight: 1, user: null, vhost: null },
  ]);
  t.is(reader.prepare('SELECT count(*) FROM affairs').pluck().get(), 5003);
  t.deepEqual(reader.prepare('SELECT affairs FROM affair_blocks ORDER BY id').pluck().all(), [4096, 907]);
  t.deepEqual(reader.prepare('SELECT min_time, max_time FROM affair_blocks ORDER BY id LIMIT 1').get(), { min_time: T0 - 10, max_time: T0 + 100 + 4092 });
  t.is(reader.prepare(`SELECT count(*) FROM sqlite_master WHERE name IN ('affair_rows', 'affairs_insert', 'affairs_delete')`).pluck().get(), 0);
});

test('forget rewrites the blocks that hold the address: every other affair stays, in order', (t) => {
  const file = tempFile(t, 'LG.sqlite');
  const db = ModuleDb.open(file, 'LG');
  t.teardown(() => db.close());
  const ctx = { policy: resolveBanPolicy({ limit: 1000 }), whitelist: AddressMatcher.fromEntries(aggregate([])), now: T0 };
  const d = (ip: string, k: number): Detection => ({ ip, family: ip.includes(':') ? 6 : 4, rule: 'r', event: 'e', weight: 1, user: `u${k}`, time: T0 + k });
  db.recordBatch([d('192.0.2.1', 0), d('192.0.2.2', 1), d('2001:db8::1', 2), d('192.0.2.1', 3)], ctx);
  db.recordBatch([d('192.0.2.1', 4)], ctx);
  db.recordBatch([d('2001:db8::1', 5), d('192.0.2.3', 6)], ctx);
  t.deepEqual(db.forget('192.0.2.1'), { affairs: 3, offender: true });
  t.deepEqual(db.forget('2001:db8:0::1'), { affairs: 2, offender: true }, 'any textual form of the address');
  const reader = openReader(file);
  t.teardown(() => reader.close());
  t.deepEqual(reader.prepare('SELECT ip, time, user FROM affairs ORDER BY id').all(), [
    { ip: '192.0.2.2', time: T0 + 1, user: 'u1' },
    { ip: '192.0.2.3', time: T0 + 6, user: 'u6' },
  ]);
  t.deepEqual(reader.prepare('SELECT affairs, min_time, max_time FROM affair_blocks ORDER BY id').all(), [
    { affairs: 1, min_time: T0 + 1, max_time: T0 + 1 },
    { affairs: 1, min_time: T0 + 6, max_time: T0 + 6 },
  ], 'a block left empty is deleted');
});

test(`a batch of more than ${MAX_BLOCK_AFFAIRS} affairs is stored as several blocks, numbered in order`, (t) => {
  const file = tempFile(t, 'WB.sqlite');
  const db = ModuleDb.open(file, 'WB');
  t.teardown(() => db.close());
  const ctx = { policy: resolveBanPolicy({ limit: 1_000_000 }), whitelist: AddressMatcher.fromEntries(aggregate([])), now: T0 };
  const batch: Detection[] = [];
  for (let i = 0; i < MAX_BLOCK_AFFAIRS + 10; i++) batch.push({ ip: `10.0.${(i >> 8) & 255}.${i & 255}`, family: 4, rule: 'r', event: 'e', weight: 1, time: T0 + i });
  t.is(db.recordBatch(batch, ctx).recorded, MAX_BLOCK_AFFAIRS + 10);
  const reader = openReader(file);
  t.teardown(() => reader.close());
  t.deepEqual(reader.prepare('SELECT affairs FROM affair_blocks ORDER BY id').pluck().all(), [MAX_BLOCK_AFFAIRS, 10]);
  const last = reader.prepare('SELECT id, ip, time FROM affairs ORDER BY id DESC LIMIT 1').get() as { id: number; ip: string; time: number };
  t.deepEqual(last, { id: 2 * MAX_BLOCK_AFFAIRS + 9, ip: '10.0.0.9', time: T0 + MAX_BLOCK_AFFAIRS + 9 });
});
