// Property 5 against a real crash: a child process records batches (one bans), then is killed with
// SIGKILL; the reopened database holds the pending bans and the affairs, and its offenders are as last
// flushed with the later bans folded in (the write-behind's documented loss is the counting in between).
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ModuleDb } from '../../src/adapters/db/module-db.js';
import { AddressMatcher, aggregate } from '../../src/core/aggregate.js';
import { resolveBanPolicy } from '../../src/core/policy/ban-policy.js';
import { openReader } from '../helpers/read-db.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const moduleDb = path.resolve(here, '../../src/adapters/db/module-db.ts');
const aggregateTs = path.resolve(here, '../../src/core/aggregate.ts');
const policyTs = path.resolve(here, '../../src/core/policy/ban-policy.ts');

test('a pending ban written by recordBatch survives SIGKILL right after it returns', (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'watcher-dbcrash-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'LG.sqlite');
  const script = `
    import { ModuleDb } from ${JSON.stringify(moduleDb)};
    import { AddressMatcher, aggregate } from ${JSON.stringify(aggregateTs)};
    import { resolveBanPolicy } from ${JSON.stringify(policyTs)};
    const db = ModuleDb.open(${JSON.stringify(file)}, 'LG');
    const policy = resolveBanPolicy({ limit: 3 });
    const whitelist = AddressMatcher.fromEntries(aggregate([]));
    const d = (time) => ({ ip: '203.0.113.66', family: 4, rule: 'sshd-invalid-user', event: 'invalid-user', weight: 1, time });
    const r = db.recordBatch([d(1), d(2), d(3)], { policy, whitelist, now: 10 });
    process.stdout.write('bans=' + r.bans.length + '\\n');
    process.kill(process.pid, 'SIGKILL');
  `;
  const child = spawnSync(process.execPath, ['--import=tsx', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000 });
  t.is(child.signal, 'SIGKILL', child.stderr);
  t.is(child.stdout.trim(), 'bans=1');
  const raw = openReader(file);
  t.is(raw.prepare('SELECT COUNT(*) FROM affairs').pluck().get(), 3);
  raw.close();
  const db = ModuleDb.open(file, 'LG');
  t.teardown(() => db.close());
  t.deepEqual(db.pendingBans().map((b) => [b.entry, b.state]), [['203.0.113.66', 'pending']]);
  t.like(db.offender('203.0.113.66')?.state, { bans: 1 });
});

// Runs `body` (module code: `db`, `policy`, `whitelist` and `d(ip, time)` in scope) in a child process that
// SIGKILLs itself afterwards; returns what it printed.
function crashAfter(t: { is: (a: unknown, b: unknown, m?: string) => void }, file: string, body: string): string {
  const script = `
    import { ModuleDb } from ${JSON.stringify(moduleDb)};
    import { AddressMatcher, aggregate } from ${JSON.stringify(aggregateTs)};
    import { resolveBanPolicy } from ${JSON.stringify(policyTs)};
    const db = ModuleDb.open(${JSON.stringify(file)}, 'LG', { clock: () => 0 });
    const policy = resolveBanPolicy({ limit: 3, windowMs: 60_000, banMs: 1000 });
    const whitelist = AddressMatcher.fromEntries(aggregate([]));
    const d = (ip, time) => ({ ip, family: 4, rule: 'sshd-invalid-user', event: 'invalid-user', weight: 1, time });
    ${body}
    process.kill(process.pid, 'SIGKILL');
  `;
  const child = spawnSync(process.execPath, ['--import=tsx', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000 });
  t.is(child.signal, 'SIGKILL', child.stderr);
  return child.stdout.trim();
}

test('after SIGKILL the offender log is replayed: counting resumes from the last flush', (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'watcher-dbcrash-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'LG.sqlite');
  crashAfter(t, file, `
    db.recordBatch([d('203.0.113.66', 1)], { policy, whitelist, now: 10 });
    db.recordBatch([d('203.0.113.67', 2)], { policy, whitelist, now: 10 });
    db.flush();
    db.recordBatch([d('203.0.113.66', 3), d('203.0.113.68', 3)], { policy, whitelist, now: 10 });
  `);
  const raw = openReader(file);
  t.is(raw.prepare('SELECT COUNT(*) FROM affairs').pluck().get(), 4, 'every affair of every batch');
  t.is(raw.prepare('SELECT COUNT(*) FROM offender_log').pluck().get(), 1);
  raw.close();
  const db = ModuleDb.open(file, 'LG');
  t.teardown(() => db.close());
  t.deepEqual(db.offender('203.0.113.66')?.state.window.times, [1], 'as flushed: its affair at 3, not flushed, is the documented loss');
  t.deepEqual(db.offender('203.0.113.67')?.state.window.times, [2]);
  t.is(db.offender('203.0.113.68'), undefined);
  const check = openReader(file);
  t.is(check.prepare('SELECT COUNT(*) FROM offender_log').pluck().get(), 0, 'folded into the rows at open');
  check.close();
});

test('after SIGKILL bans newer than the last flush are folded into their offenders: count, latest ban, supersede', (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'watcher-dbcrash-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'LG.sqlite');
  const out = crashAfter(t, file, `
    const a = db.recordBatch([d('203.0.113.66', 1), d('203.0.113.66', 2), d('203.0.113.66', 3)], { policy, whitelist, now: 10 }).bans;
    db.flush();
    // the first ban ended at 1010 and nobody swept it; the second comes after the flush
    const b = db.recordBatch([d('203.0.113.66', 2000), d('203.0.113.66', 2001), d('203.0.113.66', 2002)], { policy, whitelist, now: 2010 }).bans;
    process.stdout.write(JSON.stringify([a[0].id, b[0].id, b[0].until]));
  `);
  const [first, second, until] = JSON.parse(out) as [number, number, number];
  const db = ModuleDb.open(file, 'LG');
  t.teardown(() => db.close());
  t.like(db.offender('203.0.113.66'), { banId: second, state: { bans: 2, bannedUntil: until, window: { times: [], weights: [] } } });
  t.is(db.ban(first)?.state, 'expired', 'superseded when the second ban was written');
  // the third ban supersedes the second: its id came back from the fold
  const [third] = db.recordBatch(
    [{ ip: '203.0.113.66', family: 4, rule: 'r', event: 'e', weight: 3, time: 9000 }],
    { policy: resolveBanPolicy({ limit: 3, windowMs: 60_000, banMs: 1000 }), whitelist: AddressMatcher.fromEntries(aggregate([])), now: 9000 },
  ).bans;
  t.is(db.ban(second)?.state, 'expired');
  t.is(third!.until! - third!.since, 4000, 'third ban: escalated twice');
});
