// An operator's ban and unban in a real module database: a manual ban supersedes the current one
// and keeps the policy from banning again; an unban lifts it and clears the address's affairs and
// offender, also across a reopen (the offender log cannot bring it back), so the next affair counts
// from 1; the read-only view used by the control path sees all of it, including unflushed offenders.
import test from 'ava';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ModuleDb, type BatchContext } from '../../src/adapters/db/module-db.js';
import { ModuleReader } from '../../src/adapters/db/module-reader.js';
import { AddressMatcher, aggregate } from '../../src/core/aggregate.js';
import { parseIp } from '../../src/core/ip.js';
import type { Detection } from '../../src/core/logline/types.js';
import { resolveBanPolicy } from '../../src/core/policy/ban-policy.js';

const S = 1000;
const H = 3600 * S;
const T0 = 1_700_000_000_000;

function file(t: { teardown: (fn: () => void) => void }): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'watcher-db-manual-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return path.join(dir, 'LG.sqlite');
}

const ctx = (now: number): BatchContext => ({
  policy: resolveBanPolicy({ limit: 3, windowMs: 60 * S, banMs: H, factor: 2, maxBanMs: 8 * H }),
  whitelist: AddressMatcher.fromEntries(aggregate([])),
  now,
});

const det = (ip: string, time: number): Detection => ({ ip, family: 4, rule: 'sshd-failed-password', event: 'auth-failure', weight: 1, user: 'root', time });

test('unban clears affairs and offender: the next affair counts from 1, also after a reopen', (t) => {
  const f = file(t);
  let db = ModuleDb.open(f, 'LG', { clock: () => T0 });
  const ip = '203.0.113.7';
  const r = db.recordBatch([det(ip, T0), det(ip, T0 + 1), det(ip, T0 + 2)], ctx(T0 + 2));
  t.is(r.bans.length, 1, 'banned on the 3rd affair');
  db.recordBatch([det(ip, T0 + 10)], ctx(T0 + 10));
  t.is(db.unwrittenOffenders, 1, 'the offender is behind: only in memory');

  const reader = ModuleReader.open(f)!;
  t.teardown(() => reader.close());
  t.is(reader.affairsOf(ip).total, 4);
  const parsed = parseIp(ip);
  if (!parsed.ok) throw new Error(parsed.error);
  t.is(reader.bansCovering(parsed.ip).length, 1);
  db.flush();
  t.is(reader.offenderOf(ip)?.bans, 1, 'the reader sees the state in the offender log');

  const lifted = db.unban(ip);
  t.deepEqual(lifted.map((b) => b.state), ['removed']);
  t.deepEqual(db.forget(ip), { affairs: 4, offender: true });
  t.is(db.offender(ip), undefined);
  t.is(reader.affairsOf(ip).total, 0);
  t.is(reader.offenderOf(ip), undefined);

  const again = db.recordBatch([det(ip, T0 + 20)], ctx(T0 + 20));
  t.is(again.bans.length, 0);
  t.is(db.offender(ip)?.state.window.times.length, 1, 'the next affair counts from 1');
  t.is(db.offender(ip)?.state.bans, 0, 'escalation starts afresh');

  // forget again, then crash-like reopen: nothing written behind revives the old history
  db.forget(ip);
  db.close();
  db = ModuleDb.open(f, 'LG', { clock: () => T0 });
  t.is(db.offender(ip), undefined);
  db.recordBatch([det(ip, T0 + 30)], ctx(T0 + 30));
  t.is(db.offender(ip)?.state.window.times.length, 1);
  db.close();
});

test('a manual ban supersedes the current ban of the entry and stops the policy from banning again meanwhile', (t) => {
  const f = file(t);
  const db = ModuleDb.open(f, 'LG', { clock: () => T0 });
  t.teardown(() => db.close());
  const ip = '198.51.100.3';
  const first = db.recordBatch([det(ip, T0), det(ip, T0 + 1), det(ip, T0 + 2)], ctx(T0 + 2)).bans[0]!;
  const manual = db.manualBan(ip, T0 + 5, T0 + 48 * H)!;
  t.like(manual, { entry: ip, reason: 'manual', state: 'pending', until: T0 + 48 * H, rule: null });
  t.is(db.ban(first.id)?.state, 'expired', 'the earlier ban can no longer remove the entry');
  const more = db.recordBatch([det(ip, T0 + 10), det(ip, T0 + 11), det(ip, T0 + 12)], ctx(T0 + 12));
  t.is(more.bans.length, 0, 'banned manually: the policy does not ban again');
  const net = db.manualBan('203.0.113.99/24', T0, null)!;
  t.like(net, { entry: '203.0.113.0/24', until: null, family: 4 });
  const reader = ModuleReader.open(f)!;
  t.teardown(() => reader.close());
  const now = T0 + 20;
  t.deepEqual(
    reader.currentBans(now, 10).rows.map((b) => [b.entry, b.reason]),
    [
      ['203.0.113.0/24', 'manual'],
      [ip, 'manual'],
    ],
  );
  const inside = parseIp('203.0.113.50');
  if (!inside.ok) throw new Error(inside.error);
  t.deepEqual(reader.bansCovering(inside.ip).map((b) => b.entry), ['203.0.113.0/24'], 'CIDR-aware');
  t.like(reader.summary(now), { affairs: 6, bans: 2 });
});
