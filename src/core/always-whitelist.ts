// Owns the entries Watcher whitelists whatever the configuration says: loopback, the host's own
// addresses and the configured admin addresses. Pure: the caller reads interfaces and config.
import { EntryCollector } from './aggregate.js';
import type { Location, Problem } from './errors.js';
import type { SetEntries } from './fw-plan.js';
import { formatIp, parseIp } from './ip.js';

/** Loopback for both families: never banned, or a local service could lock the host out of itself. */
export const LOOPBACK: readonly string[] = ['127.0.0.0/8', '::1'];

export interface AlwaysWhitelistInput {
  /** the host's own addresses (e.g. from os.networkInterfaces()); a link-local zone id is dropped */
  hostAddresses: readonly string[];
  /** configured admin addresses or networks */
  adminAddresses: readonly string[];
  /** where the admin addresses were configured, so problems point there (default: "config") */
  adminLocation?: Location;
}

/** Adds the always-whitelisted entries to a collector (e.g. the whitelist file's) and returns problems. */
export function addAlwaysWhitelist(into: EntryCollector, input: AlwaysWhitelistInput): Problem[] {
  const problems: Problem[] = [];
  for (const text of LOOPBACK) {
    const r = parseIp(text);
    if (r.ok) into.add(r.ip);
  }
  for (const raw of input.hostAddresses) {
    // the kernel reports fe80::1%eth0; the address itself is what a packet carries
    const text = raw.trim().replace(/%[^/]*/, '');
    const r = parseIp(text);
    if (!r.ok) {
      problems.push({ code: 'WATCHER_E_CONFIG', message: `host address ignored: ${r.error}` });
    } else if (r.ip.prefix !== (r.ip.family === 4 ? 32 : 128)) {
      // an interface CIDR (192.168.1.5/24) would whitelist the whole LAN: only the address is the host's
      problems.push({ code: 'WATCHER_E_CONFIG', message: `host address ignored: ${JSON.stringify(raw)} is a network, not an address` });
    } else into.add(r.ip);
  }
  const where = input.adminLocation ?? { file: 'config' };
  for (const raw of input.adminAddresses) {
    const r = parseIp(raw.trim());
    if (!r.ok) {
      problems.push({ code: 'WATCHER_E_CONFIG', message: `admin address ignored: ${r.error}`, location: where });
      continue;
    }
    if (r.ip.normalised) {
      problems.push({
        code: 'WATCHER_E_CONFIG',
        message: `admin address ${JSON.stringify(raw)} has host bits set; using ${formatIp(r.ip)}`,
        location: where,
      });
    }
    into.add(r.ip);
  }
  return problems;
}

/** The always-whitelisted entries on their own, aggregated. */
export function buildAlwaysWhitelist(input: AlwaysWhitelistInput): { entries: SetEntries; problems: Problem[] } {
  const c = new EntryCollector();
  const problems = addAlwaysWhitelist(c, input);
  return { entries: c.finish(), problems };
}
