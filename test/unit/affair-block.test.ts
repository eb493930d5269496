// The affair block codec: what goes in comes out, in order, for any address, time, kind and text; a
// damaged block is refused with an error instead of read as other affairs.
import test from 'ava';
import { BlockEncoder, BlockReader, type BlockValues } from '../../src/adapters/db/affair-block.js';
import { xorshift32 } from '../helpers/prng.js';

interface Affair {
  v4: number;
  ip: string;
  time: number;
  kind: number;
  user: string | null;
  vhost: string | null;
}

function readAll(b: BlockValues): Affair[] {
  const r = new BlockReader(b.data, b.strings, b.base_time);
  const out: Affair[] = [];
  while (r.next()) out.push({ v4: r.v4, ip: r.ip, time: r.time, kind: r.kind, user: r.user, vhost: r.vhost });
  return out;
}

test('random affairs round-trip in order, with the block header matching them', (t) => {
  const rnd = xorshift32(7);
  const users = [null, 'root', 'admin', "x'; DROP TABLE affairs; --", 'Jürgen ☃', ''];
  const vhosts = [null, 'a.example', 'b.example'];
  const enc = new BlockEncoder();
  const want: Affair[] = [];
  let time = 1_763_000_000_000;
  for (let i = 0; i < 5000; i++) {
    // log times go back as well as forward, by seconds or by days
    time += (rnd() % 2 === 0 ? 1 : -1) * (rnd() % 3 === 0 ? rnd() % 1000 : (rnd() % 86_400) * 1000);
    const six = rnd() % 5 === 0;
    const v4 = six ? -1 : rnd() >>> 0;
    const ip = six ? `2001:db8::${(rnd() % 65536).toString(16)}` : `${v4 >>> 24}.${(v4 >>> 16) & 255}.${(v4 >>> 8) & 255}.${v4 & 255}`;
    const a = { v4, ip, time, kind: rnd() % 300, user: users[rnd() % users.length]!, vhost: vhosts[rnd() % vhosts.length]! };
    enc.add(a.v4, a.ip, a.time, a.kind, a.user, a.vhost);
    want.push(a);
  }
  t.is(enc.size, 5000);
  const b = enc.take()!;
  t.is(enc.size, 0, 'take starts the next block');
  t.deepEqual(readAll(b), want);
  t.is(b.affairs, 5000);
  t.is(b.base_time, want[0]!.time);
  t.is(b.min_time, Math.min(...want.map((a) => a.time)));
  t.is(b.max_time, Math.max(...want.map((a) => a.time)));
  t.true(b.data.length < 5000 * 12, `packed: ${b.data.length} bytes for 5000 affairs`);
});

test('extreme values: address 0 and 255.255.255.255, time 0 and far ahead, large kinds; fractions round', (t) => {
  const enc = new BlockEncoder();
  enc.add(0, '0.0.0.0', 0, 0, null, null);
  enc.add(0xffffffff, '255.255.255.255', 2 ** 45, 2 ** 40, 'u', null);
  enc.add(-1, '::', 1.6, 1, null, 'v');
  t.deepEqual(readAll(enc.take()!), [
    { v4: 0, ip: '0.0.0.0', time: 0, kind: 0, user: null, vhost: null },
    { v4: 0xffffffff, ip: '255.255.255.255', time: 2 ** 45, kind: 2 ** 40, user: 'u', vhost: null },
    { v4: -1, ip: '::', time: 2, kind: 1, user: null, vhost: 'v' },
  ]);
});

test('an empty encoder has no block; reset drops what was added', (t) => {
  const enc = new BlockEncoder();
  t.is(enc.take(), undefined);
  enc.add(1, '0.0.0.1', 5, 1, 'gone', null);
  enc.reset();
  enc.add(2, '0.0.0.2', 7, 1, null, null);
  const b = enc.take()!;
  t.is(b.strings, '[]', 'no string of the dropped affair is kept');
  t.deepEqual(readAll(b).map((a) => a.ip), ['0.0.0.2']);
});

test('a truncated block, a dangling string reference or bad strings are errors, not other affairs', (t) => {
  const enc = new BlockEncoder();
  enc.add(-1, '2001:db8::1', 1000, 3, 'user', 'vhost');
  const b = enc.take()!;
  for (let cut = 1; cut < b.data.length; cut++) {
    t.throws(() => readAll({ ...b, data: b.data.subarray(0, cut) }), { message: /affair block: truncated/ }, `cut at ${cut}`);
  }
  t.throws(() => readAll({ ...b, strings: '["2001:db8::1"]' }), { message: /string reference out of range/ });
  t.throws(() => readAll({ ...b, strings: '{"a": 1}' }), { message: /not an array of strings/ });
  t.throws(() => readAll({ ...b, data: Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]) }), { message: /truncated number/ });
});
