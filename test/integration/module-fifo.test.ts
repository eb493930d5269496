// LG end to end inside the daemon: lines written to the module's FIFO (as rsyslog would) and
// injected with watcherctl are matched, counted in SQLite and banned into a real ipset in a test
// namespace on exactly the limit-th affair; forged text cannot choose the address; bans survive a restart.
import test from 'ava';
import { openSync, writeSync, closeSync } from 'node:fs';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLab, netnsUnavailable, SERVER4 } from '../helpers/netns.js';
import { daemonDirs, distBuilt, runDaemon, watcher, type DaemonDirs } from '../helpers/daemon.js';
import { syslogStamp } from '../helpers/syslog-lines.js';

const WATCHERCTL = fileURLToPath(new URL('../../dist/src/cli/watcherctl.js', import.meta.url));
const why = netnsUnavailable(['ipset', 'iptables']) ?? distBuilt();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const stamp = syslogStamp;

function failed(ip: string, user = 'root'): string {
  return `${stamp()} web1 sshd[23796]: Failed password for ${user} from ${ip} port 4242 ssh2\n`;
}

function ctl(dirs: DaemonDirs, args: string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [WATCHERCTL, ...args, ...dirs.flags], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (b: Buffer) => (out += b.toString()));
    p.stderr.on('data', (b: Buffer) => (out += b.toString()));
    p.on('close', (code) => resolve({ code: code ?? 1, out }));
  });
}

/** Polls until the address is (or is not) in the kernel set. */
async function inSet(inServer: (c: string, a: string[]) => string, ip: string, want: boolean, ms = 3000): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    let has: boolean;
    try {
      inServer('ipset', ['test', 'wt-LG-4', ip]);
      has = true;
    } catch {
      has = false;
    }
    if (has === want || Date.now() > deadline) return has;
    await sleep(50);
  }
}

if (why) {
  console.log(`SKIP module FIFO tests: ${why}`);
  test.skip('LG module through a FIFO bans into a real set', () => undefined);
} else {
  test.serial('LG module: FIFO and inject feed it, the limit-th affair bans, forged text cannot choose the IP, bans survive a restart', async (t) => {
    const lab = createLab(t);
    for (const a of ['198.51.100.7', '198.51.100.8', '198.51.100.9', '198.51.100.10']) lab.addPeerAddress(a);
    await lab.serve(22);
    const dirs = daemonDirs(t, '');
    const fifo = path.join(dirs.root, 'LG.fifo');
    const yaml = `firewall:\n  backend: ipset\n  netns: ${lab.server}\nrules:\n  local_dir: ${dirs.root}/rules.d\nmodules:\n  LG:\n    enabled: true\n    limit: 3\n    dns: false\n    sources:\n      - { type: fifo, path: ${fifo} }\n`;
    const { writeFileSync, appendFileSync } = await import('node:fs');
    appendFileSync(path.join(dirs.conf, '50-test.yaml'), yaml);
    writeFileSync(dirs.whitelist, '');
    writeFileSync(dirs.blacklist, '');
    let d = runDaemon(t, dirs);
    await d.waitFor(/reading fifo:/);

    const fd = openSync(fifo, 'w');
    t.teardown(() => closeSync(fd));
    writeSync(fd, failed('198.51.100.7') + failed('198.51.100.7'));
    await sleep(300);
    t.false(await inSet(lab.inServer, '198.51.100.7', true, 300), 'not banned after 2 of 3 affairs');
    t.is(await lab.connect('198.51.100.7', SERVER4, 22), 'open');
    writeSync(fd, failed('198.51.100.7'));
    t.true(await inSet(lab.inServer, '198.51.100.7', true), 'banned on the 3rd affair');
    t.is(await lab.connect('198.51.100.7', SERVER4, 22), 'blocked');

    // A user name that carries a forged "from IP port N ssh2" must not frame 198.51.100.8.
    const forged = failed('198.51.100.9', 'x from 198.51.100.8 port 22 ssh2');
    writeSync(fd, forged + forged + forged);
    t.true(await inSet(lab.inServer, '198.51.100.9', true), 'the real source is banned');
    t.false(await inSet(lab.inServer, '198.51.100.8', true, 300), 'the forged address is not');
    t.is(await lab.connect('198.51.100.8', SERVER4, 22), 'open');

    // watcherctl inject feeds the running module exactly like its source.
    const inj = await ctl(dirs, ['inject', 'LG', failed('198.51.100.10').trim(), failed('198.51.100.10').trim(), failed('198.51.100.10').trim()]);
    t.is(inj.code, 0, inj.out);
    t.true(await inSet(lab.inServer, '198.51.100.10', true), 'banned through inject');
    const st = await watcher(dirs, ['status', '--json']);
    const lg = JSON.parse(st.stdout).modules.find((m: { module: string }) => m.module === 'LG');
    t.is(lg.matched, 9);

    // A restart restores the module's bans from its database in the master load.
    t.is((await watcher(dirs, ['stop', '--flush'])).code, 0);
    await d.exited;
    t.is(await lab.connect('198.51.100.7', SERVER4, 22), 'open', 'flushed');
    d = runDaemon(t, dirs);
    await d.waitFor(/master load done/);
    t.is(await lab.connect('198.51.100.7', SERVER4, 22), 'blocked', 'ban restored from the module database');
    t.is(await lab.connect('198.51.100.10', SERVER4, 22), 'blocked');
    t.is(await lab.connect('198.51.100.8', SERVER4, 22), 'open');
    t.is((await watcher(dirs, ['stop', '--flush'])).code, 0);
  });
}
