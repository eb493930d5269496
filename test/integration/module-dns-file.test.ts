// Modules against real parts without a firewall (dry-run backend): DNS classes from a real dnsmasq
// decide the limit (NXDOMAIN dies on its second affair, TRUEHOST needs the full limit); a followed log
// file rotated by rename and by copytruncate, with a daemon restart in between, loses and doubles nothing.
import test from 'ava';
import { appendFileSync, copyFileSync, renameSync, truncateSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { daemonDirs, distBuilt, runDaemon, watcher, type DaemonDirs } from '../helpers/daemon.js';
import { mkdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const WATCHERCTL = fileURLToPath(new URL('../../dist/src/cli/watcherctl.js', import.meta.url));
import { missing, startDnsmasq, stopDnsmasq } from '../helpers/dnsmasq.js';
import { syslogStamp } from '../helpers/syslog-lines.js';
import { openReader } from '../helpers/read-db.js';

const why = distBuilt();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const stamp = syslogStamp;
const failed = (ip: string, n = 1) => `${stamp()} web1 sshd[23796]: Failed password for root from ${ip} port 4242 ssh2\n`.repeat(n);

function query<T>(dirs: DaemonDirs, sql: string, ...args: unknown[]): T[] {
  const db = openReader(path.join(dirs.state, 'db', 'LG.sqlite'));
  try {
    return db.prepare(sql).all(...args) as T[];
  } finally {
    db.close();
  }
}

async function banned(dirs: DaemonDirs, ip: string, want: boolean, ms = 3000): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    const has = query(dirs, "SELECT 1 FROM bans WHERE ip_or_cidr = ? AND state IN ('pending','active')", ip).length > 0;
    if (has === want || Date.now() > deadline) return has;
    await sleep(50);
  }
}

if (why) {
  console.log(`SKIP module DNS/file tests: ${why}`);
  test.skip('module DNS and file tests', () => undefined);
} else {
  (missing ? test.skip : test.serial)('LG with DNS classes from dnsmasq: NXDOMAIN is banned on the second affair, TRUEHOST at the limit', async (t) => {
    const dns = await startDnsmasq();
    t.teardown(() => stopDnsmasq(dns));
    const dirs = daemonDirs(t, '');
    const log = path.join(dirs.root, 'auth.log');
    writeFileSync(log, '');
    writeFileSync(dirs.whitelist, '');
    writeFileSync(dirs.blacklist, '');
    appendFileSync(
      path.join(dirs.conf, '50-test.yaml'),
      `firewall:\n  backend: dry-run\ndns:\n  servers: ["127.0.0.1:${dns.port}"]\nrules:\n  local_dir: ${dirs.root}/rules.d\nmodules:\n  LG:\n    enabled: true\n    limit: 5\n    dns: true\n    inject_fifo: false\n    sources:\n      - { type: file, path: ${log} }\n`,
    );
    const d = runDaemon(t, dirs);
    await d.waitFor(/reading file:/);
    appendFileSync(log, failed('203.0.113.5') + failed('192.0.2.10'));
    await sleep(700); // the lookups answer
    t.false(await banned(dirs, '203.0.113.5', true, 200), 'one affair: not yet');
    appendFileSync(log, failed('203.0.113.5') + failed('192.0.2.10'));
    t.true(await banned(dirs, '203.0.113.5', true), 'NXDOMAIN: dead on the second affair');
    t.false(await banned(dirs, '192.0.2.10', true, 300), 'TRUEHOST: two affairs are not enough');
    appendFileSync(log, failed('192.0.2.10', 2));
    t.false(await banned(dirs, '192.0.2.10', true, 300), 'TRUEHOST: four are not enough');
    appendFileSync(log, failed('192.0.2.10'));
    t.true(await banned(dirs, '192.0.2.10', true), 'TRUEHOST: banned at the limit');
    t.is((await watcher(dirs, ['stop'])).code, 0);
    await d.exited;
    // Offenders are written behind and folded into their table when the module closes.
    const classes = query<{ ip: string; dns_class: string }>(dirs, "SELECT ip, dns_class FROM offenders WHERE ip IN ('203.0.113.5','192.0.2.10') ORDER BY ip");
    t.deepEqual(classes.map((c) => c.dns_class), ['TRUEHOST', 'NXDOMAIN']);
  });

  test.serial('LG follows a file across rename rotation, copytruncate and a restart: every line counted once', async (t) => {
    const dirs = daemonDirs(t, '');
    const log = path.join(dirs.root, 'auth.log');
    writeFileSync(log, failed('192.0.2.200', 3)); // before the first start: not read (starts at the end)
    writeFileSync(dirs.whitelist, '');
    writeFileSync(dirs.blacklist, '');
    appendFileSync(
      path.join(dirs.conf, '50-test.yaml'),
      `firewall:\n  backend: dry-run\nrules:\n  local_dir: ${dirs.root}/rules.d\nmodules:\n  LG:\n    enabled: true\n    limit: 100000\n    dns: false\n    inject_fifo: false\n    sources:\n      - { type: file, path: ${log} }\n`,
    );
    let written = 0;
    const write = (n: number) => {
      for (let i = 0; i < n; i++) appendFileSync(log, failed(`198.51.100.${(written++ % 200) + 1}`));
    };
    let d = runDaemon(t, dirs);
    await d.waitFor(/reading file:/);
    write(50);
    await sleep(400);
    renameSync(log, `${log}.1`); // rename rotation: lines still written to the old file are read too
    appendFileSync(`${log}.1`, failed('198.51.100.250', 5));
    written += 5;
    writeFileSync(log, '');
    write(40);
    await sleep(600);
    t.is((await watcher(dirs, ['stop'])).code, 0);
    await d.exited;
    write(30); // while stopped
    d = runDaemon(t, dirs);
    await d.waitFor(/reading file:/);
    write(20);
    await sleep(500);
    copyFileSync(log, `${log}.2`); // copytruncate
    truncateSync(log, 0);
    write(25);
    await sleep(800);
    t.is((await watcher(dirs, ['stop'])).code, 0);
    await d.exited;
    const n = query<{ n: number }>(dirs, 'SELECT count(*) AS n FROM affairs')[0]?.n;
    t.is(n, written, `${written} lines written after the first start, each counted once`);
    t.is(query(dirs, "SELECT 1 FROM affairs WHERE ip = '192.0.2.200'").length, 0, 'the first run started at the end');
  });
}

if (!why) {
  test.serial('SIGHUP reloads local rules without a restart; a broken rule file keeps its previous rules', async (t) => {
    const dirs = daemonDirs(t, '');
    writeFileSync(dirs.whitelist, '');
    writeFileSync(dirs.blacklist, '');
    const local = path.join(dirs.root, 'rules.d', 'LG');
    mkdirSync(local, { recursive: true });
    appendFileSync(
      path.join(dirs.conf, '50-test.yaml'),
      `firewall:\n  backend: dry-run\nrules:\n  local_dir: ${dirs.root}/rules.d\nmodules:\n  LG:\n    enabled: true\n    limit: 2\n    dns: false\n    sources: []\n`,
    );
    const d = runDaemon(t, dirs);
    await d.waitFor(/reading /);
    const inject = (ip: string) => {
      const line = `${stamp()} web1 myapp[7]: bad login from ${ip}`;
      const r = spawnSync(process.execPath, [WATCHERCTL, 'inject', 'LG', line, line, ...dirs.flags], { encoding: 'utf8' });
      t.is(r.status, 0, r.stderr);
    };
    inject('198.51.100.31');
    t.false(await banned(dirs, '198.51.100.31', true, 500), 'no rule for myapp yet');
    const rule = `rules:
  - id: myapp-bad-login
    programs: [myapp]
    event: auth-failure
    pattern: 'bad login from <IP>'
    samples:
      match:
        - line: 'bad login from 192.0.2.7'
          ip: 192.0.2.7
`;
    writeFileSync(path.join(local, 'myapp.yaml'), rule);
    d.proc.kill('SIGHUP');
    await d.waitFor(/rules and whitelist reloaded/);
    inject('198.51.100.32');
    t.true(await banned(dirs, '198.51.100.32', true), 'the new local rule counts after the reload');
    writeFileSync(path.join(local, 'myapp.yaml'), rule.replace("pattern: 'bad login from <IP>'", "pattern: 'bad login (from <IP>'"));
    d.proc.kill('SIGHUP');
    await d.waitFor(/myapp\.yaml: has problems, its previous rules stay/);
    await d.waitFor(/rules and whitelist reloaded[\s\S]*rules and whitelist reloaded/);
    inject('198.51.100.33');
    t.true(await banned(dirs, '198.51.100.33', true), 'the previous version of the broken file still counts');
    t.is((await watcher(dirs, ['stop'])).code, 0);
  });
}
