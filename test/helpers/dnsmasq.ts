// A real resolver for tests: dnsmasq from Debian on 127.0.0.1 and a free high port, serving PTR/A/AAAA
// records for documentation addresses and answering NXDOMAIN itself for the rest of its zones.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { existsSync } from 'node:fs';
import net from 'node:net';
import { Resolver } from 'node:dns/promises';
import { arpaName } from '../../src/adapters/dns/arpa.js';
import { parseIp } from '../../src/core/ip.js';

export const binary = ['/usr/sbin/dnsmasq', '/usr/bin/dnsmasq'].find((p) => existsSync(p)) ?? 'dnsmasq';
export const missing = spawnSync(binary, ['--version']).error;

function arpa(ip: string): string {
  const r = parseIp(ip);
  if (!r.ok) throw new Error(r.error);
  return arpaName(r.ip);
}

// the zone: TRUEHOST v4+v6, FAKEHOST (elsewhere / not resolving / v6), NXDOMAIN (no PTR), unknown (refused)
export const RECORDS = [
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

export interface Dnsmasq {
  child: ChildProcess;
  port: number;
  log: () => string;
}

export async function startDnsmasq(): Promise<Dnsmasq> {
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


/** Stops a dnsmasq started here, by its PID. */
export async function stopDnsmasq(server: Dnsmasq | undefined): Promise<void> {
  const child = server?.child;
  if (!child || child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  process.kill(child.pid!, 'SIGTERM');
  await exited;
}
