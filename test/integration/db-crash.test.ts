// Property 5 against a real crash: a child process records a batch that bans, then is killed with
// SIGKILL before doing anything else; the reopened database holds the pending ban and the affairs.
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { ModuleDb } from '../../src/adapters/db/module-db.js';

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
  const raw = new Database(file, { readonly: true });
  t.is(raw.prepare('SELECT COUNT(*) FROM affairs').pluck().get(), 3);
  raw.close();
  const db = ModuleDb.open(file, 'LG');
  t.teardown(() => db.close());
  t.deepEqual(db.pendingBans().map((b) => [b.entry, b.state]), [['203.0.113.66', 'pending']]);
  t.like(db.offender('203.0.113.66')?.state, { bans: 1 });
});
