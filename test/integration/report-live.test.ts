// Reading a module database while its module writes: the read-only connection sees affairs at once and
// offenders from the write-behind log (before any compaction folds them into their table).
import test from 'ava';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ModuleDb } from '../../src/adapters/db/module-db.js';
import { AddressMatcher, aggregate } from '../../src/core/aggregate.js';
import { resolveBanPolicy } from '../../src/core/policy/ban-policy.js';
import { openModuleFileReadOnly } from '../../src/report/module-file.js';
import { moduleState } from '../../src/report/report-queries.js';
import { moduleStats } from '../../src/report/stats.js';

const H = 3_600_000;
const T0 = 1_700_000_000_000 - (1_700_000_000_000 % H);

test('offenders written behind (in the offender log) count before compaction; the reader is read-only', (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'watcher-live-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'MB.sqlite');
  let now = T0;
  const db = ModuleDb.open(file, 'MB', { clock: () => now });
  t.teardown(() => db.close());
  const ctx = { policy: resolveBanPolicy({ limit: 100 }), whitelist: AddressMatcher.fromEntries(aggregate([])), now, classOf: () => 'NXDOMAIN' as const };
  for (let i = 1; i <= 12; i++) {
    now = T0 + i * 60_000;
    db.recordBatch([{ ip: `192.0.2.${i}`, family: 4, rule: 'dovecot-auth', event: 'auth-failure', weight: 1, time: now }], { ...ctx, now });
  }
  db.flush();
  const ro = openModuleFileReadOnly(file, 'MB')!;
  t.teardown(() => ro.close());
  t.true(ro.db.readonly);
  t.true((ro.db.prepare('SELECT count(*) FROM main.offender_log').pluck().get() as number) > 0, 'the changes are in the offender log');
  t.is(ro.db.prepare('SELECT count(*) FROM main.offenders').pluck().get(), 0, 'nothing compacted yet');
  t.is(moduleState(ro, now).offenders, 12);
  const table = moduleStats(ro, { from: T0, to: T0 + H, by: 'hour', zone: 'utc' });
  const col = (c: string) => table.rows[0]![table.columns.indexOf(c)];
  t.is(col('new_offenders'), 12);
  t.is(col('dns:NXDOMAIN'), 12);
  t.is(col('affairs:auth-failure'), 12);
  // the writer goes on undisturbed by the reader
  now += 60_000;
  t.is(db.recordBatch([{ ip: '192.0.2.99', family: 4, rule: 'dovecot-auth', event: 'auth-failure', weight: 1, time: now }], { ...ctx, now }).recorded, 1);
});
