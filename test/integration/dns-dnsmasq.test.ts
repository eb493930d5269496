// DNS classes against a real resolver: dnsmasq from Debian on 127.0.0.1 and a free high port, serving
// PTR/A/AAAA records for documentation addresses; authoritative NXDOMAIN for everything else it owns.
import test from 'ava';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { existsSync } from 'node:fs';
import net from 'node:net';
import { Resolver } from 'node:dns/promises';
import { arpaName } from '../../src/adapters/dns/arpa.js';
import { DnsClassifier } from '../../src/adapters/dns/classifier.js';
import { parseIp } from '../../src/core/ip.js';
import type { DnsClass } from '../../src/core/policy/dns-class.js';

const binary = ['/usr/sbin/dnsmasq', '/usr/bin/dnsmasq'].find((p) => existsSync(p)) ?? 'dnsmasq';
const missing = spawnSync(binary, ['--version']).error;
if (missing) console.log(`dns-dnsmasq: skipped, dnsmasq is not installed (${missing.message}); apt-get install dnsmasq`);
const maybe = missing ? test.skip : test;

function arpa(ip: string): string {
  const r = parseIp(ip);
  if (!r.ok) throw new Error(r.error);
  return arpaName(r.ip);
}

// the zone: TRUEHOST v4+v6, FAKEHOST (elsewhere / not resolving / v6), NXDOMAIN (no PTR), unknown (refused)
const RECORDS = [
  '--host-record=good.example.test,192.0.2.10,2001:db8::10',
  `--ptr-record=${arpa('198.51.100.7')},liar.example.test`,
  '--address=/liar.example.test/203.0.113.99',
  `--ptr-record=${arpa('198.51.100.8')},ghost.example.test`,
  `--ptr-record=${arpa('2001:db8::bad')},liar6.example.test`,
  '--host-record=liar6.example.test,2001:db8::beef',
  `--ptr-record=${arpa('198.51.100.9')},host.elsewhere.invalid`,
  `--ptr-record=${arpa('198.51.100.12')},nope.example.test`,
  `--ptr-record=${arpa('198.51.100.12')},good12.example.test`,
  '--address=/nope.example.test/203.0.113.1',
  '--address=/good12.example.test/198.51.100.12',
  // answer NXDOMAIN ourselves for every other name in these zones instead of asking upstream
  '--local=/in-addr.arpa/',
  '--local=/ip6.arpa/',
  '--local=/example.test/',
];

/** A loopback port free for both UDP and TCP at this moment (dnsmasq binds both). */
async function freePort(): Promise<number> {
  for (;;) {
    const udp = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => udp.bind(0, '127.0.0.1', resolve));
    const { port } = udp.address();
    const tcp = net.createServer();
    const ok = await new Promise<boolean>((resolve) => {
      tcp.once('error', () => resolve(false));
      tcp.listen(port, '127.0.0.1', () => resolve(true));
    });
    await new Promise<void>((resolve) => udp.close(() => resolve()));
    if (ok) {
      await new Promise<void>((resolve) => tcp.close(() => resolve()));
      return port;
    }
  }
}

interface Dnsmasq {
  child: ChildProcess;
  port: number;
  log: () => string;
}

async function startDnsmasq(): Promise<Dnsmasq> {
  const port = await freePort();
  const args = ['--no-daemon', `--port=${port}`, '--listen-address=127.0.0.1', '--bind-interfaces', '--no-resolv', '--no-hosts', '--conf-file=/dev/null', '--log-facility=-', '--log-queries', '--user=root', ...RECORDS];
  const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout!.on('data', (b: Buffer) => (log += b.toString()));
  child.stderr!.on('data', (b: Buffer) => (log += b.toString()));
  const probe = new Resolver({ timeout: 200, tries: 1 });
  probe.setServers([`127.0.0.1:${port}`]);
  const until = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`dnsmasq exited with ${child.exitCode}: ${log}`);
    try {
      await probe.resolve4('good.example.test');
      return { child, port, log: () => log };
    } catch {
      if (Date.now() > until) {
        child.kill('SIGTERM');
        throw new Error(`dnsmasq did not answer within 10 s: ${log}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

let server: Dnsmasq | undefined;

test.before(async () => {
  if (!missing) server = await startDnsmasq();
});

test.after.always(async () => {
  const child = server?.child;
  if (!child || child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  process.kill(child.pid!, 'SIGTERM');
  await exited;
});

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
