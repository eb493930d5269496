// Judges whether a host can run Watcher, from facts gathered elsewhere (pure): a firewall tool set
// with kernel set support, a writable state directory, Node 20+. Names what is missing and the fix.
import { installHint } from './distro.js';
import type { DistroFamily } from './os-release.js';

export interface HostFacts {
  family: DistroFamily;
  /** absolute paths of the tools that were found (nft, ipset, iptables, ip6tables, node, ...) */
  tools: ReadonlySet<string>;
  /** kernel modules present (loaded, built in or installed): nf_tables, ip_set, ip_set_hash_net */
  kernelModules: ReadonlySet<string>;
  /** false when the kernel's module lists could not be read (containers): absence proves nothing */
  kernelListsRead: boolean;
  /** true when the state directory, or the nearest existing parent, is writable */
  stateDirWritable: boolean;
  stateDir: string;
  /** process.versions.node */
  nodeVersion: string;
}

export interface Check {
  name: string;
  /** required: Watcher cannot work without it; advice: something works worse */
  level: 'required' | 'advice';
  ok: boolean;
  detail: string;
  /** what to do when not ok */
  fix?: string;
}

export const MIN_NODE_MAJOR = 20;

export function checkHost(f: HostFacts): Check[] {
  const has = (t: string) => f.tools.has(t);
  const nftTool = has('nft');
  const ipsetTools = has('ipset') && has('iptables') && has('ip6tables');
  const nftKernel = f.kernelModules.has('nf_tables');
  const ipsetKernel = f.kernelModules.has('ip_set') && f.kernelModules.has('ip_set_hash_net');
  const checks: Check[] = [];

  const missingIpset = ['ipset', 'iptables', 'ip6tables'].filter((t) => !has(t));
  checks.push({
    name: 'firewall tools',
    level: 'required',
    ok: nftTool || ipsetTools,
    detail: nftTool || ipsetTools
      ? [ipsetTools ? 'ipset + iptables (preferred: fastest live bans)' : '', nftTool ? 'nft' : ''].filter(Boolean).join(' and ') + ' found'
      : `neither nft nor ipset + iptables found (missing: nft, ${missingIpset.join(', ')})`,
    fix: `${installHint(f.family, (p) => [p.ipset, p.iptables])}, or ${installHint(f.family, (p) => [p.nftables])}`,
  });

  const kernelOk = (nftTool && nftKernel) || (ipsetTools && ipsetKernel) || (!nftTool && !ipsetTools && (nftKernel || ipsetKernel));
  const unknown = !kernelOk && !f.kernelListsRead;
  checks.push({
    name: 'kernel set support',
    level: unknown ? 'advice' : 'required',
    ok: kernelOk,
    detail: kernelOk
      ? [ipsetKernel ? 'ip_set_hash_net' : '', nftKernel ? 'nf_tables' : ''].filter(Boolean).join(' and ') + ' available'
      : unknown
        ? `cannot tell: no module list of the running kernel (a container?); need ${kernelNeeds(nftTool, ipsetTools)} (at start the firewall writer names anything missing)`
        : `the kernel has no module for the installed tools (need ${kernelNeeds(nftTool, ipsetTools)})`,
    fix: 'a stock distribution kernel ships them (Debian: apt-get install linux-image-amd64; RHEL: dnf install kernel-modules); in a container, load them on the host (modprobe ip_set_hash_net nf_tables)',
  });

  checks.push({
    name: 'state directory',
    level: 'required',
    ok: f.stateDirWritable,
    detail: f.stateDirWritable ? `${f.stateDir} is writable` : `${f.stateDir} cannot be created or written`,
    fix: `run watcher prep as root, or make ${f.stateDir} writable (a read-only /var?)`,
  });

  const major = Number(f.nodeVersion.split('.')[0]);
  checks.push({
    name: 'Node.js',
    level: 'required',
    ok: major >= MIN_NODE_MAJOR,
    detail: `Node ${f.nodeVersion}${major >= MIN_NODE_MAJOR ? '' : ` (need ${MIN_NODE_MAJOR} or newer)`}`,
    fix: `${installHint(f.family, (p) => [p.nodejs])} (Node ${MIN_NODE_MAJOR}+; Debian 12 needs NodeSource or a newer release)`,
  });

  checks.push({
    name: 'node on PATH',
    level: 'advice',
    ok: has('node'),
    detail: has('node') ? 'node found in the system directories' : 'no node in /usr/local/bin, /usr/bin, /bin',
    fix: `the commands linked into /usr/local/sbin start "node" from PATH: ${installHint(f.family, (p) => [p.nodejs])}, or ln -s "$(command -v node)" /usr/local/bin/node`,
  });

  checks.push({
    name: 'logrotate',
    level: 'advice',
    ok: has('logrotate'),
    detail: has('logrotate') ? 'logrotate found' : 'logrotate not found: Watcher\'s log files will grow without bound',
    fix: installHint(f.family, (p) => [p.logrotate]),
  });
  return checks;
}

function kernelNeeds(nftTool: boolean, ipsetTools: boolean): string {
  const need: string[] = [];
  if (nftTool || !ipsetTools) need.push('nf_tables');
  if (ipsetTools || !nftTool) need.push('ip_set and ip_set_hash_net');
  return need.join(' or ');
}

export function formatChecks(checks: readonly Check[]): string {
  return checks
    .map((c) => {
      const mark = c.ok ? 'ok     ' : c.level === 'required' ? 'MISSING' : 'advice ';
      return `  ${mark} ${c.name}: ${c.detail}${!c.ok && c.fix ? `\n          fix: ${c.fix}` : ''}`;
    })
    .join('\n');
}
