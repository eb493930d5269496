// Test labs in network namespaces: a "server" namespace (where the firewall under test lives) and a
// "peer" namespace joined by a veth pair. Both are removed in teardown, even when the test fails.
// Only documentation addresses are used; nothing touches the root namespace.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ExecutionContext } from 'ava';
import { which } from '../../src/adapters/exec.js';

const PROBE = fileURLToPath(new URL('./probe.mjs', import.meta.url));
let counter = 0;

/** Why namespace tests cannot run here, or null when they can. */
export function netnsUnavailable(tools: string[] = []): string | null {
  if (process.getuid?.() !== 0) return 'not root: network namespace tests need root';
  try {
    execFileSync('ip', ['netns', 'list'], { stdio: 'ignore' });
  } catch {
    return 'the ip command (iproute2) with netns support is missing';
  }
  for (const tool of tools) if (which(tool) === null) return `${tool} is not installed`;
  return null;
}

export const SERVER4 = '192.0.2.1';
export const PEER4 = '192.0.2.2';
export const SERVER6 = '2001:db8::1';
export const PEER6 = '2001:db8::2';

export interface Lab {
  server: string;
  peer: string;
  /** Adds an address to the peer (e.g. 198.51.100.7 or 2001:db8:1::7) routed from the server. */
  addPeerAddress(addr: string): void;
  /** Starts a TCP service in the server namespace. */
  serve(port: number): Promise<void>;
  /** One TCP connect from the peer, from source address src: 'open' | 'blocked' | 'refused'. */
  connect(src: string, dst: string, port: number, timeoutMs?: number): Promise<string>;
  /** Connects repeatedly for ms milliseconds; resolves with attempts and successes. */
  startLoop(src: string, dst: string, port: number, ms: number): Promise<{ attempts: number; open: number }>;
  /** Runs a command in the server namespace (for inspection: nft list, ipset list). */
  inServer(cmd: string, args: string[]): string;
}

function sh(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

function runProbe(ns: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn('ip', ['netns', 'exec', ns, process.execPath, PROBE, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    p.stdout.on('data', (b: Buffer) => (out += b.toString()));
    p.on('error', reject);
    p.on('close', () => resolve(out.trim()));
  });
}

/** Creates the lab; teardown kills its processes by PID and deletes both namespaces. */
export function createLab(t: ExecutionContext): Lab {
  const id = `wt${process.pid}x${counter++}`;
  const server = `${id}s`;
  const peer = `${id}p`;
  const children: ChildProcess[] = [];
  t.teardown(() => {
    for (const c of children) if (c.pid && c.exitCode === null) c.kill('SIGKILL');
    for (const ns of [server, peer]) {
      try {
        execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
      } catch {
        /* already gone */
      }
    }
  });
  sh('ip', ['netns', 'add', server]);
  sh('ip', ['netns', 'add', peer]);
  // Both veth ends are created inside the namespaces: nothing appears in the root namespace.
  sh('ip', ['-n', server, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', peer]);
  for (const [ns, a4, a6] of [[server, SERVER4, SERVER6], [peer, PEER4, PEER6]] as const) {
    sh('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    sh('ip', ['-n', ns, 'addr', 'add', `${a4}/24`, 'dev', 'eth0']);
    sh('ip', ['-n', ns, 'addr', 'add', `${a6}/64`, 'dev', 'eth0', 'nodad']);
    sh('ip', ['-n', ns, 'link', 'set', 'eth0', 'up']);
  }
  // Extra peer addresses live in other documentation ranges, routed on-link from the server.
  for (const net of ['198.51.100.0/24', '203.0.113.0/24']) sh('ip', ['-n', server, 'route', 'add', net, 'dev', 'eth0']);
  sh('ip', ['-n', server, '-6', 'route', 'add', '2001:db8:1::/48', 'dev', 'eth0']);

  // Neighbour entries are pinned: a ban on one peer address would otherwise drop the neighbour
  // solicitations the peer happens to send from it and stall all of the peer's IPv6.
  const mac = (ns: string) => (JSON.parse(sh('ip', ['-j', '-n', ns, 'link', 'show', 'eth0'])) as { address: string }[])[0]!.address;
  const serverMac = mac(server);
  const peerMac = mac(peer);
  const pin = (ns: string, addr: string, lladdr: string) =>
    sh('ip', ['-n', ns, 'neigh', 'replace', addr, 'lladdr', lladdr, 'dev', 'eth0', 'nud', 'permanent']);
  for (const a of [SERVER4, SERVER6]) pin(peer, a, serverMac);
  for (const a of [PEER4, PEER6]) pin(server, a, peerMac);

  return {
    server,
    peer,
    addPeerAddress(addr: string) {
      const v6 = addr.includes(':');
      sh('ip', ['-n', peer, 'addr', 'add', `${addr}/${v6 ? 128 : 32}`, 'dev', 'eth0', ...(v6 ? ['nodad'] : [])]);
      pin(server, addr, peerMac);
    },
    async serve(port: number) {
      const p = spawn('ip', ['netns', 'exec', server, process.execPath, PROBE, 'serve', String(port)], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      children.push(p);
      await new Promise<void>((resolve, reject) => {
        p.stdout!.once('data', () => resolve());
        p.once('error', reject);
        p.once('exit', (c) => reject(new Error(`probe server exited with ${c}`)));
      });
    },
    connect(src, dst, port, timeoutMs = 400) {
      return runProbe(peer, ['connect', src, dst, String(port), String(timeoutMs)]);
    },
    async startLoop(src, dst, port, ms) {
      return JSON.parse(await runProbe(peer, ['loop', src, dst, String(port), String(ms)])) as { attempts: number; open: number };
    },
    inServer(cmd, args) {
      // Resolved in the system dirs: under npm, node_modules/.bin/nft is @vercel/nft, not nftables.
      return sh('ip', ['netns', 'exec', server, which(cmd) ?? cmd, ...args]);
    },
  };
}
