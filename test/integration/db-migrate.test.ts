// Schema migrations: a file left at an older version is brought forward with its data; a file from a
// newer Watcher is refused. The old file is built by running only the first migration steps.
import test from 'ava';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { migrate, MIGRATIONS, SCHEMA_VERSION, schemaVersion } from '../../src/adapters/db/migrations.js';
import { ModuleDb } from '../../src/adapters/db/module-db.js';
import { AddressMatcher, aggregate } from '../../src/core/aggregate.js';
import { WatcherError } from '../../src/core/errors.js';
import { formatV4 } from '../../src/core/fw-plan.js';
import { resolveBanPolicy } from '../../src/core/policy/ban-policy.js';

const T0 = 1_700_000_000_000;

function tempFile(t: { teardown: (fn: () => void) => void }): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'watcher-dbmig-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return path.join(dir, 'MX.sqlite');
}

test('the migration list is ordered and its length is the schema version', (t) => {
  t.true(MIGRATIONS.length >= 2);
  t.is(SCHEMA_VERSION, MIGRATIONS.length);
});

test('a version-1 file with data is migrated on open and keeps working', (t) => {
  const file = tempFile(t);
  const old = new Database(file);
  migrate(old, file, 1);
  t.is(schemaVersion(old), 1);
  old.exec(`
    INSERT INTO meta (key, value) VALUES ('module', 'MX');
    INSERT INTO affairs (ip, time, rule, event, weight, user, vhost) VALUES ('198.51.100.7', ${T0}, 'postfix-relay-denied', 'relay-denied', 1, NULL, NULL);
    INSERT INTO bans (id, ip_or_cidr, family, since, until, state, reason, rule) VALUES (1, '198.51.100.7', 4, ${T0}, ${T0 + 3_600_000}, 'active', 'old', 'postfix-relay-denied');
    INSERT INTO offenders (ip, family, affairs_in_window, dns_class, first_seen, last_seen, bans_count, ban_id) VALUES ('198.51.100.7', 4, NULL, 'NXDOMAIN', ${T0}, ${T0}, 1, 1);
  `);
  t.throws(() => old.prepare('SELECT * FROM source_positions').all(), { any: true, message: /no such table/ });
  old.close();

  const db = ModuleDb.open(file, 'MX');
  t.teardown(() => db.close());
  const check = new Database(file, { readonly: true });
  t.is(schemaVersion(check), SCHEMA_VERSION);
  t.true((check.prepare('PRAGMA table_info(bans)').all() as { name: string }[]).some((c) => c.name === 'subnet'));
  // migration 7: new bans append to the state index (its key holds no spread end time)
  t.deepEqual((check.prepare('PRAGMA index_info(bans_state)').all() as { name: string }[]).map((c) => c.name), ['state']);
  check.close();

  t.like(db.offender('198.51.100.7'), { firstSeen: T0, banId: 1, state: { dnsClass: 'NXDOMAIN', bans: 1, bannedUntil: T0 + 3_600_000 } });
  t.deepEqual(Array.from(db.activeBans(T0).v4, formatV4), ['198.51.100.7']);
  db.positionStore('file:/var/log/mail.log').save({ inode: 1, offset: 2, firstLineHash: 'x', journalCursor: null });
  t.is(db.positionStore('file:/var/log/mail.log').load()?.offset, 2);
  const policy = resolveBanPolicy({ limit: 2, subnet: { threshold: 2 } });
  const whitelist = AddressMatcher.fromEntries(aggregate([]));
  const r = db.recordBatch(
    [{ ip: '198.51.100.8', family: 4, rule: 'r', event: 'e', weight: 2, time: T0 + 10 }],
    { policy, whitelist, now: T0 + 10 },
  );
  t.deepEqual(r.bans.map((b) => b.entry), ['198.51.100.8'], 'the migrated ban has no subnet recorded, so it does not count');
});

test('migrating twice does nothing the second time', (t) => {
  const file = tempFile(t);
  ModuleDb.open(file, 'MX').close();
  const db = new Database(file);
  t.is(migrate(db, file), SCHEMA_VERSION);
  t.is(schemaVersion(db), SCHEMA_VERSION);
  db.close();
});

test('a file from a newer Watcher is refused, untouched', (t) => {
  const file = tempFile(t);
  const db = new Database(file);
  db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
  db.close();
  const e = t.throws(() => ModuleDb.open(file, 'MX'), { instanceOf: WatcherError });
  t.regex(e?.message ?? '', /newer than this Watcher knows/);
  const again = new Database(file, { readonly: true });
  t.is(schemaVersion(again), SCHEMA_VERSION + 1);
  again.close();
});
