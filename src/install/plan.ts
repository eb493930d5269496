// Plans what `watcher prep` installs (pure): from the host's facts and the template texts to a list
// of actions (directories, files with content and mode, symlinks). It never touches the disk; the
// executor (apply.ts) does, and --dry-run only prints.
import { DISTROS } from './distro.js';
import * as L from './layout.js';
import type { OsRelease } from './os-release.js';
import { render, shellWord, systemdWord } from './templates.js';

export type Role = 'config' | 'managed';

export type Action =
  | { kind: 'dir'; path: string; mode: number }
  /** config: the admin is meant to edit it (kept on unprep unless --purge); managed: owned by prep */
  | { kind: 'file'; path: string; content: string; mode: number; role: Role; what: string }
  | { kind: 'symlink'; path: string; target: string; what: string };

export type InitSystem = 'systemd' | 'sysv';

export interface Templates {
  service: string;
  sysv: string;
  logrotate: string;
  rsyslog: string;
  syslogNg: string;
}

export interface PlanInput {
  os: OsRelease;
  init: InitSystem;
  /** absolute paths of this installation */
  node: string;
  nodeFlags: readonly string[];
  packageDir: string;
  templates: Templates;
  /** the host's own addresses (no loopback) for the whitelist */
  hostAddresses: readonly string[];
  /** the address the SSH session running prep comes from (SSH_CONNECTION/SSH_CLIENT), if any */
  sshClient: string | null;
  /** whether /etc/rsyslog.d and /etc/syslog-ng/conf.d exist: snippets only for installed daemons */
  rsyslog: boolean;
  syslogNg: boolean;
}

export function planPrep(i: PlanInput): Action[] {
  const watcherJs = `${i.packageDir}/bin/watcher.js`;
  const watcherctlJs = `${i.packageDir}/bin/watcherctl.js`;
  const values: Record<string, string> = {
    EXEC_START: [i.node, ...i.nodeFlags, watcherJs, 'run', '--config-dir', L.DROPIN_DIR].map(systemdWord).join(' '),
    NODE_SH: shellWord(i.node),
    WATCHER_JS_SH: shellWord(watcherJs),
    NODE_FLAGS: i.nodeFlags.map(shellWord).join(' '),
    DOCS_DIR: `${i.packageDir}/docs`,
    STATE_DIR: L.STATE_DIR,
    RUN_DIR: L.RUN_DIR,
    LOG_DIR: L.LOG_DIR,
    SYSLOG_NG_SOURCE: DISTROS[i.os.family].syslogNgSource,
  };
  const actions: Action[] = [
    { kind: 'dir', path: L.CONFIG_DIR, mode: 0o755 },
    { kind: 'dir', path: L.DROPIN_DIR, mode: 0o755 },
    { kind: 'dir', path: L.RULES_DIR, mode: 0o755 },
    ...L.MODULES.map((m): Action => ({ kind: 'dir', path: `${L.RULES_DIR}/${m}`, mode: 0o755 })),
    { kind: 'dir', path: L.STATE_DIR, mode: 0o700 },
    { kind: 'dir', path: L.LOG_DIR, mode: 0o750 },
    { kind: 'file', path: `${L.DROPIN_DIR}/10-site.yaml`, content: siteDropIn(i), mode: 0o640, role: 'config', what: 'site configuration' },
    { kind: 'file', path: `${L.CONFIG_DIR}/whitelist`, content: whitelist(i), mode: 0o644, role: 'config', what: 'whitelist' },
    { kind: 'file', path: `${L.CONFIG_DIR}/blacklist`, content: BLACKLIST, mode: 0o644, role: 'config', what: 'blacklist' },
  ];
  if (i.init === 'systemd') {
    actions.push({ kind: 'file', path: L.SYSTEMD_UNIT, content: render(i.templates.service, values, 'watcher.service'), mode: 0o644, role: 'managed', what: 'systemd unit' });
  } else {
    actions.push({ kind: 'file', path: L.SYSV_SCRIPT, content: render(i.templates.sysv, values, 'watcher.init'), mode: 0o755, role: 'managed', what: 'SysV init script' });
  }
  actions.push({ kind: 'file', path: L.LOGROTATE_FILE, content: render(i.templates.logrotate, values, 'watcher.logrotate'), mode: 0o644, role: 'managed', what: 'logrotate snippet' });
  if (i.rsyslog) {
    actions.push({ kind: 'file', path: L.RSYSLOG_FILE, content: render(i.templates.rsyslog, values, 'rsyslog-watcher.conf'), mode: 0o644, role: 'managed', what: 'rsyslog snippet' });
  }
  if (i.syslogNg) {
    actions.push({ kind: 'file', path: L.SYSLOG_NG_FILE, content: render(i.templates.syslogNg, values, 'syslog-ng-watcher.conf'), mode: 0o644, role: 'managed', what: 'syslog-ng snippet' });
  }
  actions.push({ kind: 'symlink', path: `${L.SBIN_DIR}/watcher`, target: watcherJs, what: 'command' });
  actions.push({ kind: 'symlink', path: `${L.SBIN_DIR}/watcherctl`, target: watcherctlJs, what: 'command' });
  for (const alias of L.ALIASES) {
    actions.push({ kind: 'symlink', path: `${L.SBIN_DIR}/${alias}`, target: watcherctlJs, what: 'alias of watcherctl' });
  }
  return actions;
}

const BLACKLIST = `# Watcher blacklist: addresses and networks that are always dropped (unless whitelisted).
# One IPv4/IPv6 address or CIDR per line; "#" starts a comment anywhere. Apply with
# \`watcher reload\` (or SIGHUP). Written empty by \`watcher prep\`.
`;

function whitelist(i: PlanInput): string {
  const lines = [
    '# Watcher whitelist: addresses and networks that Watcher never drops (the whitelist always wins).',
    '# One IPv4/IPv6 address or CIDR per line; "#" starts a comment anywhere. Apply with `watcher reload`.',
    '# Written by `watcher prep`: this host\'s addresses (also whitelisted at run time by',
    '# lists.host_addresses) and the SSH session that ran prep, so you cannot lock yourself out.',
  ];
  for (const a of i.hostAddresses) lines.push(`${a.padEnd(39)} # this host`);
  if (i.sshClient !== null && !i.hostAddresses.includes(i.sshClient)) {
    lines.push(`${i.sshClient.padEnd(39)} # the SSH session that ran watcher prep`);
  }
  return `${lines.join('\n')}\n`;
}

function siteDropIn(i: PlanInput): string {
  const logs = DISTROS[i.os.family].logs;
  const feed = [i.rsyslog ? `rsyslog (${L.RSYSLOG_FILE})` : '', i.syslogNg ? `syslog-ng (${L.SYSLOG_NG_FILE})` : '']
    .filter(Boolean)
    .join(' or ');
  return `# Watcher site configuration, written by \`watcher prep\` for ${i.os.pretty}.
# Your settings go here or into more *.yaml files in this directory: they are read in lexical order
# after the shipped defaults (${i.packageDir}/conf/watcher.yaml, where every key is documented).
# \`watcher check-config\` validates them; \`watcher reload\` (or systemctl reload watcher) applies them.
#
# Enable the modules for the services this host runs. By default module M reads ${L.RUN_DIR}/M.fifo,
# fed by ${feed || 'rsyslog or syslog-ng (see conf/rsyslog-watcher.conf, conf/syslog-ng-watcher.conf)'}.
# Or let it follow this distribution's log file (uncomment the sources line):
#
# modules:
#   LG:
#     enabled: true
#     # sources: [{ type: file, path: ${logs.LG} }]
#   MX:
#     enabled: true
#     # sources: [{ type: file, path: ${logs.MX} }]
#   MB:
#     enabled: true
#     # sources: [{ type: file, path: ${logs.MB} }]
#   WB:
#     enabled: true
${logs.WB.map((p) => `#     # sources: [{ type: file, path: ${p}, format: access }]`).join('\n')}
#
# Your own addresses, whitelisted like ${L.CONFIG_DIR}/whitelist:
# lists:
#   admin: [203.0.113.7]
`;
}
