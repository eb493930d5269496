// Config loading: shipped defaults, drop-in merging and order, list path resolution, overrides,
// freezing, and every problem of every file reported at once with the file:line that set it.
import test, { type ExecutionContext } from 'ava';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatProblems, loadConfig, OVERRIDES_SOURCE, type LoadOptions } from '../../src/config/load.js';
import type { ConfigOverrides, WatcherConfig } from '../../src/config/schema.js';
import type { Problem } from '../../src/core/errors.js';

const SHIPPED = fileURLToPath(new URL('../../conf/watcher.yaml', import.meta.url));

/** A temp directory with these files (name -> content; a name ending in / is a directory), removed after the test. */
function tempDir(t: ExecutionContext, files: Record<string, string> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'watcher-config-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  for (const [name, content] of Object.entries(files)) {
    if (name.endsWith('/')) mkdirSync(join(dir, name), { recursive: true });
    else writeFileSync(join(dir, name), content);
  }
  return dir;
}

/** Loads with the shipped defaults and these drop-ins; fails the test on problems. */
function load(t: ExecutionContext, files: Record<string, string>, opts: LoadOptions = {}): { config: WatcherConfig; sources: string[]; dir: string } {
  const dir = tempDir(t, files);
  const result = loadConfig({ configDir: dir, ...opts });
  if (!result.ok) throw new Error(`unexpected problems:\n${formatProblems(result.problems)}`);
  return { config: result.config, sources: result.sources, dir };
}

/** Loads expecting failure; problems as "basename:line" and message. */
function problemsOf(t: ExecutionContext, files: Record<string, string>, opts: LoadOptions = {}): { where: string; message: string; problem: Problem }[] {
  const dir = tempDir(t, files);
  const result = loadConfig({ configDir: dir, ...opts });
  if (result.ok) throw new Error('expected problems, config loaded');
  return result.problems.map((problem) => {
    const loc = problem.location;
    const file = loc?.file === OVERRIDES_SOURCE ? OVERRIDES_SOURCE : basename(loc?.file ?? '?');
    return { where: loc?.line !== undefined ? `${file}:${loc.line}` : file, message: problem.message, problem };
  });
}

// The shipped defaults, as the daemon sees them. A change here is a change of behaviour for every site.
/** A module as shipped: disabled, with the documented policy and its FIFO source. */
function shippedModule(limit: number, flood: number, sources: object[]) {
  return {
    enabled: false,
    limit,
    window: 3_600_000,
    ban_time: 3_600_000,
    ban_factor: 2,
    ban_max: 30 * 86_400_000,
    permanent_after: 0,
    dns: true,
    subnet: { enabled: false, v4_prefix: 24, v6_prefix: 64, threshold: 3, window: 86_400_000 },
    flood: { requests: flood, window: 10_000 },
    inject_fifo: true,
    sources,
  };
}

const SHIPPED_CONFIG = {
  state_dir: '/var/lib/watcher',
  run_dir: '/run/watcher',
  log_level: 'info',
  log_dir: '/var/log/watcher',
  firewall: {
    backend: 'auto',
    netns: '',
    keep_on_stop: true,
    verify_interval: 60_000,
    retry_initial: 1_000,
    retry_max: 30_000,
    hook_priority: -10,
    batch_threshold: 64,
  },
  lists: { whitelist: '/etc/watcher/whitelist', blacklist: '/etc/watcher/blacklist', admin: [], host_addresses: true },
  supervisor: {
    intensity: 5,
    period: 60_000,
    backoff_initial: 1_000,
    backoff_max: 30_000,
    backoff_reset: 60_000,
    shutdown_timeout: 10_000,
  },
  modules: {
    LG: shippedModule(5, 0, [{ type: 'fifo', path: '/run/watcher/LG.fifo' }]),
    MX: shippedModule(5, 0, [{ type: 'fifo', path: '/run/watcher/MX.fifo' }]),
    MB: shippedModule(5, 0, [{ type: 'fifo', path: '/run/watcher/MB.fifo' }]),
    WB: shippedModule(10, 300, [{ type: 'fifo', path: '/run/watcher/WB.fifo', format: 'auto' }]),
  },
  rules: { shipped_dir: '', local_dir: '/etc/watcher/rules.d' },
  dns: { servers: [], timeout: 2_000, concurrency: 16, cache_size: 100_000, positive_ttl: 3_600_000, negative_ttl: 900_000 },
  dynloaders: {},
  expiry: {
    interval: 60_000,
    affairs_retention: 7 * 86_400_000,
    offenders_retention: 30 * 86_400_000,
    vacuum_interval: 86_400_000,
    ban_spread: 10,
    ban_spread_max: 300_000,
  },
  control: { socket: '/run/watcher/watcher.sock', group: '' },
  metrics: { enabled: false, listen: { host: '127.0.0.1', port: 9797 } },
  reports: { schedule: 'off', at: '06:00', mail_to: [], sendmail: '/usr/sbin/sendmail', dir: '' },
};

test('shipped defaults load, validate and have the documented values', (t) => {
  const dir = join(tempDir(t), 'watcher.d'); // does not exist: a missing drop-in directory is fine
  const result = loadConfig({ configDir: dir });
  if (!result.ok) return t.fail(formatProblems(result.problems));
  t.deepEqual(result.config, SHIPPED_CONFIG);
  t.deepEqual(result.sources, [SHIPPED]);
});

// The schema has no defaults: each key the shipped file sets must be there, or loading fails.
const shippedLines = readFileSync(SHIPPED, 'utf8').split('\n');
const requiredLeaves = ['state_dir', 'log_level', 'log_dir', 'listen', 'netns', 'verify_interval', 'hook_priority', 'admin', 'host_addresses', 'shutdown_timeout'];
for (const key of requiredLeaves) {
  test(`a shipped defaults file without "${key}" is refused`, (t) => {
    const index = shippedLines.findIndex((l) => new RegExp(`^\\s*${key}:`).test(l));
    t.not(index, -1);
    const broken = shippedLines.filter((_, i) => i !== index).join('\n');
    const dir = tempDir(t, { 'defaults.yaml': broken });
    const result = loadConfig({ configDir: join(dir, 'none'), defaultsFile: join(dir, 'defaults.yaml') });
    if (result.ok) return t.fail('loaded without the key');
    t.is(result.problems.length, 1);
    t.regex(result.problems[0]!.message, new RegExp(`missing setting ".*${key}"`));
    t.is(result.problems[0]!.location?.file, join(dir, 'defaults.yaml'));
  });
}

test('retention shorter than the window of a disabled module is fine: only enabled modules count', (t) => {
  const { config } = load(t, { '10-a.yaml': 'modules:\n  MB: { window: 2d }\nexpiry:\n  affairs_retention: 1d\n  ban_spread: 0\n' });
  t.is(config.expiry.affairs_retention, 86_400_000);
  t.is(config.expiry.ban_spread, 0);
});

test('a drop-in replaces a scalar and a list and merges maps key by key', (t) => {
  const { config, sources, dir } = load(t, {
    '50-site.yaml': [
      'log_level: debug',
      'firewall:',
      '  backend: nftables',
      'lists:',
      '  admin: [203.0.113.7, "2001:db8::/32"]',
      'modules:',
      '  MX: { enabled: true }',
      'dynloaders:',
      '  spamhaus-drop: { enabled: true, kind: spamhaus-drop, url: "https://www.spamhaus.org/drop/drop_v4.json" }',
    ].join('\n'),
  });
  t.is(config.log_level, 'debug');
  t.deepEqual(config.firewall, { ...SHIPPED_CONFIG.firewall, backend: 'nftables' });
  t.deepEqual(config.lists.admin, ['203.0.113.7', '2001:db8::/32']);
  t.is(config.lists.host_addresses, true);
  t.deepEqual(config.modules, { ...SHIPPED_CONFIG.modules, MX: { ...SHIPPED_CONFIG.modules.MX, enabled: true } });
  t.like(config.dynloaders['spamhaus-drop'], {
    enabled: true,
    kind: 'spamhaus-drop',
    url: 'https://www.spamhaus.org/drop/drop_v4.json',
    format: 'auto',
    column: 1,
    min_prefix_v4: 8,
    min_prefix_v6: 19,
  });
  t.deepEqual(sources, [SHIPPED, join(dir, '50-site.yaml')]);
});

test('drop-ins apply in lexical order: later files win, lists are replaced whole', (t) => {
  // Written in the opposite order, so directory order cannot pass for lexical order.
  const { config, sources, dir } = load(t, {
    '20-local.yml': 'log_level: trace\nlists:\n  admin: [10.0.0.2]\ndynloaders:\n  b: { enabled: false, file: /b.list }\n',
    '10-site.yaml': 'log_level: debug\nstate_dir: /srv/watcher\nlists:\n  admin: [10.0.0.1, 10.0.0.3]\ndynloaders:\n  a: { enabled: true, file: /a.list }\n',
  });
  t.is(config.log_level, 'trace');
  t.is(config.state_dir, '/srv/watcher');
  t.deepEqual(config.lists.admin, ['10.0.0.2']);
  t.deepEqual(Object.keys(config.dynloaders).sort(), ['a', 'b']);
  t.is(config.dynloaders['a']!.enabled, true);
  t.is(config.dynloaders['b']!.enabled, false);
  t.deepEqual(sources, [SHIPPED, join(dir, '10-site.yaml'), join(dir, '20-local.yml')]);
});

test('files that are not *.yaml or *.yml, dotfiles and directories in the drop-in directory are ignored', (t) => {
  const { config, sources, dir } = load(t, {
    'README': 'this is not yaml: [',
    '10-site.yaml.bak': 'log_level: [',
    '10-site.yaml~': 'log_level: [',
    'site.conf': 'log_level: [',
    '.10-site.yaml.swp': 'log_level: [',
    '.hidden.yaml': 'log_level: [',
    'sub.yaml/': '',
    '30-real.yaml': 'log_level: warn\n',
    '40-empty.yaml': '# only a comment\n',
  });
  t.is(config.log_level, 'warn');
  t.deepEqual(sources, [SHIPPED, join(dir, '30-real.yaml'), join(dir, '40-empty.yaml')]);
});

test('a value made invalid by one file and fixed by a later one is fine: validation runs once, after merging', (t) => {
  const { config } = load(t, { '10-a.yaml': 'firewall:\n  backend: iptables\n', '20-b.yaml': 'firewall:\n  backend: ipset\n' });
  t.is(config.firewall.backend, 'ipset');
});

test('every problem of every file is reported at once, with the file:line that set it', (t) => {
  const found = problemsOf(t, {
    '10-a.yaml': [
      'colour: blue', //                                   1 unknown key, top level
      'firewall:', //                                      2
      '  backend: iptables', //                            3 bad enum
      '  keep_on_stop: "yes"', //                          4 wrong type
      '  verify_interval: 5 minutes', //                   5 bad duration
      '  hook_prio: 5', //                                 6 unknown key, nested
      'lists:', //                                         7
      '  admin:', //                                       8
      '    - 10.0.0.1', //                                 9
      '    - 42', //                                      10 wrong type in a list
      'supervisor:', //                                   11
      '  intensity: 0', //                                12 out of range
      '  period: 0', //                                   13 zero duration
      'dynloaders:', //                                   14
      '  "bad name!": { enabled: true }', //              15 bad map key
      '  ok: { enabled: true, file: /x, urll: x }', //    16 unknown key in a dynloader
    ].join('\n'),
    '20-b.yaml': 'log_level: info\nfirewall:\n  backend: [auto\n', // syntax error, reported where the parser stops
    '30-c.yaml': 'modules:\n  LG:\n    enabled: 1\n  XX: { enabled: true }\nfirewall:\n  hook_priority: 1000\n',
    '40-d.yml': 'log_level: info\nlog_level: debug\n', // duplicate key
    '50-e.yaml': '- just\n- a list\n',
  });
  const expected: [string, RegExp][] = [
    ['10-a.yaml:1', /unknown setting "colour"/],
    ['10-a.yaml:3', /firewall\.backend: expected one of auto, ipset, nftables, dry-run, got "iptables"/],
    ['10-a.yaml:4', /firewall\.keep_on_stop: expected true or false, got "yes"/],
    ['10-a.yaml:5', /firewall\.verify_interval: "5 minutes" is not a duration/],
    ['10-a.yaml:6', /unknown setting "firewall\.hook_prio"/],
    ['10-a.yaml:10', /lists\.admin\[1\]: expected text, got 42/],
    ['10-a.yaml:12', /supervisor\.intensity: must be at least 1, got 0/],
    ['10-a.yaml:13', /supervisor\.period: must be longer than zero/],
    ['10-a.yaml:15', /"dynloaders\.bad name!": dynloader names are 1-20 letters/],
    ['10-a.yaml:16', /unknown setting "dynloaders\.ok\.urll"/],
    ['20-b.yaml:4', /YAML syntax: .*end with a \]/],
    ['30-c.yaml:3', /modules\.LG\.enabled: expected true or false, got 1/],
    ['30-c.yaml:4', /unknown setting "modules\.XX"/],
    ['30-c.yaml:6', /firewall\.hook_priority: must be at most 400, got 1000/],
    ['40-d.yml:2', /YAML syntax: Map keys must be unique/],
    ['50-e.yaml:1', /top level of a config file must be a map/],
  ];
  t.deepEqual(
    found.map((p) => p.where),
    expected.map(([where]) => where),
    formatProblems(found.map((p) => p.problem)),
  );
  for (const [i, [where, message]] of expected.entries()) t.regex(found[i]!.message, message, where);
  t.true(found.every((p) => p.problem.code === 'WATCHER_E_CONFIG'));
});

// Each case: drop-ins (and overrides), then the one problem expected and where.
const singleProblems: { title: string; files: Record<string, string>; overrides?: ConfigOverrides; where: string; message: RegExp }[] = [
  {
    title: 'an unknown key set in two files is reported where it was last set',
    files: { '10-a.yaml': 'colour: red\n', '20-b.yaml': '\n\ncolour: blue\n' },
    where: '20-b.yaml:3',
    message: /unknown setting "colour"/,
  },
  {
    title: 'a value is reported in the drop-in that set it, not in the defaults',
    files: { '10-a.yaml': '# site\nfirewall:\n  hook_priority: -500\n' },
    where: '10-a.yaml:3',
    message: /firewall\.hook_priority: must be at least -400/,
  },
  {
    title: 'a map replaced by a scalar is a wrong type at the replacing line',
    files: { '10-a.yaml': 'state_dir: /srv\nfirewall: nftables\n' },
    where: '10-a.yaml:2',
    message: /firewall: expected a map, got "nftables"/,
  },
  {
    title: 'a bare key is null, not an empty string',
    files: { '10-a.yaml': 'control:\n  socket:\n' },
    where: '10-a.yaml:2',
    message: /control\.socket: expected text, got nothing \(null\)/,
  },
  {
    title: 'an empty path is refused',
    files: { '10-a.yaml': 'lists:\n  whitelist: ""\n' },
    where: '10-a.yaml:2',
    message: /lists\.whitelist: must be a non-empty path/,
  },
  {
    title: 'retry_initial longer than retry_max is refused where retry_initial was set',
    files: { '10-a.yaml': 'firewall:\n  retry_initial: 1m\n' },
    where: '10-a.yaml:2',
    message: /firewall\.retry_initial: must not be longer than retry_max/,
  },
  {
    title: 'a duration too long for a timer is refused',
    files: { '10-a.yaml': 'supervisor:\n  backoff_reset: 4w\n' },
    where: '10-a.yaml:2',
    message: /supervisor\.backoff_reset: "4w" is too long/,
  },
  {
    title: 'a __proto__ key is an unknown key, not a prototype',
    files: { '10-a.yaml': 'firewall:\n  __proto__: { backend: nftables }\n' },
    where: '10-a.yaml:2',
    message: /unknown setting "firewall\.__proto__"/,
  },
  {
    title: 'a second YAML document in one file is a syntax error',
    files: { '10-a.yaml': 'log_level: info\n---\nlog_level: debug\n' },
    where: '10-a.yaml:2',
    message: /one YAML document/,
  },
  {
    title: 'affairs kept for less than an enabled module\'s window are refused where the retention was set',
    files: { '10-a.yaml': 'modules:\n  MB: { enabled: true, window: 2d }\n', '20-b.yaml': 'expiry:\n  affairs_retention: 1d\n' },
    where: '20-b.yaml:2',
    message: /expiry\.affairs_retention: must not be shorter than the window of module MB \(172800s\)/,
  },
  {
    title: 'a ban spread above 100 percent is refused',
    files: { '10-a.yaml': 'expiry:\n  ban_spread: 150\n' },
    where: '10-a.yaml:2',
    message: /expiry\.ban_spread: must be at most 100/,
  },
  {
    title: 'a bad override is reported against the command line',
    files: {},
    overrides: { state_dir: '', firewall: { backend: 'auto' } },
    where: OVERRIDES_SOURCE,
    message: /state_dir: must be a non-empty path/,
  },
];

for (const c of singleProblems) {
  test(c.title, (t) => {
    const found = problemsOf(t, c.files, c.overrides ? { overrides: c.overrides } : {});
    t.is(found.length, 1, formatProblems(found.map((p) => p.problem)));
    t.is(found[0]!.where, c.where);
    t.regex(found[0]!.message, c.message);
  });
}

test('a syntax error hides no other file problems, and no "missing setting" noise from the skipped file', (t) => {
  const found = problemsOf(t, {
    '10-a.yaml': 'firewall:\n  backend: [\n',
    '20-b.yaml': 'log_level: loud\n',
  });
  t.deepEqual(found.map((p) => p.where), ['10-a.yaml:3', '20-b.yaml:1']);
});

test('an unreadable drop-in directory is a problem, not silence', (t) => {
  const dir = tempDir(t, { 'not-a-dir': 'x' });
  const result = loadConfig({ configDir: join(dir, 'not-a-dir') });
  if (result.ok) return t.fail('loaded');
  t.is(result.problems.length, 1);
  t.is(result.problems[0]!.code, 'WATCHER_E_IO');
  t.is(result.problems[0]!.location?.file, join(dir, 'not-a-dir'));
});

test('a missing defaults file is a problem', (t) => {
  const dir = tempDir(t);
  const result = loadConfig({ configDir: dir, defaultsFile: join(dir, 'nope.yaml') });
  if (result.ok) return t.fail('loaded');
  t.regex(formatProblems(result.problems), /nope\.yaml: cannot read config file/);
});

test('relative list paths are resolved against the directory of the file that set them', (t) => {
  const site = tempDir(t, { 'defaults.yaml': readFileSync(SHIPPED, 'utf8').replace('whitelist: /etc/watcher/whitelist', 'whitelist: lists/white') });
  const { config, dir } = load(
    t,
    { '10-a.yaml': 'lists:\n  blacklist: ../black.txt\n', '20-b.yaml': 'lists:\n  admin: [10.0.0.1]\n' },
    { defaultsFile: join(site, 'defaults.yaml') },
  );
  t.is(config.lists.whitelist, join(site, 'lists', 'white'));
  t.is(config.lists.blacklist, join(dir, '..', 'black.txt'));
  t.deepEqual(config.lists.admin, ['10.0.0.1']);
});

test('absolute list paths stay as written, relative overrides resolve against the working directory', (t) => {
  const { config } = load(t, { '10-a.yaml': 'lists:\n  whitelist: /srv/white\n' }, { overrides: { lists: { blacklist: 'black' } } });
  t.is(config.lists.whitelist, '/srv/white');
  t.is(config.lists.blacklist, join(process.cwd(), 'black'));
});

test('overrides win over every file; undefined overrides nothing', (t) => {
  const { config } = load(
    t,
    { '10-a.yaml': 'state_dir: /srv/a\nfirewall:\n  backend: nftables\n  netns: lab\n' },
    { overrides: { state_dir: '/tmp/state', firewall: { backend: 'dry-run', netns: undefined }, log_level: undefined } },
  );
  t.is(config.state_dir, '/tmp/state');
  t.is(config.firewall.backend, 'dry-run');
  t.is(config.firewall.netns, 'lab');
  t.is(config.log_level, 'info');
  t.is(config.firewall.verify_interval, 60_000);
});

test('the config is deeply frozen', (t) => {
  const { config } = load(t, { '10-a.yaml': 'lists:\n  admin: [10.0.0.1]\ndynloaders:\n  x: { enabled: true, command: [cat, /x] }\n' });
  t.true(Object.isFrozen(config.dynloaders.x!.command));
  for (const part of [config, config.firewall, config.lists, config.lists.admin, config.modules, config.modules.LG, config.dynloaders, config.dynloaders.x]) {
    t.true(Object.isFrozen(part));
  }
  t.throws(() => {
    (config.firewall as { backend: string }).backend = 'nftables';
  }, { instanceOf: TypeError });
  t.throws(() => {
    (config.lists.admin as string[]).push('10.0.0.2');
  }, { instanceOf: TypeError });
});

test('formatProblems writes one "file:line: message" line per problem', (t) => {
  const text = formatProblems([
    { code: 'WATCHER_E_CONFIG', message: 'unknown setting "x"', location: { file: '/etc/watcher/watcher.d/a.yaml', line: 3 } },
    { code: 'WATCHER_E_CONFIG', message: 'state_dir: must be a non-empty path', location: { file: OVERRIDES_SOURCE } },
  ]);
  t.deepEqual(text.split('\n'), [
    '/etc/watcher/watcher.d/a.yaml:3: unknown setting "x" (WATCHER_E_CONFIG)',
    `${OVERRIDES_SOURCE}: state_dir: must be a non-empty path (WATCHER_E_CONFIG)`,
  ]);
});

test('a dynloader takes its documented defaults and needs exactly one source', (t) => {
  const { config } = load(t, { '10-a.yaml': 'dynloaders:\n  nix: { enabled: true, kind: nixspam, url: "https://x.example/nix.gz", interval: 15m }\n' });
  t.like(config.dynloaders['nix'], { kind: 'nixspam', interval: 900_000, min_prefix_v4: 8, min_prefix_v6: 19, format: 'auto', column: 1, timeout: 30_000 });
  const found = problemsOf(t, {
    '10-a.yaml': [
      'dynloaders:', //                                              1
      '  two: { enabled: true, file: /a, url: "https://x.example/" }', // 2 two sources
      '  none: { enabled: true }', //                                     3 no source
      '  ftp: { enabled: true, url: "ftp://x.example/" }', //            4 not http(s)
      '  wide: { enabled: true, file: /a, min_prefix_v4: 33 }', //       5 out of range
    ].join('\n'),
  });
  t.deepEqual(
    found.map((p) => p.where),
    ['10-a.yaml:2', '10-a.yaml:3', '10-a.yaml:4', '10-a.yaml:5'],
  );
  t.regex(found[0]!.message, /exactly one of url, file or command/);
  t.regex(found[2]!.message, /http/);
});
