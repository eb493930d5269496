// Which addresses prep whitelists (pure): the host's own (no loopback, no link-local) and the client
// of the SSH session running prep, from SSH_CONNECTION or SSH_CLIENT.
import { parseIp } from '../core/ip.js';

/** Canonical text of one address, or null (zone ids, garbage). IPv4-mapped IPv6 becomes IPv4. */
function canonical(token: string): string | null {
  const r = parseIp(token);
  return r.ok && r.ip.prefix === (r.ip.family === 4 ? 32 : 128) ? r.ip.addr : null;
}

export function sshClientAddress(env: Readonly<Record<string, string | undefined>>): string | null {
  for (const v of [env.SSH_CONNECTION, env.SSH_CLIENT]) {
    const first = v?.trim().split(/\s+/)[0];
    if (first) {
      const a = canonical(first);
      if (a !== null) return a;
    }
  }
  return null;
}

/** The host's addresses worth whitelisting, sorted and without duplicates. */
export function whitelistableHostAddresses(addresses: readonly string[]): string[] {
  const out = new Set<string>();
  for (const raw of addresses) {
    const a = canonical(raw);
    if (a === null) continue;
    if (a.startsWith('127.') || a === '::1' || /^fe[89ab]/i.test(a)) continue;
    out.add(a);
  }
  return [...out].sort();
}
