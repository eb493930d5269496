// watcherctl ban and unban against a real firewall in a test namespace, on ipset and on nftables:
// real packets from the peer decide. A manual ban blocks, unban opens again (also through the freeme
// alias), a runtime whitelist entry wins over a ban, and `list`/`status` report the module set.
import test from 'ava';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createLab, netnsUnavailable, SERVER4, SERVER6 } from '../helpers/netns.js';
import { daemonDirs, distBuilt, runDaemon, watcher } from '../helpers/daemon.js';
import { ctl, WATCHERCTL_BIN } from '../helpers/ctl.js';

const PORT = 8081;
const why = netnsUnavailable(['ipset', 'iptables', 'nft']) ?? distBuilt();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

for (const backend of ['ipset', 'nftables'] as const) {
  if (why) {
    console.log(`SKIP watcherctl namespace tests (${backend}): ${why}`);
    test.skip(`watcherctl ban/unban on ${backend}`, () => undefined);
    continue;
  }

  test.serial(`watcherctl ban/unban on ${backend}: real packets decide`, async (t) => {
    const lab = createLab(t);
    for (const a of ['198.51.100.7', '198.51.100.8', '2001:db8:1::7']) lab.addPeerAddress(a);
    await lab.serve(PORT);
    const dirs = daemonDirs(
      t,
      `firewall:\n  backend: ${backend}\n  netns: ${lab.server}\nrules:\n  local_dir: ${'RULES'}\nmodules:\n  LG:\n    enabled: true\n    dns: false\n    sources: []\n`.replace('RULES', '/nonexistent/rules.d'),
    );
    writeFileSync(dirs.whitelist, '');
    writeFileSync(dirs.blacklist, '');
    const d = runDaemon(t, dirs);
    await d.waitFor(/master load done/);
    const conn = (src: string) => lab.connect(src, src.includes(':') ? SERVER6 : SERVER4, PORT);
    const until = async (src: string, want: string) => {
      const deadline = Date.now() + 5000;
      let got = await conn(src);
      while (got !== want && Date.now() < deadline) {
        await sleep(100);
        got = await conn(src);
      }
      return got;
    };
    t.is(await conn('198.51.100.7'), 'open');

    const b = await ctl(dirs, ['ban', '198.51.100.7', '--for', '1h']);
    t.is(b.code, 0, b.out);
    t.is(await until('198.51.100.7', 'blocked'), 'blocked', 'banned');
    t.is(await conn('198.51.100.8'), 'open', 'only that address');
    t.is((await ctl(dirs, ['ban', '2001:db8:1::7'])).code, 0);
    t.is(await until('2001:db8:1::7', 'blocked'), 'blocked', 'IPv6 too');
    const st = JSON.parse((await ctl(dirs, ['status', '--json'])).stdout);
    t.like(st.firewall.sets.find((s: { source: string }) => s.source === 'mod:LG'), { v4: 1, v6: 1 });
    t.regex((await ctl(dirs, ['list'])).stdout, /mod:LG +198\.51\.100\.7 .* manual/);
    t.regex((await ctl(dirs, ['show', '198.51.100.7'])).stdout, /in sets: mod:LG \(198\.51\.100\.7\)/);

    const u = await ctl(dirs, ['unban', '198.51.100.7']);
    t.is(u.code, 0, u.out);
    t.is(await until('198.51.100.7', 'open'), 'open', 'unbanned');
    const bin = path.join(dirs.root, 'bin');
    mkdirSync(bin);
    symlinkSync(WATCHERCTL_BIN, path.join(bin, 'freeme'));
    const f = await ctl(dirs, ['2001:db8:1::7'], { program: path.join(bin, 'freeme') });
    t.is(f.code, 0, f.out);
    t.is(await until('2001:db8:1::7', 'open'), 'open', 'freeme unbans');

    // a runtime whitelist entry wins over a ban already in the firewall (after the reload it asks for)
    t.is((await ctl(dirs, ['ban', '198.51.100.8'])).code, 0);
    t.is(await until('198.51.100.8', 'blocked'), 'blocked');
    t.is((await ctl(dirs, ['whitelist', 'add', '198.51.100.8', '--comment', 'test'])).code, 0);
    t.is(await until('198.51.100.8', 'open'), 'open', 'the whitelist wins');

    const stop = await watcher(dirs, ['stop', '--flush']);
    t.is(stop.code, 0, stop.out);
    t.is(await d.exited, 0);
  });
}
