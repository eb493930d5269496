// Expiry end to end in the real daemon on each real backend inside a test namespace: a banned peer
// cannot connect; once its (2 s) ban is over the expirer has the module unban it, the kernel set no
// longer holds it and a real TCP connect from the peer gets through. A ban that ends while the daemon
// is stopped is expired in the database by the module's first run and is not loaded again.
import test, { type ExecutionContext } from 'ava';
import { appendFileSync, writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { createLab, netnsUnavailable, SERVER4, type Lab } from '../helpers/netns.js';
import { daemonDirs, distBuilt, runDaemon, watcher, type DaemonDirs } from '../helpers/daemon.js';
import { syslogStamp, sshFailed } from '../helpers/syslog-lines.js';

const WATCHERCTL = fileURLToPath(new URL('../../dist/src/cli/watcherctl.js', import.meta.url));
const PORT = 22;
const why = netnsUnavailable(['ipset', 'iptables', 'nft']) ?? distBuilt();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const stamp = syslogStamp;

const failed = sshFailed;

function inject(dirs: DaemonDirs, lines: string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [WATCHERCTL, 'inject', 'LG', ...lines, ...dirs.flags], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (b: Buffer) => (out += b.toString()));
    p.stderr.on('data', (b: Buffer) => (out += b.toString()));
    p.on('close', (code) => resolve({ code: code ?? 1, out }));
  });
}

/** Whether the kernel set of module LG holds the address, asked of the backend's own tool. */
function kernelHas(lab: Lab, backend: 'ipset' | 'nftables', ip: string): boolean {
  try {
    if (backend === 'ipset') lab.inServer('ipset', ['test', 'wt-LG-4', ip]);
    else lab.inServer('nft', ['get', 'element', 'inet', 'watcher', 'LG_v4', `{ ${ip} }`]);
    return true;
  } catch {
    return false;
  }
}

/** Polls until the kernel set holds (or not) the address; returns the time it did, or null on timeout. */
async function until(lab: Lab, backend: 'ipset' | 'nftables', ip: string, want: boolean, ms: number): Promise<number | null> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (kernelHas(lab, backend, ip) === want) return Date.now();
    if (Date.now() > deadline) return null;
    await sleep(25);
  }
}

interface BanRecord {
  until: number;
  state: string;
}

function banOf(dirs: DaemonDirs, ip: string): BanRecord | undefined {
  const db = new Database(path.join(dirs.state, 'db', 'LG.sqlite'), { readonly: true });
  try {
    return db.prepare(`SELECT until, state FROM bans WHERE ip_or_cidr = ? ORDER BY id DESC LIMIT 1`).get(ip) as BanRecord | undefined;
  } finally {
    db.close();
  }
}

/** Waits until the module actor is running (an injection before that would find it still opening). */
async function moduleRunning(dirs: DaemonDirs): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const st = await watcher(dirs, ['status', '--json']);
    if (st.code === 0) {
      const c = (JSON.parse(st.stdout) as { children: { id: string; machineState?: unknown }[] }).children.find((x) => x.id === 'module:LG');
      if (c?.machineState === 'running') return;
    }
    await sleep(100);
  }
  throw new Error('module LG never ran');
}

async function scenario(t: ExecutionContext, backend: 'ipset' | 'nftables'): Promise<void> {
  const lab = createLab(t);
  for (const a of ['198.51.100.7', '198.51.100.8', '198.51.100.9']) lab.addPeerAddress(a);
  await lab.serve(PORT);
  const dirs = daemonDirs(t, '');
  appendFileSync(
    path.join(dirs.conf, '50-test.yaml'),
    [
      `firewall:\n  backend: ${backend}\n  netns: ${lab.server}`,
      `rules:\n  local_dir: ${dirs.root}/rules.d`,
      `expiry:\n  interval: 1s`,
      `modules:\n  LG:\n    enabled: true\n    limit: 3\n    ban_time: 2s\n    dns: false\n    inject_fifo: false\n    sources: []`,
      '',
    ].join('\n'),
  );
  writeFileSync(dirs.whitelist, '');
  writeFileSync(dirs.blacklist, '');
  const conn = (src: string) => lab.connect(src, SERVER4, PORT);

  let d = runDaemon(t, dirs);
  await d.waitFor(/master load done/);
  await moduleRunning(dirs);
  t.is(await conn('198.51.100.7'), 'open');

  // three failed logins ban the peer address into the kernel set
  const inj = await inject(dirs, [failed('198.51.100.7'), failed('198.51.100.7'), failed('198.51.100.7')]);
  t.is(inj.code, 0, inj.out);
  t.not(await until(lab, backend, '198.51.100.7', true, 5000), null, 'banned into the kernel set');
  t.is(await conn('198.51.100.7'), 'blocked');
  const ban = banOf(dirs, '198.51.100.7')!;
  t.is(ban.state, 'active');

  // its end: spread by at most 10% of 2 s, then the expirer (every 1 s) has it removed
  const gone = await until(lab, backend, '198.51.100.7', false, 8000);
  t.not(gone, null, `the ended ban left the kernel set:\n${d.output()}`);
  t.true(gone! >= ban.until - 30, `not before its end (${gone! - ban.until} ms after)`);
  t.true(gone! - ban.until < 4000, `within a few intervals of its end (${gone! - ban.until} ms after)`);
  t.log(`${backend}: removed from the kernel ${gone! - ban.until} ms after the ban's end`);
  t.is(await conn('198.51.100.7'), 'open', 'a real TCP connect from the peer gets through again');
  t.is(banOf(dirs, '198.51.100.7')?.state, 'expired');
  await d.waitFor(/expiry: 1 bans ended/);
  const st = await watcher(dirs, ['status', '--json']);
  const expiry = (JSON.parse(st.stdout) as { expiry: { totals: { runs: number; bansEnded: number }; lastRun: { reports: { module: string }[] } } }).expiry;
  t.is(expiry.totals.bansEnded, 1, 'status counts the expired ban');
  t.true(expiry.totals.runs >= 2, `status counts the runs (${expiry.totals.runs})`);
  t.deepEqual(expiry.lastRun.reports.map((r) => r.module), ['module:LG']);
  t.regex((await watcher(dirs, ['status'])).out, /expiry: last run \d+ s ago, (next in \d+ s|running now); since start \d+ runs: 1 bans ended/);

  // a ban that ends while the daemon is stopped (its entry stays: keep_on_stop)
  t.is((await inject(dirs, [failed('198.51.100.8'), failed('198.51.100.8'), failed('198.51.100.8')])).code, 0);
  t.not(await until(lab, backend, '198.51.100.8', true, 5000), null);
  t.is((await watcher(dirs, ['stop'])).code, 0);
  t.is(await d.exited, 0);
  t.is(await conn('198.51.100.8'), 'blocked', 'the entry stays while the daemon is stopped');
  const stopped = banOf(dirs, '198.51.100.8')!;
  await sleep(Math.max(0, stopped.until - Date.now()) + 100);
  t.is(banOf(dirs, '198.51.100.8')?.state, 'active', 'its time ran out while nobody was there to expire it');
  d = runDaemon(t, dirs);
  await d.waitFor(/master load done/);
  await d.waitFor(/expiry: 1 bans ended/, 10_000);
  t.is(banOf(dirs, '198.51.100.8')?.state, 'expired', 'the first expiry run after the start expired it');
  t.false(kernelHas(lab, backend, '198.51.100.8'), 'not in the kernel set');
  t.is(await conn('198.51.100.8'), 'open');
  t.is(await conn('198.51.100.9'), 'open', 'an address never banned was never touched');
  t.is((await watcher(dirs, ['stop', '--flush'])).code, 0);
}

for (const backend of ['ipset', 'nftables'] as const) {
  if (why) {
    console.log(`SKIP expiry netns test (${backend}): ${why}`);
    test.skip(`expiry on ${backend}`, () => undefined);
    continue;
  }
  test.serial(`expiry on ${backend}: a 2 s ban leaves the kernel set after its end, a ban that ended while stopped is expired at start`, (t) =>
    scenario(t, backend),
  );
}
