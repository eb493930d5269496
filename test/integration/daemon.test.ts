// The daemon end to end on each real backend inside a test namespace: master load, whitelist wins,
// SIGHUP reload with no window, a refused bad reload, drift repair, stop --flush, and the
// detached start/status/stop verbs. Real packets from the peer namespace decide every assertion.
import test from 'ava';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { createLab, netnsUnavailable, SERVER4, SERVER6 } from '../helpers/netns.js';
import { daemonDirs, distBuilt, runDaemon, watcher } from '../helpers/daemon.js';

const PORT = 8080;
const why = netnsUnavailable(['ipset', 'iptables', 'nft']) ?? distBuilt();

for (const backend of ['ipset', 'nftables'] as const) {
  if (why) {
    console.log(`SKIP daemon tests (${backend}): ${why}`);
    test.skip(`daemon on ${backend}`, () => undefined);
    continue;
  }

  test.serial(`daemon on ${backend}: load, whitelist wins, reload without window, bad reload refused, drift repaired, stop --flush`, async (t) => {
    const lab = createLab(t);
    for (const a of ['198.51.100.7', '198.51.100.8', '198.51.100.9', '198.51.100.10', '203.0.113.5', '203.0.113.6', '2001:db8:1::7', '2001:db8:1::8']) {
      lab.addPeerAddress(a);
    }
    await lab.serve(PORT);
    const dirs = daemonDirs(t, `firewall:\n  backend: ${backend}\n  netns: ${lab.server}\n  verify_interval: 1s\nlog_level: debug\n`);
    writeFileSync(dirs.whitelist, '203.0.113.5   # admin inside a blacklisted net\n');
    writeFileSync(dirs.blacklist, '198.51.100.7\n198.51.100.9  # only in list A\n203.0.113.0/24\n2001:db8:1::7\nnot-an-ip     # reported with file:line, skipped\n');
    const d = runDaemon(t, dirs);
    await d.waitFor(/master load done/);
    t.regex(d.output(), new RegExp(`${dirs.blacklist.replace(/[/.]/g, '\\$&')}:5: `), 'invalid entry reported with file:line');

    const conn = (src: string) => lab.connect(src, src.includes(':') ? SERVER6 : SERVER4, PORT);
    t.is(await conn('198.51.100.7'), 'blocked');
    t.is(await conn('198.51.100.8'), 'open');
    t.is(await conn('203.0.113.6'), 'blocked');
    t.is(await conn('203.0.113.5'), 'open', 'whitelisted address inside a blacklisted CIDR gets through');
    t.is(await conn('2001:db8:1::7'), 'blocked');
    t.is(await conn('2001:db8:1::8'), 'open');

    // Reload A -> B: 198.51.100.7 is in both and must never get through during the swap.
    writeFileSync(dirs.blacklist, '198.51.100.7\n198.51.100.10\n203.0.113.0/24\n');
    const loop = lab.startLoop('198.51.100.7', SERVER4, PORT, 2500);
    await new Promise((r) => setTimeout(r, 300));
    d.proc.kill('SIGHUP');
    const l = await loop;
    await d.waitFor(/master load done[\s\S]*master load done/);
    t.true(l.attempts > 3, `the loop ran (${l.attempts} attempts)`);
    t.is(l.open, 0, 'no window during reload');
    t.is(await conn('198.51.100.9'), 'open', 'removed from the list');
    t.is(await conn('198.51.100.10'), 'blocked', 'added to the list');
    t.is(await conn('2001:db8:1::7'), 'open');

    // A broken drop-in is refused; the running config and firewall stay.
    writeFileSync(path.join(dirs.conf, '90-bad.yaml'), 'firewall:\n  colour: blue\n');
    d.proc.kill('SIGHUP');
    await d.waitFor(/90-bad\.yaml:2/);
    t.is(await conn('198.51.100.10'), 'blocked');
    const st = await watcher(dirs, ['status', '--json']);
    t.is(st.code, 0, st.out);
    t.is(JSON.parse(st.stdout).lastReload.outcome, 'refused');
    t.regex(st.out, /90-bad\.yaml:2/, 'the CLI names the broken file too');
    writeFileSync(path.join(dirs.conf, '90-bad.yaml'), '# fixed\n');

    // Drift: someone flushes the whole ruleset; the writer notices and repairs.
    lab.inServer('nft', ['flush', 'ruleset']);
    if (backend === 'ipset') lab.inServer('ipset', ['flush']);
    await d.waitFor(/firewall drifted[\s\S]*firewall repaired/, 15_000);
    t.is(await conn('198.51.100.10'), 'blocked', 'drift repaired');
    t.is(await conn('203.0.113.5'), 'open');

    // stop --flush removes everything Watcher put into the firewall.
    const stop = await watcher(dirs, ['stop', '--flush']);
    t.is(stop.code, 0, stop.out);
    t.is(await d.exited, 0);
    t.is(await conn('198.51.100.10'), 'open');
    t.is(await conn('203.0.113.6'), 'open');
    t.notRegex(lab.inServer('nft', ['list', 'ruleset']), /watcher|WATCHER|wt-/);
    if (backend === 'ipset') t.is(lab.inServer('ipset', ['list', '-n']).trim(), '');
  });
}

if (!why) {
  test.serial('detached start, status, reload, full, stop; entries stay after a plain stop', async (t) => {
    const lab = createLab(t);
    lab.addPeerAddress('198.51.100.7');
    await lab.serve(PORT);
    const dirs = daemonDirs(t, `firewall:\n  backend: ipset\n  netns: ${lab.server}\n`);
    writeFileSync(dirs.whitelist, '');
    writeFileSync(dirs.blacklist, '198.51.100.7\n');
    t.is((await watcher(dirs, ['status'])).code, 3, 'not running yet');
    const s = await watcher(dirs, ['start']);
    t.teardown(async () => void (await watcher(dirs, ['stop', '--flush'])));
    t.is(s.code, 0, s.out);
    const st = await watcher(dirs, ['status']);
    t.is(st.code, 0, st.out);
    t.regex(st.out, /fw-writer\s+running/);
    t.is(await lab.connect('198.51.100.7', SERVER4, PORT), 'blocked');
    t.is((await watcher(dirs, ['reload'])).code, 0);
    t.is((await watcher(dirs, ['stop'])).code, 0);
    t.is((await watcher(dirs, ['status'])).code, 3);
    t.is(await lab.connect('198.51.100.7', SERVER4, PORT), 'blocked', 'entries stay after a plain stop');
    const f = await watcher(dirs, ['full']);
    t.is(f.code, 0, f.out);
    t.is(await lab.connect('198.51.100.7', SERVER4, PORT), 'blocked', 'full starts blank and loads again');
    t.is((await watcher(dirs, ['stop', '--flush'])).code, 0);
    t.is(await lab.connect('198.51.100.7', SERVER4, PORT), 'open');
  });
}
