// watcherctl end to end against a running daemon (dry-run firewall) in a temp state dir: every
// command in human and JSON form, exit codes, the freeme/LGinjector aliases, raw malformed,
// oversized and unknown requests on the socket, trace streaming, the stale socket at start and its
// removal at stop, and a runtime whitelist entry that survives a restart.
import test from 'ava';
import { execFileSync, spawn } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { daemonDirs, distBuilt, runDaemon, type DaemonDirs } from '../helpers/daemon.js';
import { ctl, WATCHERCTL, WATCHERCTL_BIN } from '../helpers/ctl.js';
import { sshFailed } from '../helpers/syslog-lines.js';

const why = distBuilt();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const failed = sshFailed;

/** Sends raw bytes on the socket; resolves with every line answered until the daemon closes or 1 s passes. */
function raw(socket: string, data: string): Promise<{ lines: Record<string, unknown>[]; closed: boolean }> {
  return new Promise((resolve, reject) => {
    const c = net.connect(socket);
    let buf = '';
    let closed = false;
    c.setEncoding('utf8');
    c.on('data', (s: string) => (buf += s));
    c.on('error', (e: NodeJS.ErrnoException) => (e.code === 'EPIPE' || e.code === 'ECONNRESET' ? undefined : reject(e)));
    c.on('close', () => (closed = true));
    c.on('connect', () => c.write(data));
    setTimeout(() => {
      c.destroy();
      resolve({ lines: buf.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>), closed });
    }, 1000);
  });
}

async function poll<T>(fn: () => Promise<T>, ok: (v: T) => boolean, ms = 5000): Promise<T> {
  const deadline = Date.now() + ms;
  let v = await fn();
  while (!ok(v) && Date.now() < deadline) {
    await sleep(100);
    v = await fn();
  }
  return v;
}

function setup(t: Parameters<typeof daemonDirs>[0]): { dirs: DaemonDirs; socket: string } {
  const dirs = daemonDirs(
    t,
    `firewall:\n  backend: dry-run\nrules:\n  local_dir: ${'RULES'}\nmodules:\n  LG:\n    enabled: true\n    limit: 3\n    dns: false\n    sources: []\n` +
      `dynloaders:\n  feed:\n    enabled: true\n    file: ${'FEED'}\n    interval: 1d\n`,
  );
  const feed = path.join(dirs.root, 'feed.list');
  writeFileSync(feed, '# a custom list\n192.0.2.128/28\n198.51.100.77\n');
  const conf = path.join(dirs.conf, '50-test.yaml');
  writeFileSync(conf, readFileSync(conf, 'utf8').replace('RULES', path.join(dirs.root, 'rules.d')).replace('FEED', feed).replace('lists:\n', 'lists:\n  host_addresses: false\n'));
  writeFileSync(dirs.whitelist, '192.0.2.250\n');
  writeFileSync(dirs.blacklist, '198.51.100.66\n');
  return { dirs, socket: path.join(dirs.run, 'watcher.sock') };
}

if (why) {
  console.log(`SKIP watcherctl daemon tests: ${why}`);
  test.skip('watcherctl end to end', () => undefined);
} else {
  test.serial('watcherctl: every command against a running daemon, exit codes, aliases, trace, raw protocol errors', async (t) => {
    const { dirs, socket } = setup(t);

    // not running: 3, for status and for a command that needs the daemon
    t.is((await ctl(dirs, ['status'])).code, 3);
    t.deepEqual(JSON.parse((await ctl(dirs, ['status', '--json'])).stdout), { running: false });
    t.is((await ctl(dirs, ['ban', '203.0.113.1'])).code, 3);

    // a stale socket (its daemon was killed) is replaced at start
    mkdirSync(dirs.run, { recursive: true });
    try {
      execFileSync(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(socket)}, () => process.kill(process.pid, 'SIGKILL'))`], { stdio: 'ignore' });
    } catch {
      /* killed, as intended: its socket stays behind */
    }
    t.true(existsSync(socket), 'a stale socket file is left behind');
    const d = runDaemon(t, dirs);
    await d.waitFor(/master load done/);
    await d.waitFor(/dynloader feed: 2 entries swapped in/);

    // usage errors: 2
    t.is((await ctl(dirs, ['ban'])).code, 2);
    t.is((await ctl(dirs, ['frobnicate'])).code, 2);
    t.is((await ctl(dirs, ['status', '--bogus'])).code, 2);
    t.is((await ctl(dirs, ['ban', '203.0.113.1', '--for', 'soon'])).code, 2);
    const help = await ctl(dirs, ['--help']);
    t.is(help.code, 0);
    for (const c of ['status', 'list', 'show', 'ban', 'unban', 'whitelist add', 'inject', 'reload', 'expire', 'trace', 'completion bash', 'freeme']) t.true(help.stdout.includes(`watcherctl ${c}`) || help.stdout.includes(c), c);
    t.regex(help.stdout, /EXIT STATUS[\s\S]*3 +the daemon is not running/);

    // status: tree, sets, modules
    const st = await ctl(dirs, ['status']);
    t.is(st.code, 0, st.out);
    t.regex(st.stdout, /fw-writer\s+running\s+restarts 0, up \d+ s/);
    t.regex(st.stdout, /module:LG\s+running/);
    t.regex(st.stdout, /whitelist\s+accept\s+\d+ IPv4/);
    t.regex(st.stdout, /blacklist\s+drop\s+1 IPv4/);
    t.regex(st.stdout, /LG\s+running\s+0 lines read/);
    const sj = JSON.parse((await ctl(dirs, ['status', '--json'])).stdout);
    t.like(sj.modules[0], { module: 'LG', state: 'running' });
    t.deepEqual(
      sj.firewall.sets.map((s: { source: string }) => s.source),
      ['whitelist', 'blacklist', 'dl:feed', 'mod:LG'],
    );
    t.like(sj.dynloaders[0], { name: 'feed', entries: 2 });
    t.true(sj.dynloaders[0].lastSuccessAt > 0);
    t.regex((await ctl(dirs, ['status'])).stdout, /dynloaders:\n  feed +\S+ +entries 2, last success \S+Z \(\d+ s ago\)/);

    // the dynloader's set: listed from the load pool, found CIDR-aware, and named by unban
    t.regex((await ctl(dirs, ['list', '--source', 'dl:feed'])).stdout, /dl:feed +192\.0\.2\.128\/28 .* dynloader feed/);
    t.deepEqual(JSON.parse((await ctl(dirs, ['show', '192.0.2.130', '--json'])).stdout).sets, [{ source: 'dl:feed', how: 'covers' }]);
    const ud = await ctl(dirs, ['unban', '192.0.2.130']);
    t.is(ud.code, 1, 'no module had it');
    t.regex(ud.stdout, /still blocked by dynloader list feed/);
    t.is((await ctl(dirs, ['list', '--source', 'dl:nope'])).code, 1, 'an unknown dynloader is an error');

    // inject 3 affairs: banned; list and show see it
    const x = '203.0.113.7';
    const inj = await ctl(dirs, ['inject', 'LG', failed(x), failed(x), failed(x)]);
    t.is(inj.code, 0, inj.out);
    const listed = await poll(
      () => ctl(dirs, ['list', '--json']),
      (r) => JSON.parse(r.stdout).rows.length === 1,
    );
    t.like(JSON.parse(listed.stdout).rows[0], { source: 'mod:LG', entry: x });
    const lh = await ctl(dirs, ['list', '--module', 'LG']);
    t.regex(lh.stdout, /^SOURCE +ENTRY +SINCE +UNTIL +REASON\nmod:LG +203\.0\.113\.7 +\S+Z +\S+Z +\S/);
    const shown = JSON.parse((await ctl(dirs, ['show', x, '--json'])).stdout);
    t.is(shown.whitelisted, false);
    t.deepEqual(shown.sets, [{ source: 'mod:LG', how: 'covers', entries: [x] }]);
    t.is(shown.modules[0].affairs.total, 3);
    t.is(shown.modules[0].affairs.rows[0].rule, 'sshd-failed-password');
    t.is(shown.modules[0].bans[0].entry, x);
    t.regex((await ctl(dirs, ['show', x])).stdout, /affairs: 3[\s\S]*sshd-failed-password[\s\S]*ban 203\.0\.113\.7 (pending|active)/);

    // unban clears the history: the next affair counts from 1
    const un = await ctl(dirs, ['unban', x]);
    t.is(un.code, 0, un.out);
    t.regex(un.stdout, /LG: ban lifted; 3 affairs and the offender history cleared/);
    t.is(JSON.parse((await ctl(dirs, ['list', '--json'])).stdout).rows.length, 0);
    await ctl(dirs, ['inject', 'LG', failed(x)]);
    const after = await poll(
      () => ctl(dirs, ['show', x, '--json']),
      (r) => JSON.parse(r.stdout).modules.length > 0,
    );
    t.is(JSON.parse(after.stdout).modules[0].affairs.total, 1);
    t.is((await ctl(dirs, ['unban', '198.51.100.200'])).code, 1, 'nothing to unban');

    // freeme is unban; LGinjector reads standard input
    const bin = path.join(dirs.root, 'bin');
    mkdirSync(bin);
    for (const n of ['freeme', 'LGinjector']) symlinkSync(WATCHERCTL_BIN, path.join(bin, n));
    const li = await ctl(dirs, [], { program: path.join(bin, 'LGinjector'), stdin: `${failed('203.0.113.8')}\n${failed('203.0.113.8')}\n${failed('203.0.113.8')}\n` });
    t.is(li.code, 0, li.out);
    t.regex(li.stdout, /injected 3 line\(s\) into LG/);
    await poll(
      () => ctl(dirs, ['list', '--json']),
      (r) => JSON.parse(r.stdout).rows.some((b: { entry: string }) => b.entry === '203.0.113.8'),
    );
    const fm = await ctl(dirs, ['203.0.113.8'], { program: path.join(bin, 'freeme') });
    t.is(fm.code, 0, fm.out);
    t.regex(fm.stdout, /ban lifted/);

    // manual ban with a duration; a blacklisted address still blocked after unban is said
    const bn = await ctl(dirs, ['ban', '198.51.100.66', '--for', '10m', '--json']);
    t.is(bn.code, 0, bn.out);
    const b = JSON.parse(bn.stdout);
    t.like(b, { module: 'LG', entry: '198.51.100.66', state: 'pending' });
    t.is(b.until - b.since, 600_000, `until = since + 10 min: ${bn.stdout}`);
    t.regex((await ctl(dirs, ['list'])).stdout, /198\.51\.100\.66 .* manual/);
    const ub = await ctl(dirs, ['unban', '198.51.100.66']);
    t.is(ub.code, 0, ub.out);
    t.regex(ub.stdout, /still blocked by the static blacklist/);
    t.regex((await ctl(dirs, ['list', '--source', 'blacklist'])).stdout, /blacklist\s+198\.51\.100\.66/);

    // whitelist: a static entry and a runtime one refuse bans; add is persisted and reloads
    const wl = await ctl(dirs, ['ban', '192.0.2.250']);
    t.is(wl.code, 1);
    t.regex(wl.stderr, /192\.0\.2\.250 is whitelisted/);
    const wa = await ctl(dirs, ['whitelist', 'add', '198.51.100.10', '--comment', 'office VPN']);
    t.is(wa.code, 0, wa.out);
    await d.waitFor(/master load done[\s\S]*master load done/);
    const wr = await ctl(dirs, ['ban', '198.51.100.0/24']);
    t.is(wr.code, 1, 'a network overlapping a whitelisted address is refused');
    t.regex(wr.stderr, /198\.51\.100\.0\/24 overlaps whitelisted addresses \(runtime whitelist: 198\.51\.100\.10\)/);
    t.regex((await ctl(dirs, ['whitelist', 'list'])).stdout, /198\.51\.100\.10 {2}# added by \S+ \S+Z: office VPN/);
    t.regex(readFileSync(path.join(dirs.state, 'whitelist.runtime'), 'utf8'), /^198\.51\.100\.10 {2}# added by/m);
    t.like(JSON.parse((await ctl(dirs, ['show', '198.51.100.10', '--json'])).stdout), { whitelisted: true, runtimeWhitelist: { entry: '198.51.100.10' } });
    t.is((await ctl(dirs, ['whitelist', 'remove', '198.51.100.99'])).code, 1, 'not in the runtime whitelist');
    const wadd2 = await ctl(dirs, ['whitelist', 'add', '2001:db8::5']);
    t.is(wadd2.code, 0);
    t.is((await ctl(dirs, ['whitelist', 'remove', '2001:DB8::5'])).code, 0);

    // two enabled modules: ban needs --module, and the refusal names them
    appendFileSync(path.join(dirs.conf, '60-mx.yaml'), 'modules:\n  MX:\n    enabled: true\n    dns: false\n    sources: []\n');
    t.is((await ctl(dirs, ['reload'])).code, 0);
    await poll(
      () => ctl(dirs, ['status', '--json']),
      (r) => JSON.parse(r.stdout).children.some((c: { id: string; state: string }) => c.id === 'module:MX' && c.state === 'running'),
    );
    const amb = await ctl(dirs, ['ban', '203.0.113.20']);
    t.is(amb.code, 1);
    t.regex(amb.stderr, /more than one module is enabled \(LG, MX\): say which one with --module/);
    t.is((await ctl(dirs, ['ban', '203.0.113.20', '--module', 'MX'])).code, 0);
    t.regex((await ctl(dirs, ['list', '--module', 'MX'])).stdout, /mod:MX\s+203\.0\.113\.20/);
    t.is((await ctl(dirs, ['ban', '203.0.113.21', '--module', 'WB'])).code, 1, 'WB is not enabled');

    // expire: the expirer runs it, or the daemon says clearly that there is none
    const hasExpirer = JSON.parse((await ctl(dirs, ['status', '--json'])).stdout).children.some((c: { id: string }) => c.id === 'expirer');
    const ex = await ctl(dirs, ['expire']);
    if (hasExpirer) t.is(ex.code, 0, ex.out);
    else {
      t.is(ex.code, 1);
      t.regex(ex.stderr, /the expirer is not running/);
    }

    // trace: transitions and events of module:LG stream until the client goes
    const tr = spawn(process.execPath, [WATCHERCTL, 'trace', '--actor', 'module:LG', '--json', ...dirs.flags], { stdio: ['ignore', 'pipe', 'pipe'] });
    t.teardown(() => tr.kill('SIGKILL'));
    let frames = '';
    tr.stdout.on('data', (b: Buffer) => (frames += b.toString()));
    await sleep(500);
    await ctl(dirs, ['inject', 'LG', failed('203.0.113.30')]);
    const deadline = Date.now() + 5000;
    while (!/affair\.detected/.test(frames) && Date.now() < deadline) await sleep(50);
    const parsed = frames.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { kind: string; actor: string; event: unknown });
    t.true(parsed.some((f) => f.kind === 'event' && f.actor === 'module:LG' && (f.event as { type: string }).type === 'lines.injected'), frames);
    t.true(parsed.some((f) => f.kind === 'event' && (f.event as { type: string }).type === 'affair.detected'), 'the pipeline reports back');
    t.true(parsed.some((f) => f.kind === 'transition'), 'state transitions too');
    t.true(parsed.every((f) => f.actor === 'module:LG' || f.actor === 'pipeline'), 'only module:LG and its children');
    tr.kill('SIGINT');
    t.is(await new Promise<number | null>((r) => tr.on('close', (c) => r(c))), 0, 'Ctrl-C ends trace with 0');

    // raw protocol errors: answered, never a crash
    const bad = await raw(socket, '{"v":1,\n[1]\n{"v":9,"id":1,"cmd":"status"}\n{"v":1,"id":"a","cmd":"nope"}\n{"v":1,"id":2,"cmd":"ban","entry":"1.2.3"}\n{"v":1,"id":3,"cmd":"status"}\n');
    t.is(bad.lines.length, 6);
    t.regex(String((bad.lines[0]!.error as { message: string }).message), /not valid JSON/);
    t.regex(String((bad.lines[1]!.error as { message: string }).message), /JSON object/);
    t.regex(String((bad.lines[2]!.error as { message: string }).message), /unsupported protocol version 9/);
    t.like(bad.lines[3], { v: 1, id: 'a', ok: false, error: { message: 'unknown command "nope"' } });
    t.like(bad.lines[4], { id: 2, ok: false });
    t.like(bad.lines[5], { v: 1, id: 3, ok: true });
    const big = await raw(socket, 'x'.repeat(200_000));
    t.is(big.lines.length, 1);
    t.regex(String((big.lines[0]!.error as { message: string }).message), /longer than 65536 bytes/);
    t.true(big.closed, 'an oversized request closes the connection');
    t.is((await ctl(dirs, ['status'])).code, 0, 'still answering');

    // completion is valid bash and names the commands
    const comp = await ctl(dirs, ['completion', 'bash']);
    t.is(comp.code, 0);
    t.regex(comp.stdout, /complete -F _watcherctl watcherctl/);
    t.regex(comp.stdout, /whitelist/);
    execFileSync('bash', ['-n'], { input: comp.stdout });
    t.is((await ctl(dirs, ['completion', 'zsh'])).code, 2);

    // stop removes the socket; the runtime whitelist survives the restart
    t.is((await ctl(dirs, ['stop'], {})).code, 2, 'stop is a watcher verb, not a watcherctl command');
    d.proc.kill('SIGTERM');
    t.is(await d.exited, 0);
    t.false(existsSync(socket), 'socket removed on stop');
    const d2 = runDaemon(t, dirs);
    await d2.waitFor(/master load done/);
    t.like(JSON.parse((await ctl(dirs, ['show', '198.51.100.10', '--json'])).stdout), { whitelisted: true });
    t.is((await ctl(dirs, ['ban', '198.51.100.10', '--module', 'LG'])).code, 1, 'still whitelisted after the restart');
    t.regex((await ctl(dirs, ['whitelist', 'list'])).stdout, /198\.51\.100\.10/);
    d2.proc.kill('SIGTERM');
    t.is(await d2.exited, 0);
  });
}
