// The capability set of the unit `watcher prep` installs is enough, and each log-reading capability
// is needed: the daemon runs as root inside a test namespace with exactly the unit's
// CapabilityBoundingSet and no_new_privs (setpriv), reads an auth log owned by another user with
// mode 0600, and bans through each firewall backend; without CAP_DAC_READ_SEARCH it cannot read it.
import test, { type ExecutionContext } from 'ava';
import { spawn } from 'node:child_process';
import { appendFileSync, chmodSync, chownSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { which } from '../../src/adapters/exec.js';
import { parseOsRelease } from '../../src/install/os-release.js';
import { readTemplates } from '../../src/install/package-dir.js';
import { planPrep } from '../../src/install/plan.js';
import { daemonDirs, distBuilt, WATCHER } from '../helpers/daemon.js';
import { createLab, netnsUnavailable, SERVER4 } from '../helpers/netns.js';
import { syslogStamp } from '../helpers/syslog-lines.js';

const PKG = realpathSync(fileURLToPath(new URL('../..', import.meta.url)));
const PORT = 8080;
const ATTACKER = '198.51.100.7';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The CapabilityBoundingSet of the unit prep renders, as setpriv's --bounding-set argument. */
function unitBoundingSet(): { caps: string[]; setpriv: string } {
  const actions = planPrep({
    os: parseOsRelease('ID=debian\n'),
    init: 'systemd',
    node: process.execPath,
    nodeFlags: [],
    packageDir: PKG,
    templates: readTemplates(PKG),
    hostAddresses: [],
    sshClient: null,
    rsyslog: false,
    syslogNg: false,
  });
  const unit = actions.find((a) => a.path === '/etc/systemd/system/watcher.service');
  const text = unit?.kind === 'file' ? unit.content : '';
  const line = text.split('\n').find((l) => l.startsWith('CapabilityBoundingSet='))!;
  if (!text.split('\n').includes('NoNewPrivileges=yes')) throw new Error('the unit no longer sets NoNewPrivileges');
  const caps = line.slice('CapabilityBoundingSet='.length).trim().split(/\s+/);
  return { caps, setpriv: ['-all', ...caps.map((c) => `+${c.replace(/^CAP_/, '').toLowerCase()}`)].join(',') };
}

const stamp = syslogStamp;

/** `watcher run` inside the lab's server namespace with only the given bounding set (killed by PID). */
function confinedDaemon(t: ExecutionContext, ns: string, boundingSet: string, flags: string[]) {
  const proc = spawn(
    which('ip')!,
    ['netns', 'exec', ns, which('setpriv')!, '--bounding-set', boundingSet, '--inh-caps=-all', '--no-new-privs', '--', process.execPath, WATCHER, 'run', ...flags],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  proc.stdout.on('data', (b: Buffer) => (out += b.toString()));
  proc.stderr.on('data', (b: Buffer) => (out += b.toString()));
  t.teardown(() => {
    if (proc.exitCode === null) proc.kill('SIGKILL');
  });
  return {
    output: () => out,
    async waitFor(pattern: RegExp, ms = 30_000) {
      const deadline = Date.now() + ms;
      while (!pattern.test(out)) {
        if (proc.exitCode !== null || Date.now() > deadline) throw new Error(`no ${pattern} (exit ${proc.exitCode}):\n${out}`);
        await sleep(50);
      }
    },
  };
}

async function setUp(t: ExecutionContext, backend: string, boundingSet: string) {
  const lab = createLab(t);
  lab.addPeerAddress(ATTACKER);
  await lab.serve(PORT);
  const dirs = daemonDirs(t, '');
  const log = path.join(dirs.root, 'auth.log');
  writeFileSync(log, '');
  chownSync(log, 65534, 65534); // nobody's file, mode 0600: root reads it only with CAP_DAC_READ_SEARCH
  chmodSync(log, 0o600);
  writeFileSync(dirs.whitelist, '');
  writeFileSync(dirs.blacklist, '');
  appendFileSync(
    path.join(dirs.conf, '50-test.yaml'),
    `firewall:\n  backend: ${backend}\nmodules:\n  LG:\n    enabled: true\n    limit: 3\n    dns: false\n    inject_fifo: false\n    sources:\n      - { type: file, path: ${log} }\n`,
  );
  const d = confinedDaemon(t, lab.server, boundingSet, dirs.flags);
  // A file seen for the first time is followed from its end: append once the module follows it
  // (or, without the capability, failed to open it).
  await d.waitFor(/reading file:|EACCES|permission denied/i);
  appendFileSync(log, `${stamp()} web1 sshd[23796]: Failed password for root from ${ATTACKER} port 4242 ssh2\n`.repeat(3));
  const blockedWithin = async (ms: number) => {
    const deadline = Date.now() + ms;
    for (;;) {
      if ((await lab.connect(ATTACKER, SERVER4, PORT)) === 'blocked') return true;
      if (Date.now() > deadline) return false;
      await sleep(100);
    }
  };
  return { d, blockedWithin, log };
}

const why = netnsUnavailable(['setpriv']) ?? distBuilt();
const unit = unitBoundingSet();

for (const backend of ['nftables', 'ipset'] as const) {
  const missing = why ?? netnsUnavailable(backend === 'ipset' ? ['ipset', 'iptables'] : ['nft']);
  if (missing) {
    console.log(`SKIP unit capability test (${backend}): ${missing}`);
    test.skip(`the unit's capabilities suffice (${backend})`, () => undefined);
    continue;
  }
  test.serial(`the unit's capabilities (${unit.caps.join(' ')}) suffice: read a 0600 log of another user, ban through ${backend}`, async (t) => {
    const { d, blockedWithin } = await setUp(t, backend, unit.setpriv);
    t.true(await blockedWithin(10_000), `banned through ${backend}:\n${d.output()}`);
    t.notRegex(d.output(), /EACCES|EPERM|Operation not permitted/);
  });
}

if (why) test.skip('CAP_DAC_READ_SEARCH is needed', () => undefined);
else {
  test.serial('without CAP_DAC_READ_SEARCH the same log cannot be read and nothing is banned', async (t) => {
    const without = unit.setpriv.split(',').filter((c) => c !== '+dac_read_search').join(',');
    t.not(without, unit.setpriv, 'the unit grants CAP_DAC_READ_SEARCH');
    const { d, blockedWithin, log } = await setUp(t, 'nftables', without);
    t.false(await blockedWithin(2_000), 'no ban from an unreadable log');
    t.true(d.output().includes(`EACCES: permission denied, open '${log}'`), d.output());
    t.regex(readFileSync(log, 'utf8'), /Failed password/, 'the lines were there to read');
  });
}
