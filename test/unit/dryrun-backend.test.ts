// The dry-run backend: every operation recorded (and journalled as JSON lines), a set model that
// answers has() and verify(). No processes, no kernel; runs unprivileged.
import test from 'ava';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DryRunBackend } from '../../actors/fw/dryrun-backend.js';
import { WatcherError } from '../../src/core/errors.js';
import { emptyEntries, expectedOf, type EntryOp, type FirewallPlan, type SourceName } from '../../src/core/fw-plan.js';

const ip = (s: string): number => s.split('.').reduce((n, o) => n * 256 + Number(o), 0);
const fixed = { now: () => new Date('2024-05-01T12:00:00Z') };
const op = (o: EntryOp['op'], source: SourceName, entry: string): EntryOp => ({ op: o, source, entry, family: entry.includes(':') ? 6 : 4 });

const plan: FirewallPlan = {
  sets: [
    { source: 'whitelist', verdict: 'accept', entries: { ...emptyEntries(), v4: new Uint32Array([ip('192.0.2.5')]) } },
    {
      source: 'blacklist',
      verdict: 'drop',
      entries: {
        v4: new Uint32Array([ip('10.0.0.1'), ip('10.0.0.9'), ip('198.51.100.7')]),
        v4nets: ['203.0.113.0/24'],
        v6: ['2001:db8::7'],
        v6nets: ['2001:db8:1::/48'],
      },
    },
    { source: 'mod:LG', verdict: 'drop', entries: emptyEntries() },
  ],
};

test('applyPlan records a summary and builds the model', async (t) => {
  const fw = new DryRunBackend(undefined, fixed);
  const stats = await fw.applyPlan(plan);
  t.is(stats.total, 7);
  t.deepEqual(stats.perSource, [
    { source: 'whitelist', entries: 1 },
    { source: 'blacklist', entries: 6 },
    { source: 'mod:LG', entries: 0 },
  ]);
  t.deepEqual(fw.records, [
    {
      op: 'applyPlan',
      at: '2024-05-01T12:00:00.000Z',
      sets: [
        { source: 'whitelist', verdict: 'accept', entries: 1 },
        { source: 'blacklist', verdict: 'drop', entries: 6 },
        { source: 'mod:LG', verdict: 'drop', entries: 0 },
      ],
    },
  ]);
  for (const e of ['10.0.0.1', '10.0.0.9', '198.51.100.7', '198.51.100.7/32', '203.0.113.0/24', '2001:db8::7', '2001:db8::7/128', '2001:db8:1::/48']) {
    t.true(fw.has('blacklist', e), e);
  }
  for (const e of ['10.0.0.2', '203.0.113.9', '2001:db8::8', '010.0.0.1', '10.0.0.1/24']) t.false(fw.has('blacklist', e), e);
  t.true(fw.has('whitelist', '192.0.2.5'));
  t.false(fw.has('dl:none', '192.0.2.5'));
  t.deepEqual(fw.sources(), ['whitelist', 'blacklist', 'mod:LG']);
  t.deepEqual(await fw.verify(expectedOf(plan)), []);
});

test('applyBatch: adds, removals of loaded and added entries, absent removals, last op wins', async (t) => {
  const fw = new DryRunBackend(undefined, fixed);
  await fw.applyPlan(plan);
  await fw.applyBatch([
    op('add', 'mod:LG', '198.51.100.9'),
    op('add', 'mod:LG', '198.51.100.9'),
    op('del', 'blacklist', '10.0.0.1'),
    op('del', 'blacklist', '10.0.0.77'),
    op('add', 'mod:LG', '2001:db8::9'),
    op('del', 'mod:LG', '2001:db8::9'),
    op('add', 'blacklist', '10.0.0.1'),
    op('del', 'blacklist', '2001:db8:1::/48'),
  ]);
  t.true(fw.has('mod:LG', '198.51.100.9'));
  t.false(fw.has('mod:LG', '2001:db8::9'));
  t.true(fw.has('blacklist', '10.0.0.1'));
  t.false(fw.has('blacklist', '2001:db8:1::/48'));
  t.is(fw.records.at(-1)?.op, 'applyBatch');
  await fw.applyBatch([]);
  t.is(fw.records.length, 2, 'an empty batch is no operation');
});

test('a live ban into an unknown source creates its set', async (t) => {
  const fw = new DryRunBackend(undefined, fixed);
  await fw.applyBatch([op('add', 'dl:new', '203.0.113.0/24')]);
  t.true(fw.has('dl:new', '203.0.113.0/24'));
  t.deepEqual(fw.sources(), ['dl:new']);
});

test('replaceSet swaps one source and leaves the others', async (t) => {
  const fw = new DryRunBackend(undefined, fixed);
  await fw.applyPlan(plan);
  await fw.applyBatch([op('add', 'mod:LG', '198.51.100.9')]);
  const stats = await fw.replaceSet({ source: 'blacklist', verdict: 'drop', entries: { ...emptyEntries(), v6: ['2001:db8::42'] } }, plan);
  t.deepEqual(stats.perSource, [{ source: 'blacklist', entries: 1 }]);
  t.false(fw.has('blacklist', '10.0.0.1'));
  t.true(fw.has('blacklist', '2001:db8::42'));
  t.true(fw.has('mod:LG', '198.51.100.9'));
  t.true(fw.has('whitelist', '192.0.2.5'));
  await fw.replaceSet({ source: 'dl:fresh', verdict: 'drop', entries: { ...emptyEntries(), v4nets: ['198.18.0.0/15'] } }, plan);
  t.deepEqual(fw.sources(), ['whitelist', 'blacklist', 'mod:LG', 'dl:fresh']);
});

test('verify reports missing sets, other verdicts and emptied families', async (t) => {
  const fw = new DryRunBackend(undefined, fixed);
  t.deepEqual((await fw.verify(expectedOf(plan))).map((d) => d.what), [
    'set of whitelist is missing',
    'set of blacklist is missing',
    'set of mod:LG is missing',
  ]);
  await fw.applyPlan(plan);
  await fw.applyBatch(['10.0.0.1', '10.0.0.9', '198.51.100.7', '203.0.113.0/24'].map((e) => op('del', 'blacklist', e)));
  const expected = expectedOf(plan);
  expected[0] = { ...expected[0]!, verdict: 'drop' };
  t.deepEqual((await fw.verify(expected)).map((d) => d.what), [
    'set of whitelist has verdict accept, expected drop',
    'set of blacklist holds no IPv4 entries, expected 4',
  ]);
  const last = fw.records.at(-1);
  t.is(last?.op, 'verify');
  t.deepEqual(last?.op === 'verify' ? last.drifts.length : -1, 2);
});

test('teardown empties the model; probe finds nothing missing; close is recorded', async (t) => {
  const fw = new DryRunBackend(undefined, fixed);
  await fw.applyPlan(plan);
  t.deepEqual(await fw.probe(), []);
  await fw.teardown();
  t.false(fw.has('blacklist', '10.0.0.1'));
  t.deepEqual(fw.sources(), []);
  await fw.close();
  t.deepEqual(fw.records.map((r) => r.op), ['applyPlan', 'probe', 'teardown', 'close']);
});

test('the journal gets one JSON line per operation', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'watcher-dryrun-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'fw.jsonl');
  const fw = new DryRunBackend(file, fixed);
  await fw.applyPlan(plan);
  await fw.applyBatch([op('add', 'mod:LG', '198.51.100.9')]);
  await fw.teardown();
  const lines = readFileSync(file, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as { op: string });
  t.deepEqual(lines.map((l) => l.op), ['applyPlan', 'applyBatch', 'teardown']);
  t.deepEqual(lines, JSON.parse(JSON.stringify(fw.records)));
});

test('a journal that cannot be written fails the operation and leaves the model unchanged', async (t) => {
  const fw = new DryRunBackend('/nonexistent-dir/fw.jsonl', fixed);
  const e = await t.throwsAsync(fw.applyPlan(plan), { instanceOf: WatcherError });
  t.is(e?.code, 'WATCHER_E_IO');
  t.deepEqual(fw.sources(), []);
  t.deepEqual(fw.records, []);
});

test('a 1M-entry plan is held compactly and answers has() by binary search', async (t) => {
  const v4 = new Uint32Array(1_000_000).map((_, i) => ip('11.0.0.0') + i * 3);
  const fw = new DryRunBackend(undefined, fixed);
  await fw.applyPlan({ sets: [{ source: 'dl:big', verdict: 'drop', entries: { ...emptyEntries(), v4 } }] });
  t.true(fw.has('dl:big', '11.0.0.3'));
  t.false(fw.has('dl:big', '11.0.0.4'));
  t.true(fw.has('dl:big', '11.45.198.189'));
  t.deepEqual(await fw.verify([{ source: 'dl:big', verdict: 'drop', count4: 1_000_000, count6: 0 }]), []);
});
