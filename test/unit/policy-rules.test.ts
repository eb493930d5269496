// Table-driven tests of the pure pieces under the ban policy: settings, durations, the affair window,
// DNS class presets and subnet aggregation.
import test from 'ava';
import { AddressMatcher, aggregate } from '../../src/core/aggregate.js';
import { parseIp, type IpValue } from '../../src/core/ip.js';
import { addAffair, EMPTY_WINDOW, pruneWindow, windowWeight } from '../../src/core/policy/affair-window.js';
import { banDuration, banUntil } from '../../src/core/policy/ban-duration.js';
import { DEFAULT_BAN_POLICY, resolveBanPolicy, type BanPolicyInput } from '../../src/core/policy/ban-policy.js';
import { classPreset, isDnsClass, mergeClass, type DnsClass } from '../../src/core/policy/dns-class.js';
import { decideSubnet, subnetOf, type SubnetFacts } from '../../src/core/policy/subnet.js';

const H = 3_600_000;

function ip(text: string): IpValue {
  const r = parseIp(text);
  if (!r.ok) throw new Error(r.error);
  return r.ip;
}

test('resolveBanPolicy: defaults are frozen, subnet off', (t) => {
  t.true(Object.isFrozen(DEFAULT_BAN_POLICY));
  t.deepEqual(resolveBanPolicy(), { ...DEFAULT_BAN_POLICY });
  t.is(resolveBanPolicy().subnet, null);
  t.deepEqual(resolveBanPolicy({ subnet: { threshold: 5 } }).subnet, { v4Prefix: 24, v6Prefix: 64, threshold: 5, windowMs: H });
});

const invalid: [string, BanPolicyInput, RegExp][] = [
  ['limit 0', { limit: 0 }, /limit/],
  ['fractional limit', { limit: 2.5 }, /limit/],
  ['window 0', { windowMs: 0 }, /windowMs/],
  ['factor below 1 would shorten repeat bans', { factor: 0.5 }, /factor/],
  ['cap below the base', { banMs: 2 * H, maxBanMs: H }, /maxBanMs/],
  ['negative permanentAfter', { permanentAfter: -1 }, /permanentAfter/],
  ['IPv4 subnet /0', { subnet: { v4Prefix: 0 } }, /v4Prefix/],
  ['IPv6 subnet /128 is an address', { subnet: { v6Prefix: 128 } }, /v6Prefix/],
  ['subnet threshold 1 would ban the subnet of every ban', { subnet: { threshold: 1 } }, /threshold/],
];
for (const [name, input, message] of invalid) {
  test(`resolveBanPolicy rejects ${name}`, (t) => {
    t.throws(() => resolveBanPolicy(input), { instanceOf: RangeError, message });
  });
}

const durations: [string, BanPolicyInput, number, number | null][] = [
  ['first ban: the base', {}, 0, H],
  ['second ban: base x factor', {}, 1, 2 * H],
  ['third ban', {}, 2, 4 * H],
  ['capped', { maxBanMs: 3 * H }, 2, 3 * H],
  ['factor 1: never grows', { factor: 1 }, 7, H],
  ['factor 1.5', { factor: 1.5 }, 2, 2.25 * H],
  ['a huge history overflows to the cap, not to Infinity', { maxBanMs: 100 * H }, 5000, 100 * H],
  ['permanent after 3 bans: the 4th', { permanentAfter: 3 }, 3, null],
  ['permanent after 3 bans: the 3rd is not', { permanentAfter: 3 }, 2, 4 * H],
  ['permanent after 0 bans: every ban', { permanentAfter: 0 }, 0, null],
];
for (const [name, input, previous, expected] of durations) {
  test(`banDuration: ${name}`, (t) => {
    t.is(banDuration(resolveBanPolicy({ banMs: H, factor: 2, maxBanMs: 1000 * H, ...input }), previous), expected);
  });
}

test('banUntil: permanent stays permanent', (t) => {
  t.is(banUntil(10, 5), 15);
  t.is(banUntil(10, null), null);
});

test('affair window: keeps time order, prunes what is windowMs older than the newest, sums weights', (t) => {
  let w = EMPTY_WINDOW;
  for (const [time, weight] of [[10, 1], [30, 2], [20, 1], [5, 1]] as const) w = addAffair(w, time, weight, 100);
  t.deepEqual(w, { times: [5, 10, 20, 30], weights: [1, 1, 1, 2] });
  t.is(windowWeight(w), 5);
  t.deepEqual(addAffair(w, 110, 1, 100), { times: [20, 30, 110], weights: [1, 2, 1] });
  t.deepEqual(pruneWindow(w, 115, 100), { times: [20, 30], weights: [1, 2] });
  t.is(pruneWindow(w, 0, 100), w, 'an anchor before the newest affair never pulls the window back');
  t.deepEqual(EMPTY_WINDOW, { times: [], weights: [] });
});

const presets: [DnsClass, number, number][] = [
  ['unknown', 5, 0],
  ['TRUEHOST', 5, 0],
  ['NXDOMAIN', 5, 3],
  ['FAKEHOST', 5, 3],
  ['NXDOMAIN', 2, 0],
  ['FAKEHOST', 1, 0],
];
for (const [cls, limit, expected] of presets) {
  test(`classPreset: ${cls} with limit ${limit} adds ${expected}`, (t) => {
    t.is(classPreset(cls, limit), expected);
  });
}

const merges: [DnsClass, DnsClass | undefined, DnsClass][] = [
  ['unknown', undefined, 'unknown'],
  ['NXDOMAIN', undefined, 'NXDOMAIN'],
  ['NXDOMAIN', 'unknown', 'NXDOMAIN'],
  ['unknown', 'FAKEHOST', 'FAKEHOST'],
  ['TRUEHOST', 'FAKEHOST', 'FAKEHOST'],
  ['FAKEHOST', 'TRUEHOST', 'TRUEHOST'],
];
for (const [current, incoming, expected] of merges) {
  test(`mergeClass: ${current} + ${incoming ?? 'nothing'} -> ${expected}`, (t) => {
    t.is(mergeClass(current, incoming), expected);
  });
}

test('isDnsClass', (t) => {
  t.true(isDnsClass('FAKEHOST'));
  t.false(isDnsClass('fakehost'));
  t.false(isDnsClass(3));
});

const subnetPolicy = resolveBanPolicy({ banMs: H, factor: 2, maxBanMs: 8 * H, subnet: { threshold: 3 } });

const subnets: [string, string, string][] = [
  ['IPv4 /24', '198.51.100.77', '198.51.100.0/24'],
  ['IPv6 /64', '2001:db8:5:6:7::1', '2001:db8:5:6::/64'],
  ['a network wider than the prefix stays itself', '2001:db8::/32', '2001:db8::/32'],
];
for (const [name, input, expected] of subnets) {
  test(`subnetOf: ${name}`, (t) => {
    t.is(subnetOf(ip(input), subnetPolicy.subnet!), expected);
  });
}

test('subnetOf follows the configured prefixes', (t) => {
  const p = resolveBanPolicy({ subnet: { v4Prefix: 16, v6Prefix: 48 } }).subnet!;
  t.is(subnetOf(ip('198.51.100.77'), p), '198.51.0.0/16');
  t.is(subnetOf(ip('2001:db8:5:6::1'), p), '2001:db8:5::/48');
});

const wl = AddressMatcher.fromEntries(aggregate([ip('203.0.113.200'), ip('2001:db8:9:9::1')]));
const facts = (over: Partial<SubnetFacts>): SubnetFacts => ({ cidr: '198.51.100.0/24', distinctBanned: 3, bannedUntil: null, previousBans: 0, ...over });

const subnetCases: [string, SubnetFacts, object, BanPolicyInput?][] = [
  ['threshold reached: ban the /24 for the base duration', facts({}), { action: 'ban', cidr: '198.51.100.0/24', durationMs: H, since: 1000, until: 1000 + H }],
  ['below the threshold', facts({ distinctBanned: 2 }), { action: 'none', reason: 'below-threshold' }],
  ['already banned', facts({ bannedUntil: 2000 }), { action: 'none', reason: 'already-banned' }],
  ['its earlier ban ended: ban again, longer', facts({ bannedUntil: 1000, previousBans: 1 }), { action: 'ban', durationMs: 2 * H }],
  ['one whitelisted address inside: never', facts({ cidr: '203.0.113.0/24', distinctBanned: 50 }), { action: 'none', reason: 'overlaps-whitelist' }],
  ['IPv6 /64 overlapping the whitelist: never', facts({ cidr: '2001:db8:9:9::/64' }), { action: 'none', reason: 'overlaps-whitelist' }],
  ['IPv6 /64 beside the whitelist', facts({ cidr: '2001:db8:9:8::/64' }), { action: 'ban', cidr: '2001:db8:9:8::/64' }],
  ['aggregation off', facts({ distinctBanned: 99 }), { action: 'none', reason: 'disabled' }, { subnet: null }],
];
for (const [name, f, expected, override] of subnetCases) {
  test(`decideSubnet: ${name}`, (t) => {
    const policy = override ? resolveBanPolicy({ banMs: H, factor: 2, maxBanMs: 8 * H, ...override }) : subnetPolicy;
    t.like(decideSubnet(f, policy, wl, 1000), expected);
  });
}
