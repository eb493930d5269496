// A dynloader inside the running daemon on each real backend, in a test namespace: its list goes in
// after the master load, `watcherctl dynload` swaps it for a new one while a connect loop from the peer
// proves a listed address never gets through, and the blacklist's own set is untouched; a loader added
// by a reload starts a minute later and the running one is left alone.
import test from 'ava';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLab, netnsUnavailable, SERVER4 } from '../helpers/netns.js';
import { daemonDirs, distBuilt, runDaemon, type DaemonDirs } from '../helpers/daemon.js';

const PORT = 8081;
const WATCHERCTL = fileURLToPath(new URL('../../dist/src/cli/watcherctl.js', import.meta.url));
const why = netnsUnavailable(['ipset', 'iptables', 'nft']) ?? distBuilt();

function ctl(dirs: DaemonDirs, args: string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [WATCHERCTL, ...args, ...dirs.flags], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout!.on('data', (b: Buffer) => (out += b.toString()));
    p.stderr!.on('data', (b: Buffer) => (out += b.toString()));
    p.on('close', (code) => resolve({ code: code ?? 1, out }));
  });
}

for (const backend of ['ipset', 'nftables'] as const) {
  if (why) {
    console.log(`SKIP dynload namespace tests (${backend}): ${why}`);
    test.skip(`dynloader on ${backend}`, () => undefined);
    continue;
  }

  test.serial(`dynloader on ${backend}: list loaded, replaced under a connect loop with no window, other sets untouched, a loader added by reload`, async (t) => {
    const lab = createLab(t);
    for (const a of ['198.51.100.7', '198.51.100.8', '198.51.100.9', '203.0.113.6']) lab.addPeerAddress(a);
    await lab.serve(PORT);
    const dirs = daemonDirs(t, '');
    const list = path.join(dirs.root, 'feed.txt');
    writeFileSync(list, '# feed A\n198.51.100.7\n198.51.100.8\n');
    writeFileSync(
      path.join(dirs.conf, '60-fw.yaml'),
      `firewall:\n  backend: ${backend}\n  netns: ${lab.server}\nlog_level: debug\ndynloaders:\n  feed:\n    enabled: true\n    file: ${list}\n`,
    );
    writeFileSync(dirs.whitelist, '');
    writeFileSync(dirs.blacklist, '203.0.113.6\n');
    const d = runDaemon(t, dirs);
    await d.waitFor(/dynloader feed: 2 entries swapped in/);
    const conn = (src: string) => lab.connect(src, SERVER4, PORT);
    t.is(await conn('198.51.100.7'), 'blocked');
    t.is(await conn('198.51.100.8'), 'blocked');
    t.is(await conn('198.51.100.9'), 'open');
    t.is(await conn('203.0.113.6'), 'blocked', 'the blacklist set');

    writeFileSync(list, '# feed B\n198.51.100.7\n198.51.100.9\n');
    const loop = lab.startLoop('198.51.100.7', SERVER4, PORT, 2500);
    await new Promise((r) => setTimeout(r, 300));
    const r = await ctl(dirs, ['dynload', 'feed']);
    t.is(r.code, 0, r.out);
    const l = await loop;
    await d.waitFor(/dynloader feed: 2 entries swapped in[\s\S]*dynloader feed: 2 entries swapped in/);
    t.true(l.attempts > 3, `the loop ran (${l.attempts} attempts)`);
    t.is(l.open, 0, 'no window during the swap');
    t.is(await conn('198.51.100.8'), 'open', 'removed from the list');
    t.is(await conn('198.51.100.9'), 'blocked', 'added to the list');
    t.is(await conn('203.0.113.6'), 'blocked', 'the blacklist set is untouched');
    t.notRegex(d.output(), /master load done[\s\S]*master load done/, 'no reload, no second master load');

    // A loader added by a reload starts on its own, staggered a minute after the first (loaders never
    // fetch in the same minute); the running one keeps going untouched.
    const list2 = path.join(dirs.root, 'feed2.txt');
    writeFileSync(list2, '198.51.100.8\n');
    writeFileSync(path.join(dirs.conf, '70-feed2.yaml'), `dynloaders:\n  feed2:\n    enabled: true\n    file: ${list2}\n`);
    d.proc.kill('SIGHUP');
    const reloadAt = Date.now();
    await d.waitFor(/dynloader feed2: 1 entries swapped in/, 90_000);
    t.true(Date.now() - reloadAt >= 55_000, 'the second loader waited for its slot');
    t.is(await conn('198.51.100.8'), 'blocked', 'the new loader set');
    t.is(await conn('198.51.100.9'), 'blocked', 'the first loader set still holds its list');

    const tree = await ctl(dirs, ['status', '--json']);
    const feed = (JSON.parse(tree.out) as { children: { id: string; restarts: number; uptimeSeconds: number }[] }).children.find((c) => c.id === 'dynloader:feed');
    t.like(feed, { restarts: 0 });
    t.true((feed?.uptimeSeconds ?? 0) >= 55, 'the first loader ran through the reload, not replaced');

    const st = await ctl(dirs, ['dynload', 'status', '--json']);
    t.is(st.code, 0, st.out);
    const rows = JSON.parse(st.out) as { name: string; entries: number; lastError: string | null }[];
    t.like(rows.find((r) => r.name === 'feed'), { entries: 2, lastError: null });
    t.like(rows.find((r) => r.name === 'feed2'), { entries: 1, lastError: null });
    d.proc.kill('SIGTERM');
    t.is(await d.exited, 0);
  });
}
