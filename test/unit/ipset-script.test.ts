// Pure rendering and parsing of the ipset backend: restore scripts, session lines, iptables-restore
// input, `iptables -S` / `ipset list -t` parsing and drift detection. No processes, no kernel.
import test from 'ava';
import { emptyEntries, formatV4, type EntryOp, type SetEntries, type SourceName } from '../../src/core/fw-plan.js';
import { WatcherError } from '../../src/core/errors.js';
import {
  checkEntry,
  createLine,
  renderDestroy,
  renderLoad,
  renderOpsInteractive,
  renderOpsRestore,
  renderSwap,
  setName,
  sizing,
} from '../../actors/fw/ipset-script.js';
import { jumpCount, parseFilter, renderChain, renderRemoval } from '../../actors/fw/iptables-rules.js';
import { findDrifts, parseSetHeaders } from '../../actors/fw/ipset-drift.js';

const ip = (s: string): number => s.split('.').reduce((n, o) => n * 256 + Number(o), 0);
const entries = (e: Partial<SetEntries>): SetEntries => ({ ...emptyEntries(), ...e });
const text = (chunks: (string | Buffer)[]): string => chunks.map((c) => c.toString()).join('');

for (const [source, family, name] of [
  ['whitelist', 4, 'wt-wl-4'],
  ['blacklist', 6, 'wt-bl-6'],
  ['dl:spamhaus', 4, 'wt-dl-spamhaus-4'],
  ['mod:LG', 6, 'wt-LG-6'],
  ['dl:abcdefghijklmnopqrst', 4, 'wt-dl-abcdefghijklmnopqrst-4'],
] as const) {
  test(`setName ${source} v${family} is ${name}`, (t) => {
    t.is(setName(source, family), name);
    t.true(`${name}-t`.length <= 31);
  });
}

test('setName refuses names the kernel would truncate', (t) => {
  const e = t.throws(() => setName('dl:abcdefghijklmnopqrstuv' as SourceName, 4));
  t.true(e instanceof WatcherError && e.code === 'WATCHER_E_CONFIG');
});

for (const [count, hashsize, maxelem] of [
  [0, 1024, 65536],
  [1, 1024, 131072],
  [100_000, 65536, 262144],
  [1_000_000, 524288, 2097152],
] as const) {
  test(`sizing of ${count} entries`, (t) => {
    t.deepEqual(sizing(count), { hashsize, maxelem });
    t.true(maxelem - count >= 65536);
  });
}

test('renderLoad v4: destroys a leftover temporary set, creates it sized, adds addresses then networks', (t) => {
  const e = entries({ v4: Uint32Array.from([ip('192.0.2.7'), ip('198.51.100.1')]), v4nets: ['203.0.113.0/24'], v6: ['2001:db8::1'] });
  t.is(
    text(renderLoad('wt-bl-4', 4, e)),
    'destroy wt-bl-4-t\n' +
      'create wt-bl-4-t hash:net family inet hashsize 1024 maxelem 131072\n' +
      'add wt-bl-4-t 192.0.2.7\nadd wt-bl-4-t 198.51.100.1\nadd wt-bl-4-t 203.0.113.0/24\n',
  );
});

test('renderLoad v6 takes only the IPv6 entries', (t) => {
  const e = entries({ v4: Uint32Array.from([1]), v6: ['2001:db8::1'], v6nets: ['2001:db8:1::/48'] });
  t.is(
    text(renderLoad('wt-bl-6', 6, e)),
    'destroy wt-bl-6-t\ncreate wt-bl-6-t hash:net family inet6 hashsize 1024 maxelem 131072\n' +
      'add wt-bl-6-t 2001:db8::1\nadd wt-bl-6-t 2001:db8:1::/48\n',
  );
});

test('renderLoad chunks a large set and keeps every line', (t) => {
  const v4 = new Uint32Array(10_000).map((_, i) => ip('10.0.0.0') + i);
  const chunks = renderLoad('wt-dl-x-4', 4, entries({ v4 }));
  t.true(chunks.length > 2);
  const lines = text(chunks).split('\n').filter((l) => l.startsWith('add '));
  t.is(lines.length, 10_000);
  t.is(lines[0], 'add wt-dl-x-4-t 10.0.0.0');
  t.is(lines[9_999], 'add wt-dl-x-4-t 10.0.39.15');
});

test('the byte renderer writes exactly what formatV4 prints, for every octet value and the extremes', (t) => {
  const v4 = Uint32Array.from([0, 1, 9, 10, 99, 100, 255, 0x0a0b0c0d, 0x64c80aff, 0xc0000201, 0xfffffffe, 0xffffffff]);
  const octets = Uint32Array.from({ length: 256 }, (_, i) => (i << 24) | (i << 16) | (i << 8) | i).map((n) => n >>> 0);
  for (const list of [v4, octets]) {
    const got = text(renderLoad('s', 4, entries({ v4: list }))).split('\n').slice(2, -1);
    t.deepEqual(got, [...list].map((n) => `add s-t ${formatV4(n)}`));
  }
});

for (const [entry, family] of [
  ['1.2.3.4\ndestroy wt-wl-4', 4],
  ['1.2.3.4 ', 4],
  ['2001:db8::1', 4],
  ['1.2.3.4', 6],
  ['example.com', 4],
  ['"x"', 6],
] as const) {
  test(`checkEntry refuses ${JSON.stringify(entry)} as v${family}`, (t) => {
    const e = t.throws(() => checkEntry(entry, family));
    t.true(e instanceof WatcherError && e.code === 'WATCHER_E_LIST');
  });
}

test('checkEntry accepts canonical forms', (t) => {
  for (const [e, f] of [['1.2.3.4', 4], ['10.0.0.0/8', 4], ['2001:db8::1', 6], ['2001:db8::/32', 6], ['::ffff:1.2.3.4', 6]] as const) {
    t.is(checkEntry(e, f), e);
  }
});

test('renderSwap creates only missing live sets, swaps, destroys the temporaries', (t) => {
  t.is(
    renderSwap([
      { name: 'wt-wl-4', family: 4, count: 3, exists: true },
      { name: 'wt-wl-6', family: 6, count: 0, exists: false },
    ]),
    'swap wt-wl-4-t wt-wl-4\ndestroy wt-wl-4-t\n' +
      'create wt-wl-6 hash:net family inet6 hashsize 1024 maxelem 65536\nswap wt-wl-6-t wt-wl-6\ndestroy wt-wl-6-t\n',
  );
  t.is(createLine('x', 4, 0), 'create x hash:net family inet hashsize 1024 maxelem 65536\n');
  t.is(renderDestroy(['a', 'b']), 'destroy a\ndestroy b\n');
});

const ops: EntryOp[] = [
  { op: 'add', source: 'mod:LG', entry: '198.51.100.7', family: 4 },
  { op: 'del', source: 'blacklist', entry: '2001:db8:1::7', family: 6 },
];

test('batch lines: restore form relies on the global -exist, session form carries it per line', (t) => {
  t.is(renderOpsRestore(ops).join(''), 'add wt-LG-4 198.51.100.7\ndel wt-bl-6 2001:db8:1::7\n');
  t.deepEqual(renderOpsInteractive(ops), ['add -exist wt-LG-4 198.51.100.7', 'del -exist wt-bl-6 2001:db8:1::7']);
});

test('renderChain: accept sets RETURN, drop sets DROP, old jumps deleted, one jump inserted first', (t) => {
  const rules = [
    { set: 'wt-wl-4', verdict: 'accept' as const },
    { set: 'wt-bl-4', verdict: 'drop' as const },
  ];
  t.is(
    renderChain(rules, 2),
    [
      '*filter',
      ':WATCHER - [0:0]',
      '-F WATCHER',
      '-A WATCHER -m set --match-set wt-wl-4 src -j RETURN',
      '-A WATCHER -m set --match-set wt-bl-4 src -j DROP',
      '-D INPUT -j WATCHER',
      '-D INPUT -j WATCHER',
      '-I INPUT 1 -j WATCHER',
      'COMMIT',
      '',
    ].join('\n'),
  );
});

const listing = `-P INPUT ACCEPT
-P FORWARD ACCEPT
-P OUTPUT ACCEPT
-N WATCHER
-A INPUT -j WATCHER
-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT
-A INPUT -j WATCHER
-A WATCHER -m set --match-set wt-wl-4 src -j RETURN
-A WATCHER -m set --match-set wt-bl-4 src -j DROP
`;

test('parseFilter and jumpCount read iptables -S', (t) => {
  const f = parseFilter(listing);
  t.true(f.chainExists);
  t.is(jumpCount(f), 2);
  t.is(f.chain.length, 2);
  t.is(f.input[0], '-A INPUT -j WATCHER');
  t.is(renderRemoval(f), '*filter\n-D INPUT -j WATCHER\n-D INPUT -j WATCHER\n-F WATCHER\n-X WATCHER\nCOMMIT\n');
  t.is(renderRemoval(parseFilter('-P INPUT ACCEPT\n')), null);
});

const headers = `Name: wt-wl-4
Type: hash:net
Revision: 7
Header: family inet hashsize 1024 maxelem 65536 bucketsize 12 initval 0x1
Size in memory: 504
References: 1
Number of entries: 3

Name: wt-wl-6
Type: hash:net
Number of entries: 0

Name: wt-bl-4
Number of entries: 0
`;

test('parseSetHeaders', (t) => {
  t.deepEqual([...parseSetHeaders(headers)], [['wt-wl-4', 3], ['wt-wl-6', 0], ['wt-bl-4', 0]]);
});

test('findDrifts names every difference and nothing when in order', (t) => {
  const v6 = parseFilter(listing.replaceAll('-4 src', '-6 src'));
  const expected = [
    { source: 'whitelist' as const, verdict: 'accept' as const, count4: 3, count6: 0 },
    { source: 'blacklist' as const, verdict: 'drop' as const, count4: 5, count6: 0 },
  ];
  const drifts = findDrifts(expected, parseSetHeaders(headers), { 4: parseFilter(listing), 6: v6 }).map((d) => d.what);
  t.deepEqual(drifts, ['ipset wt-bl-4 (blacklist) is empty, expected 5 entries', 'ipset wt-bl-6 (blacklist) is missing']);

  const fine = new Map([['wt-wl-4', 3], ['wt-wl-6', 0], ['wt-bl-4', 5], ['wt-bl-6', 0]]);
  t.deepEqual(findDrifts(expected, fine, { 4: parseFilter(listing), 6: v6 }), []);

  const broken = findDrifts(expected, fine, {
    4: parseFilter('-P INPUT ACCEPT\n'),
    6: parseFilter('-N WATCHER\n-A INPUT -p tcp -j ACCEPT\n-A INPUT -j WATCHER\n-A WATCHER -m set --match-set wt-bl-6 src -j DROP\n'),
  }).map((d) => d.what);
  t.deepEqual(broken, [
    'iptables: chain WATCHER is missing',
    'iptables: the jump to WATCHER is not the first INPUT rule',
    'ip6tables: rule missing: -A WATCHER -m set --match-set wt-wl-6 src -j RETURN',
    'ip6tables: the jump to WATCHER is not the first INPUT rule',
  ]);

  const swapped = parseFilter(listing.split('\n').reverse().join('\n'));
  t.deepEqual(findDrifts(expected, fine, { 4: swapped, 6: v6 }).map((d) => d.what), [
    'iptables: WATCHER rules are out of order (whitelist must come first)',
  ]);
});
