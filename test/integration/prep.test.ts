// `watcher prep` / `watcher unprep` run for real (the built CLI) against temporary root directories:
// every file written (content, mode, link target), idempotence, --dry-run writing nothing, unprep
// restoring the root except what the admin changed, and the installed files checked by the real
// tools that will read them (systemd-analyze, rsyslogd, syslog-ng, logrotate, sh/bash).
import test, { type ExecutionContext } from 'ava';
import { execFile, spawn } from 'node:child_process';
import { chmodSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { which } from '../../src/adapters/exec.js';
import { loadConfig } from '../../src/config/load.js';
import { distBuilt } from '../helpers/daemon.js';

const PKG = realpathSync(fileURLToPath(new URL('../..', import.meta.url)));
const WATCHER = path.join(PKG, 'bin', 'watcher.js');
const NODE = realpathSync(process.execPath);
const DEBIAN = 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\nVERSION_ID="12"\n';
const ROCKY = 'PRETTY_NAME="Rocky Linux 9.3 (Blue Onyx)"\nID="rocky"\nID_LIKE="rhel centos fedora"\n';
const SSH = { SSH_CONNECTION: '203.0.113.9 51234 192.0.2.1 22' };

interface Run {
  code: number;
  out: string;
}

function prep(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    const clean = { ...process.env };
    delete clean.SSH_CONNECTION;
    delete clean.SSH_CLIENT;
    const p = spawn(NODE, [WATCHER, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...clean, ...env } });
    let out = '';
    p.stdout.on('data', (b: Buffer) => (out += b.toString()));
    p.stderr.on('data', (b: Buffer) => (out += b.toString()));
    p.on('close', (code) => resolve({ code: code ?? 1, out }));
  });
}

function tool(cmd: string, args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, out: stdout + stderr });
    });
  });
}

/** Every path under root with its type, mode, checksum or link target and mtime. */
function snapshot(root: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (rel: string) => {
    const p = path.join(root, rel);
    const st = lstatSync(p);
    const mode = (st.mode & 0o7777).toString(8);
    if (st.isSymbolicLink()) out.set(rel, `link ${readlinkSync(p)}`);
    else if (st.isDirectory()) {
      out.set(rel, `dir ${mode}`);
      for (const n of readdirSync(p)) walk(path.join(rel, n));
    } else {
      out.set(rel, `file ${mode} ${createHash('sha256').update(readFileSync(p)).digest('hex')} ${st.mtimeMs}`);
    }
  };
  walk('.');
  return out;
}

function diff(a: Map<string, string>, b: Map<string, string>): string[] {
  const keys = new Set([...a.keys(), ...b.keys()]);
  return [...keys].filter((k) => a.get(k) !== b.get(k)).sort();
}

/** A target root: os-release, optional systemd marker, syslog daemons' dirs, stub tools and modules. */
function makeRoot(
  t: ExecutionContext,
  o: { osRelease: string; systemd: boolean; rsyslog?: boolean; syslogNg?: boolean; tools?: string[]; modules?: string[]; builtin?: string; dep?: string },
): string {
  const root = mkdtempSync(path.join(os.tmpdir(), 'watcher-prep-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  mkdirSync(path.join(root, 'etc'));
  writeFileSync(path.join(root, 'etc/os-release'), o.osRelease);
  if (o.systemd) mkdirSync(path.join(root, 'run/systemd/system'), { recursive: true });
  if (o.rsyslog) mkdirSync(path.join(root, 'etc/rsyslog.d'));
  if (o.syslogNg) mkdirSync(path.join(root, 'etc/syslog-ng'));
  for (const name of o.tools ?? []) {
    mkdirSync(path.join(root, 'usr/sbin'), { recursive: true });
    writeFileSync(path.join(root, 'usr/sbin', name), '#!/bin/sh\nexit 0\n');
    chmodSync(path.join(root, 'usr/sbin', name), 0o755);
  }
  for (const m of o.modules ?? []) mkdirSync(path.join(root, 'sys/module', m), { recursive: true });
  const lists = path.join(root, 'lib/modules', os.release());
  if (o.builtin !== undefined || o.dep !== undefined) mkdirSync(lists, { recursive: true });
  if (o.builtin !== undefined) writeFileSync(path.join(lists, 'modules.builtin'), o.builtin);
  if (o.dep !== undefined) writeFileSync(path.join(lists, 'modules.dep'), o.dep);
  return root;
}

const read = (root: string, p: string) => readFileSync(path.join(root, p), 'utf8');
const mode = (root: string, p: string) => lstatSync(path.join(root, p)).mode & 0o7777;
const why = distBuilt();

const EXPECTED_NEW: Record<string, string> = {
  'etc/watcher': 'dir 755',
  'etc/watcher/watcher.d': 'dir 755',
  'etc/watcher/rules.d': 'dir 755',
  'etc/watcher/rules.d/LG': 'dir 755',
  'etc/watcher/rules.d/MX': 'dir 755',
  'etc/watcher/rules.d/MB': 'dir 755',
  'etc/watcher/rules.d/WB': 'dir 755',
  'etc/watcher/watcher.d/10-site.yaml': 'file 640',
  'etc/watcher/whitelist': 'file 644',
  'etc/watcher/blacklist': 'file 644',
  'etc/systemd': 'dir 755',
  'etc/systemd/system': 'dir 755',
  'etc/systemd/system/watcher.service': 'file 644',
  'etc/logrotate.d': 'dir 755',
  'etc/logrotate.d/watcher': 'file 644',
  'etc/rsyslog.d/30-watcher.conf': 'file 644',
  'etc/syslog-ng/conf.d': 'dir 755',
  'etc/syslog-ng/conf.d/watcher.conf': 'file 644',
  'usr/local': 'dir 755',
  'usr/local/sbin': 'dir 755',
  'usr/local/sbin/watcher': `link ${WATCHER}`,
  'usr/local/sbin/watcherctl': `link ${PKG}/bin/watcherctl.js`,
  'usr/local/sbin/freeme': `link ${PKG}/bin/watcherctl.js`,
  'usr/local/sbin/LGinjector': `link ${PKG}/bin/watcherctl.js`,
  'usr/local/sbin/MXinjector': `link ${PKG}/bin/watcherctl.js`,
  'usr/local/sbin/MBinjector': `link ${PKG}/bin/watcherctl.js`,
  'usr/local/sbin/WBinjector': `link ${PKG}/bin/watcherctl.js`,
  'var': 'dir 755',
  'var/lib': 'dir 755',
  'var/lib/watcher': 'dir 700',
  'var/lib/watcher/prep-manifest.json': 'file 600',
  'var/log': 'dir 755',
  'var/log/watcher': 'dir 750',
};

if (why) {
  console.log(`SKIP prep tests: ${why}`);
  test.skip('prep', () => undefined);
} else {
  test('prep on systemd Debian: every file, modes, dry run, idempotence, admin edits, unprep and --purge', async (t) => {
    const root = makeRoot(t, {
      osRelease: DEBIAN,
      systemd: true,
      rsyslog: true,
      syslogNg: true,
      tools: ['nft', 'ipset', 'iptables', 'ip6tables', 'node', 'logrotate'],
      // loaded, built in, installed as a compressed module: the three ways a module is there
      modules: ['ip_set'],
      builtin: 'kernel/net/netfilter/nf_tables.ko\n',
      dep: 'kernel/net/netfilter/ipset/ip_set_hash_net.ko.xz: kernel/net/netfilter/ipset/ip_set.ko.xz\n',
    });
    const before = snapshot(root);

    const dry = await prep(['prep', '--root', root, '--dry-run'], SSH);
    t.is(dry.code, 0, dry.out);
    t.regex(dry.out, /would create +\/etc\/systemd\/system\/watcher\.service \(systemd unit\)/);
    t.deepEqual(diff(before, snapshot(root)), [], '--dry-run writes nothing');

    const first = await prep(['prep', '--root', root], SSH);
    t.is(first.code, 0, first.out);
    t.notRegex(first.out, /MISSING/);
    t.regex(first.out, /ok +kernel set support: ip_set_hash_net and nf_tables available/);
    const after = snapshot(root);
    const added = diff(before, after);
    t.deepEqual(added, Object.keys(EXPECTED_NEW).sort(), 'exactly these paths are new');
    for (const [p, want] of Object.entries(EXPECTED_NEW)) t.true(after.get(p)!.startsWith(want), `${p}: ${after.get(p)} is ${want}`);

    // Contents.
    const unit = read(root, 'etc/systemd/system/watcher.service');
    t.regex(unit, new RegExp(`^ExecStart=${NODE} --max-semi-space-size=1 --v8-pool-size=1 --heap-growing-percent=50 ${WATCHER} run --config-dir /etc/watcher/watcher.d$`, 'm'));
    for (const line of ['ExecReload=/bin/kill -HUP $MAINPID', 'Restart=on-failure', 'StartLimitBurst=5', 'NoNewPrivileges=yes', 'ProtectSystem=strict',
      'CapabilityBoundingSet=CAP_NET_ADMIN CAP_NET_RAW CAP_DAC_READ_SEARCH', 'StateDirectory=watcher', 'RuntimeDirectory=watcher', 'LogsDirectory=watcher', 'KillMode=mixed']) {
      t.true(unit.split('\n').includes(line), `unit has ${line}`);
    }
    t.notRegex(unit, /@[A-Z_]+@/, 'no placeholder left');
    const wl = read(root, 'etc/watcher/whitelist');
    t.regex(wl, /^203\.0\.113\.9 +# the SSH session that ran watcher prep$/m);
    const hostAddrs = Object.values(os.networkInterfaces()).flatMap((l) => (l ?? []).filter((a) => !a.internal && !a.address.startsWith('fe80')).map((a) => a.address));
    for (const a of hostAddrs) t.true(wl.includes(`\n${a} `), `whitelist has this host's ${a}`);
    t.notRegex(wl, /^127\.0\.0\.1/m);
    t.is(read(root, 'etc/rsyslog.d/30-watcher.conf'), readFileSync(path.join(PKG, 'conf/rsyslog-watcher.conf'), 'utf8'));
    t.regex(read(root, 'etc/syslog-ng/conf.d/watcher.conf'), /destination d_watcher_MX \{ pipe\("\/run\/watcher\/MX\.fifo" template\(t_watcher\)\); \};/);
    t.regex(read(root, 'etc/logrotate.d/watcher'), /^\/var\/log\/watcher\/\*\.log \/var\/lib\/watcher\/watcher\.log \{$[\s\S]*^\s+copytruncate$/m);
    const cfg = loadConfig({ configDir: path.join(root, 'etc/watcher/watcher.d') });
    t.true(cfg.ok, 'the site drop-in is a valid (all-comment) configuration');
    t.regex(read(root, 'etc/watcher/watcher.d/10-site.yaml'), /path: \/var\/log\/auth\.log/);
    const manifest = JSON.parse(read(root, 'var/lib/watcher/prep-manifest.json')) as { entries: { path: string }[] };
    t.true(manifest.entries.some((e) => e.path === '/etc/systemd/system/watcher.service'));

    // A second run (even from another SSH session) changes nothing, not even an mtime.
    const second = await prep(['prep', '--root', root], { SSH_CONNECTION: '198.51.100.77 1 192.0.2.1 22' });
    t.is(second.code, 0, second.out);
    t.notRegex(second.out, /created|updated/);
    t.deepEqual(diff(after, snapshot(root)), [], 'idempotent');

    // The admin edits the whitelist and the logrotate snippet and adds a drop-in: prep keeps them.
    writeFileSync(path.join(root, 'etc/watcher/whitelist'), `${wl}192.0.2.50  # office\n`);
    writeFileSync(path.join(root, 'etc/logrotate.d/watcher'), read(root, 'etc/logrotate.d/watcher').replace('rotate 8', 'rotate 30'));
    writeFileSync(path.join(root, 'etc/watcher/watcher.d/20-mine.yaml'), 'log_level: debug\n');
    const edited = snapshot(root);
    const third = await prep(['prep', '--root', root]);
    t.regex(third.out, /left alone \(changed since prep wrote it\) \/etc\/logrotate\.d\/watcher/);
    t.deepEqual(diff(edited, snapshot(root)), [], 'edited files are not overwritten');

    const dryUn = await prep(['unprep', '--root', root, '--dry-run']);
    t.is(dryUn.code, 0, dryUn.out);
    t.regex(dryUn.out, /would remove: \/etc\/systemd\/system\/watcher\.service/);
    t.deepEqual(diff(edited, snapshot(root)), [], 'unprep --dry-run removes nothing');

    const un = await prep(['unprep', '--root', root]);
    t.is(un.code, 0, un.out);
    t.regex(un.out, /KEPT: changed since prep wrote it .*: \/etc\/watcher\/whitelist/);
    t.regex(un.out, /KEPT: changed since prep wrote it .*: \/etc\/logrotate\.d\/watcher/);
    t.deepEqual(
      diff(before, snapshot(root)),
      ['etc/logrotate.d', 'etc/logrotate.d/watcher', 'etc/watcher', 'etc/watcher/watcher.d', 'etc/watcher/watcher.d/20-mine.yaml', 'etc/watcher/whitelist',
        'var', 'var/lib', 'var/lib/watcher', 'var/lib/watcher/prep-manifest.json'],
      'only what the admin changed or added stays (and the manifest that lists the kept files)',
    );

    // --purge takes the edited configuration in /etc/watcher, never the edited logrotate snippet
    // nor the admin's own drop-in.
    const purge = await prep(['unprep', '--root', root, '--purge']);
    t.is(purge.code, 0, purge.out);
    t.deepEqual(diff(before, snapshot(root)), ['etc/logrotate.d', 'etc/logrotate.d/watcher', 'etc/watcher', 'etc/watcher/watcher.d', 'etc/watcher/watcher.d/20-mine.yaml',
      'var', 'var/lib', 'var/lib/watcher', 'var/lib/watcher/prep-manifest.json']);
    rmSync(path.join(root, 'etc/logrotate.d/watcher'));
    rmSync(path.join(root, 'etc/watcher/watcher.d/20-mine.yaml'));
    const last = await prep(['unprep', '--root', root]);
    t.is(last.code, 0, last.out);
    t.deepEqual(diff(before, snapshot(root)), [], 'once the admin removed the rest, unprep leaves the root as it was');
  });

  test('prep without systemd on RHEL, nothing installed: SysV script, exit 4 naming each missing piece', async (t) => {
    const root = makeRoot(t, { osRelease: ROCKY, systemd: false, syslogNg: true, dep: 'kernel/fs/ext4/ext4.ko.xz: kernel/lib/crc16.ko.xz\n' });
    const r = await prep(['prep', '--root', root]);
    t.is(r.code, 4, r.out);
    t.regex(r.out, /Rocky Linux 9\.3 \(Blue Onyx\) \(rhel\), sysv/);
    t.regex(r.out, /MISSING firewall tools: neither nft nor ipset \+ iptables found/);
    t.regex(r.out, /fix: dnf install ipset iptables-nft \(RHEL-likes\); apt-get install ipset iptables \(Debian\/Ubuntu\)/);
    t.regex(r.out, /MISSING kernel set support: the kernel has no module for the installed tools \(need nf_tables or ip_set and ip_set_hash_net\)/);
    t.regex(r.out, /no \/etc\/rsyslog\.d: rsyslog snippet not installed/);
    t.is(mode(root, 'etc/init.d/watcher'), 0o755);
    t.throws(() => lstatSync(path.join(root, 'etc/systemd/system/watcher.service')));
    const script = read(root, 'etc/init.d/watcher');
    t.true(script.includes(`NODE=${NODE}\n`) && script.includes(`WATCHER=${WATCHER}\n`));
    t.regex(read(root, 'etc/syslog-ng/conf.d/watcher.conf'), /source\(s_sys\)/);
    t.regex(read(root, 'etc/watcher/watcher.d/10-site.yaml'), /path: \/var\/log\/maillog/);
    for (const sh of ['sh', 'bash']) {
      const check = await tool(which(sh)!, ['-n', path.join(root, 'etc/init.d/watcher')]);
      t.is(check.code, 0, `${sh} -n: ${check.out}`);
    }
    // The script really drives watcher: `status` with nothing running is LSB "not running".
    const st = await tool(which('sh')!, [path.join(root, 'etc/init.d/watcher'), 'status']);
    t.is(st.code, 3, st.out);
    const usage = await tool(which('sh')!, [path.join(root, 'etc/init.d/watcher'), 'bogus']);
    t.is(usage.code, 2);
  });

  test('bad usage: exit 2 with the verb page', async (t) => {
    const r = await prep(['prep', '--init', 'upstart', '--root', '/nonexistent']);
    t.is(r.code, 2);
    t.regex(r.out, /--init must be auto, systemd or sysv/);
    t.regex(r.out, /watcher prep \[--dry-run\]/);
    const u = await prep(['unprep', '--bogus']);
    t.is(u.code, 2, u.out);
    // man-style help: the overview, one verb's page (both spellings), an unknown verb
    const overview = await prep(['--help']);
    t.is(overview.code, 0);
    t.regex(overview.out, /^SYNOPSIS$[\s\S]*^EXAMPLES$/m);
    const page = await prep(['help', 'unprep']);
    t.is(page.code, 0);
    t.regex(page.out, /^watcher unprep \[--dry-run\] \[--purge\]/);
    t.is((await prep(['reload', '--help'])).out, (await prep(['help', 'reload'])).out);
    const unknown = await prep(['help', 'frobnicate']);
    t.is(unknown.code, 2);
    t.regex(unknown.out, /no verb "frobnicate"/);
  });

  test('installed files pass the checks of the tools that read them', async (t) => {
    const root = makeRoot(t, { osRelease: DEBIAN, systemd: true, rsyslog: true, syslogNg: true, tools: ['nft'] });
    const r = await prep(['prep', '--root', root]);
    // No module list (as in a container): the kernel check cannot tell, which is advice, not MISSING.
    t.is(r.code, 0, r.out);
    t.regex(r.out, /advice +kernel set support: cannot tell/);
    const checked: string[] = [];
    const skip = (what: string, reason: string) => console.log(`SKIP ${what}: ${reason}`);

    const analyze = which('systemd-analyze');
    if (analyze === null) skip('systemd-analyze verify', 'systemd-analyze not installed (Debian: apt-get install systemd)');
    else {
      const r = await tool(analyze, ['verify', path.join(root, 'etc/systemd/system/watcher.service')]);
      t.is(r.code, 0, r.out);
      t.notRegex(r.out, /watcher\.service:\d+:/, `no complaint about the unit: ${r.out}`);
      checked.push('systemd-analyze');
    }
    const rsyslogd = which('rsyslogd');
    if (rsyslogd === null) skip('rsyslogd -N1', 'rsyslog not installed');
    else {
      const r = await tool(rsyslogd, ['-N1', '-f', path.join(root, 'etc/rsyslog.d/30-watcher.conf')]);
      t.is(r.code, 0, r.out);
      checked.push('rsyslogd');
    }
    const syslogNg = which('syslog-ng');
    if (syslogNg === null) {
      skip('syslog-ng --syntax-only', 'syslog-ng not installed (on Debian it conflicts with rsyslog, which the e2e tests need)');
    } else {
      // Debian's syslog-ng.conf defines s_src and includes conf.d/*.conf; this stands in for it.
      const main = path.join(root, 'syslog-ng-main.conf');
      writeFileSync(main, `@version: 3.38\n@include "scl.conf"\nsource s_src { system(); internal(); };\n@include "${path.join(root, 'etc/syslog-ng/conf.d/watcher.conf')}"\n`);
      const r = await tool(syslogNg, ['--syntax-only', '-f', main]);
      t.is(r.code, 0, r.out);
      checked.push('syslog-ng');
    }
    const logrotate = which('logrotate');
    if (logrotate === null) skip('logrotate -d', 'logrotate not installed');
    else {
      const r = await tool(logrotate, ['-d', '-s', path.join(root, 'logrotate.state'), path.join(root, 'etc/logrotate.d/watcher')]);
      t.is(r.code, 0, r.out);
      // the glob itself while no log exists yet, else each file it matches (a daemon ran on this host)
      t.regex(r.out, /considering log \/var\/log\/watcher\/(\*|[A-Za-z]+)\.log/);
      t.notRegex(r.out, /error:/);
      checked.push('logrotate');
    }
    t.log(`checked with: ${checked.join(', ') || 'nothing available'}`);
    t.pass();
  });
}

test('an update of Watcher: prep updates the unit, snippets and links it wrote, never configuration', async (t) => {
  const { applyPlan } = await import('../../src/install/apply.js');
  const root = mkdtempSync(path.join(os.tmpdir(), 'watcher-prep-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  const plan = (v: string) => [
    { kind: 'file' as const, path: '/etc/watcher/whitelist', content: `# ${v}\n`, mode: 0o644, role: 'config' as const, what: 'whitelist' },
    { kind: 'file' as const, path: '/etc/systemd/system/watcher.service', content: `# unit ${v}\n`, mode: 0o644, role: 'managed' as const, what: 'unit' },
    { kind: 'symlink' as const, path: '/usr/local/sbin/watcher', target: `/opt/watcher-${v}/bin/watcher.js`, what: 'command' },
  ];
  const outcomes = (r: { steps: { path: string; outcome: string }[] }) => Object.fromEntries(r.steps.map((s) => [s.path, s.outcome]));
  t.deepEqual(Object.values(outcomes(applyPlan(root, plan('v1'), { dryRun: false }))), ['create', 'create', 'create']);
  t.deepEqual(outcomes(applyPlan(root, plan('v2'), { dryRun: true })), {
    '/etc/watcher/whitelist': 'kept-config',
    '/etc/systemd/system/watcher.service': 'update',
    '/usr/local/sbin/watcher': 'update',
  });
  t.is(read(root, 'etc/systemd/system/watcher.service'), '# unit v1\n', 'the dry run wrote nothing');
  applyPlan(root, plan('v2'), { dryRun: false });
  t.is(read(root, 'etc/systemd/system/watcher.service'), '# unit v2\n');
  t.is(readlinkSync(path.join(root, 'usr/local/sbin/watcher')), '/opt/watcher-v2/bin/watcher.js');
  t.is(read(root, 'etc/watcher/whitelist'), '# v1\n');
  // The admin points the command elsewhere: the next update leaves it alone.
  rmSync(path.join(root, 'usr/local/sbin/watcher'));
  symlinkSync('/usr/bin/true', path.join(root, 'usr/local/sbin/watcher'));
  t.is(outcomes(applyPlan(root, plan('v3'), { dryRun: false }))['/usr/local/sbin/watcher'], 'kept-edited');
  t.is(readlinkSync(path.join(root, 'usr/local/sbin/watcher')), '/usr/bin/true');
});
