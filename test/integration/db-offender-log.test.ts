// The offender log's binary states: what is encoded decodes to the same states, in order, for IPv4 and
// IPv6, empty and long windows, with and without a ban, whole and fractional numbers; blobs of the first
// format (written before an upgrade, replayed after a crash) still decode; a truncated blob is refused.
import test from 'ava';
import { DNS_CLASSES } from '../../src/core/policy/dns-class.js';
import { decodeStates, encodeHeader, encodeState, HEADER_BYTES, stateBytes, type LoggedState } from '../../src/adapters/db/offender-log.js';

const T = 1_700_000_000_000;
const states: LoggedState[] = [
  { ip: '198.51.100.7', family: 4, window: [], dnsClass: 'unknown', firstSeen: 1, lastSeen: 2, bans: 0, banId: null },
  { ip: '2001:db8:ffff:ffff:ffff:ffff:ffff:ffff', family: 6, window: [T + 123, 1, T + 456, 0.5], dnsClass: 'FAKEHOST', firstSeen: T, lastSeen: T + 456, bans: 3, banId: 12_345 },
  { ip: '1.2.3.4', family: 4, window: Array.from({ length: 200 }, (_, i) => i), dnsClass: 'NXDOMAIN', firstSeen: 0, lastSeen: 0, bans: 1, banId: 0 },
  { ip: '::1', family: 6, window: [5, 5], dnsClass: 'TRUEHOST', firstSeen: 5, lastSeen: 5, bans: 0, banId: null },
  { ip: '255.255.255.255', family: 4, window: [T - 86_400_000, 100, T + 10, 1], dnsClass: 'unknown', firstSeen: T - 90 * 86_400_000, lastSeen: T + 10, bans: 7, banId: 2 ** 40 },
  { ip: '0.0.0.0', family: 4, window: [T + 0.25, 1], dnsClass: 'unknown', firstSeen: T, lastSeen: T + 0.25, bans: 0, banId: null },
];

const v4Of = (ip: string): number => ip.split('.').reduce((n, o) => n * 256 + Number(o), 0);

function encode(list: LoggedState[], base = T): Buffer {
  const bytes = list.reduce((n, s) => n + stateBytes(s.ip.length, s.window.length), HEADER_BYTES);
  const buf = new Uint8Array(bytes);
  let off = encodeHeader(buf, base);
  for (const s of list) off = encodeState(buf, off, base, s.ip, s.family, s.family === 4 ? v4Of(s.ip) : -1, s.window, s.dnsClass, s.firstSeen, s.lastSeen, s.bans, s.banId);
  return Buffer.from(buf.subarray(0, off));
}

// The first format, as Watcher wrote it before: fixed f64 fields, 8-byte aligned.
function encodeV1(list: LoggedState[]): Buffer {
  const parts = list.map((s) => {
    const b = Buffer.alloc(40 + s.window.length * 8 + ((s.ip.length + 7) & ~7));
    b.writeUInt8(s.family, 0);
    b.writeUInt8(s.ip.length, 1);
    b.writeUInt8(DNS_CLASSES.indexOf(s.dnsClass), 2);
    b.writeUInt32LE(s.window.length >> 1, 4);
    [s.firstSeen, s.lastSeen, s.bans, s.banId ?? Number.NaN].forEach((x, i) => b.writeDoubleLE(x, 8 + 8 * i));
    s.window.forEach((x, i) => b.writeDoubleLE(x, 40 + 8 * i));
    b.write(s.ip, 40 + s.window.length * 8, 'latin1');
    return b;
  });
  return Buffer.concat(parts);
}

test('states round-trip in order, against any base time', (t) => {
  for (const base of [T, 0, T + 1e9, -5]) {
    const got: LoggedState[] = [];
    decodeStates(encode(states, base), (s) => got.push(s));
    t.deepEqual(got, states, `base ${base}`);
  }
});

test('a usual state (IPv4, four window pairs, a ban) takes about a third of the first format', (t) => {
  const usual: LoggedState = { ip: '203.0.113.77', family: 4, window: [T + 1000, 1, T + 2000, 1, T + 3000, 1, T + 4000, 1], dnsClass: 'NXDOMAIN', firstSeen: T - 3_600_000, lastSeen: T + 4000, bans: 1, banId: 51_234 };
  const v2 = encode([usual]).length - HEADER_BYTES;
  const v1 = encodeV1([usual]).length;
  t.true(v2 * 2.5 < v1, `${v2} bytes instead of ${v1}`);
});

test('blobs of the first format still decode', (t) => {
  const got: LoggedState[] = [];
  decodeStates(encodeV1(states), (s) => got.push(s));
  t.deepEqual(got, states);
});

test('an empty blob holds no state; a truncated one is refused', (t) => {
  decodeStates(Buffer.alloc(0), () => t.fail());
  const blob = encode(states);
  t.throws(() => decodeStates(blob.subarray(0, blob.length - 1), () => {}), { message: /truncated/ });
  t.throws(() => decodeStates(blob.subarray(0, 20), () => {}), { message: /truncated/ });
  t.throws(() => decodeStates(blob.subarray(0, 4), () => {}), { message: /truncated/ });
  const v1 = encodeV1(states);
  t.throws(() => decodeStates(v1.subarray(0, v1.length - 8), () => {}), { message: /truncated/ });
});
