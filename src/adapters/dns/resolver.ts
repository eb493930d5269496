// Builds the node:dns Resolver the classifier queries: configured servers (or the system's), one try
// per server and a per-query timeout, so a dead server costs at most that long.
import { Resolver } from 'node:dns/promises';
import { WatcherError } from '../../core/errors.js';

/**
 * servers: "192.0.2.53", "192.0.2.53:5353", "2001:db8::53", "[2001:db8::53]:5353"; empty: /etc/resolv.conf.
 * Throws WatcherError (WATCHER_E_CONFIG) for an address node:dns refuses.
 */
export function createResolver(servers: readonly string[], timeoutMs: number): Resolver {
  const resolver = new Resolver({ timeout: Math.max(1, Math.round(timeoutMs)), tries: 1 });
  if (servers.length > 0) {
    try {
      resolver.setServers([...servers]);
    } catch (e) {
      throw new WatcherError('WATCHER_E_CONFIG', `DNS servers ${servers.join(', ')}: ${(e as Error).message}`, { cause: e });
    }
  }
  return resolver;
}
