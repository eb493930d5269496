// The offender log's binary states: what is encoded decodes to the same states, in order, for IPv4 and
// IPv6, empty and long windows, with and without a ban; a truncated blob is refused.
import test from 'ava';
import { decodeStates, encodeState, stateBytes, type LoggedState } from '../../src/adapters/db/offender-log.js';

const states: LoggedState[] = [
  { ip: '198.51.100.7', family: 4, window: [], dnsClass: 'unknown', firstSeen: 1, lastSeen: 2, bans: 0, banId: null },
  { ip: '2001:db8:ffff:ffff:ffff:ffff:ffff:ffff', family: 6, window: [1_700_000_000_123, 1, 1_700_000_000_456, 0.5], dnsClass: 'FAKEHOST', firstSeen: 1_700_000_000_000, lastSeen: 1_700_000_000_456, bans: 3, banId: 12_345 },
  { ip: '1.2.3.4', family: 4, window: Array.from({ length: 200 }, (_, i) => i), dnsClass: 'NXDOMAIN', firstSeen: 0, lastSeen: 0, bans: 1, banId: 0 },
  { ip: '::1', family: 6, window: [5, 5], dnsClass: 'TRUEHOST', firstSeen: 5, lastSeen: 5, bans: 0, banId: null },
];

function encode(list: LoggedState[]): Buffer {
  const bytes = list.reduce((n, s) => n + stateBytes(s.ip.length, s.window.length), 0);
  const buf = new ArrayBuffer(bytes);
  const view = new DataView(buf);
  let off = 0;
  for (const s of list) off = encodeState(view, off, s.ip, s.family, s.window, s.dnsClass, s.firstSeen, s.lastSeen, s.bans, s.banId);
  if (off !== bytes) throw new Error(`${off} != ${bytes}`);
  return Buffer.from(buf);
}

test('states round-trip in order', (t) => {
  const got: LoggedState[] = [];
  decodeStates(encode(states), (s) => got.push(s));
  t.deepEqual(got, states);
});

test('every state is a multiple of 8 bytes long', (t) => {
  for (const s of states) t.is(stateBytes(s.ip.length, s.window.length) % 8, 0);
});

test('an empty blob holds no state; a truncated one is refused', (t) => {
  decodeStates(Buffer.alloc(0), () => t.fail());
  const blob = encode(states);
  t.throws(() => decodeStates(blob.subarray(0, blob.length - 8), () => {}), { message: /truncated/ });
  t.throws(() => decodeStates(blob.subarray(0, 20), () => {}), { message: /truncated/ });
});
