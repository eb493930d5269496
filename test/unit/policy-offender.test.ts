// Table-driven scenarios of the ban policy: each step is an affair or a late DNS answer, and the table
// lists the action expected at every step, so "the ban lands on exactly the limit-th affair" is visible.
import test from 'ava';
import { AddressMatcher, aggregate } from '../../src/core/aggregate.js';
import { parseIp, type IpValue } from '../../src/core/ip.js';
import { resolveBanPolicy, type BanPolicyInput } from '../../src/core/policy/ban-policy.js';
import type { DnsClass } from '../../src/core/policy/dns-class.js';
import { effectiveCount, onAffair, onDnsClass, type OffenderState, type PolicyContext } from '../../src/core/policy/offender.js';

const S = 1000;
const H = 3600 * S;

function ip(text: string): IpValue {
  const r = parseIp(text);
  if (!r.ok) throw new Error(r.error);
  return r.ip;
}

const whitelist = AddressMatcher.fromEntries(aggregate([ip('192.0.2.0/28'), ip('2001:db8:1::/48')]));

/** a: affair at second t (weight w, default 1); d: DNS class arrives at second t; code: the action letter */
type Step = { a: number; w?: number } | { d: DnsClass; at: number };

interface Scenario {
  name: string;
  policy?: BanPolicyInput;
  ip?: string;
  /** class known before the first affair */
  dns?: DnsClass;
  steps: Step[];
  /** one letter per step: r record, b ban, i ignore, k record while already banned */
  expect: string;
}

const base: BanPolicyInput = { limit: 5, windowMs: 60 * S, banMs: H, factor: 2, maxBanMs: 4 * H };
const five = (from = 0): Step[] => [0, 1, 2, 3, 4].map((k) => ({ a: from + k }));

const scenarios: Scenario[] = [
  { name: 'unknown class: the 5th affair bans, not the 4th nor the 6th', steps: [...five(), { a: 5 }], expect: 'rrrrbk' },
  { name: 'TRUEHOST counts like unknown', dns: 'TRUEHOST', steps: five(), expect: 'rrrrb' },
  { name: 'NXDOMAIN known first: dead on the second affair', dns: 'NXDOMAIN', steps: [{ a: 0 }, { a: 1 }], expect: 'rb' },
  { name: 'FAKEHOST known first: dead on the second affair', dns: 'FAKEHOST', steps: [{ a: 0 }, { a: 1 }], expect: 'rb' },
  { name: 'FAKEHOST on IPv6: dead on the second affair', ip: '2001:db8:2::5', dns: 'FAKEHOST', steps: [{ a: 0 }, { a: 1 }], expect: 'rb' },
  {
    name: 'NXDOMAIN arriving after the first affair: no ban yet, the second affair bans',
    steps: [{ a: 0 }, { d: 'NXDOMAIN', at: 1 }, { a: 2 }],
    expect: 'rrb',
  },
  {
    name: 'FAKEHOST arriving after three affairs bans at once',
    steps: [{ a: 0 }, { a: 1 }, { a: 2 }, { d: 'FAKEHOST', at: 3 }],
    expect: 'rrrb',
  },
  {
    name: 'FAKEHOST arriving after two affairs bans at once (the second affair already happened)',
    steps: [{ a: 0 }, { a: 1 }, { d: 'FAKEHOST', at: 2 }],
    expect: 'rrb',
  },
  { name: 'a failed lookup (unknown) arriving later keeps NXDOMAIN', dns: 'NXDOMAIN', steps: [{ a: 0 }, { d: 'unknown', at: 1 }, { a: 2 }], expect: 'rrb' },
  { name: 'a real answer replaces an earlier one: FAKEHOST after TRUEHOST', dns: 'TRUEHOST', steps: [{ a: 0 }, { a: 1 }, { d: 'FAKEHOST', at: 2 }], expect: 'rrb' },
  { name: 'TRUEHOST arriving late changes nothing', steps: [{ a: 0 }, { a: 1 }, { a: 2 }, { d: 'TRUEHOST', at: 3 }, { a: 4 }, { a: 5 }], expect: 'rrrrrb' },
  {
    name: 'late NXDOMAIN after the window passed: the old affair no longer counts',
    steps: [{ a: 0 }, { d: 'NXDOMAIN', at: 120 }, { a: 121 }, { a: 122 }],
    expect: 'rrrb',
  },
  {
    name: 'sliding window: the oldest affair drops out, the limit-th affair inside the window bans',
    steps: [{ a: 0 }, { a: 10 }, { a: 20 }, { a: 30 }, { a: 61 }, { a: 62 }],
    expect: 'rrrrrb',
  },
  {
    name: 'an affair exactly windowMs older than the newest no longer counts',
    steps: [{ a: 0 }, { a: 1 }, { a: 2 }, { a: 3 }, { a: 60 }, { a: 60 }],
    expect: 'rrrrrb',
  },
  { name: 'affairs spread wider than the window never ban', steps: [0, 20, 40, 60, 80, 100, 120].map((a) => ({ a })), expect: 'rrrrrrr' },
  { name: 'a line with an old header time does not count', steps: [{ a: 100 }, { a: 101 }, { a: 102 }, { a: 103 }, { a: 10 }, { a: 104 }], expect: 'rrrrrb' },
  { name: 'out-of-order lines inside the window count', steps: [{ a: 10 }, { a: 8 }, { a: 12 }, { a: 9 }, { a: 11 }], expect: 'rrrrb' },
  { name: 'weight >= limit bans on the first line', steps: [{ a: 0, w: 5 }], expect: 'b' },
  { name: 'weights add up: 3 then 2 bans on the second line', steps: [{ a: 0, w: 3 }, { a: 1, w: 2 }], expect: 'rb' },
  { name: 'weight 0 is recorded, never counted', steps: [{ a: 0, w: 0 }, { a: 1, w: 0 }, ...five(2)], expect: 'rrrrrrb' },
  { name: 'whitelisted IPv4 is ignored, whatever its weight', ip: '192.0.2.3', steps: [...five(), { a: 5, w: 50 }], expect: 'iiiiii' },
  { name: 'whitelisted IPv6 is ignored even when FAKEHOST', ip: '2001:db8:1::9', dns: 'FAKEHOST', steps: five(), expect: 'iiiii' },
  { name: 'the address next to the whitelist is not whitelisted', ip: '192.0.2.16', steps: five(), expect: 'rrrrb' },
  {
    name: 'after the ban expires the count starts from zero',
    steps: [...five(), { a: 3600 + 10 }, { a: 3600 + 11 }, { a: 3600 + 12 }, { a: 3600 + 13 }, { a: 3600 + 14 }],
    expect: 'rrrrbrrrrb',
  },
  { name: 'a late DNS answer while banned does not ban again', steps: [...five(), { d: 'NXDOMAIN', at: 6 }], expect: 'rrrrbk' },
  { name: 'limit 1: the first affair bans', policy: { limit: 1 }, steps: [{ a: 0 }], expect: 'b' },
  { name: 'limit 1 with NXDOMAIN: still the first affair', policy: { limit: 1 }, dns: 'NXDOMAIN', steps: [{ a: 0 }], expect: 'b' },
  { name: 'limit 2 with NXDOMAIN: the second affair', policy: { limit: 2 }, dns: 'NXDOMAIN', steps: [{ a: 0 }, { a: 1 }], expect: 'rb' },
  { name: 'limit 10 with FAKEHOST: the second affair', policy: { limit: 10 }, dns: 'FAKEHOST', steps: [{ a: 0 }, { a: 1 }], expect: 'rb' },
  { name: 'limit 10 unknown: the tenth affair', policy: { limit: 10 }, steps: Array.from({ length: 11 }, (_, a) => ({ a })), expect: 'rrrrrrrrrbk' },
];

const letter = { ignore: 'i', record: 'r', ban: 'b' } as const;

for (const sc of scenarios) {
  test(`policy: ${sc.name}`, (t) => {
    const policy = resolveBanPolicy({ ...base, ...sc.policy });
    const addr = ip(sc.ip ?? '198.51.100.7');
    let state: OffenderState | undefined = sc.dns ? { window: { times: [], weights: [] }, dnsClass: sc.dns, bans: 0, bannedUntil: null } : undefined;
    let got = '';
    for (const step of sc.steps) {
      const now = ('a' in step ? step.a : step.at) * S;
      const ctx: PolicyContext = { policy, whitelist, now };
      const out = 'a' in step ? onAffair(state, { ip: addr, time: now, weight: step.w ?? 1 }, ctx) : onDnsClass(state, addr, step.d, ctx);
      const d = out.decision;
      got += d.action === 'record' && d.reason === 'already-banned' ? 'k' : letter[d.action];
      state = out.state;
    }
    t.is(got, sc.expect);
  });
}

test('policy: a ban carries its count, start, end and a reason', (t) => {
  const policy = resolveBanPolicy(base);
  let state: OffenderState | undefined;
  let last;
  for (let k = 0; k < 5; k++) {
    last = onAffair(state, { ip: '198.51.100.7', time: k * S, weight: 1 }, { policy, whitelist, now: 1_000_000 + k });
    state = last.state;
  }
  t.like(last!.decision, { action: 'ban', count: 5, durationMs: H, since: 1_000_004, until: 1_000_004 + H });
  t.regex((last!.decision as { reason: string }).reason, /limit 5/);
  t.deepEqual(last!.state, { window: { times: [], weights: [] }, dnsClass: 'unknown', bans: 1, bannedUntil: 1_000_004 + H });
});

test('policy: repeat offenders get longer bans, capped, then permanent after N bans', (t) => {
  const policy = resolveBanPolicy({ ...base, permanentAfter: 4 });
  let state: OffenderState | undefined;
  let now = 0;
  const durations: (number | null)[] = [];
  for (let cycle = 0; cycle < 5; cycle++) {
    for (let k = 0; k < 5; k++) {
      const out = onAffair(state, { ip: '203.0.113.9', time: now, weight: 1 }, { policy, whitelist, now });
      state = out.state;
      if (out.decision.action === 'ban') durations.push(out.decision.durationMs);
      now += S;
    }
    now = state!.bannedUntil === Number.POSITIVE_INFINITY ? now : state!.bannedUntil! + S;
  }
  t.deepEqual(durations, [H, 2 * H, 4 * H, 4 * H, null]);
  t.is(state!.bannedUntil, Number.POSITIVE_INFINITY);
  const after = onAffair(state, { ip: '203.0.113.9', time: now + 365 * 24 * H, weight: 9 }, { policy, whitelist, now: now + 365 * 24 * H });
  t.like(after.decision, { action: 'record', reason: 'already-banned' });
});

test('effectiveCount: window weight plus the class preset, zero without affairs', (t) => {
  const mk = (weights: number[], dnsClass: DnsClass): OffenderState => ({ window: { times: weights.map((_, i) => i), weights }, dnsClass, bans: 0, bannedUntil: null });
  const rows: [number[], DnsClass, number, number][] = [
    [[], 'NXDOMAIN', 5, 0],
    [[1], 'NXDOMAIN', 5, 4],
    [[1], 'FAKEHOST', 5, 4],
    [[1], 'TRUEHOST', 5, 1],
    [[1], 'unknown', 5, 1],
    [[2, 1], 'FAKEHOST', 5, 6],
    [[1], 'NXDOMAIN', 2, 1],
    [[1], 'NXDOMAIN', 1, 1],
  ];
  for (const [weights, cls, limit, expected] of rows) t.is(effectiveCount(mk(weights, cls), limit), expected, `${cls} ${weights.join('+')} limit ${limit}`);
});
