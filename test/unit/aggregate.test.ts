// EntryCollector and AddressMatcher: table cases for duplicates, containment, merging and order, then
// random data checked against brute force (the union of addresses and canonical form must both hold).
import test from 'ava';
import { AddressMatcher, EntryCollector, aggregate } from '../../src/core/aggregate.js';
import { formatV4, type SetEntries } from '../../src/core/fw-plan.js';
import { formatIp, parseIp, v4Size, V6_MAX, type IpValue, type ParsedIp } from '../../src/core/ip.js';
import { sortUint32 } from '../../src/core/ip-sort.js';

function p(token: string): ParsedIp {
  const r = parseIp(token);
  if (!r.ok) throw new Error(r.error);
  return r.ip;
}

interface View {
  v4: string[];
  v4nets: string[];
  v6: string[];
  v6nets: string[];
}

function view(e: SetEntries): View {
  return { v4: Array.from(e.v4, formatV4), v4nets: e.v4nets, v6: e.v6, v6nets: e.v6nets };
}

function agg(tokens: string[]): View {
  return view(aggregate(tokens.map(p)));
}

const none: View = { v4: [], v4nets: [], v6: [], v6nets: [] };

// [title, input tokens, expected view]
const cases: [string, string[], Partial<View>][] = [
  ['nothing', [], {}],
  ['duplicates', ['1.2.3.4', '1.2.3.4', '::ffff:1.2.3.4'], { v4: ['1.2.3.4'] }],
  ['unsorted singles come out sorted numerically', ['10.0.0.9', '9.0.0.10', '10.0.0.10'], { v4: ['9.0.0.10', '10.0.0.9', '10.0.0.10'] }],
  ['two aligned singles become a /31', ['1.2.3.4', '1.2.3.5'], { v4nets: ['1.2.3.4/31'] }],
  ['two unaligned singles stay', ['1.2.3.5', '1.2.3.6'], { v4: ['1.2.3.5', '1.2.3.6'] }],
  ['a run of singles splits into aligned blocks', ['1.2.3.3', '1.2.3.4', '1.2.3.5', '1.2.3.6', '1.2.3.7', '1.2.3.8'],
    { v4: ['1.2.3.3', '1.2.3.8'], v4nets: ['1.2.3.4/30'] }],
  ['adjacent halves merge', ['10.0.0.0/25', '10.0.0.128/25'], { v4nets: ['10.0.0.0/24'] }],
  ['four quarters merge in any order', ['10.0.0.192/26', '10.0.0.0/26', '10.0.0.128/26', '10.0.0.64/26'], { v4nets: ['10.0.0.0/24'] }],
  ['adjacent but unaligned networks stay', ['10.0.1.0/24', '10.0.2.0/24'], { v4nets: ['10.0.1.0/24', '10.0.2.0/24'] }],
  ['contained singles and networks vanish', ['10.1.2.3', '10.0.0.0/8', '10.2.0.0/16', '10.255.255.255'], { v4nets: ['10.0.0.0/8'] }],
  ['a contained network listed first vanishes too', ['10.2.0.0/16', '10.0.0.0/8'], { v4nets: ['10.0.0.0/8'] }],
  ['a network and the single next to it', ['10.0.0.0/31', '10.0.0.2'], { v4: ['10.0.0.2'], v4nets: ['10.0.0.0/31'] }],
  ['a network completed by singles merges up', ['10.0.0.0/31', '10.0.0.2', '10.0.0.3'], { v4nets: ['10.0.0.0/30'] }],
  ['overlapping networks of different sizes', ['10.0.0.0/9', '10.0.0.0/8', '10.128.0.0/9', '11.0.0.0/8'], { v4nets: ['10.0.0.0/7'] }],
  ['everything', ['1.2.3.4', '0.0.0.0/0', '200.0.0.0/8'], { v4nets: ['0.0.0.0/0'] }],
  ['the two halves of everything', ['128.0.0.0/1', '0.0.0.0/1'], { v4nets: ['0.0.0.0/0'] }],
  ['top edge', ['255.255.255.255', '255.255.255.254'], { v4nets: ['255.255.255.254/31'] }],
  ['bottom edge', ['0.0.0.1', '0.0.0.0'], { v4nets: ['0.0.0.0/31'] }],
  ['networks sort numerically, not as text', ['9.0.0.0/8', '100.0.0.0/8', '10.0.0.0/16'], { v4nets: ['9.0.0.0/8', '10.0.0.0/16', '100.0.0.0/8'] }],
  ['host bits never leak into the result', ['10.1.2.3/8', '10.200.0.0/16'], { v4nets: ['10.0.0.0/8'] }],
  ['IPv6 duplicates', ['2001:db8::1', '2001:DB8:0::1'], { v6: ['2001:db8::1'] }],
  ['IPv6 sorts numerically', ['2001:db8::10', '2001:db8::9', '::2'], { v6: ['::2', '2001:db8::9', '2001:db8::10'] }],
  ['IPv6 contained', ['2001:db8::1', '2001:db8::/32', '2001:db8:1::/48'], { v6nets: ['2001:db8::/32'] }],
  ['IPv6 adjacent halves', ['2001:db8:8000::/33', '2001:db8::/33'], { v6nets: ['2001:db8::/32'] }],
  ['IPv6 aligned singles', ['::', '::1'], { v6nets: ['::/127'] }],
  ['IPv6 unaligned singles', ['::1', '::2'], { v6: ['::1', '::2'] }],
  ['IPv6 top edge', ['ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe', 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff'],
    { v6nets: ['ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe/127'] }],
  ['IPv6 everything', ['::/0', '2001:db8::1'], { v6nets: ['::/0'] }],
  ['families stay apart; mapped addresses join IPv4', ['::ffff:10.0.0.1', '10.0.0.0', '::a00:1', '::a00:0'],
    { v4nets: ['10.0.0.0/31'], v6nets: ['::a00:0/127'] }],
];

for (const [title, input, expected] of cases) {
  test(`aggregates: ${title}`, (t) => {
    t.deepEqual(agg(input), { ...none, ...expected });
  });
}

test('v4 singles are a Uint32Array of exactly the right length', (t) => {
  const e = aggregate(['1.1.1.1', '1.1.1.1', '2.2.2.2', '3.3.3.0/24'].map(p));
  t.true(e.v4 instanceof Uint32Array);
  t.is(e.v4.length, 2);
});

test('finish does not consume the collector', (t) => {
  const c = new EntryCollector(1);
  for (const tok of ['1.1.1.3', '1.1.1.1', '1.1.1.2', '2001:db8::1']) c.add(p(tok));
  const first = view(c.finish());
  t.deepEqual(view(c.finish()), first);
  c.add(p('1.1.1.0'));
  t.deepEqual(view(c.finish()), { v4: [], v4nets: ['1.1.1.0/30'], v6: ['2001:db8::1'], v6nets: [] });
  t.is(c.size, 5);
});

test('the collector grows past its capacity hint', (t) => {
  const c = new EntryCollector(1);
  for (let i = 0; i < 10_000; i++) c.addV4(i * 2, 32);
  for (let i = 0; i < 1000; i++) c.addV4(0x40000000 + i * 4, 31);
  const e = c.finish();
  t.is(e.v4.length, 10_000);
  t.is(e.v4nets.length, 1000);
  t.is(formatV4(e.v4[9_999]!), formatV4(19_998));
});

test('addV4 clears host bits itself', (t) => {
  const c = new EntryCollector();
  c.addV4(0x0a010203, 8);
  t.deepEqual(c.finish().v4nets, ['10.0.0.0/8']);
});

// --- random data against brute force -------------------------------------------------------------

/** Deterministic PRNG so a failure reproduces. */
function prng(seed: number): (n: number) => number {
  let a = seed >>> 0;
  return (n) => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = a;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return Math.floor((((x ^ (x >>> 14)) >>> 0) / 4294967296) * n);
  };
}

const BASE4 = 0x0a000000; // 10.0.0.0, a 1024-address universe so overlaps and merges are frequent
const BASE6 = 0x20010db8n << 96n;

/** Random entries inside a 1024-address universe, as tokens. */
function randomTokens(rand: (n: number) => number, count: number, family: 4 | 6): string[] {
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    const size = rand(4) === 0 ? 2 ** (1 + rand(8)) : 1;
    const offset = rand(1024 / size) * size;
    const bits = Math.log2(size);
    if (family === 4) out.push(`${formatV4(BASE4 + offset)}/${32 - bits}`);
    else out.push(formatIp({ family: 6, v6: BASE6 + BigInt(offset), prefix: 128 - bits, normalised: false }));
  }
  return out;
}

/** Which of the 1024 universe offsets (plus one address on each side) the values cover, by brute force. */
function bruteCover(values: IpValue[], family: 4 | 6): boolean[] {
  const covered = new Array<boolean>(1026).fill(false);
  for (const v of values) {
    const start = v.family === 4 ? v.v4 - BASE4 : Number(v.v6 - BASE6);
    const size = v.family === 4 ? v4Size(v.prefix) : 2 ** (128 - v.prefix);
    if (v.family !== family) continue;
    for (let k = 0; k < size; k++) covered[start + k + 1] = true;
  }
  return covered;
}

function blocksOf(e: SetEntries, family: 4 | 6): IpValue[] {
  const texts = family === 4 ? [...Array.from(e.v4, formatV4), ...e.v4nets] : [...e.v6, ...e.v6nets];
  return texts.map(p);
}

function startOf(v: IpValue): bigint {
  return v.family === 4 ? BigInt(v.v4) : v.v6;
}

function endOf(v: IpValue): bigint {
  return v.family === 4 ? BigInt(v.v4) + BigInt(v4Size(v.prefix)) - 1n : v.v6 + (V6_MAX >> BigInt(v.prefix));
}

for (const family of [4, 6] as const) {
  test(`IPv${family}: random aggregation keeps exactly the same addresses in canonical form`, (t) => {
    const rand = prng(family * 1000 + 7);
    for (let round = 0; round < 60; round++) {
      const tokens = randomTokens(rand, 1 + rand(120), family);
      const input = tokens.map(p);
      const out = aggregate(input);
      const blocks = blocksOf(out, family);
      t.deepEqual(bruteCover(blocks, family), bruteCover(input, family), tokens.join(' '));
      // canonical: singles sorted and unique, all blocks disjoint, no two siblings (they would merge)
      const singles = family === 4 ? Array.from(out.v4) : out.v6.map((s) => startOf(p(s)));
      for (let i = 1; i < singles.length; i++) t.true(singles[i]! > singles[i - 1]!);
      const nets = (family === 4 ? out.v4nets : out.v6nets).map(p);
      for (let i = 1; i < nets.length; i++) t.true(startOf(nets[i]!) > endOf(nets[i - 1]!), 'nets sorted, disjoint');
      const sorted = [...blocks].sort((a, b) => (startOf(a) < startOf(b) ? -1 : 1));
      for (let i = 1; i < sorted.length; i++) {
        const a = sorted[i - 1]!;
        const b = sorted[i]!;
        t.true(startOf(b) > endOf(a), 'blocks disjoint');
        const host = family === 4 ? 32 : 128;
        const siblings =
          a.prefix === b.prefix && a.prefix > 0 && endOf(a) + 1n === startOf(b) && (startOf(a) >> BigInt(host - a.prefix)) % 2n === 0n;
        t.false(siblings, `${formatIp(a)} and ${formatIp(b)} should have merged`);
      }
    }
  });
}

test('AddressMatcher agrees with brute force on every address and many ranges of a small universe', (t) => {
  const rand = prng(99);
  for (let round = 0; round < 40; round++) {
    const t4 = randomTokens(rand, 1 + rand(60), 4);
    const t6 = randomTokens(rand, 1 + rand(60), 6);
    const input = [...t4, ...t6].map(p);
    // build from two separate, overlapping SetEntries to exercise the union
    const half = Math.floor(input.length / 2);
    const m = AddressMatcher.fromEntries(aggregate(input.slice(0, half)), aggregate(input.slice(half)));
    const c4 = bruteCover(input, 4);
    const c6 = bruteCover(input, 6);
    for (let k = -1; k <= 1024; k++) {
      t.is(m.coversV4(BASE4 + k), c4[k + 1]!, `v4 offset ${k}`);
      t.is(m.covers(formatV4(BASE4 + k)), c4[k + 1]!);
      const v6: IpValue = { family: 6, v6: BASE6 + BigInt(k), prefix: 128, normalised: false };
      t.is(m.covers(v6), c6[k + 1]!, `v6 offset ${k}`);
    }
    for (let r = 0; r < 50; r++) {
      const bits = rand(6);
      const start = rand(1024 >> bits) << bits;
      const slice4 = c4.slice(start + 1, start + 1 + 2 ** bits);
      const slice6 = c6.slice(start + 1, start + 1 + 2 ** bits);
      const net4 = p(`${formatV4(BASE4 + start)}/${32 - bits}`);
      const net6: IpValue = { family: 6, v6: BASE6 + BigInt(start), prefix: 128 - bits, normalised: false };
      t.is(m.covers(net4), slice4.every(Boolean));
      t.is(m.overlaps(net4), slice4.some(Boolean));
      t.is(m.covers(net6), slice6.every(Boolean));
      t.is(m.overlaps(net6), slice6.some(Boolean));
    }
  }
});

test('AddressMatcher agrees with a linear scan on random data over the whole IPv4 space', (t) => {
  const rand = prng(5);
  const input: IpValue[] = [];
  for (let i = 0; i < 3000; i++) {
    const prefix = rand(10) === 0 ? 8 + rand(24) : 32;
    input.push(p(`${formatV4(rand(2 ** 32))}/${prefix}`));
  }
  const m = AddressMatcher.fromEntries(aggregate(input));
  const probes: number[] = [];
  for (const v of input) {
    if (v.family !== 4) continue;
    const end = v.v4 + v4Size(v.prefix) - 1;
    probes.push(v.v4, end, v.v4 - 1, end + 1);
  }
  for (let i = 0; i < 5000; i++) probes.push(rand(2 ** 32));
  let hits = 0;
  for (const x of probes) {
    if (x < 0 || x > 0xffffffff) continue;
    const expected = input.some((v) => v.family === 4 && x >= v.v4 && x < v.v4 + v4Size(v.prefix));
    t.is(m.coversV4(x), expected, formatV4(x));
    if (expected) hits++;
  }
  t.true(hits > 1000, 'the probes hit entries as well as gaps');
});

test('AddressMatcher: unparseable input is never covered, and empty matchers cover nothing', (t) => {
  const m = AddressMatcher.fromEntries(aggregate(['0.0.0.0/0', '::/0'].map(p)));
  t.true(m.covers('8.8.8.8'));
  t.true(m.covers('2001:db8::1'));
  t.true(m.covers('::ffff:8.8.8.8'));
  t.false(m.covers('not-an-ip'));
  t.false(m.covers('010.1.1.1'));
  const empty = AddressMatcher.fromEntries();
  t.false(empty.covers('1.2.3.4'));
  t.false(empty.overlaps('::/0'));
  t.is(empty.intervalCount, 0);
});

test('AddressMatcher leaves the caller entries untouched and rejects non-canonical text', (t) => {
  const e: SetEntries = { v4: Uint32Array.from([3, 1, 2]), v4nets: [], v6: [], v6nets: [] };
  const m = AddressMatcher.fromEntries(e);
  t.deepEqual(Array.from(e.v4), [3, 1, 2]);
  t.true(m.coversV4(1) && m.coversV4(3) && !m.coversV4(4));
  t.throws(() => AddressMatcher.fromEntries({ ...e, v4nets: ['bogus'] }));
});

test('sortUint32 sorts large random arrays like the built-in sort, in place, including the top half', (t) => {
  const rand = prng(11);
  for (const n of [0, 1, 4095, 4096, 100_000]) {
    const a = new Uint32Array(n + 5);
    for (let i = 0; i < a.length; i++) a[i] = rand(2 ** 32);
    const tail = Array.from(a.subarray(n));
    const expected = Array.from(a.subarray(0, n)).sort((x, y) => x - y);
    sortUint32(a, n);
    t.deepEqual(Array.from(a.subarray(0, n)), expected, `n=${n}`);
    t.deepEqual(Array.from(a.subarray(n)), tail, 'elements past n are untouched');
  }
});
