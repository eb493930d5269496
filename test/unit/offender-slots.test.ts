// The flat offender records: what the policy leaves in the cursor is what the record holds, windows
// longer than the inline four pairs, the undo log of a transaction, slot reuse and the whitelist memo.
import test from 'ava';
import { OffenderCursor, OffenderSlots } from '../../src/adapters/db/offender-slots.js';
import { AddressMatcher, aggregate } from '../../src/core/aggregate.js';
import { parseIp, type ParsedIp } from '../../src/core/ip.js';
import { applyAffair, IGNORED, RECORDED } from '../../src/core/policy/offender.js';
import { resolveBanPolicy } from '../../src/core/policy/ban-policy.js';

function host(text: string): ParsedIp {
  const r = parseIp(text);
  if (!r.ok) throw new Error(text);
  return r.ip;
}

const T = Date.UTC(2026, 10, 22, 12);

test('a record keeps what the cursor held, inline and in a long window', (t) => {
  const o = new OffenderSlots();
  const c = new OffenderCursor();
  const a = o.create('192.0.2.7', host('192.0.2.7'), T);
  const b = o.create('2001:db8::7', host('2001:db8::7'), T + 1);
  t.is(o.find('192.0.2.7'), a);
  t.is(o.find('2001:db8::7'), b);
  t.is(o.find('192.0.2.8'), -1);
  t.is(o.family(a), 4);
  t.is(o.family(b), 6);
  t.like(o.value(a), { family: 4, prefix: 32 });
  t.is(o.ip(b), '2001:db8::7');
  c.fresh();
  c.window = [T, 1, T + 5, 2];
  c.dnsClass = 'FAKEHOST';
  c.bans = 2;
  c.bannedUntil = Number.POSITIVE_INFINITY;
  o.store(a, c);
  const long = Array.from({ length: 24 }, (_, i) => (i % 2 === 0 ? T + i : 1));
  c.window = long.slice();
  c.bannedUntil = null;
  o.store(b, c);
  const back = new OffenderCursor();
  o.load(a, back);
  t.deepEqual(back.window, [T, 1, T + 5, 2]);
  t.like(back, { dnsClass: 'FAKEHOST', bans: 2, bannedUntil: Number.POSITIVE_INFINITY });
  o.load(b, back);
  t.deepEqual(back.window, long, 'twelve pairs: more than the four kept inline');
  t.is(back.bannedUntil, null);
  c.window = [T, 1];
  o.store(b, c);
  t.deepEqual(o.window(b), [T, 1], 'back to inline once it is short again');
  t.is(o.windowLength(b), 2);
});

test('a rollback restores changed records, long windows too, and frees the ones it made', (t) => {
  const o = new OffenderSlots();
  const c = new OffenderCursor();
  const a = o.create('192.0.2.7', host('192.0.2.7'), T);
  c.fresh();
  const long = Array.from({ length: 12 }, (_, i) => (i % 2 === 0 ? T + i : 1));
  c.window = long.slice();
  o.store(a, c);
  o.setBanId(a, 41);
  o.committed();

  o.willChange(a);
  o.load(a, c);
  c.window.length = 0;
  c.bans = 1;
  o.store(a, c);
  o.setBanId(a, 42);
  o.seen(a, T + 99);
  const fresh = o.create('198.51.100.9', host('198.51.100.9'), T);
  t.is(o.size, 2);
  o.rolledBack();
  t.is(o.size, 1);
  t.is(o.find('198.51.100.9'), -1, 'made in the rolled-back transaction: gone');
  t.false(o.isLive(fresh));
  t.deepEqual(o.window(a), long);
  t.is(o.bans(a), 0);
  t.is(o.banId(a), 41);
  t.is(o.lastSeen(a), T);

  const again = o.create('203.0.113.1', host('203.0.113.1'), T + 7);
  t.is(again, fresh, 'a freed slot is used again');
  t.is(o.banId(again), null, 'and starts empty');
  t.is(o.bannedUntil(again), null);
  t.deepEqual(o.window(again), []);
});

test('the whitelist answer is remembered per whitelist: a new one (a reload) asks again', (t) => {
  const policy = resolveBanPolicy({ limit: 5, windowMs: 3_600_000 });
  const none = AddressMatcher.fromEntries(aggregate([]));
  const listed = AddressMatcher.fromEntries(aggregate([host('192.0.2.0/24')]));
  const o = new OffenderSlots();
  const c = new OffenderCursor();
  const s = o.create('192.0.2.7', host('192.0.2.7'), T);
  o.load(s, c);
  t.is(applyAffair(c, o.value(s), T, 1, { policy, whitelist: none, now: T }), RECORDED);
  o.store(s, c);
  o.load(s, c);
  t.is(c.checkedAgainst, none, 'remembered');
  t.false(c.whitelistHit);
  t.is(applyAffair(c, o.ip(s), T, 1, { policy, whitelist: listed, now: T }), IGNORED, 'asked again for the new whitelist');
  o.store(s, c);
  o.load(s, c);
  t.is(c.checkedAgainst, listed);
  t.true(c.whitelistHit);
});
