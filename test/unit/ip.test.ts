// ip.ts: every accepted token form with its normalised value, every refusal, and agreement between the
// dotted-quad fast path and the ipaddr.js path on edge and random tokens.
import test from 'ava';
import ipaddr from 'ipaddr.js';
import {
  formatIp,
  formatV6,
  parseIp,
  parseIpGeneral,
  parseIpValue,
  scanDottedQuad,
  v4Mask,
  v4Size,
} from '../../src/core/ip.js';

// [token, family, canonical entry text, normalised]
const accepted: [string, 4 | 6, string, boolean][] = [
  ['1.2.3.4', 4, '1.2.3.4', false],
  ['0.0.0.0', 4, '0.0.0.0', false],
  ['255.255.255.255', 4, '255.255.255.255', false],
  ['10.0.0.0/8', 4, '10.0.0.0/8', false],
  ['10.1.2.3/8', 4, '10.0.0.0/8', true],
  ['192.168.1.77/24', 4, '192.168.1.0/24', true],
  ['1.2.3.4/32', 4, '1.2.3.4', false],
  ['1.2.3.4/0', 4, '0.0.0.0/0', true],
  ['0.0.0.0/0', 4, '0.0.0.0/0', false],
  ['128.0.0.1/1', 4, '128.0.0.0/1', true],
  ['1.2.3.5/31', 4, '1.2.3.4/31', true],
  ['::ffff:1.2.3.4', 4, '1.2.3.4', false],
  ['::FFFF:1.2.3.4', 4, '1.2.3.4', false],
  ['::ffff:102:304', 4, '1.2.3.4', false],
  ['::ffff:1.2.3.4/120', 4, '1.2.3.0/24', true],
  ['::ffff:1.2.3.0/120', 4, '1.2.3.0/24', false],
  ['::ffff:1.2.3.4/128', 4, '1.2.3.4', false],
  ['::ffff:0:0/96', 4, '0.0.0.0/0', false],
  ['::ffff:1.2.3.4/80', 6, '::/80', true],
  ['::1', 6, '::1', false],
  ['::', 6, '::', false],
  ['::/0', 6, '::/0', false],
  ['2001:DB8::1', 6, '2001:db8::1', false],
  ['2001:0db8:0000:0000:0000:0000:0000:0001', 6, '2001:db8::1', false],
  ['2001:db8:0:0:1:0:0:1', 6, '2001:db8::1:0:0:1', false],
  ['2001:db8::/32', 6, '2001:db8::/32', false],
  ['2001:db8::1/32', 6, '2001:db8::/32', true],
  ['2001:db8:ffff::/33', 6, '2001:db8:8000::/33', true],
  ['2001:db8::1/128', 6, '2001:db8::1', false],
  ['fe80::1:2:3:4/64', 6, 'fe80::/64', true],
  ['1::', 6, '1::', false],
  ['::1.2.3.4', 4, '1.2.3.4', false], // deprecated IPv4-compatible: ipaddr.js reads it as mapped
];

for (const [token, family, text, normalised] of accepted) {
  test(`accepts ${JSON.stringify(token)} as ${text}`, (t) => {
    const r = parseIp(token);
    if (!r.ok) return t.fail(r.error);
    t.is(r.ip.family, family);
    t.is(formatIp(r.ip), text);
    t.is(r.ip.normalised, normalised);
    t.is(r.ip.addr, text.split('/')[0] ?? '');
  });
}

// [token, part of the error message]
const refused: [string, string][] = [
  ['', 'empty'],
  ['010.1.1.1', 'ambiguous'],
  ['1.2.3.04', 'ambiguous'],
  ['0x1.2.3.4', 'ambiguous'],
  ['1.2.3', 'ambiguous'],
  ['16909060', 'ambiguous'],
  ['256.1.1.1', 'not an IPv4'],
  ['1.2.3.4.5', 'not an IPv4'],
  ['1.2.3.', 'not an IPv4'],
  ['a.b.c.d', 'not an IPv4'],
  ['hello', 'not an IPv4'],
  ['1.2.3.4/33', 'out of range'],
  ['1.2.3.4/99', 'out of range'],
  ['2001:db8::/129', 'out of range'],
  ['::ffff:1.2.3.4/129', 'out of range'],
  ['1.2.3.4/', 'prefix'],
  ['1.2.3.4/08', 'prefix'],
  ['1.2.3.4/+8', 'prefix'],
  ['1.2.3.4/-1', 'prefix'],
  ['1.2.3.4/255.255.255.0', 'prefix'],
  ['1.2.3.4/8/8', 'prefix'],
  ['1.2.3.4/1000', 'prefix'],
  ['fe80::1%eth0', 'zone'],
  ['fe80::1%eth0/64', 'zone'],
  ['1:2:3:4:5:6:7:8:9', 'not an IPv6'],
  [':::', 'not an IPv6'],
  ['2001:db8::g', 'not an IPv6'],
  ['1.2.3.4::', 'not an IPv6'],
  ['::ffff:010.1.1.1', 'ambiguous embedded'],
  ['::ffff:1.2.3.04', 'ambiguous embedded'],
  [' 1.2.3.4', 'not an IPv4'],
  ['1.2.3.4 ', 'not an IPv4'],
];

for (const [token, message] of refused) {
  test(`refuses ${JSON.stringify(token)}`, (t) => {
    const r = parseIp(token);
    if (r.ok) return t.fail(`accepted as ${formatIp(r.ip)}`);
    t.true(r.error.includes(message), r.error);
  });
}

test('the v4 number is host order and unsigned', (t) => {
  const r = parseIp('255.254.253.252');
  t.true(r.ok && r.ip.family === 4 && r.ip.v4 === 0xfffefdfc);
  const m = parseIp('::ffff:128.0.0.1');
  t.true(m.ok && m.ip.family === 4 && m.ip.v4 === 0x80000001);
});

test('the v6 number is the network address', (t) => {
  const r = parseIp('2001:db8::ff/120');
  t.true(r.ok && r.ip.family === 6 && r.ip.v6 === 0x20010db8000000000000000000000000n);
});

test('long garbage is shortened in the message', (t) => {
  const r = parseIp('x'.repeat(500));
  t.false(r.ok);
  if (!r.ok) t.true(r.error.length < 120, r.error);
});

test('scanDottedQuad reads a quad at a position, reports where it stopped, and refuses anything unusual', (t) => {
  const out = new Uint32Array(2);
  const s = 'xx 10.20.30.40/12 yy';
  t.is(scanDottedQuad(s, 3, s.length, out), 12);
  t.is(out[0], (10 << 24) + (20 << 16) + (30 << 8) + 40); // host bits kept as written
  t.is(out[1], 17);
  t.is(scanDottedQuad(s, 3, 14, out), 32);
  t.is(out[1], 14);
  // stops at a character that cannot continue: the caller decides whether it ends the token
  for (const [tok, stop] of [['1.2.3.4x', 7], ['1.2.3.4.5', 7], ['1.2.3.4/8#c', 9], ['1.2.3.4 # c', 7]] as const) {
    t.true(scanDottedQuad(tok, 0, tok.length, out) >= 0, tok);
    t.is(out[1], stop, tok);
  }
  for (const tok of ['010.1.1.1', '1.2.3.4/08', '1.2.3.4/', '1.2.3', '::1', '1.2.3.4/33', '1.2.3.256', '1.2.3.4/123', '1.2.3']) {
    t.is(scanDottedQuad(tok, 0, tok.length, out), -1, tok);
  }
});

function rnd(n: number): number {
  return Math.floor(Math.random() * n);
}

test('the fast path and the ipaddr.js path agree on random and edge IPv4 tokens', (t) => {
  const tokens = ['0.0.0.0', '255.255.255.255', '0.0.0.0/0', '1.1.1.1/32', '01.1.1.1', '1.1.1.1/032', '1..1.1'];
  for (let i = 0; i < 5000; i++) {
    const parts = [rnd(300), rnd(256), rnd(256), rnd(256)].map((n) => (rnd(50) === 0 ? `0${n}` : String(n)));
    let tok = parts.join('.');
    if (rnd(3) === 0) tok += `/${rnd(40)}`;
    tokens.push(tok);
  }
  let accepted = 0;
  for (const tok of tokens) {
    const fast = parseIp(tok);
    const general = parseIpGeneral(tok);
    t.deepEqual(fast, general, tok);
    if (fast.ok) accepted++;
  }
  t.true(accepted > 3000 && accepted < tokens.length, 'both accepted and refused tokens were checked');
});

test('parseIpValue carries the same numbers as parseIpGeneral, without the text', (t) => {
  for (const tok of ['10.1.2.3/8', '2001:db8::1/64', '::ffff:1.2.3.4']) {
    const v = parseIpValue(tok);
    const g = parseIpGeneral(tok);
    if (!v.ok || !g.ok) return t.fail(tok);
    const { addr: _addr, ...numbers } = g.ip;
    t.deepEqual(v.ip, numbers);
  }
});

test('formatV6 matches ipaddr.js RFC 5952 text on random values with zero runs', (t) => {
  for (let i = 0; i < 3000; i++) {
    const parts = Array.from({ length: 8 }, () => (rnd(3) === 0 ? 0 : rnd(65536)));
    let v = 0n;
    for (const p of parts) v = (v << 16n) | BigInt(p);
    t.is(formatV6(v), new ipaddr.IPv6(parts).toRFC5952String());
  }
});

test('v4Mask and v4Size cover the edges', (t) => {
  t.is(v4Mask(0), 0);
  t.is(v4Mask(1), 0x80000000);
  t.is(v4Mask(32), 0xffffffff);
  t.is(v4Size(0), 2 ** 32);
  t.is(v4Size(32), 1);
});
