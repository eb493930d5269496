// Pure parts of the nftables backend: names, load and refill scripts, live batches, interval planning,
// ruleset parsing and drift detection, sample bookkeeping. No processes, no kernel.
import test from 'ava';
import { emptyEntries, expectedOf, type EntryOp, type FirewallPlan, type SetEntries, type SourceName } from '../../src/core/fw-plan.js';
import { WatcherError } from '../../src/core/errors.js';
import { bareEntry, kindOfEntry, nftSetName, nftTag } from '../../actors/fw/nft-names.js';
import { elementChunks, planRules, renderPlan, renderReplace, ruleText } from '../../actors/fw/nft-script.js';
import { coalesce, renderChanges, setChanges } from '../../actors/fw/nft-batch.js';
import { intervalElements, planInterval } from '../../actors/fw/nft-intervals.js';
import { blamedLines, elementCount, parseRuleset, structureDrifts } from '../../actors/fw/nft-verify.js';
import { SampleBook } from '../../actors/fw/nft-samples.js';

const ip = (s: string): number => s.split('.').reduce((n, o) => n * 256 + Number(o), 0);
const entries = (e: Partial<SetEntries>): SetEntries => ({ ...emptyEntries(), ...e });
const text = (chunks: string[]): string => chunks.join('');
const op = (o: EntryOp['op'], source: SourceName, entry: string): EntryOp => ({ op: o, source, entry, family: entry.includes(':') ? 6 : 4 });

const plan: FirewallPlan = {
  sets: [
    { source: 'whitelist', verdict: 'accept', entries: entries({ v4: new Uint32Array([ip('192.0.2.5')]) }) },
    {
      source: 'blacklist',
      verdict: 'drop',
      entries: entries({ v4: new Uint32Array([ip('198.51.100.1'), ip('198.51.100.2')]), v4nets: ['203.0.113.0/24'], v6: ['2001:db8::7'], v6nets: ['2001:db8:1::/48'] }),
    },
    { source: 'dl:spam-x', verdict: 'drop', entries: emptyEntries() },
  ],
};

for (const [source, v4, v6n] of [
  ['whitelist', 'wl_v4', 'wl_v6n'],
  ['blacklist', 'bl_v4', 'bl_v6n'],
  ['dl:spam-x', 'dl_spam_x_v4', 'dl_spam_x_v6n'],
  ['mod:LG', 'LG_v4', 'LG_v6n'],
] as const) {
  test(`set names of ${source}: ${v4}, ${v6n}`, (t) => {
    t.is(nftSetName(source, 'v4'), v4);
    t.is(nftSetName(source, 'v6n'), v6n);
  });
}

test('a source whose tag is no nft identifier is refused', (t) => {
  const e = t.throws(() => nftTag('mod:1x' as SourceName));
  t.true(e instanceof WatcherError && e.code === 'WATCHER_E_CONFIG');
});

for (const [entry, family, kind, bare] of [
  ['198.51.100.7', 4, 'v4', '198.51.100.7'],
  ['198.51.100.7/32', 4, 'v4', '198.51.100.7'],
  ['198.51.100.0/24', 4, 'v4n', '198.51.100.0/24'],
  ['2001:db8::1', 6, 'v6', '2001:db8::1'],
  ['2001:db8::1/128', 6, 'v6', '2001:db8::1'],
  ['2001:db8::/32', 6, 'v6n', '2001:db8::/32'],
] as const) {
  test(`entry ${entry} goes to the ${kind} set as ${bare}`, (t) => {
    const b = bareEntry(entry, family);
    t.is(b, bare);
    t.is(kindOfEntry(b, family), kind);
  });
}

test('renderPlan replaces the table in one file: create, delete, full table', (t) => {
  const s = text(renderPlan(plan, -10));
  t.true(s.startsWith('table inet watcher {}\ndelete table inet watcher\ntable inet watcher {\n'));
  t.regex(s, /set bl_v4 \{\n\t\ttype ipv4_addr;\n\t\telements = \{\n198\.51\.100\.1, 198\.51\.100\.2\n\t\t\}/);
  t.regex(s, /set bl_v4n \{\n\t\ttype ipv4_addr; flags interval;\n\t\telements = \{\n203\.0\.113\.0\/24\n/);
  t.true(s.includes('\tset dl_spam_x_v4 { type ipv4_addr; }\n'), 'empty sets exist, without elements');
  t.true(s.includes('\tset dl_spam_x_v6n { type ipv6_addr; flags interval; }\n'));
  t.false(s.includes('auto-merge'));
  t.regex(s, /chain input \{\n\t\ttype filter hook input priority -10; policy accept;\n\t\tip saddr @wl_v4 return\n/);
  t.true(s.trimEnd().endsWith('}'));
});

test('rules follow the plan: four per source, whitelist returns, others drop', (t) => {
  t.deepEqual(planRules(plan).map(ruleText), [
    'ip saddr @wl_v4 return',
    'ip saddr @wl_v4n return',
    'ip6 saddr @wl_v6 return',
    'ip6 saddr @wl_v6n return',
    'ip saddr @bl_v4 drop',
    'ip saddr @bl_v4n drop',
    'ip6 saddr @bl_v6 drop',
    'ip6 saddr @bl_v6n drop',
    'ip saddr @dl_spam_x_v4 drop',
    'ip saddr @dl_spam_x_v4n drop',
    'ip6 saddr @dl_spam_x_v6 drop',
    'ip6 saddr @dl_spam_x_v6n drop',
  ]);
});

test('elements stream in chunks of a fixed size', (t) => {
  const v4 = new Uint32Array(10).map((_, i) => ip('10.0.0.0') + i);
  const chunks = elementChunks(entries({ v4 }), 'v4', 4);
  t.deepEqual(chunks.map((c) => c.split(', ').length), [4, 4, 2]);
  t.is(chunks[2], '10.0.0.8, 10.0.0.9');
  const s = text(renderPlan({ sets: [{ source: 'blacklist', verdict: 'drop', entries: entries({ v4: new Uint32Array(5000).map((_, i) => ip('10.0.0.0') + i) }) }] }, 0));
  t.is(s.split('\n').filter((l) => /^10\./.test(l)).length, 2, '4096 + 904 elements on two lines');
});

test('renderPlan refuses entries that are no address syntax (they are pasted into the script)', (t) => {
  const bad: FirewallPlan = { sets: [{ source: 'blacklist', verdict: 'drop', entries: entries({ v4nets: ['1.2.3.0/24 } flush ruleset; {'] }) }] };
  const e = t.throws(() => renderPlan(bad, 0));
  t.true(e instanceof WatcherError && e.code === 'WATCHER_E_LIST');
});

test('renderPlan refuses two sources that map to the same set names', (t) => {
  const clash: FirewallPlan = {
    sets: [
      { source: 'dl:a-b', verdict: 'drop', entries: emptyEntries() },
      { source: 'dl:a_b', verdict: 'drop', entries: emptyEntries() },
    ],
  };
  t.throws(() => renderPlan(clash, 0), { instanceOf: WatcherError });
});

test('renderReplace flushes and refills only the given source and rewrites the chain', (t) => {
  const spam = { source: 'dl:spam-x' as const, verdict: 'drop' as const, entries: entries({ v4: new Uint32Array([ip('203.0.113.9')]) }) };
  const skeleton: FirewallPlan = { sets: plan.sets.map((s) => (s.source === spam.source ? spam : { ...s, entries: emptyEntries() })) };
  const s = text(renderReplace(spam, skeleton, -10));
  t.deepEqual(s.match(/^flush set .*$/gm), [
    'flush set inet watcher dl_spam_x_v4',
    'flush set inet watcher dl_spam_x_v4n',
    'flush set inet watcher dl_spam_x_v6',
    'flush set inet watcher dl_spam_x_v6n',
  ]);
  t.true(s.includes('\tset bl_v4 { type ipv4_addr; }\n'), 'other sets are declared (idempotent), never filled');
  t.false(s.includes('198.51.100.1'));
  t.regex(s, /set dl_spam_x_v4 \{\n\t\ttype ipv4_addr;\n\t\telements = \{\n203\.0\.113\.9\n/);
  t.true(s.includes('flush chain inet watcher input\n'));
  t.is(s.match(/saddr @/g)?.length, 12);
  t.true(s.indexOf('flush chain') < s.lastIndexOf('ip saddr @wl_v4 return'));
});

test('renderReplace of a new source appends its sets and rules', (t) => {
  const fresh = { source: 'dl:new' as const, verdict: 'drop' as const, entries: entries({ v6: ['2001:db8::9'] }) };
  const s = text(renderReplace(fresh, plan, 0));
  t.true(s.includes('\tset dl_new_v6n { type ipv6_addr; flags interval; }\n'));
  t.true(s.trimEnd().endsWith('\t\tip6 saddr @dl_new_v6n drop\n\t}\n}'));
});

test('coalesce keeps the last operation per entry, at its position', (t) => {
  const ops = [op('add', 'mod:LG', '198.51.100.7'), op('add', 'mod:LG', '198.51.100.8'), op('del', 'mod:LG', '198.51.100.7/32')];
  t.deepEqual(coalesce(ops).map((o) => `${o.op} ${o.entry}`), ['add 198.51.100.8', 'del 198.51.100.7/32']);
});

test('live batch: adds via add set (no interval dump), removals as add-then-delete on plain sets', (t) => {
  const changes = setChanges([op('add', 'mod:LG', '198.51.100.7'), op('del', 'blacklist', '2001:db8::7'), op('add', 'blacklist', '203.0.113.0/24')]);
  t.deepEqual(changes.map((c) => `${c.op} ${c.set} ${c.entry}`), ['add LG_v4 198.51.100.7', 'del bl_v6 2001:db8::7', 'add bl_v4n 203.0.113.0/24']);
  t.is(
    renderChanges([...changes, { set: 'bl_v4n', kind: 'v4n', op: 'del', entry: '198.18.0.0/15' }]),
    'add set inet watcher LG_v4 { type ipv4_addr; elements = { 198.51.100.7 } }\n' +
      'add set inet watcher bl_v6 { type ipv6_addr; elements = { 2001:db8::7 } }; delete element inet watcher bl_v6 { 2001:db8::7 }\n' +
      'add set inet watcher bl_v4n { type ipv4_addr; flags interval; elements = { 203.0.113.0/24 } }\n' +
      'delete element inet watcher bl_v4n { 198.18.0.0/15 }\n',
  );
});

test('live batch refuses entries of the wrong family or with script syntax', (t) => {
  for (const bad of [
    { op: 'add', source: 'blacklist', entry: '2001:db8::1', family: 4 },
    { op: 'add', source: 'blacklist', entry: '1.2.3.4 } ; flush ruleset', family: 4 },
    { op: 'del', source: 'blacklist', entry: '1.2.3.0/24\nflush ruleset', family: 4 },
  ] as EntryOp[]) {
    const e = t.throws(() => setChanges([bad]));
    t.true(e instanceof WatcherError && e.code === 'WATCHER_E_LIST', bad.entry);
  }
});

const changesOf = (p: ReturnType<typeof planInterval>): string[] => p.changes.map((c) => `${c.op} ${c.entry}`);

test('interval planning: new nets are added, present ones are not re-added', (t) => {
  const p = planInterval(['203.0.113.0/24'], [{ op: 'add', entry: '198.18.0.0/15' }, { op: 'add', entry: '203.0.113.0/24' }]);
  t.deepEqual(changesOf(p), ['add 198.18.0.0/15']);
  t.deepEqual(p.notes, []);
});

test('interval planning: a net inside a present one is already blocked', (t) => {
  const p = planInterval(['203.0.112.0/23'], [{ op: 'add', entry: '203.0.113.0/25' }]);
  t.deepEqual(changesOf(p), []);
  t.deepEqual(p.notes, ['203.0.113.0/25 is inside 203.0.112.0/23: already blocked']);
});

test('interval planning: a wider net replaces the nets it covers, also ones added in the same batch', (t) => {
  const p = planInterval(['203.0.113.0/24', '203.0.112.0/25', '198.51.100.0/24'], [
    { op: 'add', entry: '10.1.0.0/16' },
    { op: 'add', entry: '10.0.0.0/8' },
    { op: 'add', entry: '203.0.112.0/23' },
  ]);
  t.deepEqual(changesOf(p).sort(), ['add 10.0.0.0/8', 'add 203.0.112.0/23', 'del 203.0.112.0/25', 'del 203.0.113.0/24']);
  t.deepEqual(p.changes[0]?.op, 'del', 'deletions come first');
});

test('interval planning: removals of present, absent and partial nets', (t) => {
  const p = planInterval(['203.0.113.0/24', '2001:db8::/32'], [
    { op: 'del', entry: '203.0.113.0/24' },
    { op: 'del', entry: '198.18.0.0/15' },
    { op: 'del', entry: '2001:db8:1::/48' },
  ]);
  t.deepEqual(changesOf(p), ['del 203.0.113.0/24']);
  t.deepEqual(p.notes, ['2001:db8:1::/48 stays blocked: it is inside 2001:db8::/32']);
});

test('interval planning: the last op of a batch decides (add then del, del then add)', (t) => {
  t.deepEqual(changesOf(planInterval([], [{ op: 'add', entry: '10.0.0.0/8' }, { op: 'del', entry: '10.0.0.0/8' }])), []);
  t.deepEqual(changesOf(planInterval(['10.0.0.0/8'], [{ op: 'del', entry: '10.0.0.0/8' }, { op: 'add', entry: '10.0.0.0/8' }])), []);
});

test('interval elements are read from nft -j list set (prefixes and bare addresses, ranges left out)', (t) => {
  const json = JSON.stringify({
    nftables: [
      { metainfo: { version: '1.0.6' } },
      { set: { family: 'inet', name: 'bl_v4n', table: 'watcher', type: 'ipv4_addr', flags: ['interval'], elem: ['1.2.3.4', { prefix: { addr: '10.0.0.0', len: 8 } }, { range: ['5.5.5.1', '5.5.5.9'] }] } },
    ],
  });
  t.deepEqual(intervalElements(json), ['1.2.3.4', '10.0.0.0/8']);
  t.is(elementCount(json), 3);
  t.is(elementCount(JSON.stringify({ nftables: [{ set: { name: 'x' } }] })), 0);
});

const ruleset = (extra: object[] = [], rules = planRules(plan)): string =>
  JSON.stringify({
    nftables: [
      { metainfo: { version: '1.0.6' } },
      { table: { family: 'inet', name: 'other', handle: 3 } },
      { chain: { family: 'inet', table: 'other', name: 'input', type: 'filter', hook: 'input', prio: 0, policy: 'drop' } },
      { table: { family: 'inet', name: 'watcher', handle: 4 } },
      ...plan.sets.flatMap((s) =>
        (['v4', 'v4n', 'v6', 'v6n'] as const).map((k) => ({
          set: {
            family: 'inet',
            name: nftSetName(s.source, k),
            table: 'watcher',
            type: k.startsWith('v4') ? 'ipv4_addr' : 'ipv6_addr',
            ...(k.endsWith('n') ? { flags: ['interval'] } : {}),
          },
        })),
      ),
      { chain: { family: 'inet', table: 'watcher', name: 'input', type: 'filter', hook: 'input', prio: -10, policy: 'accept' } },
      ...rules.map((r) => ({
        rule: {
          family: 'inet',
          table: 'watcher',
          chain: 'input',
          expr: [{ match: { op: '==', left: { payload: { protocol: r.proto, field: 'saddr' } }, right: `@${r.set}` } }, { [r.verdict]: null }],
        },
      })),
      ...extra,
    ],
  });

test('a ruleset as applied shows no drift', (t) => {
  t.deepEqual(structureDrifts(parseRuleset(ruleset()), expectedOf(plan), -10), []);
});

test('a missing table is one drift; empty nft output means no table', (t) => {
  t.deepEqual(structureDrifts(parseRuleset(''), expectedOf(plan), -10), [{ what: 'table inet watcher is missing' }]);
  t.deepEqual(structureDrifts(parseRuleset('{"nftables":[{"metainfo":{}}]}'), expectedOf(plan), -10), [{ what: 'table inet watcher is missing' }]);
});

test('wrong priority, missing set, wrong flags, missing, foreign and reordered rules are drifts', (t) => {
  const s = parseRuleset(ruleset());
  s.chain = { ...s.chain!, prio: 0 };
  s.sets.delete('bl_v6');
  s.sets.set('bl_v4n', 'type ipv4_addr;');
  s.rules = s.rules.filter((r) => r !== 'ip saddr @bl_v4 drop');
  s.rules.push('<other: []>');
  t.deepEqual(structureDrifts(s, expectedOf(plan), -10).map((d) => d.what), [
    'chain input is "filter hook input priority 0 policy accept", expected "filter hook input priority -10 policy accept"',
    'set bl_v4n is "type ipv4_addr;", expected "type ipv4_addr; flags interval;"',
    'set bl_v6 is missing',
    'rule "ip saddr @bl_v4 drop" is missing from chain input',
    'unexpected rule "<other: []>" in chain input',
  ]);
  const reordered = parseRuleset(ruleset([], [...planRules(plan)].reverse()));
  t.deepEqual(structureDrifts(reordered, expectedOf(plan), -10), [{ what: 'rules of chain input are out of order' }]);
});

test('rules of other tables and chains are ignored; unknown rule shapes are shown verbatim', (t) => {
  const s = parseRuleset(ruleset([{ rule: { family: 'inet', table: 'other', chain: 'input', expr: [{ accept: null }] } }]));
  t.is(s.rules.length, 12);
  const odd = parseRuleset(ruleset([{ rule: { family: 'inet', table: 'watcher', chain: 'input', expr: [{ counter: {} }] } }]));
  t.is(odd.rules.at(-1), '<other: [{"counter":{}}]>');
});

test('blamed lines come from nft error locations', (t) => {
  const stderr =
    '/dev/stdin:2:27-33: Error: Could not process rule: No such file or directory\ndelete element inet t p { 7.7.7.9 }\n' +
    '                          ^^^^^^^\n/dev/stdin:5:1-3: Error: x\n/dev/stdin:2:1-2: Error: again\n';
  t.deepEqual(blamedLines(stderr), [2, 5]);
  t.deepEqual(blamedLines('Error: syntax error'), []);
});

test('samples: spread over a loaded set, removed by unbans, topped up by bans', (t) => {
  const book = new SampleBook();
  const v4 = new Uint32Array(100).map((_, i) => ip('10.0.0.0') + i);
  book.loaded((k) => nftSetName('blacklist', k), entries({ v4, v6: ['2001:db8::1'] }));
  t.deepEqual(book.samples('bl_v4'), ['10.0.0.0', '10.0.0.33', '10.0.0.66', '10.0.0.99']);
  t.deepEqual(book.samples('bl_v6'), ['2001:db8::1']);
  t.deepEqual(book.samples('bl_v4n'), []);
  book.applied([
    { set: 'bl_v6', kind: 'v6', op: 'del', entry: '2001:db8::1' },
    { set: 'bl_v4n', kind: 'v4n', op: 'add', entry: '10.1.0.0/16' },
    { set: 'bl_v4', kind: 'v4', op: 'add', entry: '10.9.9.9' },
  ]);
  t.deepEqual(book.samples('bl_v6'), []);
  t.deepEqual(book.samples('bl_v4n'), ['10.1.0.0/16']);
  t.is(book.samples('bl_v4').length, 4);
  book.clear();
  t.deepEqual(book.samples('bl_v4'), []);
});
