// Watcher in the e2e lab: the compiled daemon (daemon.ts) reading the lab's module FIFOs and banning
// through the ipset backend inside the lab's server namespace. The module keys live in ONE function,
// moduleConfigYaml, so they can follow the config schema in one place.
import { writeFileSync } from 'node:fs';
import { daemonDirs, distBuilt, runDaemon, type DaemonDirs, type RunningDaemon } from './daemon.js';
import { asContext, type Scope } from './e2e-scope.js';
import type { E2ELab, ModuleName } from './e2e-lab.js';
import { sleep } from './e2e-proc.js';

/** Why the Watcher e2e tests cannot run here (the compiled daemon is missing), or null. */
export function watcherE2eOff(): string | null {
  return distBuilt();
}

export interface ModuleSource {
  type: 'fifo' | 'file';
  path: string;
  format?: 'syslog' | 'access' | 'weberror' | 'auto';
}

export interface ModuleSpec {
  enabled?: boolean;
  /** MAXAFFAIRS within window */
  limit: number;
  window?: string;
  ban_time?: string;
  /** WB: requests per IP and vhost within window that count as a flood */
  flood?: { requests: number; window: string };
  sources: ModuleSource[];
}

export type ModuleSpecs = Partial<Record<ModuleName, ModuleSpec>>;

/**
 * The `modules:` section of the config drop-in. The lab has no resolver, so DNS classification is
 * off (with it, NXDOMAIN offenders would be banned on their second affair, not at the limit).
 */
export function moduleConfigYaml(modules: ModuleSpecs): string {
  const out = ['modules:'];
  for (const [name, m] of Object.entries(modules) as [ModuleName, ModuleSpec][]) {
    out.push(`  ${name}:`);
    out.push(`    enabled: ${m.enabled ?? true}`);
    out.push(`    limit: ${m.limit}`);
    out.push(`    window: ${m.window ?? '10m'}`);
    out.push(`    ban_time: ${m.ban_time ?? '1h'}`);
    out.push('    dns: false');
    if (m.flood) out.push('    flood:', `      requests: ${m.flood.requests}`, `      window: ${m.flood.window}`);
    out.push('    sources:');
    for (const s of m.sources) {
      out.push(`      - { type: ${s.type}, path: ${JSON.stringify(s.path)}${s.format ? `, format: ${s.format}` : ''} }`);
    }
  }
  return out.join('\n') + '\n';
}

/** The lab's FIFO for a module as its only source. */
export const fifoSource = (lab: E2ELab, m: ModuleName): ModuleSource[] => [{ type: 'fifo', path: lab.fifos[m] }];

export interface RunningWatcher {
  dirs: DaemonDirs;
  daemon: RunningDaemon;
  /** ipset list in the server namespace (what Watcher banned) */
  sets(): string;
  /** addr is banned now: in a set of module m (wt-<m>-4/6), or in any set but the whitelist */
  inSet(addr: string, m?: ModuleName): boolean;
  /** resolves when inSet(addr, m) holds; with the ms it took */
  waitInSet(addr: string, timeoutMs?: number, m?: ModuleName): Promise<number>;
  /**
   * Runs attack rounds from src (one attempt each) until Watcher banned src, at most maxRounds;
   * then waits up to settleMs for the ban. Resolves with the rounds it took. Keeps attacks bounded:
   * tools stop being run as soon as the ban is there (after a DROP they would just hang).
   */
  attackUntilBanned(src: string, m: ModuleName | undefined, maxRounds: number, round: (i: number) => Promise<unknown>, settleMs?: number): Promise<{ rounds: number; ms: number }>;
}

export interface WatcherOptions {
  modules: ModuleSpecs;
  /** addresses Watcher must never ban (whitelist file) */
  whitelist?: string[];
  logLevel?: 'info' | 'debug' | 'trace';
  /** more YAML for the drop-in */
  extraYaml?: string;
}

/**
 * `watcher run --config-dir D --state-dir S --run-dir R` with firewall { backend: ipset, netns: lab
 * server } and the given modules; resolves once the master load is done. Stopped by PID in scope.
 */
export async function startWatcher(scope: Scope, lab: E2ELab, opts: WatcherOptions): Promise<RunningWatcher> {
  const yaml =
    `log_level: ${opts.logLevel ?? 'debug'}\n` +
    `firewall:\n  backend: ipset\n  netns: ${lab.server}\n  verify_interval: 10s\n` +
    moduleConfigYaml(opts.modules) +
    (opts.extraYaml ?? '');
  const dirs = daemonDirs(asContext(scope), yaml);
  writeFileSync(dirs.whitelist, (opts.whitelist ?? []).map((a) => `${a}\n`).join(''));
  writeFileSync(dirs.blacklist, '');
  const daemon = runDaemon(asContext(scope), dirs);
  await daemon.waitFor(/master load done/, 30_000);
  const sets = () => lab.net.inServer('ipset', ['list']);
  const inSet = (addr: string, m?: ModuleName) => {
    const member = new RegExp(`^${addr.replace(/[.:]/g, '\\$&')}(/(32|128))?(\\s|$)`);
    let name = '';
    for (const line of sets().split('\n')) {
      if (line.startsWith('Name: ')) name = line.slice(6).trim();
      else if (member.test(line) && (m ? new RegExp(`-${m}-`).test(name) : !/-wl-/.test(name))) return true;
    }
    return false;
  };
  const w: RunningWatcher = {
    dirs,
    daemon,
    sets,
    inSet,
    async waitInSet(addr, timeoutMs = 30_000, m) {
      const t0 = Date.now();
      while (Date.now() - t0 < timeoutMs) {
        if (inSet(addr, m)) return Date.now() - t0;
        await sleep(100);
      }
      throw new Error(`${addr} not in Watcher's ${m ?? ''} sets after ${timeoutMs} ms:\n${sets()}\n--- watcher output ---\n${daemon.output().slice(-6000)}`);
    },
    async attackUntilBanned(src, m, maxRounds, round, settleMs = 10_000) {
      const t0 = Date.now();
      let rounds = 0;
      while (rounds < maxRounds && !inSet(src, m)) {
        await round(rounds++);
        // The round's log lines still travel through rsyslog, the FIFO and Watcher after the tool
        // returns: give the ban a moment before the next attempt, so rounds count attempts honestly.
        for (const until = Date.now() + 1_000; Date.now() < until && !inSet(src, m); ) await sleep(50);
      }
      await w.waitInSet(src, settleMs, m);
      return { rounds, ms: Date.now() - t0 };
    },
  };
  return w;
}
