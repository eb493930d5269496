// Pending bans are gathered and written in multi-row statements within their batch's transaction: every
// ban is in the file (and visible to another connection) when recordBatch returns, with the id it was
// returned with; a new ban of an address supersedes its earlier row; subnet bans count
// the batch's own address bans; a rolled-back batch leaves no ban and the next one gets fresh ids.
import test from 'ava';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { ModuleDb } from '../../src/adapters/db/module-db.js';
import { AddressMatcher, aggregate } from '../../src/core/aggregate.js';
import type { Detection } from '../../src/core/logline/types.js';
import { resolveBanPolicy } from '../../src/core/policy/ban-policy.js';

const T0 = 1_700_000_000_000;
const whitelist = AddressMatcher.fromEntries(aggregate([]));
const hit = (ip: string, time: number): Detection => ({ ip, family: 4, rule: 'r', event: 'e', weight: 1, time });

function open(t: { teardown: (fn: () => void) => void }): { db: ModuleDb; reader: Database.Database; file: string } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'watcher-banbatch-'));
  const file = path.join(dir, 'LG.sqlite');
  const db = ModuleDb.open(file, 'LG');
  const reader = new Database(file, { readonly: true });
  t.teardown(() => {
    reader.close();
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return { db, reader, file };
}

test('200 bans of one batch are all in the file with the ids they were returned with', (t) => {
  const { db, reader } = open(t);
  const policy = resolveBanPolicy({ limit: 1 });
  const batch = Array.from({ length: 200 }, (_, i) => hit(`198.51.100.${i}`, T0 + i));
  const r = db.recordBatch(batch, { policy, whitelist, now: T0 + 200 });
  t.is(r.bans.length, 200);
  const rows = reader.prepare(`SELECT id, ip_or_cidr AS entry, state FROM bans ORDER BY id`).all() as { id: number; entry: string; state: string }[];
  t.deepEqual(rows, r.bans.map((b) => ({ id: b.id, entry: b.entry, state: 'pending' })));
  t.deepEqual(rows.map((x) => x.id), Array.from({ length: 200 }, (_, i) => i + 1));
  const more = db.recordBatch([hit('203.0.113.1', T0 + 300)], { policy, whitelist, now: T0 + 300 });
  t.is(more.bans[0]?.id, 201);
  t.deepEqual(db.pendingBans().map((b) => b.id).slice(-2), [200, 201]);
});

test('a ban of an address whose earlier ban ran out (not yet swept) supersedes that row', (t) => {
  const { db, reader } = open(t);
  const policy = resolveBanPolicy({ limit: 1, banMs: 1000, factor: 1, maxBanMs: 1000 });
  const first = db.recordBatch([hit('192.0.2.9', T0)], { policy, whitelist, now: T0 });
  const second = db.recordBatch([hit('192.0.2.8', T0 + 5000), hit('192.0.2.9', T0 + 5000)], { policy, whitelist, now: T0 + 5000 });
  t.deepEqual(second.bans.map((b) => b.entry), ['192.0.2.8', '192.0.2.9']);
  t.deepEqual(reader.prepare('SELECT id, ip_or_cidr AS entry, state FROM bans ORDER BY id').all(), [
    { id: first.bans[0]!.id, entry: '192.0.2.9', state: 'expired' },
    { id: second.bans[0]!.id, entry: '192.0.2.8', state: 'pending' },
    { id: second.bans[1]!.id, entry: '192.0.2.9', state: 'pending' },
  ]);
  t.is(db.offender('192.0.2.9')?.banId, second.bans[1]!.id);
});

test('a subnet ban counts the address bans written earlier in the same batch', (t) => {
  const { db, reader } = open(t);
  const policy = resolveBanPolicy({ limit: 1, subnet: { threshold: 3 } });
  const r = db.recordBatch([hit('203.0.113.1', T0), hit('203.0.113.2', T0 + 1), hit('203.0.113.3', T0 + 2)], { policy, whitelist, now: T0 + 2 });
  t.deepEqual(r.bans.map((b) => b.entry), ['203.0.113.1', '203.0.113.2', '203.0.113.3', '203.0.113.0/24']);
  t.is(reader.prepare(`SELECT count(*) FROM bans WHERE state = 'pending'`).pluck().get(), 4);
});

test('a batch that rolls back writes no ban; the next batch starts from the ids in the file', (t) => {
  const { db, reader } = open(t);
  const policy = resolveBanPolicy({ limit: 1 });
  db.recordBatch([hit('192.0.2.1', T0)], { policy, whitelist, now: T0 });
  const bad = { key: 'k', position: { inode: 1, offset: Number.NaN, firstLineHash: null, journalCursor: null } as never };
  t.throws(() => db.recordBatch([hit('192.0.2.2', T0 + 1), hit('192.0.2.3', T0 + 2)], { policy, whitelist, now: T0 + 2 }, bad), { any: true });
  t.is(reader.prepare('SELECT count(*) FROM bans').pluck().get(), 1);
  const r = db.recordBatch([hit('192.0.2.2', T0 + 3)], { policy, whitelist, now: T0 + 3 });
  t.is(r.bans[0]?.id, 2);
  t.deepEqual(reader.prepare('SELECT id, ip_or_cidr AS entry FROM bans ORDER BY id').all(), [
    { id: 1, entry: '192.0.2.1' },
    { id: 2, entry: '192.0.2.2' },
  ]);
});
