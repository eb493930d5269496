// Picks and builds the firewall backend from the configuration: `auto` takes ipset+iptables when
// present (fastest live bans, see docs/ARCHITECTURE.md), else nftables; dry-run when not root.
import { Exec } from '../../src/adapters/exec.js';
import type { WatcherConfig } from '../../src/config/schema.js';
import type { Logger } from '../../src/log.js';
import type { FirewallBackend } from './backend.js';
import { IpsetBackend } from './ipset-backend.js';
import { NftBackend } from './nft-backend.js';
import { DryRunBackend } from './dryrun-backend.js';

export interface BackendChoice {
  backend: FirewallBackend;
  exec: Exec;
  /** why this backend, for the start-up log */
  reason: string;
}

export async function chooseBackend(config: WatcherConfig, log: Logger, journalFile?: string): Promise<BackendChoice> {
  const exec = new Exec(config.firewall.netns === '' ? null : config.firewall.netns);
  const fwLog = (msg: string) => log.info(msg);
  const build = (name: 'ipset' | 'nftables' | 'dry-run'): FirewallBackend => {
    switch (name) {
      case 'ipset':
        return new IpsetBackend(exec, { batchThreshold: config.firewall.batch_threshold, log: fwLog });
      case 'nftables':
        return new NftBackend(exec, { hookPriority: config.firewall.hook_priority, log: fwLog });
      case 'dry-run':
        return new DryRunBackend(journalFile);
    }
  };
  const wanted = config.firewall.backend;
  if (wanted !== 'auto') return { backend: build(wanted), exec, reason: `firewall.backend is ${wanted}` };
  if (process.getuid?.() !== 0) {
    return {
      backend: build('dry-run'),
      exec,
      reason: 'not running as root: DRY RUN, the firewall is not changed (operations are only recorded; run as root for real bans)',
    };
  }
  if ((await exec.has('ipset')) && (await exec.has('iptables'))) {
    return { backend: build('ipset'), exec, reason: 'auto: ipset and iptables are present' };
  }
  if (await exec.has('nft')) return { backend: build('nftables'), exec, reason: 'auto: nft is present (ipset/iptables are not)' };
  // Nothing usable: the ipset backend's probe names exactly what to install; the writer keeps
  // requests queued and probes again with backoff.
  return { backend: build('ipset'), exec, reason: 'auto: neither ipset+iptables nor nft found (apt-get install ipset iptables)' };
}
