// The in-place window operations of the hot path against the previous immutable implementation (kept
// here as the oracle), on random affair sequences; and the live offender against the immutable API.
import test from 'ava';
import { AddressMatcher, aggregate } from '../../src/core/aggregate.js';
import { addAffairIn, fromPairs, pairsWeight, pruneWindowIn, toPairs, type AffairWindow } from '../../src/core/policy/affair-window.js';
import { resolveBanPolicy } from '../../src/core/policy/ban-policy.js';
import { applyAffair, applyDnsClass, IGNORED, onAffair, onDnsClass, RECORDED, type LiveOffender, type OffenderState } from '../../src/core/policy/offender.js';
import { parseIp, type IpValue } from '../../src/core/ip.js';

function oracleAdd(w: AffairWindow, time: number, weight: number, windowMs: number): AffairWindow {
  const n = w.times.length;
  const newest = n > 0 ? Math.max(w.times[n - 1]!, time) : time;
  const cutoff = newest - windowMs;
  const times: number[] = [];
  const weights: number[] = [];
  let placed = time <= cutoff;
  for (let i = 0; i < n; i++) {
    const t = w.times[i]!;
    if (!placed && time < t) {
      times.push(time);
      weights.push(weight);
      placed = true;
    }
    if (t > cutoff) {
      times.push(t);
      weights.push(w.weights[i]!);
    }
  }
  if (!placed) {
    times.push(time);
    weights.push(weight);
  }
  return { times, weights };
}

function oraclePrune(w: AffairWindow, anchor: number, windowMs: number): AffairWindow {
  const n = w.times.length;
  if (n === 0) return w;
  const end = Math.max(anchor, w.times[n - 1]!);
  let first = 0;
  while (first < n && w.times[first]! <= end - windowMs) first++;
  return { times: w.times.slice(first), weights: w.weights.slice(first) };
}

function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
}

test('addAffairIn and pruneWindowIn agree with the immutable oracle on 20,000 random steps', (t) => {
  const r = rng(3);
  for (let run = 0; run < 200; run++) {
    const windowMs = 1 + (r() % 100);
    let oracle: AffairWindow = { times: [], weights: [] };
    const pairs: number[] = [];
    let clock = 1000;
    for (let step = 0; step < 100; step++) {
      clock += r() % 30;
      if (r() % 5 === 0) {
        const anchor = clock - (r() % 50);
        oracle = oraclePrune(oracle, anchor, windowMs);
        pruneWindowIn(pairs, anchor, windowMs);
      } else {
        // out of order now and then, equal times too
        const time = clock - (r() % 4 === 0 ? r() % 120 : 0);
        const weight = [0.5, 1, 2, 3][r() % 4]!;
        oracle = oracleAdd(oracle, time, weight, windowMs);
        addAffairIn(pairs, time, weight, windowMs);
      }
      t.deepEqual(fromPairs(pairs), oracle);
      if (pairsWeight(pairs) !== oracle.weights.reduce((a, b) => a + b, 0)) t.fail('weights differ');
    }
  }
});

test('toPairs and fromPairs are inverse', (t) => {
  const w = { times: [1, 2, 3], weights: [1, 0.5, 2] };
  t.deepEqual(toPairs(w), [1, 1, 2, 0.5, 3, 2]);
  t.deepEqual(fromPairs(toPairs(w)), w);
});

const host = (text: string): IpValue => {
  const p = parseIp(text);
  if (!p.ok) throw new Error(p.error);
  return p.ip;
};

test('one live offender changed in place decides what the immutable API decides, step by step', (t) => {
  const r = rng(5);
  const whitelist = AddressMatcher.fromEntries(aggregate([host('192.0.2.0/24')]));
  const policy = resolveBanPolicy({ limit: 4, windowMs: 10_000, banMs: 5_000, factor: 2, maxBanMs: 40_000 });
  for (const ip of ['198.51.100.7', '192.0.2.9', '2001:db8::1']) {
    const addr = host(ip);
    let state: OffenderState | undefined;
    const live: LiveOffender = { window: [], dnsClass: 'unknown', bans: 0, bannedUntil: null, checkedAgainst: null, whitelistHit: false };
    let now = 0;
    let bans = 0;
    for (let step = 0; step < 2000; step++) {
      now += r() % 3000;
      const ctx = { policy, whitelist, now };
      let want;
      let got;
      if (r() % 10 === 0) {
        const cls = (['NXDOMAIN', 'TRUEHOST', 'unknown', 'FAKEHOST'] as const)[r() % 4]!;
        want = onDnsClass(state, addr, cls, ctx);
        got = applyDnsClass(live, addr, cls, ctx);
      } else {
        const time = now - (r() % 500);
        const weight = r() % 3;
        want = onAffair(state, { ip: addr, time, weight }, ctx);
        got = applyAffair(live, addr, time, weight, ctx);
      }
      if (got.action !== want.decision.action || got.reason !== want.decision.reason) t.fail(`step ${step}: ${got.action} != ${want.decision.action}`);
      if (got.action === 'ban') bans++;
      state = want.state;
      t.deepEqual({ window: fromPairs(live.window), dnsClass: live.dnsClass, bans: live.bans, bannedUntil: live.bannedUntil }, { ...state, window: { ...state.window } });
    }
    if (ip === '192.0.2.9') t.is(bans, 0, 'whitelisted');
    else t.true(bans > 10, `${ip}: ${bans} bans`);
  }
});

test('the in-place forms return constants, not new objects, unless they ban', (t) => {
  const policy = resolveBanPolicy({ limit: 3 });
  const whitelist = AddressMatcher.fromEntries(aggregate([host('192.0.2.0/24')]));
  const live: LiveOffender = { window: [], dnsClass: 'unknown', bans: 0, bannedUntil: null, checkedAgainst: null, whitelistHit: false };
  t.is(applyAffair(live, host('198.51.100.7'), 1, 1, { policy, whitelist, now: 1 }), RECORDED);
  const other: LiveOffender = { window: [], dnsClass: 'unknown', bans: 0, bannedUntil: null, checkedAgainst: null, whitelistHit: false };
  t.is(applyAffair(other, host('192.0.2.7'), 1, 1, { policy, whitelist, now: 1 }), IGNORED);
  t.deepEqual(other.window, [], 'ignored: unchanged');
});
