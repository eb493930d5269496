// Gathers what prep needs to know about the target system (I/O): everything it reads goes through
// --root (os-release, tools, kernel modules, init system, syslog daemons), except this Node itself
// and the network interfaces, which belong to the running host.
import { accessSync, constants, existsSync, readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SYSTEM_DIRS } from '../adapters/exec.js';
import { parseOsRelease, type OsRelease } from './os-release.js';
import type { HostFacts } from './prereq.js';
import { RSYSLOG_DIR, STATE_DIR, SYSLOG_NG_ETC } from './layout.js';
import { under } from './rooted.js';

const TOOLS = ['nft', 'ipset', 'iptables', 'ip6tables', 'node', 'logrotate'] as const;
const KERNEL_MODULES = ['nf_tables', 'ip_set', 'ip_set_hash_net'] as const;

export function readOsRelease(root: string): OsRelease {
  for (const p of ['/etc/os-release', '/usr/lib/os-release']) {
    try {
      return parseOsRelease(readFileSync(under(root, p), 'utf8'));
    } catch {
      /* next */
    }
  }
  return parseOsRelease('');
}

function executable(p: string): boolean {
  try {
    accessSync(p, constants.X_OK);
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

function toolsUnder(root: string): Set<string> {
  return new Set(TOOLS.filter((t) => SYSTEM_DIRS.some((d) => executable(under(root, path.join(d, t))))));
}

/** A module counts when loaded (/sys/module), built in, or installed for the running kernel. */
function kernelModulesUnder(root: string): { found: Set<string>; listsRead: boolean } {
  const found = new Set<string>();
  const lists: string[] = [];
  for (const base of ['/lib/modules', '/usr/lib/modules']) {
    for (const f of ['modules.builtin', 'modules.dep']) {
      try {
        lists.push(readFileSync(under(root, `${base}/${os.release()}/${f}`), 'utf8'));
      } catch {
        /* not there */
      }
    }
  }
  const names = new Set(
    lists.flatMap((text) => text.split('\n').map((l) => path.basename(l.split(':')[0]!.trim()).replace(/\.ko(\..*)?$/, ''))),
  );
  for (const m of KERNEL_MODULES) {
    if (existsSync(under(root, `/sys/module/${m}`)) || names.has(m) || names.has(m.replace(/_/g, '-'))) found.add(m);
  }
  return { found, listsRead: lists.length > 0 };
}

function writableOrCreatable(p: string): boolean {
  let dir = p;
  for (;;) {
    if (existsSync(dir)) {
      try {
        accessSync(dir, constants.W_OK);
        return statSync(dir).isDirectory();
      } catch {
        return false;
      }
    }
    const parent = path.dirname(dir);
    if (parent === dir) return false;
    dir = parent;
  }
}

export interface TargetFacts {
  os: OsRelease;
  host: HostFacts;
  /** sd_booted(): /run/systemd/system is a directory */
  systemd: boolean;
  rsyslog: boolean;
  syslogNg: boolean;
}

export function gatherFacts(root: string): TargetFacts {
  const osr = readOsRelease(root);
  const isDir = (p: string) => {
    try {
      return statSync(under(root, p)).isDirectory();
    } catch {
      return false;
    }
  };
  const kernel = kernelModulesUnder(root);
  return {
    os: osr,
    host: {
      family: osr.family,
      tools: toolsUnder(root),
      kernelModules: kernel.found,
      kernelListsRead: kernel.listsRead,
      stateDirWritable: writableOrCreatable(under(root, STATE_DIR)),
      stateDir: STATE_DIR,
      nodeVersion: process.versions.node,
    },
    systemd: isDir('/run/systemd/system'),
    rsyslog: isDir(RSYSLOG_DIR),
    syslogNg: isDir(SYSLOG_NG_ETC),
  };
}

/** The running host's interface addresses (not under --root: the root is where files go). */
export function interfaceAddresses(): string[] {
  return Object.values(os.networkInterfaces()).flatMap((l) => (l ?? []).map((a) => a.address));
}
