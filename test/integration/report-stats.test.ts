// `watcherctl stats` against real module databases filled through ModuleDb: the CSV is parsed back and
// every cell checked against counts taken from the raw tables before expiry rolled the older half of
// them up and deleted it (so rollups and raw rows are summed without double counting). Runs the built CLI.
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseCsv } from '../helpers/csv.js';
import { DAY, expireWith, fillHistory, HOUR, MIN } from '../helpers/report-fixture.js';
import { openReader } from '../helpers/read-db.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const END = Math.floor(Date.now() / HOUR) * HOUR - HOUR;
const START = END - 20 * DAY;
const day = (t: number) => new Date(t).toISOString().slice(0, 10);

interface Env {
  dir: string;
  flags: string[];
  file: string;
  /** per UTC day and per UTC hour: column -> count, from the raw tables before expiry */
  byDay: Map<number, Map<string, number>>;
  byHour: Map<number, Map<string, number>>;
  deleted: { affairs: number; offenders: number; bans: number };
}

function expected(file: string, width: number): Map<number, Map<string, number>> {
  const db = openReader(file);
  const out = new Map<number, Map<string, number>>();
  const add = (t: number, k: string, n: number) => {
    const m = out.get(t) ?? out.set(t, new Map()).get(t)!;
    m.set(k, (m.get(k) ?? 0) + n);
  };
  const q = (sql: string) => db.prepare(sql).all() as { t: number; k: string; n: number }[];
  try {
    for (const r of q(`SELECT time - time % ${width} AS t, event AS k, count(*) AS n FROM affairs GROUP BY t, k`)) {
      add(r.t, `affairs:${r.k}`, r.n);
      add(r.t, 'affairs', r.n);
    }
    for (const r of q(`SELECT first_seen - first_seen % ${width} AS t, dns_class AS k, count(*) AS n FROM offenders GROUP BY t, k`)) {
      add(r.t, `dns:${r.k}`, r.n);
      add(r.t, 'new_offenders', r.n);
    }
    for (const r of q(`SELECT since - since % ${width} AS t, 'bans' AS k, count(*) AS n FROM bans GROUP BY t`)) add(r.t, r.k, r.n);
    for (const r of q(
      `SELECT ended - ended % ${width} AS t, CASE state WHEN 'removed' THEN 'unbans' ELSE 'expiries' END AS k, count(*) AS n
       FROM bans WHERE state IN ('expired', 'removed') GROUP BY t, k`,
    ))
      add(r.t, r.k, r.n);
  } finally {
    db.close();
  }
  return out;
}

let env: Env;

test.before(() => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'watcher-stats-'));
  const state = path.join(dir, 'state');
  for (const d of ['conf', 'run', 'state']) mkdirSync(path.join(dir, d));
  const events = [
    { rule: 'sshd-failed-password', event: 'auth-failure' },
    { rule: 'sshd-invalid-user', event: 'invalid-user' },
    { rule: 'sshd-preauth', event: 'preauth, "closed"' },
  ];
  // early addresses stop after 8 days (their offenders and bans age out); later ones run to the end
  fillHistory(state, { module: 'LG', from: START, to: START + 8 * DAY, stepMs: 20 * MIN, seed: 1, prefix: '192.0.2.', size: 40, events, users: ['root', 'admin'], unbanEvery: 7 });
  const r = fillHistory(state, { module: 'LG', from: START + 5 * DAY, to: END, stepMs: 20 * MIN, seed: 2, prefix: '198.51.100.', size: 40, events, users: ['root'], unbanEvery: 11 });
  const byDay = expected(r.file, DAY);
  const byHour = expected(r.file, HOUR);
  const x = expireWith(r.file, 'LG', END + HOUR, 7 * DAY, 10 * DAY);
  env = {
    dir,
    file: r.file,
    flags: ['--config-dir', path.join(dir, 'conf'), '--state-dir', state],
    byDay,
    byHour,
    deleted: { affairs: x.affairsDeleted, offenders: x.offendersDeleted, bans: x.bansDeleted },
  };
});

test.after.always(() => {
  if (env) rmSync(env.dir, { recursive: true, force: true });
});

function ctl(...args: string[]) {
  return spawnSync(process.execPath, [path.join(ROOT, 'bin/watcherctl.js'), ...args], { encoding: 'utf8', timeout: 60_000 });
}

function checkCsv(t: import('ava').ExecutionContext, csv: string, want: Map<number, Map<string, number>>, from: number, to: number, width: number) {
  const rows = parseCsv(csv);
  const header = rows[0]!;
  t.deepEqual(header.slice(0, 3), ['from', 'to', 'affairs']);
  for (const col of ['new_offenders', 'bans', 'unbans', 'expiries']) t.true(header.includes(col), `column ${col}`);
  // every kind present in the database has its column
  const kinds = new Set([...want].filter(([at]) => at >= from && at < to).flatMap(([, m]) => [...m.keys()]));
  for (const k of kinds) t.true(header.includes(k), `column ${k}`);
  const body = rows.slice(1);
  t.is(body.length, (to - from) / width, 'one row per period');
  let nonzero = 0;
  for (const row of body) {
    const start = Date.parse(row[0]!);
    t.is(Date.parse(row[1]!) - start, width);
    t.regex(row[0]!, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    const w = want.get(start) ?? new Map<string, number>();
    for (let c = 2; c < header.length; c++) {
      const got = Number(row[c]);
      t.is(got, w.get(header[c]!) ?? 0, `${row[0]} ${header[c]}`);
      if (got > 0) nonzero++;
    }
  }
  t.true(nonzero > 50, 'the table is not empty');
}

test('expiry rolled up and deleted affairs, offenders and bans (the test covers both halves)', (t) => {
  t.true(env.deleted.affairs > 1000, `affairs deleted: ${env.deleted.affairs}`);
  t.true(env.deleted.offenders > 10, `offenders deleted: ${env.deleted.offenders}`);
  t.true(env.deleted.bans > 10, `bans deleted: ${env.deleted.bans}`);
  const db = openReader(env.file);
  t.true((db.prepare('SELECT count(*) FROM affairs').pluck().get() as number) > 1000, 'recent affairs are kept');
  t.true((db.prepare('SELECT count(*) FROM affair_hours').pluck().get() as number) > 100);
  db.close();
});

test('stats --by day --csv equals the raw counts across the retention boundary', (t) => {
  const r = ctl('stats', '--module', 'LG', '--from', day(START), '--to', day(END), '--by', 'day', '--csv', ...env.flags);
  t.is(r.status, 0, r.stderr);
  const from = START - (START % DAY);
  checkCsv(t, r.stdout, env.byDay, from, END - (END % DAY) + DAY, DAY);
  t.true(r.stdout.endsWith('\r\n'), 'CRLF records');
  t.true(r.stdout.includes('"affairs:preauth, ""closed"""'), 'a header with a comma and quotes is quoted');
});

test('stats --by hour over the two days around the affair cutoff', (t) => {
  const cut = END + HOUR - 7 * DAY;
  const from = cut - (cut % HOUR) - DAY;
  const to = from + 2 * DAY;
  const iso = (x: number) => new Date(x).toISOString();
  const r = ctl('stats', '--module', 'LG', '--from', iso(from), '--to', iso(to), '--by', 'hour', '--csv', ...env.flags);
  t.is(r.status, 0, r.stderr);
  checkCsv(t, r.stdout, env.byHour, from, to, HOUR);
});

test('stats --by month sums the same totals', (t) => {
  const r = ctl('stats', '--module', 'LG', '--from', day(START), '--to', day(END), '--by', 'month', '--json', ...env.flags);
  t.is(r.status, 0, r.stderr);
  const table = JSON.parse(r.stdout) as { columns: string[]; rows: (string | number)[][] };
  const total = (col: string) => table.rows.reduce((s, row) => s + Number(row[table.columns.indexOf(col)]), 0);
  const want = (col: string) => [...env.byDay.values()].reduce((s, m) => s + (m.get(col) ?? 0), 0);
  for (const col of ['affairs', 'new_offenders', 'bans', 'unbans', 'expiries', 'affairs:auth-failure']) t.is(total(col), want(col), col);
});

test('stats without --csv prints an aligned table', (t) => {
  const r = ctl('stats', '--module', 'LG', '--from', day(END - 2 * DAY), '--to', day(END), ...env.flags);
  t.is(r.status, 0, r.stderr);
  const lines = r.stdout.trimEnd().split('\n');
  t.regex(lines[0]!, /^from\s+to\s+affairs/);
  t.is(lines.length, 4);
});

test('bad arguments are usage errors (exit 2); a missing database is exit 1', (t) => {
  for (const args of [
    ['stats'],
    ['stats', '--module', 'XX'],
    ['stats', '--module', 'LG', '--from', '2026-02-30'],
    ['stats', '--module', 'LG', '--from', 'yesterday'],
    ['stats', '--module', 'LG', '--by', 'week'],
    ['stats', '--module', 'LG', '--from', '2026-11-10', '--to', '2026-11-01'],
    ['stats', '--module', 'LG', '--vhost', 'a.example'],
    ['stats', '--module', 'LG', '--bogus'],
    ['report', '--module', 'XX'],
    ['report', '--html', 'a', '--out', 'b'],
  ]) {
    const r = ctl(...args, ...env.flags);
    t.is(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    t.regex(r.stderr, /watcherctl/);
  }
  const r = ctl('stats', '--module', 'MX', ...env.flags);
  t.is(r.status, 1);
  t.regex(r.stderr, /no database for MX/);
});
