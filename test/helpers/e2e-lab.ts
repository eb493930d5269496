// The e2e lab: netns.ts's server + peer namespaces, plus a private "host" inside the server
// namespace (own mount and UTS namespaces: tmpfs /run, private /dev with its own /dev/log, private
// passwd/shadow/group/hosts/nsswitch with a test user, pam.d/sshd with pam_loginuid optional,
// hostname "mail") where a private rsyslog feeds one FIFO per Watcher module, as production would.
// Daemons and tools are stopped by PID; a watchdog removes everything if the test process dies.
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, chownSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createLab, netnsUnavailable, PEER4, SERVER4, SERVER6, type Lab } from './netns.js';
import { asContext, type Scope } from './e2e-scope.js';
import { runProcess, signalPid, sleep, spawnProcess, toolPath, waitGone, type LabProcess, type RunOptions, type RunResult, type SpawnOptions } from './e2e-proc.js';

export { SERVER4, SERVER6, PEER4 };
export const MODULES = ['LG', 'MX', 'MB', 'WB'] as const;
export type ModuleName = (typeof MODULES)[number];

/** The Debian tools each part of the lab needs (commands or absolute paths). */
export const NEEDS = {
  base: ['rsyslogd', 'unshare', 'nsenter', 'openssl', 'ss', 'mkfifo'],
  ssh: ['/usr/sbin/sshd', 'ssh', 'ssh-keygen', 'sshpass', 'hydra'],
  mail: ['/usr/sbin/postfix', '/usr/sbin/dovecot', '/usr/lib/dovecot/imap-login', '/usr/lib/dovecot/pop3-login', 'swaks', 'hydra'],
  mail6: ['/usr/share/perl5/IO/Socket/INET6.pm'],
  web: ['/usr/sbin/nginx', 'curl'],
  watcher: ['ipset', 'iptables', 'ip6tables'],
} as const;

/** Why the e2e lab cannot run here (not root, no netns, a missing package), or null. */
export function e2eUnavailable(...groups: (keyof typeof NEEDS)[]): string | null {
  const why = netnsUnavailable();
  if (why) return why;
  for (const tool of ['base', ...groups].flatMap((g) => NEEDS[g as keyof typeof NEEDS])) {
    if (toolPath(tool) === null) return `${tool} is not installed (scripts/ensure-deps.sh test installs it)`;
  }
  return null;
}

export interface TestUser {
  name: string;
  password: string;
  uid: number;
  home: string;
}

export type SyslogFormat = 'traditional' | 'rfc3339';

export interface LabOptions {
  /** rsyslog's file/FIFO format: Debian 12 classic (default) or RFC 3339 stamps as on Debian 13 */
  syslogFormat?: SyslogFormat;
  /** extra /etc/hosts entries inside the server (gives chosen clients a reverse name) */
  hosts?: Record<string, string>;
}

export interface E2ELab {
  /** the underlying netns.ts lab (connect, inServer, ...) */
  net: Lab;
  server: string;
  peer: string;
  /** root of the lab's files (mode 0755 so the daemons' users can reach their parts) */
  dir: string;
  user: TestUser;
  /** one FIFO per module, fed by the lab's rsyslog (mode 0600) */
  fifos: Record<ModuleName, string>;
  /** rsyslog's plain file copy of every line, for debugging */
  allLog: string;
  syslogFormat: SyslogFormat;
  scope: Scope;
  /** the private rsyslog */
  rsyslog: LabProcess;
  /** PID of the process that holds the private mount/UTS namespaces */
  holderPid: number;
  /** Adds a source address to the peer (idempotent): 198.51.100.x, 203.0.113.x, 2001:db8:1::x. */
  addSource(addr: string): void;
  /** Spawns a long-running daemon on the private host; stopped by PID in scope (default: the lab's). */
  spawnDaemon(name: string, argv: string[], opts?: SpawnOptions, scope?: Scope): LabProcess;
  /** Runs a command to completion on the private host (server namespaces). */
  serverRun(argv: string[], opts?: RunOptions): Promise<RunResult>;
  /** Runs a command to completion in the peer namespace. */
  peerRun(argv: string[], opts?: RunOptions): Promise<RunResult>;
  /**
   * Runs fn while the peer's default source address towards the server is src: for tools that
   * cannot bind a source address (hydra). Serialised per lab.
   */
  withSourceRoute<T>(src: string, fn: () => Promise<T>): Promise<T>;
  /** Resolves when TCP port is listening in the server namespace (all of ports, v4 or v6). */
  waitListening(ports: number[], opts?: { proc?: LabProcess; timeoutMs?: number }): Promise<void>;
  /** The plain log copy (all.log) as text. */
  readAllLog(): string;
  /** Resolves with the all.log lines matching re once there are at least count of them. */
  waitForLog(re: RegExp, opts?: { count?: number; timeoutMs?: number }): Promise<string[]>;
  /** A path as the private host sees it (/run, /dev are private): /proc/HOLDER/root/... */
  hostPath(p: string): string;
}

const TEST_USER = { name: 'alice', password: 'Corr3ct-H0rse-e2e', uid: 2901 };

/** The private-host setup, run by the holder inside fresh mount + UTS namespaces. */
const HOLDER_SCRIPT = `set -eu
D=$1
mount -t tmpfs -o mode=0755,size=64m tmpfs /run
mkdir -p /run/.hostdev /run/sshd
mount --bind /dev /run/.hostdev
mount -t tmpfs -o mode=0755,size=8m tmpfs /dev
for n in null zero full random urandom tty; do : > /dev/$n; mount --bind /run/.hostdev/$n /dev/$n; done
umount /run/.hostdev
rmdir /run/.hostdev
mkdir /dev/pts /dev/shm
mount -t devpts -o newinstance,ptmxmode=0666,mode=0620 devpts /dev/pts
ln -s pts/ptmx /dev/ptmx
mount -t tmpfs -o mode=1777,size=16m tmpfs /dev/shm
ln -s /proc/self/fd /dev/fd
ln -s /proc/self/fd/0 /dev/stdin
ln -s /proc/self/fd/1 /dev/stdout
ln -s /proc/self/fd/2 /dev/stderr
for f in passwd shadow group gshadow hosts nsswitch.conf pam.d/sshd; do mount --bind "$D/etc/$f" "/etc/$f"; done
hostname mail
echo ready
exec sleep infinity
`;

/**
 * Kills everything left in the lab's namespaces (by the PIDs `ip netns pids` lists), deletes the
 * namespaces and the lab dir when the test process dies without running its teardown.
 */
const WATCHDOG_SCRIPT = `parent=$1; dir=$2; shift 2
while kill -0 "$parent" 2>/dev/null; do sleep 1; done
for ns in "$@"; do for p in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$p" 2>/dev/null; done; done
sleep 1
for ns in "$@"; do ip netns del "$ns" 2>/dev/null; done
rm -rf "$dir"
`;

function sh(argv: string[]): string {
  return execFileSync(argv[0]!, argv.slice(1), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

function makeEtc(dir: string, user: TestUser, hosts: Record<string, string>): void {
  const etc = path.join(dir, 'etc');
  mkdirSync(path.join(etc, 'pam.d'), { recursive: true });
  const hash = sh(['openssl', 'passwd', '-6', user.password]).trim();
  const read = (f: string) => (existsSync(`/etc/${f}`) ? readFileSync(`/etc/${f}`, 'utf8') : '');
  const withLine = (text: string, line: string) => (text.endsWith('\n') || text === '' ? text : text + '\n') + line + '\n';
  writeFileSync(path.join(etc, 'passwd'), withLine(read('passwd'), `${user.name}:x:${user.uid}:${user.uid}:e2e test user:${user.home}:/bin/sh`));
  writeFileSync(path.join(etc, 'shadow'), withLine(read('shadow'), `${user.name}:${hash}:19000:0:99999:7:::`), { mode: 0o640 });
  writeFileSync(path.join(etc, 'group'), withLine(read('group'), `${user.name}:x:${user.uid}:`));
  writeFileSync(path.join(etc, 'gshadow'), withLine(read('gshadow'), `${user.name}:!::`), { mode: 0o640 });
  const hostLines = ['127.0.0.1\tlocalhost', '::1\tlocalhost ip6-localhost', `${SERVER4}\tmail.example mail`, `${SERVER6}\tmail.example mail`];
  for (const [ip, name] of Object.entries(hosts)) hostLines.push(`${ip}\t${name}`);
  writeFileSync(path.join(etc, 'hosts'), hostLines.join('\n') + '\n');
  // files only: no resolver is reachable from the lab, and clients without an entry stay "unknown".
  writeFileSync(
    path.join(etc, 'nsswitch.conf'),
    'passwd: files\ngroup: files\nshadow: files\ngshadow: files\nhosts: files\nnetworks: files\nprotocols: db files\nservices: db files\n',
  );
  // pam_loginuid needs the audit subsystem, which this sandbox lacks: optional, as the notes say.
  const pam = existsSync('/etc/pam.d/sshd') ? readFileSync('/etc/pam.d/sshd', 'utf8') : '@include common-auth\n@include common-account\n@include common-session\n';
  writeFileSync(path.join(etc, 'pam.d', 'sshd'), pam.replace(/^session\s+required\s+pam_loginuid\.so/m, 'session    optional     pam_loginuid.so'));
}

function rsyslogConf(dir: string, fifos: Record<ModuleName, string>, allLog: string, format: SyslogFormat): string {
  const tpl = format === 'rfc3339' ? 'RSYSLOG_FileFormat' : 'RSYSLOG_TraditionalFileFormat';
  // Each FIFO action gets its own queue: a missing or slow reader never blocks the other actions,
  // and a reader that attaches later gets the backlog (notes: real-daemons-lab.md).
  const pipe = (m: ModuleName) =>
    `action(type="ompipe" name="fifo_${m}" pipe="${fifos[m]}" template="${tpl}" ` +
    `queue.type="LinkedList" queue.size="100000" action.resumeRetryCount="-1" action.resumeInterval="1")`;
  return `# e2e lab rsyslog: one FIFO per Watcher module, as production would feed Watcher
global(workDirectory="${path.join(dir, 'rsyslog')}" maxMessageSize="64k")
module(load="imuxsock" SysSock.Name="/dev/log" SysSock.RateLimit.Interval="0")

# LG: OpenSSH (sshd-session is what Debian 13's sshd logs as)
if $programname == 'sshd' or $programname == 'sshd-session' then {
  ${pipe('LG')}
}
# MX: everything Postfix logs (postfix/smtpd, postfix/submission/smtpd, ...)
if $programname startswith 'postfix' then {
  ${pipe('MX')}
}
# MB: Dovecot, its PAM lines, and Postfix's SASL warnings
if $programname == 'dovecot' or ($programname == 'auth' and $msg contains 'pam_unix(dovecot:') or ($programname startswith 'postfix' and $msg contains 'SASL') then {
  ${pipe('MB')}
}
# WB: nginx access (tag nginx) and error (tag nginx_error) lines
if $programname startswith 'nginx' then {
  ${pipe('WB')}
}
# plain copy of everything, for debugging
*.* action(type="omfile" file="${allLog}" template="${tpl}")
`;
}

/**
 * Creates the lab: namespaces (netns.ts), the private host with the test user, and its rsyslog
 * with the module FIFOs. Daemons are started with startSshd / startPostfix / ... (e2e-daemons.ts).
 * Everything is stopped by PID and removed in scope's teardown, and by a watchdog if this process dies.
 */
export async function startMailLab(scope: Scope, opts: LabOptions = {}): Promise<E2ELab> {
  const net = createLab(asContext(scope)); // its teardown (registered first) deletes the namespaces last
  const dir = mkdtempSync('/tmp/wte2e-'); // short: unix socket paths live below it
  chmodSync(dir, 0o755);
  scope.teardown(() => rmSync(dir, { recursive: true, force: true }));
  // E2E_LOG_DIR=/some/dir keeps a copy of every lab's all.log (sample lines for rule writers).
  const keep = process.env.E2E_LOG_DIR;
  if (keep) {
    scope.teardown(() => {
      mkdirSync(keep, { recursive: true });
      const src = path.join(dir, 'log', 'all.log');
      if (existsSync(src)) copyFileSync(src, path.join(keep, `${net.server}-all.log`));
    });
  }

  const watchdog = spawn('sh', ['-c', WATCHDOG_SCRIPT, 'e2e-watchdog', String(process.pid), dir, net.server, net.peer], {
    detached: true,
    stdio: 'ignore',
  });
  watchdog.unref();
  // Processes in our namespaces that no daemon stop reached (sshd session children, a tool's forks).
  scope.teardown(async () => {
    for (const ns of [net.server, net.peer]) {
      let pids: string[] = [];
      try {
        pids = sh(['ip', 'netns', 'pids', ns]).split(/\s+/).filter(Boolean);
      } catch {
        /* namespace already gone */
      }
      for (const p of pids) signalPid(Number(p), 'SIGKILL');
      for (const p of pids) await waitGone(Number(p), 2000);
    }
    if (watchdog.pid) signalPid(watchdog.pid, 'SIGKILL');
  });

  const user: TestUser = { ...TEST_USER, home: path.join(dir, 'home', TEST_USER.name) };
  for (const d of ['home', 'log', 'rsyslog', 'tools']) mkdirSync(path.join(dir, d), { mode: 0o755 });
  mkdirSync(path.join(dir, 'fifo'), { mode: 0o700 });
  mkdirSync(user.home, { mode: 0o750 });
  chownSync(user.home, user.uid, user.uid);
  makeEtc(dir, user, opts.hosts ?? {});
  const fifos = Object.fromEntries(MODULES.map((m) => [m, path.join(dir, 'fifo', `${m}.fifo`)])) as Record<ModuleName, string>;
  for (const f of Object.values(fifos)) sh(['mkfifo', '-m', '0600', f]);
  const allLog = path.join(dir, 'log', 'all.log');
  const syslogFormat = opts.syslogFormat ?? 'traditional';

  // The holder: ip netns exec and unshare both exec, so its PID is the final `sleep`'s.
  const holder = spawnProcess('holder', ['ip', 'netns', 'exec', net.server, 'unshare', '--mount', '--uts', '--propagation', 'private', 'sh', '-c', HOLDER_SCRIPT, 'holder', dir]);
  scope.teardown(() => holder.stop(1000));
  {
    const deadline = Date.now() + 10_000;
    while (!holder.output().includes('ready')) {
      if (!holder.running() || Date.now() > deadline) throw new Error(`private host setup failed:\n${holder.output()}`);
      await sleep(20);
    }
  }
  const enter = ['nsenter', `--target=${holder.pid}`, '--mount', '--uts', '--net', '--'];

  const spawnDaemon = (name: string, argv: string[], sopts: SpawnOptions = {}, owner: Scope = scope) => {
    const d = spawnProcess(name, [...enter, ...argv], sopts);
    owner.teardown(() => d.stop());
    return d;
  };

  writeFileSync(path.join(dir, 'rsyslog.conf'), rsyslogConf(dir, fifos, allLog, syslogFormat));
  const rsyslog = spawnDaemon('rsyslogd', ['/usr/sbin/rsyslogd', '-n', '-f', path.join(dir, 'rsyslog.conf'), '-i', path.join(dir, 'rsyslog', 'rsyslogd.pid')]);

  const sources = new Set<string>();
  let routeChain: Promise<unknown> = Promise.resolve();
  const readAllLog = () => (existsSync(allLog) ? readFileSync(allLog, 'utf8') : '');

  const lab: E2ELab = {
    net,
    server: net.server,
    peer: net.peer,
    dir,
    user,
    fifos,
    allLog,
    syslogFormat,
    scope,
    rsyslog,
    holderPid: holder.pid,
    addSource(addr) {
      if (sources.has(addr) || addr === PEER4) return;
      net.addPeerAddress(addr);
      sources.add(addr);
    },
    spawnDaemon,
    serverRun(argv, ropts) {
      return runProcess([...enter, ...argv], ropts);
    },
    peerRun(argv, ropts) {
      return runProcess(['ip', 'netns', 'exec', net.peer, ...argv], ropts);
    },
    withSourceRoute(src, fn) {
      const v6 = src.includes(':');
      const dst = v6 ? `${SERVER6}/128` : `${SERVER4}/32`;
      const fam = v6 ? '-6' : '-4';
      const run = async () => {
        sh(['ip', '-n', net.peer, fam, 'route', 'replace', dst, 'dev', 'eth0', 'src', src]);
        try {
          return await fn();
        } finally {
          try {
            sh(['ip', '-n', net.peer, fam, 'route', 'del', dst]);
          } catch {
            /* namespace gone */
          }
        }
      };
      const p = routeChain.then(run, run);
      routeChain = p.catch(() => undefined);
      return p;
    },
    async waitListening(ports, wopts = {}) {
      const deadline = Date.now() + (wopts.timeoutMs ?? 20_000);
      for (;;) {
        const out = sh(['ip', 'netns', 'exec', net.server, toolPath('ss') ?? 'ss', '-Hltn']);
        const listening = new Set([...out.matchAll(/\s\S+:(\d+)\s/g)].map((m) => Number(m[1])));
        if (ports.every((p) => listening.has(p))) return;
        const p = wopts.proc;
        if (p && !p.running()) throw new Error(`${p.name} exited (${p.proc.exitCode}) before listening on ${ports.join(', ')}:\n${p.output()}\n--- all.log ---\n${readAllLog().slice(-4000)}`);
        if (Date.now() > deadline) throw new Error(`ports ${ports.join(', ')} not listening after ${wopts.timeoutMs ?? 20_000} ms\n${p ? p.output() : ''}\n--- all.log ---\n${readAllLog().slice(-4000)}`);
        await sleep(50);
      }
    },
    readAllLog,
    async waitForLog(re, wopts = {}) {
      const count = wopts.count ?? 1;
      const deadline = Date.now() + (wopts.timeoutMs ?? 10_000);
      const g = new RegExp(re.source, re.flags.replace('g', ''));
      for (;;) {
        const hits = readAllLog().split('\n').filter((l) => g.test(l));
        if (hits.length >= count) return hits;
        if (Date.now() > deadline) throw new Error(`all.log: ${hits.length} of ${count} lines matching ${re}\n--- all.log tail ---\n${readAllLog().slice(-4000)}`);
        await sleep(50);
      }
    },
    hostPath(p) {
      return `/proc/${holder.pid}/root${p}`;
    },
  };
  // rsyslog is ready when its own start line is in the file copy.
  await lab.waitForLog(/rsyslogd.*\] start/, { timeoutMs: 10_000 }).catch((err: Error) => {
    throw new Error(`rsyslogd did not start: ${err.message}\n${rsyslog.output()}`);
  });
  return lab;
}

/** Writes a word list for the attack tools into the lab's tools dir; returns its path. */
export function wordList(lab: E2ELab, name: string, words: string[]): string {
  const p = path.join(lab.dir, 'tools', name);
  writeFileSync(p, words.join('\n') + '\n');
  return p;
}
