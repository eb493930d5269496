// Ban end spreading: deterministic per entry and start, bounded by percent and cap, never shortening a
// ban, and 10,000 bans set in the same second lift over minutes instead of in one second.
import test from 'ava';
import { AddressMatcher, aggregate } from '../../src/core/aggregate.js';
import { parseIp, type IpValue } from '../../src/core/ip.js';
import { resolveBanPolicy } from '../../src/core/policy/ban-policy.js';
import { banSpreadMs, spreadFraction, type BanSpread } from '../../src/core/policy/ban-spread.js';
import { onAffair, type PolicyContext } from '../../src/core/policy/offender.js';
import { decideSubnet } from '../../src/core/policy/subnet.js';

const S = 1000;
const M = 60 * S;
const H = 60 * M;
const T0 = 1_767_225_600_000; // 2026-01-01T00:00:00Z
const SHIPPED: BanSpread = { percent: 10, maxMs: 5 * M };

function ip(text: string): IpValue {
  const r = parseIp(text);
  if (!r.ok) throw new Error(r.error);
  return r.ip;
}

/** The i-th address of 10.0.0.0/8: 10,000 distinct addresses. */
function nth(i: number): string {
  return `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
}

test('deterministic: the same entry and start give the same spread, in any textual form', (t) => {
  t.is(banSpreadMs(SHIPPED, '198.51.100.7', T0, H), banSpreadMs(SHIPPED, '198.51.100.7', T0, H));
  t.is(banSpreadMs(SHIPPED, ip('198.51.100.7'), T0, H), banSpreadMs(SHIPPED, '198.51.100.7', T0, H));
  t.is(banSpreadMs(SHIPPED, '2001:DB8:0::7', T0, H), banSpreadMs(SHIPPED, '2001:db8::7', T0, H));
  t.is(banSpreadMs(SHIPPED, ip('2001:db8::7'), T0, H), banSpreadMs(SHIPPED, '2001:db8::7', T0, H));
  t.is(spreadFraction('::ffff:198.51.100.7', T0), spreadFraction('198.51.100.7', T0), 'an IPv4-mapped address is the IPv4 address');
  t.not(spreadFraction('198.51.100.7', T0), spreadFraction('198.51.100.8', T0), 'neighbours differ');
  t.not(spreadFraction('198.51.100.7', T0), spreadFraction('198.51.100.7', T0 + 1), 'a later ban of the same address differs');
  t.not(spreadFraction('198.51.100.0/24', T0), spreadFraction('198.51.100.0/25', T0), 'the prefix counts');
  const garbage = spreadFraction('not-an-address', T0);
  t.true(garbage >= 0 && garbage < 1, 'an entry that does not parse still gets a fraction');
});

const bounds: [string, BanSpread | null, number | null, number][] = [
  ['10% of 1h is capped at 5 min', SHIPPED, H, 5 * M],
  ['10% of 10 min', SHIPPED, 10 * M, M],
  ['10% of 2 s', SHIPPED, 2 * S, 200],
  ['50% of 1h capped at 1h', { percent: 50, maxMs: H }, H, 30 * M],
  ['100% of 1 s', { percent: 100, maxMs: H }, S, S],
];
for (const [name, spread, duration, max] of bounds) {
  test(`bounded: ${name}`, (t) => {
    let top = 0;
    for (let i = 0; i < 5000; i++) {
      const ms = banSpreadMs(spread, nth(i), T0, duration);
      t.true(Number.isInteger(ms) && ms >= 0 && ms < max, `${ms} in [0, ${max})`);
      top = Math.max(top, ms);
    }
    t.true(top > max * 0.99, `the range is used up to its end (${top} of ${max})`);
  });
}

test('no spread: permanent bans, spreading off, sub-millisecond ranges', (t) => {
  t.is(banSpreadMs(SHIPPED, '198.51.100.7', T0, null), 0);
  t.is(banSpreadMs(null, '198.51.100.7', T0, H), 0);
  t.is(banSpreadMs(SHIPPED, '198.51.100.7', T0, 5), 0);
  t.is(banSpreadMs(SHIPPED, '198.51.100.7', T0, Number.POSITIVE_INFINITY), 0);
});

test('10,000 bans set in one second lift over the whole spread, a few per second', (t) => {
  const perSecond = new Map<number, number>();
  for (let i = 0; i < 10_000; i++) {
    const since = T0 + (i % 1000); // all within the same second
    const end = since + H + banSpreadMs(SHIPPED, nth(i), since, H);
    const sec = Math.floor(end / S);
    perSecond.set(sec, (perSecond.get(sec) ?? 0) + 1);
  }
  const seconds = [...perSecond.keys()];
  const span = Math.max(...seconds) - Math.min(...seconds) + 1;
  const busiest = Math.max(...perSecond.values());
  t.true(span >= 299 && span <= 301, `the ends span the 5-minute cap (${span} s)`);
  t.true(perSecond.size >= 295, `ends fall in ${perSecond.size} distinct seconds`);
  // uniform: 10,000 / 300 ≈ 33 per second; the busiest second of a fair spread stays well below 3x that
  t.true(busiest <= 70, `the busiest second lifts ${busiest} bans`);
  // and no tenth of the range is starved or crowded
  const tenths = new Array<number>(10).fill(0);
  for (let i = 0; i < 10_000; i++) tenths[Math.floor(banSpreadMs(SHIPPED, nth(i), T0, H) / (30 * S))]! += 1;
  for (const n of tenths) t.true(n > 850 && n < 1150, `a tenth of the range holds ${n}`);
});

const none = AddressMatcher.fromEntries(aggregate([]));

test('the policy applies the spread to the ban it decides; without spread the end is exact', (t) => {
  for (const spread of [null, SHIPPED]) {
    const policy = resolveBanPolicy({ limit: 1, banMs: H, maxBanMs: H, spread });
    const ctx: PolicyContext = { policy, whitelist: none, now: T0 };
    const { decision } = onAffair(undefined, { ip: '198.51.100.7', time: T0, weight: 1 }, ctx);
    if (decision.action !== 'ban') return t.fail('expected a ban');
    t.is(decision.durationMs, H, 'the nominal duration is reported');
    t.is(decision.until, T0 + H + banSpreadMs(spread, '198.51.100.7', T0, H));
    if (spread) t.not(decision.until, T0 + H, 'spread');
  }
  const policy = resolveBanPolicy({ banMs: H, maxBanMs: H, subnet: { threshold: 2 }, spread: SHIPPED });
  const s = decideSubnet({ cidr: '198.51.100.0/24', distinctBanned: 2, bannedUntil: null, previousBans: 0 }, policy, none, T0);
  if (s.action !== 'ban') return t.fail('expected a subnet ban');
  t.is(s.until, T0 + H + banSpreadMs(SHIPPED, '198.51.100.0/24', T0, H));
});

test('resolveBanPolicy rejects a meaningless spread', (t) => {
  t.throws(() => resolveBanPolicy({ spread: { percent: 0, maxMs: M } }), { message: /spread.percent/ });
  t.throws(() => resolveBanPolicy({ spread: { percent: 101, maxMs: M } }), { message: /spread.percent/ });
  t.throws(() => resolveBanPolicy({ spread: { percent: 10, maxMs: 0 } }), { message: /spread.maxMs/ });
});
