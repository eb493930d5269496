// DNS classes against a real resolver: dnsmasq from Debian on 127.0.0.1 and a free high port, serving
// PTR/A/AAAA records for documentation addresses; authoritative NXDOMAIN for everything else it owns.
import test from 'ava';
import { missing, startDnsmasq, stopDnsmasq, type Dnsmasq } from '../helpers/dnsmasq.js';
import { DnsClassifier } from '../../src/adapters/dns/classifier.js';
import { parseIp } from '../../src/core/ip.js';
import type { DnsClass } from '../../src/core/policy/dns-class.js';

if (missing) console.log(`dns-dnsmasq: skipped, dnsmasq is not installed (${missing.message}); apt-get install dnsmasq`);
const maybe = missing ? test.skip : test;

let server: Dnsmasq | undefined;

test.before(async () => {
  if (!missing) server = await startDnsmasq();
});

test.after.always(() => stopDnsmasq(server));

function classifier(opts: ConstructorParameters<typeof DnsClassifier>[0] = {}): DnsClassifier {
  return new DnsClassifier({ servers: [`127.0.0.1:${server!.port}`], timeoutMs: 2_000, ...opts });
}

const cases: [string, string, DnsClass][] = [
  ['IPv4 whose PTR name resolves back: TRUEHOST', '192.0.2.10', 'TRUEHOST'],
  ['IPv6 whose PTR name resolves back: TRUEHOST', '2001:db8::10', 'TRUEHOST'],
  ['IPv4-mapped IPv6 is classified as its IPv4 address', '::ffff:192.0.2.10', 'TRUEHOST'],
  ['IPv4 whose PTR name resolves elsewhere: FAKEHOST', '198.51.100.7', 'FAKEHOST'],
  ['IPv4 whose PTR name does not resolve at all: FAKEHOST', '198.51.100.8', 'FAKEHOST'],
  ['IPv6 whose PTR name resolves elsewhere: FAKEHOST', '2001:db8::bad', 'FAKEHOST'],
  ['two PTR names, the second confirms: TRUEHOST', '198.51.100.12', 'TRUEHOST'],
  ['IPv4 without PTR: NXDOMAIN', '203.0.113.5', 'NXDOMAIN'],
  ['IPv6 without PTR: NXDOMAIN', '2001:db8::5', 'NXDOMAIN'],
  ['PTR name the server refuses to resolve: unknown', '198.51.100.9', 'unknown'],
];

for (const [name, ip, expected] of cases) {
  maybe(`dnsmasq: ${name}`, async (t) => {
    const c = classifier();
    t.teardown(() => c.close());
    t.is(await c.classify(ip), expected, server!.log().split('\n').slice(-8).join('\n'));
    t.is(c.peek(ip), expected, 'cached');
  });
}

maybe('dnsmasq: answers come from the cache until their TTL runs out', async (t) => {
  let now = 0;
  const c = new DnsClassifier({ servers: [`127.0.0.1:${server!.port}`], negativeTtlMs: 1_000 }, { clock: () => now });
  t.teardown(() => c.close());
  // an address no other test asks for: tests in this file run concurrently against one dnsmasq
  const queries = (): number => (server!.log().match(/query\[PTR\] 77\.113\.0\.203\.in-addr\.arpa/g) ?? []).length;
  const before = queries();
  t.is(await c.classify('203.0.113.77'), 'NXDOMAIN');
  t.is(await c.classify('203.0.113.77'), 'NXDOMAIN');
  t.is(queries() - before, 1, 'the second answer was the cached negative one');
  now = 1_000;
  t.is(c.peek('203.0.113.77'), undefined);
  t.is(await c.classify('203.0.113.77'), 'NXDOMAIN');
  t.is(queries() - before, 2);
});

maybe('dnsmasq: many addresses at once through a small pool', async (t) => {
  const c = classifier({ concurrency: 3 });
  t.teardown(() => c.close());
  const ips = ['192.0.2.10', '2001:db8::10', '198.51.100.7', '198.51.100.8', '2001:db8::bad', '203.0.113.5', '2001:db8::5', '198.51.100.12'];
  t.deepEqual(await Promise.all(ips.map((ip) => c.classify(ip))), ['TRUEHOST', 'TRUEHOST', 'FAKEHOST', 'FAKEHOST', 'FAKEHOST', 'NXDOMAIN', 'NXDOMAIN', 'TRUEHOST']);
  t.like(c.stats, { lookups: 8, timeouts: 0 });
});
