// A module's expiry run against real SQLite files: old affairs go and young ones stay, ended bans are
// sent for removal in bounded batches, VACUUM gives the space of a mass deletion back (at most once per
// vacuum interval), and a failing database is reported, not thrown.
import test, { type ExecutionContext } from 'ava';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import winston from 'winston';
import { createActor, fromCallback } from 'xstate';
import { runExpiry, UNBAN_BATCH, type ExpirySettings } from '../../actors/module/expiry.js';
import { ModuleDb } from '../../src/adapters/db/module-db.js';
import { AddressMatcher, aggregate } from '../../src/core/aggregate.js';
import type { FwWriterEvent } from '../../src/core/events.js';
import type { Detection } from '../../src/core/logline/types.js';
import { DEFAULT_UPKEEP } from '../../src/core/module/upkeep.js';
import { resolveBanPolicy } from '../../src/core/policy/ban-policy.js';

const S = 1000;
const H = 3600 * S;
const D = 24 * H;
const T0 = 1_767_225_600_000;
const none = AddressMatcher.fromEntries(aggregate([]));

function openDb(t: ExecutionContext): { db: ModuleDb; file: string } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'watcher-expiry-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'LG.sqlite');
  const db = ModuleDb.open(file, 'LG');
  t.teardown(() => db.close());
  return { db, file };
}

/** A logger whose lines the test reads. */
function captureLog() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString().trim());
      done();
    },
  });
  const log = winston.createLogger({ level: 'info', format: winston.format.printf((i) => `${i.level} ${String(i.message)}`), transports: [new winston.transports.Stream({ stream })] });
  return { log, lines };
}

/** The requests fw-writer would get, received by a real actor. */
function fwInbox(t: ExecutionContext) {
  const got: FwWriterEvent[] = [];
  const fw = createActor(fromCallback<FwWriterEvent>(({ receive }) => receive((e) => void got.push(e)))).start();
  t.teardown(() => fw.stop());
  return { fw, got };
}

const ip4 = (i: number) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
const det = (ip: string, time: number, user = 'root'): Detection => ({ ip, family: 4, rule: 'sshd-failed-password', event: 'auth-failure', weight: 1, user, time });

const settings = (over: Partial<ExpirySettings['retention']> = {}, vacuumIntervalMs = D): ExpirySettings => ({
  retention: { affairsMs: 7 * D, offendersMs: 30 * D, ...over },
  upkeep: { ...DEFAULT_UPKEEP, vacuumIntervalMs },
});

test('old affairs go, young ones stay; 2,500 ended bans leave in requests of at most 1,000; one summary line', (t) => {
  const { db } = openDb(t);
  const quiet = { policy: resolveBanPolicy({ limit: 1_000_000, windowMs: H }), whitelist: none };
  const banning = { policy: resolveBanPolicy({ limit: 1, windowMs: H, banMs: H, maxBanMs: H }), whitelist: none };
  db.recordBatch(Array.from({ length: 100 }, (_, i) => det(`198.51.100.${i}`, T0 - 8 * D)), { ...quiet, now: T0 - 8 * D });
  db.recordBatch(Array.from({ length: 50 }, (_, i) => det(`203.0.113.${i}`, T0 - 6 * D)), { ...quiet, now: T0 - 6 * D });
  for (let k = 0; k < 5; k++) {
    const r = db.recordBatch(Array.from({ length: 500 }, (_, i) => det(ip4(k * 500 + i), T0)), { ...banning, now: T0 });
    t.is(r.bans.length, 500);
    db.markBanActive(r.bans.map((b) => b.id));
  }
  const { fw, got } = fwInbox(t);
  const { log, lines } = captureLog();

  const early = runExpiry({ module: 'LG', db, log }, T0 + H - 1, 1, settings(), fw);
  t.like(early, { module: 'module:LG', runId: 1, bansEnded: 0, affairsDeleted: 100 }, 'the 8-day-old affairs go, the 6-day-old stay');
  t.is(got.length, 0, 'no ban has ended yet');

  const r = runExpiry({ module: 'LG', db, log }, T0 + H, 2, settings(), fw);
  t.like(r, { bansEnded: 2500, affairsDeleted: 0, vacuumed: false });
  t.is(r.error, undefined);
  t.deepEqual(got.map((e) => e.type), ['unban.requested', 'unban.requested', 'unban.requested']);
  const ops = got.flatMap((e) => (e.type === 'unban.requested' ? e.ops : []));
  t.deepEqual(got.map((e) => (e.type === 'unban.requested' ? e.ops.length : 0)), [UNBAN_BATCH, UNBAN_BATCH, 500]);
  t.is(new Set(ops.map((o) => o.entry)).size, 2500, 'every ended ban once');
  t.true(ops.every((o) => o.op === 'del' && o.source === 'mod:LG' && o.family === 4));
  t.is(db.activeBans(T0).v4.length, 0, 'the database holds no current ban any more');
  t.is(lines.filter((l) => /expiry: 2500 bans ended/.test(l)).length, 1, lines.join('\n'));

  const quietRun = runExpiry({ module: 'LG', db, log }, T0 + H, 3, settings(), fw);
  t.like(quietRun, { bansEnded: 0, affairsDeleted: 0 });
  t.is(got.length, 3, 'an ended ban is sent once');
  t.is(lines.filter((l) => /expiry:/.test(l)).length, 2, 'a run that did nothing logs nothing');
});

test('VACUUM gives a mass deletion back to the filesystem, at most once per vacuum interval', (t) => {
  const { db, file } = openDb(t);
  const quiet = { policy: resolveBanPolicy({ limit: 1_000_000, windowMs: H }), whitelist: none };
  const user = 'u'.repeat(80);
  const fill = (at: number) => {
    // a user name of its own per affair: a block stores each distinct text once
    for (let k = 0; k < 40; k++) db.recordBatch(Array.from({ length: 5000 }, (_, i) => det(ip4(k * 5000 + i), at, `${user}${k * 5000 + i}`)), { ...quiet, now: at });
    db.checkpoint();
  };
  const { log, lines } = captureLog();
  const size = () => statSync(file).size;
  const wal = () => statSync(`${file}-wal`).size;

  fill(T0 - 8 * D);
  const full = size();
  t.true(full > 20 << 20, `the file holds 200,000 affairs (${full} bytes)`);
  const r = runExpiry({ module: 'LG', db, log }, T0, 1, settings({ offendersMs: 7 * D }), undefined);
  t.like(r, { affairsDeleted: 200_000, offendersDeleted: 200_000, vacuumed: true });
  const after = size();
  t.true(after < full / 10, `the file shrank from ${full} to ${after} bytes`);
  t.is(wal(), 0, 'the WAL was truncated after the rebuild');
  t.is(db.lastVacuum(), T0);
  t.log(`200,000 affairs and offenders deleted and the file rebuilt in ${r.ms} ms: ${full} -> ${after} bytes`);
  t.true(lines.some((l) => /file rebuilt: \d+\.\d MB -> \d+\.\d MB/.test(l)), lines.join('\n'));

  // a second mass deletion within the vacuum interval: no rebuild, but the WAL is truncated
  fill(T0 - 8 * D + H);
  const refilled = size();
  const again = runExpiry({ module: 'LG', db, log }, T0 + H, 2, settings({ offendersMs: 7 * D }), undefined);
  t.like(again, { affairsDeleted: 200_000, vacuumed: false });
  const kept = size();
  t.true(kept >= refilled, `not rebuilt within the interval: the free pages stay in the file (${refilled} -> ${kept} bytes)`);
  t.is(wal(), 0, 'a big deletion truncates the WAL');
  t.true(db.space().freePages > db.space().pages / 2);

  // once the interval is over the next run rebuilds it
  const later = runExpiry({ module: 'LG', db, log }, T0 + D, 3, settings({ offendersMs: 7 * D }), undefined);
  t.true(later.vacuumed);
  t.true(size() < kept / 10, `rebuilt: ${kept} -> ${size()} bytes`);
  t.is(db.lastVacuum(), T0 + D);
});

test('a failing database is reported in expiry.done and logged, not thrown', (t) => {
  const { db } = openDb(t);
  const { log, lines } = captureLog();
  const { fw } = fwInbox(t);
  db.close(); // the connection is gone: every statement fails
  const r = runExpiry({ module: 'LG', db, log }, T0, 7, settings(), fw);
  t.is(r.runId, 7);
  t.regex(r.error ?? '', /not open/, 'the failure is in the report');
  t.true(lines.some((l) => /expiry failed, the next run tries again/.test(l)), lines.join('\n'));
});
