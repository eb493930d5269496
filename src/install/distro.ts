// What Watcher needs to know about each distribution family: package names, the install command,
// where services log, and the local source name in syslog-ng.conf. Pure data.
import type { DistroFamily } from './os-release.js';

export interface DistroFacts {
  /** e.g. "apt-get install" */
  install: string;
  packages: {
    nftables: string;
    ipset: string;
    iptables: string;
    nodejs: string;
    logrotate: string;
  };
  /** log files per module, for the commented examples in the site drop-in */
  logs: { LG: string; MX: string; MB: string; WB: string[] };
  /** the local log source defined by the distribution's syslog-ng.conf */
  syslogNgSource: string;
}

export const DISTROS: Record<DistroFamily, DistroFacts> = {
  debian: {
    install: 'apt-get install',
    packages: { nftables: 'nftables', ipset: 'ipset', iptables: 'iptables', nodejs: 'nodejs', logrotate: 'logrotate' },
    logs: { LG: '/var/log/auth.log', MX: '/var/log/mail.log', MB: '/var/log/mail.log', WB: ['/var/log/nginx/access.log', '/var/log/apache2/access.log'] },
    syslogNgSource: 's_src',
  },
  rhel: {
    install: 'dnf install',
    packages: { nftables: 'nftables', ipset: 'ipset', iptables: 'iptables-nft', nodejs: 'nodejs', logrotate: 'logrotate' },
    logs: { LG: '/var/log/secure', MX: '/var/log/maillog', MB: '/var/log/maillog', WB: ['/var/log/nginx/access.log', '/var/log/httpd/access_log'] },
    syslogNgSource: 's_sys',
  },
  suse: {
    install: 'zypper install',
    packages: { nftables: 'nftables', ipset: 'ipset', iptables: 'iptables', nodejs: 'nodejs20', logrotate: 'logrotate' },
    // SUSE logs to the journal by default; with rsyslog installed these are the files.
    logs: { LG: '/var/log/messages', MX: '/var/log/mail', MB: '/var/log/mail', WB: ['/var/log/nginx/access.log', '/var/log/apache2/access_log'] },
    syslogNgSource: 'src',
  },
  unknown: {
    install: 'install with your package manager:',
    packages: { nftables: 'nftables', ipset: 'ipset', iptables: 'iptables', nodejs: 'nodejs (20 or newer)', logrotate: 'logrotate' },
    logs: { LG: '/var/log/auth.log', MX: '/var/log/mail.log', MB: '/var/log/mail.log', WB: ['/var/log/nginx/access.log'] },
    syslogNgSource: 's_src',
  },
};

const LABEL: Record<DistroFamily, string> = { debian: 'Debian/Ubuntu', rhel: 'RHEL-likes', suse: 'SUSE', unknown: 'other' };

/** How to install packages: this family's command first, then Debian/Ubuntu's and RHEL's. */
export function installHint(family: DistroFamily, pick: (p: DistroFacts['packages']) => string[]): string {
  const families: DistroFamily[] = [...new Set<DistroFamily>([family, 'debian', 'rhel'])].filter((f) => f !== 'unknown');
  return families.map((f) => `${DISTROS[f].install} ${pick(DISTROS[f].packages).join(' ')} (${LABEL[f]})`).join('; ');
}
