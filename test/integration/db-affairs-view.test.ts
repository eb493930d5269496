// Affairs are stored as small rows (kind ids, IPv4 as a number) behind the `affairs` view: a reader on
// its own read-only connection sees every column as written, for both families, right after the batch.
import test from 'ava';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { migrate } from '../../src/adapters/db/migrations.js';
import { ModuleDb } from '../../src/adapters/db/module-db.js';
import { AddressMatcher, aggregate } from '../../src/core/aggregate.js';
import type { Detection } from '../../src/core/logline/types.js';
import { resolveBanPolicy } from '../../src/core/policy/ban-policy.js';

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
  const reader = new Database(file, { readonly: true });
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
  const reader = new Database(file, { readonly: true });
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
  const reader = new Database(file, { readonly: true });
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

test('code written for the old table can still insert and delete through the view', (t) => {
  const file = tempFile(t, 'MX.sqlite');
  ModuleDb.open(file, 'MX').close();
  const db = new Database(file);
  t.teardown(() => db.close());
  db.prepare('INSERT INTO affairs (ip, time, rule, event, weight, user, vhost) VALUES (?, ?, ?, ?, ?, ?, ?)').run('192.0.2.1', T0, 'r', 'e', 2, 'u', null);
  db.prepare('INSERT INTO affairs (ip, time, rule, event, weight, user, vhost) VALUES (?, ?, ?, ?, ?, ?, ?)').run('2001:db8::2', T0 + 10, 'r', 'e', 2, null, 'v');
  t.deepEqual(db.prepare(QUERY).all(), [
    { ip: '192.0.2.1', time: T0, rule: 'r', event: 'e', weight: 2, user: 'u', vhost: null },
    { ip: '2001:db8::2', time: T0 + 10, rule: 'r', event: 'e', weight: 2, user: null, vhost: 'v' },
  ]);
  // (SQLite counts no changes for a statement on a view: the trigger did the work)
  db.prepare('DELETE FROM affairs WHERE time < ?').run(T0 + 5);
  t.deepEqual(db.prepare('SELECT ip FROM affairs').pluck().all(), ['2001:db8::2']);
  t.is(db.prepare('SELECT count(*) FROM affair_kinds').pluck().get(), 1);
});
