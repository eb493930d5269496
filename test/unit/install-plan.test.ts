// The pure parts of `watcher prep`: os-release families, SSH client and host addresses, the
// prerequisite verdicts with their install hints, template rendering and the install plan.
import test from 'ava';
import { readFileSync } from 'node:fs';
import { sshClientAddress, whitelistableHostAddresses } from '../../src/install/addresses.js';
import { parseOsRelease, type DistroFamily } from '../../src/install/os-release.js';
import { planPrep, type Action, type PlanInput } from '../../src/install/plan.js';
import { checkHost, type HostFacts } from '../../src/install/prereq.js';
import { render, shellWord, systemdWord } from '../../src/install/templates.js';
import { readTemplates } from '../../src/install/package-dir.js';

const OS = {
  debian: 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\nID=debian\n',
  ubuntu: 'NAME="Ubuntu"\nID=ubuntu\nID_LIKE=debian\nPRETTY_NAME="Ubuntu 24.04 LTS"\n',
  rocky: 'NAME="Rocky Linux"\nID="rocky"\nID_LIKE="rhel centos fedora"\nPRETTY_NAME="Rocky Linux 9.3 (Blue Onyx)"\n',
  alma: 'ID="almalinux"\nID_LIKE="rhel centos fedora"\n',
  leap: 'NAME="openSUSE Leap"\nID="opensuse-leap"\nID_LIKE="suse opensuse"\nPRETTY_NAME="openSUSE Leap 15.5"\n',
  sles: 'ID="sles"\nID_LIKE="suse"\n',
  alpine: 'ID=alpine\nPRETTY_NAME="Alpine Linux v3.19"\n',
  empty: '',
};

test('os-release: family from ID and ID_LIKE, quoted values unquoted', (t) => {
  const cases: [keyof typeof OS, DistroFamily, string][] = [
    ['debian', 'debian', 'Debian GNU/Linux 12 (bookworm)'],
    ['ubuntu', 'debian', 'Ubuntu 24.04 LTS'],
    ['rocky', 'rhel', 'Rocky Linux 9.3 (Blue Onyx)'],
    ['alma', 'rhel', 'almalinux'],
    ['leap', 'suse', 'openSUSE Leap 15.5'],
    ['sles', 'suse', 'sles'],
    ['alpine', 'unknown', 'Alpine Linux v3.19'],
    ['empty', 'unknown', 'unknown Linux'],
  ];
  for (const [name, family, pretty] of cases) {
    const r = parseOsRelease(OS[name]);
    t.is(r.family, family, name);
    t.is(r.pretty, pretty, name);
  }
});

test('SSH client: SSH_CONNECTION first, SSH_CLIENT as fallback, canonical text, garbage ignored', (t) => {
  t.is(sshClientAddress({ SSH_CONNECTION: '203.0.113.9 51234 192.0.2.1 22' }), '203.0.113.9');
  t.is(sshClientAddress({ SSH_CLIENT: '2001:DB8::0:7 51234 22' }), '2001:db8::7');
  t.is(sshClientAddress({ SSH_CONNECTION: '::ffff:198.51.100.4 1 ::1 22' }), '198.51.100.4');
  t.is(sshClientAddress({ SSH_CONNECTION: 'junk 1 2 3', SSH_CLIENT: '198.51.100.5 1 22' }), '198.51.100.5');
  t.is(sshClientAddress({ SSH_CONNECTION: '' }), null);
  t.is(sshClientAddress({}), null);
});

test('host addresses: no loopback, no link-local, no zone ids, sorted and unique', (t) => {
  t.deepEqual(
    whitelistableHostAddresses(['127.0.0.1', '::1', 'fe80::1%eth0', 'fe80::1', '192.0.2.2', '2001:db8::2', '192.0.2.2', '198.51.100.1']),
    ['192.0.2.2', '198.51.100.1', '2001:db8::2'],
  );
});

const facts = (over: Partial<HostFacts>): HostFacts => ({
  family: 'debian',
  tools: new Set(),
  kernelModules: new Set(),
  kernelListsRead: true,
  stateDirWritable: true,
  stateDir: '/var/lib/watcher',
  nodeVersion: '20.11.0',
  ...over,
});
const verdict = (f: HostFacts) => Object.fromEntries(checkHost(f).map((c) => [c.name, c]));

test('prerequisites: nft or ipset+iptables, matching kernel modules, state dir, Node 20', (t) => {
  const cases: [string, Partial<HostFacts>, Record<string, boolean>][] = [
    ['nothing', {}, { 'firewall tools': false, 'kernel set support': false }],
    ['nft + nf_tables', { tools: new Set(['nft']), kernelModules: new Set(['nf_tables']) }, { 'firewall tools': true, 'kernel set support': true }],
    ['nft without nf_tables', { tools: new Set(['nft']), kernelModules: new Set(['ip_set', 'ip_set_hash_net']) }, { 'kernel set support': false }],
    ['ipset without ip6tables', { tools: new Set(['ipset', 'iptables']), kernelModules: new Set(['ip_set', 'ip_set_hash_net']) }, { 'firewall tools': false }],
    ['ipset set', { tools: new Set(['ipset', 'iptables', 'ip6tables']), kernelModules: new Set(['ip_set', 'ip_set_hash_net']) }, { 'firewall tools': true, 'kernel set support': true }],
    ['ipset without hash:net', { tools: new Set(['ipset', 'iptables', 'ip6tables']), kernelModules: new Set(['ip_set']) }, { 'kernel set support': false }],
    ['no module lists: cannot tell', { tools: new Set(['nft']), kernelListsRead: false }, { 'kernel set support': false }],
    ['read-only state', { stateDirWritable: false }, { 'state directory': false }],
    ['node 18', { nodeVersion: '18.19.0' }, { 'Node.js': false }],
    ['node 22', { nodeVersion: '22.1.0' }, { 'Node.js': true }],
  ];
  for (const [name, over, expect] of cases) {
    const v = verdict(facts(over));
    for (const [check, ok] of Object.entries(expect)) t.is(v[check]!.ok, ok, `${name}: ${check}`);
  }
});

test('prerequisites name the install commands of this family, Debian/Ubuntu and RHEL-likes', (t) => {
  const deb = verdict(facts({}))['firewall tools']!;
  t.regex(deb.fix!, /apt-get install ipset iptables \(Debian\/Ubuntu\)/);
  t.regex(deb.fix!, /dnf install ipset iptables-nft \(RHEL-likes\)/);
  t.regex(deb.fix!, /apt-get install nftables/);
  const suse = verdict(facts({ family: 'suse' }))['firewall tools']!;
  t.true(suse.fix!.startsWith('zypper install ipset iptables (SUSE)'));
  t.regex(suse.fix!, /apt-get install/);
  t.regex(verdict(facts({ family: 'rhel', nodeVersion: '16.0.0' }))['Node.js']!.fix!, /^dnf install nodejs/);
  t.is(verdict(facts({}))['firewall tools']!.level, 'required');
  t.is(verdict(facts({}))['logrotate']!.level, 'advice');
  const unknown = verdict(facts({ tools: new Set(['nft']), kernelListsRead: false }))['kernel set support']!;
  t.is(unknown.level, 'advice', 'absence in a container proves nothing: not a required failure');
  t.regex(unknown.detail, /^cannot tell: .*need nf_tables/);
  t.is(verdict(facts({ tools: new Set(['nft']) }))['kernel set support']!.level, 'required');
});

test('render: fills placeholders, refuses a placeholder without a value; quoting for systemd and sh', (t) => {
  t.is(render('a @X@ b @X@', { X: '1' }, 't'), 'a 1 b 1');
  t.throws(() => render('a @X@ @Y_2@', { X: '1' }, 'tpl'), { message: 'tpl: no value for @Y_2@' });
  t.is(render('user@example.org', {}, 't'), 'user@example.org', 'a lone @ is not a placeholder');
  t.is(systemdWord('/usr/bin/node'), '/usr/bin/node');
  t.is(systemdWord('/opt/my node/bin/node'), '"/opt/my node/bin/node"');
  t.is(systemdWord('/opt/100%/x'), '"/opt/100%%/x"');
  t.is(shellWord("/opt/it's"), `'/opt/it'\\''s'`);
});

const input = (over: Partial<PlanInput> = {}): PlanInput => ({
  os: parseOsRelease(OS.debian),
  init: 'systemd',
  node: '/usr/bin/node',
  nodeFlags: ['--max-semi-space-size=1', '--v8-pool-size=1', '--heap-growing-percent=50'],
  packageDir: '/opt/watcher',
  templates: readTemplates(new URL('../..', import.meta.url).pathname),
  hostAddresses: ['192.0.2.2'],
  sshClient: '203.0.113.9',
  rsyslog: true,
  syslogNg: false,
  ...over,
});
const byPath = (actions: Action[]) => new Map(actions.map((a) => [a.path, a]));
const content = (a: Action | undefined) => (a?.kind === 'file' ? a.content : '');

test('plan: systemd unit with this installation, or a SysV script; snippets only for installed daemons', (t) => {
  const sd = byPath(planPrep(input()));
  const unit = content(sd.get('/etc/systemd/system/watcher.service'));
  t.regex(unit, /^ExecStart=\/usr\/bin\/node --max-semi-space-size=1 --v8-pool-size=1 --heap-growing-percent=50 \/opt\/watcher\/bin\/watcher\.js run --config-dir \/etc\/watcher\/watcher\.d$/m);
  t.false(sd.has('/etc/init.d/watcher'));
  t.true(sd.has('/etc/rsyslog.d/30-watcher.conf'));
  t.false(sd.has('/etc/syslog-ng/conf.d/watcher.conf'));
  t.is(content(sd.get('/etc/rsyslog.d/30-watcher.conf')), readFileSync(new URL('../../conf/rsyslog-watcher.conf', import.meta.url), 'utf8'));

  const sysv = byPath(planPrep(input({ init: 'sysv', os: parseOsRelease(OS.rocky), rsyslog: false, syslogNg: true, packageDir: "/opt/it's here" })));
  t.false(sysv.has('/etc/systemd/system/watcher.service'));
  const script = sysv.get('/etc/init.d/watcher');
  t.is(script?.kind === 'file' ? script.mode : 0, 0o755);
  t.regex(content(script), /^WATCHER='\/opt\/it'\\''s here\/bin\/watcher\.js'$/m);
  t.false(sysv.has('/etc/rsyslog.d/30-watcher.conf'));
  t.regex(content(sysv.get('/etc/syslog-ng/conf.d/watcher.conf')), /log \{ source\(s_sys\); filter\(f_watcher_LG\)/, 'RHEL names its source s_sys');
  t.regex(content(sysv.get('/etc/watcher/watcher.d/10-site.yaml')), /path: \/var\/log\/secure/, 'RHEL log paths');
  const leap = byPath(planPrep(input({ os: parseOsRelease(OS.leap), syslogNg: true })));
  t.regex(content(leap.get('/etc/syslog-ng/conf.d/watcher.conf')), /source\(src\)/);
});

test('plan: whitelist holds the host and the SSH client once; aliases point at watcherctl', (t) => {
  const p = byPath(planPrep(input({ hostAddresses: ['192.0.2.2', '2001:db8::2'], sshClient: '192.0.2.2' })));
  const wl = content(p.get('/etc/watcher/whitelist'));
  t.regex(wl, /^192\.0\.2\.2 +# this host$/m);
  t.regex(wl, /^2001:db8::2 +# this host$/m);
  t.notRegex(wl, /SSH session that ran watcher prep$/m, 'the SSH client is already listed as this host');
  t.regex(content(byPath(planPrep(input())).get('/etc/watcher/whitelist')), /^203\.0\.113\.9 +# the SSH session that ran watcher prep$/m);
  for (const alias of ['freeme', 'LGinjector', 'MXinjector', 'MBinjector', 'WBinjector', 'watcherctl']) {
    const a = p.get(`/usr/local/sbin/${alias}`);
    t.is(a?.kind === 'symlink' ? a.target : '', '/opt/watcher/bin/watcherctl.js', alias);
  }
  const w = p.get('/usr/local/sbin/watcher');
  t.is(w?.kind === 'symlink' ? w.target : '', '/opt/watcher/bin/watcher.js');
});

test('help: every verb in the overview has its own page, and each page starts with its synopsis', async (t) => {
  const { HELP, VERB_HELP } = await import('../../src/cli/help.js');
  const verbsSection = HELP.slice(HELP.indexOf('VERBS\n'), HELP.indexOf('\nOPTIONS\n'));
  const verbs = [...verbsSection.matchAll(/^  ([a-z-]+)/gm)].map((m) => m[1]!);
  t.true(verbs.length >= 10, verbs.join(' '));
  t.deepEqual(Object.keys(VERB_HELP).sort(), [...verbs].sort());
  for (const v of verbs) t.true(VERB_HELP[v]!.startsWith(`watcher ${v}`), v);
});
