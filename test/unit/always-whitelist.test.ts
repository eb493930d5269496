// always-whitelist.ts: loopback is always there, host and admin addresses are added, and bad input
// becomes problems instead of entries (a host CIDR must never whitelist a whole LAN).
import test from 'ava';
import { AddressMatcher, EntryCollector } from '../../src/core/aggregate.js';
import { addAlwaysWhitelist, buildAlwaysWhitelist, type AlwaysWhitelistInput } from '../../src/core/always-whitelist.js';
import { formatV4, type SetEntries } from '../../src/core/fw-plan.js';
import { parseListText } from '../../src/core/list-file.js';

function flat(e: SetEntries): string[] {
  return [...Array.from(e.v4, formatV4), ...e.v4nets, ...e.v6, ...e.v6nets];
}

// [title, input, entries, problem messages (substrings)]
const cases: [string, AlwaysWhitelistInput, string[], string[]][] = [
  ['loopback alone', { hostAddresses: [], adminAddresses: [] }, ['127.0.0.0/8', '::1'], []],
  ['host addresses of both families; loopback ones fold into 127/8',
    { hostAddresses: ['192.0.2.10', '127.0.0.1', '2001:db8::10', '::1'], adminAddresses: [] },
    ['192.0.2.10', '127.0.0.0/8', '::1', '2001:db8::10'], []],
  ['a link-local host address loses its zone id', { hostAddresses: ['fe80::1%eth0'], adminAddresses: [] },
    ['127.0.0.0/8', '::1', 'fe80::1'], []],
  ['a mapped host address is IPv4', { hostAddresses: ['::ffff:198.51.100.1'], adminAddresses: [] },
    ['198.51.100.1', '127.0.0.0/8', '::1'], []],
  ['admin addresses and networks', { hostAddresses: [], adminAddresses: ['203.0.113.0/24', ' 2001:db8:a::/48 ', '198.51.100.7'] },
    ['198.51.100.7', '127.0.0.0/8', '203.0.113.0/24', '::1', '2001:db8:a::/48'], []],
  ['an admin network with host bits is kept normalised, with a warning',
    { hostAddresses: [], adminAddresses: ['203.0.113.9/24'] }, ['127.0.0.0/8', '203.0.113.0/24', '::1'], ['host bits']],
  ['invalid admin addresses are problems, not entries',
    { hostAddresses: [], adminAddresses: ['example.org', '010.0.0.1', '1.2.3.4/33', ''] }, ['127.0.0.0/8', '::1'],
    ['admin address ignored', 'admin address ignored', 'admin address ignored', 'admin address ignored']],
  ['a host network is refused: only the address itself belongs to the host',
    { hostAddresses: ['192.168.1.5/24', 'garbage'], adminAddresses: [] }, ['127.0.0.0/8', '::1'],
    ['is a network', 'host address ignored']],
];

for (const [title, input, entries, messages] of cases) {
  test(`always whitelist: ${title}`, (t) => {
    const { entries: e, problems } = buildAlwaysWhitelist(input);
    t.deepEqual(flat(e), entries);
    t.is(problems.length, messages.length, problems.map((p) => p.message).join('; '));
    messages.forEach((m, i) => t.true(problems[i]!.message.includes(m), problems[i]!.message));
  });
}

test('admin problems point at the configured location and carry the config code', (t) => {
  const { problems } = buildAlwaysWhitelist({
    hostAddresses: [],
    adminAddresses: ['nope'],
    adminLocation: { file: '/etc/watcher/watcher.yaml', line: 12 },
  });
  t.deepEqual(problems, [
    {
      code: 'WATCHER_E_CONFIG',
      message: 'admin address ignored: not an IPv4 or IPv6 address: "nope"',
      location: { file: '/etc/watcher/watcher.yaml', line: 12 },
    },
  ]);
});

test('added to the whitelist file collector, the matcher covers loopback, host and admin addresses', (t) => {
  const c = new EntryCollector();
  parseListText('192.0.2.0/28 # office\n', 'whitelist', c);
  const problems = addAlwaysWhitelist(c, { hostAddresses: ['198.51.100.1'], adminAddresses: ['2001:db8::/64'] });
  t.deepEqual(problems, []);
  const m = AddressMatcher.fromEntries(c.finish());
  for (const ip of ['127.0.0.1', '127.255.255.255', '::1', '::ffff:127.0.0.1', '192.0.2.15', '198.51.100.1', '2001:db8::abcd']) {
    t.true(m.covers(ip), ip);
  }
  for (const ip of ['128.0.0.1', '::2', '192.0.2.16', '198.51.100.2', '2001:db8:0:1::1']) t.false(m.covers(ip), ip);
});
