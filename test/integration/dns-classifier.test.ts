// The DNS classifier's logic against a scripted resolver: answer-to-class table, forward confirmation,
// cache TTLs (positive, negative, unknown) with a simulated clock, LRU eviction, sharing, queue bound.
import test from 'ava';
import { arpaName } from '../../src/adapters/dns/arpa.js';
import { classifyAddress, type DnsLookups } from '../../src/adapters/dns/classify-address.js';
import { parseIp } from '../../src/core/ip.js';
import { DnsClassifier } from '../../src/adapters/dns/classifier.js';
import { TtlCache } from '../../src/adapters/dns/ttl-cache.js';
import type { DnsClass } from '../../src/core/policy/dns-class.js';

type Answer = string[] | string; // a string is an error code

function err(code: string): Error {
  return Object.assign(new Error(code), { code });
}

/** The address a PTR query name stands for (the fakes are keyed by address, readable in the tables). */
function fromArpa(arpa: string): string {
  if (arpa.endsWith('.in-addr.arpa')) return arpa.replace('.in-addr.arpa', '').split('.').reverse().join('.');
  const hex = arpa.replace('.ip6.arpa', '').split('.').reverse().join('');
  const r = parseIp(hex.match(/.{4}/g)!.join(':'));
  if (!r.ok) throw new Error(r.error);
  return r.ip.addr;
}

test('arpaName: IPv4 and IPv6 reverse names', (t) => {
  const name = (ip: string): string => {
    const r = parseIp(ip);
    if (!r.ok) throw new Error(r.error);
    return arpaName(r.ip);
  };
  t.is(name('198.51.100.7'), '7.100.51.198.in-addr.arpa');
  t.is(name('2001:db8::10'), '0.1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa');
  t.is(fromArpa(name('2001:db8::10')), '2001:db8::10');
});

/** A resolver answering from tables; counts calls. */
function scripted(ptr: Record<string, Answer>, fwd: Record<string, Answer>): DnsLookups & { calls: number } {
  const answer = async (table: Record<string, Answer>, key: string): Promise<string[]> => {
    fake.calls++;
    const a = table[key] ?? 'ENOTFOUND';
    if (typeof a === 'string') throw err(a);
    return a;
  };
  const fake = {
    calls: 0,
    resolvePtr: (arpa: string) => answer(ptr, fromArpa(arpa)),
    resolve4: (name: string) => answer(fwd, `A ${name}`),
    resolve6: (name: string) => answer(fwd, `AAAA ${name}`),
  };
  return fake;
}

const dns = scripted(
  {
    '192.0.2.10': ['good.example.test'],
    '2001:db8::10': ['good.example.test.'],
    '198.51.100.7': ['liar.example.test'],
    '198.51.100.8': ['ghost.example.test'],
    '198.51.100.9': ['broken.example.test'],
    '198.51.100.12': ['nope.example.test', 'GOOD12.example.test'],
    '198.51.100.13': [],
    '198.51.100.14': 'ENODATA',
    '198.51.100.15': 'ESERVFAIL',
    '198.51.100.16': 'ETIMEOUT',
    '198.51.100.17': 'ECONNREFUSED',
    '198.51.100.18': ['a.example.test', 'b.example.test', 'c.example.test'],
  },
  {
    'A good.example.test': ['192.0.2.10'],
    'AAAA good.example.test': ['2001:0db8:0000::0010'],
    'A liar.example.test': ['203.0.113.99'],
    'A broken.example.test': 'ESERVFAIL',
    'A nope.example.test': ['203.0.113.1'],
    'A good12.example.test': ['198.51.100.12'],
    'A c.example.test': ['198.51.100.18'],
  },
);

const table: [string, string, DnsClass, number?][] = [
  ['PTR name resolves back: TRUEHOST', '192.0.2.10', 'TRUEHOST'],
  ['IPv6, AAAA in another textual form: TRUEHOST', '2001:db8::10', 'TRUEHOST'],
  ['IPv4-mapped form is classified as IPv4', '::ffff:192.0.2.10', 'TRUEHOST'],
  ['PTR name resolves elsewhere: FAKEHOST', '198.51.100.7', 'FAKEHOST'],
  ['PTR name does not resolve: FAKEHOST', '198.51.100.8', 'FAKEHOST'],
  ['forward lookup failed: unknown, not FAKEHOST', '198.51.100.9', 'unknown'],
  ['one of two names confirms (case-insensitive): TRUEHOST', '198.51.100.12', 'TRUEHOST'],
  ['empty PTR answer: NXDOMAIN', '198.51.100.13', 'NXDOMAIN'],
  ['no PTR record (NXDOMAIN): NXDOMAIN', '203.0.113.5', 'NXDOMAIN'],
  ['PTR name without data (NODATA): NXDOMAIN', '198.51.100.14', 'NXDOMAIN'],
  ['SERVFAIL: unknown', '198.51.100.15', 'unknown'],
  ['timeout: unknown', '198.51.100.16', 'unknown'],
  ['refused connection: unknown', '198.51.100.17', 'unknown'],
  ['only maxNames names are checked', '198.51.100.18', 'FAKEHOST', 2],
  ['the confirming name within maxNames', '198.51.100.18', 'TRUEHOST', 3],
  ['not an address: unknown without a query', 'example.test', 'unknown'],
];
for (const [name, ip, expected, maxNames] of table) {
  test(`classifyAddress: ${name}`, async (t) => {
    t.is(await classifyAddress(dns, ip, maxNames ?? 4), expected);
  });
}

test('TtlCache: expiry per entry and least-recently-used eviction', (t) => {
  let now = 0;
  const c = new TtlCache<string, number>(2, () => now);
  c.set('a', 1, 100);
  c.set('b', 2, 10);
  t.is(c.get('a'), 1); // a is now the most recently used
  c.set('c', 3, 100); // evicts b
  t.is(c.get('b'), undefined);
  t.is(c.size, 2);
  now = 100;
  t.is(c.get('a'), undefined, 'expired at its ttl');
  t.is(c.get('c'), undefined);
  c.set('d', 4, 0);
  t.is(c.get('d'), undefined, 'ttl 0 is not cached');
  t.throws(() => new TtlCache(0, () => 0), { instanceOf: RangeError });
});

test('classifier: answers are cached per class with their own TTL; peek never queries', async (t) => {
  let now = 0;
  const fake = scripted({ '192.0.2.10': ['good.example.test'], '198.51.100.15': 'ESERVFAIL' }, { 'A good.example.test': ['192.0.2.10'] });
  const c = new DnsClassifier({ positiveTtlMs: 1000, negativeTtlMs: 500, unknownTtlMs: 100 }, { lookups: fake, clock: () => now });
  t.is(c.peek('192.0.2.10'), undefined);
  t.is(fake.calls, 0);
  t.is(await c.classify('192.0.2.10'), 'TRUEHOST');
  t.is(await c.classify('203.0.113.5'), 'NXDOMAIN');
  t.is(await c.classify('198.51.100.15'), 'unknown');
  const calls = fake.calls;
  t.is(c.peek('192.0.2.10'), 'TRUEHOST');
  t.is(await c.classify('203.0.113.5'), 'NXDOMAIN');
  t.is(fake.calls, calls, 'cache hits');
  now = 100;
  t.is(c.peek('198.51.100.15'), undefined, 'unknown is asked again soon');
  t.is(c.peek('203.0.113.5'), 'NXDOMAIN');
  now = 500;
  t.is(c.peek('203.0.113.5'), undefined, 'negative answers expire');
  t.is(c.peek('192.0.2.10'), 'TRUEHOST');
  now = 1000;
  t.is(c.peek('192.0.2.10'), undefined);
  t.like(c.stats, { lookups: 3, cacheHits: 1, timeouts: 0, shed: 0 });
  c.close();
});

test('classifier: the cache holds at most maxEntries, least recently used out first', async (t) => {
  const c = new DnsClassifier({ maxEntries: 2 }, { lookups: scripted({}, {}) });
  for (const ip of ['203.0.113.1', '203.0.113.2', '203.0.113.3']) await c.classify(ip);
  t.is(c.peek('203.0.113.1'), undefined);
  t.is(c.peek('203.0.113.3'), 'NXDOMAIN');
  t.is(c.stats.cached, 2);
  c.close();
});

/** A resolver that answers only when told to. */
function manual(): DnsLookups & { release: (ip: string, names: string[]) => void; asked: string[] } {
  const waiting = new Map<string, (names: string[]) => void>();
  const asked: string[] = [];
  return {
    asked,
    resolvePtr: (arpa) => {
      const ip = fromArpa(arpa);
      asked.push(ip);
      return new Promise((resolve) => waiting.set(ip, resolve));
    },
    resolve4: async () => [],
    resolve6: async () => [],
    release: (ip, names) => waiting.get(ip)?.(names),
  };
}

test('classifier: concurrent calls for one address share one lookup', async (t) => {
  const fake = manual();
  const c = new DnsClassifier({}, { lookups: fake });
  const a = c.classify('203.0.113.7');
  const b = c.classify('203.0.113.7');
  t.is(a, b);
  await new Promise((r) => setImmediate(r));
  fake.release('203.0.113.7', []);
  t.is(await a, 'NXDOMAIN');
  t.deepEqual(fake.asked, ['203.0.113.7']);
  c.close();
});

test('classifier: concurrency is bounded and a full queue answers unknown at once, uncached', async (t) => {
  const fake = manual();
  const c = new DnsClassifier({ concurrency: 2, maxQueue: 1, timeoutMs: 60_000 }, { lookups: fake });
  const running = ['203.0.113.1', '203.0.113.2', '203.0.113.3'].map((ip) => c.classify(ip));
  const shed = c.classify('203.0.113.4');
  t.is(await shed, 'unknown');
  t.is(c.peek('203.0.113.4'), undefined, 'a shed lookup is not an answer');
  await new Promise((r) => setImmediate(r));
  t.deepEqual(fake.asked, ['203.0.113.1', '203.0.113.2'], 'two at a time');
  t.like(c.stats, { queued: 1, inflight: 3, shed: 1 });
  fake.release('203.0.113.1', []);
  await running[0];
  await new Promise((r) => setImmediate(r));
  t.deepEqual(fake.asked, ['203.0.113.1', '203.0.113.2', '203.0.113.3']);
  c.close();
  t.deepEqual(await Promise.all(running.slice(1)), ['unknown', 'unknown'], 'close settles what is pending');
  t.is(await c.classify('203.0.113.9'), 'unknown', 'closed: no more lookups');
});

test('classifier: the deadline covers the wait for a slot', async (t) => {
  const fake = manual();
  const c = new DnsClassifier({ concurrency: 1, timeoutMs: 150 }, { lookups: fake });
  const t0 = Date.now();
  const all = await Promise.all(['203.0.113.1', '203.0.113.2', '203.0.113.3'].map((ip) => c.classify(ip)));
  const took = Date.now() - t0;
  t.deepEqual(all, ['unknown', 'unknown', 'unknown']);
  t.true(took < 400, `took ${took} ms`);
  t.deepEqual(fake.asked, ['203.0.113.1'], 'queued lookups whose deadline passed never query');
  t.is(c.stats.timeouts, 3);
  c.close();
});
