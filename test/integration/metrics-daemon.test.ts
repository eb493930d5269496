// Metrics and logging of a running daemon (dry-run firewall): metrics off means nothing listens;
// module lines go to <log_dir>/LG.log, the rest to watcher.log; info has no per-line tracing; a
// reload switches to trace and turns the endpoint on; a real scrape shows lines read and matched,
// affairs, bans, set sizes and the apply histogram; a copytruncate leaves no hole in the log file.
import test from 'ava';
import net from 'node:net';
import { appendFileSync, existsSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { daemonDirs, distBuilt, runDaemon, watcher, type DaemonDirs } from '../helpers/daemon.js';
import { request } from '../../src/control/client.js';
import { syslogStamp, sshFailed } from '../helpers/syslog-lines.js';

const why = distBuilt();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const stamp = syslogStamp;
const failed = sshFailed;
const noise = (n: number) => `${stamp()} web1 cron[77]: (root) CMD (run-parts /etc/cron.hourly ${n})`;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.on('connect', () => {
      s.destroy();
      resolve(false);
    });
    s.on('error', (e: NodeJS.ErrnoException) => resolve(e.code === 'ECONNREFUSED'));
  });
}

async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, ms = 15_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

const read = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8') : '');
const socketOf = (dirs: DaemonDirs) => path.join(dirs.run, 'watcher.sock');

async function inject(dirs: DaemonDirs, lines: string[]): Promise<void> {
  const r = await request(socketOf(dirs), { cmd: 'inject', module: 'LG', lines });
  if (!r.ok) throw new Error(`inject refused: ${r.error?.message}`);
}

/** Lines LG's pipeline has judged, from `status`. */
async function judged(dirs: DaemonDirs): Promise<number> {
  const r = await request(socketOf(dirs), { cmd: 'status' });
  const mods = (r.result as { modules: { module: string; lines: number }[] }).modules;
  return mods.find((m) => m.module === 'LG')?.lines ?? 0;
}

/** The samples of a text exposition: `name{labels}` -> value. */
function samples(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*(?:\{[^}]*\})?) (\S+)$/.exec(line);
    if (!m) throw new Error(`not exposition format: ${line}`);
    out.set(m[1]!, Number(m[2]));
  }
  return out;
}

if (why) {
  console.log(`SKIP metrics daemon tests: ${why}`);
  test.skip('metrics and log files of a running daemon', () => undefined);
} else {
  test.serial('metrics off/on by reload, scrape counters, per-module log files, trace only at trace, copytruncate', async (t) => {
    const port = await freePort();
    const dirs = daemonDirs(
      t,
      [
        'log_level: info',
        'firewall: { backend: dry-run }',
        `metrics: { enabled: false, listen: "127.0.0.1:${port}" }`,
        'modules:',
        '  LG: { enabled: true, limit: 3, dns: false, sources: [] }',
        '',
      ].join('\n'),
    );
    // only the shipped rules apply, whatever the host has in /etc/watcher/rules.d
    appendFileSync(path.join(dirs.conf, '50-test.yaml'), `rules:\n  local_dir: ${dirs.root}/rules.d\n`);
    // a dynloader reading a local file: its runs and its set show up in the metrics
    const feed = path.join(dirs.root, 'feed.list');
    writeFileSync(feed, '198.51.100.0/24\n203.0.113.9\n2001:db8:77::/48\n');
    appendFileSync(path.join(dirs.conf, '50-test.yaml'), `dynloaders:\n  feed: { enabled: true, file: ${feed} }\n`);
    writeFileSync(dirs.whitelist, '');
    writeFileSync(dirs.blacklist, '');
    const lgLog = path.join(dirs.log, 'LG.log');
    const mainLog = path.join(dirs.log, 'watcher.log');
    const d = runDaemon(t, dirs);
    await d.waitFor(/\[module:LG\] reading /);
    await d.waitFor(/dynloader feed: 3 entries swapped in/);

    // metrics are off: nothing listens on the configured port
    t.true(await refused(port), 'metrics disabled: nothing listens');

    // info level: lines are judged, nothing is traced
    await inject(dirs, [failed('203.0.113.5'), noise(1)]);
    await until('2 lines judged', async () => ((await judged(dirs)) >= 2 ? true : undefined));
    await sleep(200);
    t.regex(read(lgLog), /\[module:LG\] reading /, 'module lines go to LG.log');
    t.notRegex(read(lgLog), / trace /, 'no tracing at info');
    t.regex(read(mainLog), /\[daemon\] firewall backend: dry-run/, 'the rest goes to watcher.log');
    t.notRegex(read(mainLog), /\[module:LG\]/, 'module lines are not in watcher.log');

    // reload: trace level and metrics on
    writeFileSync(path.join(dirs.conf, '60-reload.yaml'), `log_level: trace\nmetrics: { enabled: true, listen: "127.0.0.1:${port}" }\n`);
    t.true((await request(socketOf(dirs), { cmd: 'reload' })).ok);
    await d.waitFor(new RegExp(`metrics: serving http://127\\.0\\.0\\.1:${port}/metrics`));

    await inject(dirs, [failed('203.0.113.5'), failed('203.0.113.5'), noise(2)]);
    const traced = await until('trace lines in LG.log', () => {
      const text = read(lgLog);
      return /trace \[module:LG\] line .*cron.*: no rule: no rule for program "cron"/.test(text) ? text : undefined;
    });
    t.regex(traced, /trace \[module:LG\] line ".*Failed password for root from 203\.0\.113\.5.*": rule sshd-failed-password matched, address 203\.0\.113\.5/);
    t.notRegex(read(mainLog), / trace /, 'trace lines are module lines: not in watcher.log');

    // a real scrape: wait until the ban reached the firewall and fw-writer took it off its queue (the
    // module counts the ban when it asks; the writer's queue empties a moment after the set has it)
    const url = `http://127.0.0.1:${port}/metrics`;
    const s = await until('the applied ban in the metrics', async () => {
      const res = await fetch(url);
      t.is(res.status, 200);
      const m = samples(await res.text());
      return m.get('watcher_bans_total{module="LG"}') === 1 && m.get('watcher_fw_queue_depth') === 0 ? m : undefined;
    });
    t.is(s.get('watcher_lines_read_total{module="LG"}'), 5);
    t.is(s.get('watcher_lines_matched_total{module="LG"}'), 3);
    t.is(s.get('watcher_affairs_total{module="LG"}'), 3);
    t.is(s.get('watcher_set_entries{set="mod:LG",family="4"}'), 1);
    t.true((s.get('watcher_fw_apply_seconds_count{kind="plan"}') ?? 0) >= 1, 'the master load was timed');
    t.true((s.get('watcher_fw_apply_seconds_count{kind="batch"}') ?? 0) >= 1, 'the ban batch was timed');
    t.true((s.get('watcher_fw_apply_seconds_bucket{le="+Inf",kind="batch"}') ?? 0) >= 1);
    t.is(s.get('watcher_actor_restarts_total{actor="module:LG"}'), 0);
    t.true((s.get('process_resident_memory_bytes') ?? 0) > 0, 'process defaults are exported');
    t.is(s.get('watcher_dynload_runs_total{loader="feed",outcome="replaced"}'), 1);
    t.is(s.get('watcher_dynload_entries{loader="feed"}'), 3);
    t.is(s.get('watcher_set_entries{set="dl:feed",family="4"}'), 2);
    t.is(s.get('watcher_set_entries{set="dl:feed",family="6"}'), 1);

    // a second run of the same list: no firewall work, counted as unchanged
    t.true((await request(socketOf(dirs), { cmd: 'dynload', name: 'feed' })).ok);
    await until('the unchanged run', async () => {
      const m = samples(await (await fetch(url)).text());
      return m.get('watcher_dynload_runs_total{loader="feed",outcome="unchanged"}') === 1 ? true : undefined;
    });

    // copytruncate: logrotate copies the file, then truncates it in place while Watcher writes on
    const before = read(lgLog).length;
    truncateSync(lgLog, 0);
    await inject(dirs, [noise(3)]);
    const after = await until('a line written after the truncation', () => {
      const buf = readFileSync(lgLog);
      return buf.includes('CMD (run-parts /etc/cron.hourly 3)') ? buf : undefined;
    });
    t.false(after.includes(0), 'no hole of NUL bytes: the write went to the new end of the file');
    t.true(after.length < before, 'the file starts again from its new end');
    t.regex(after.toString('utf8'), /^\d{4}-\d\d-\d\dT/, 'the first byte is the start of a log line');

    d.proc.kill('SIGTERM');
    t.is(await d.exited, 0);
    t.regex(read(mainLog), /\[daemon\] stopped\n$/, 'the last line reached the file before exit');
  });

  test.serial('counters carry across a module restart; the restart is counted', async (t) => {
    const port = await freePort();
    const dirs = daemonDirs(t, '');
    const fifo = path.join(dirs.root, 'LG.fifo');
    appendFileSync(
      path.join(dirs.conf, '50-test.yaml'),
      [
        'firewall: { backend: dry-run }',
        `metrics: { enabled: true, listen: "127.0.0.1:${port}" }`,
        `rules: { local_dir: ${dirs.root}/rules.d }`,
        'modules:',
        `  LG: { enabled: true, limit: 50, dns: false, sources: [{ type: fifo, path: ${fifo} }] }`,
        '',
      ].join('\n'),
    );
    writeFileSync(dirs.whitelist, '');
    writeFileSync(dirs.blacklist, '');
    const d = runDaemon(t, dirs);
    await d.waitFor(/\[module:LG\] reading fifo:/);
    const url = `http://127.0.0.1:${port}/metrics`;
    const scrapeUntil = (what: string, ok: (m: Map<string, number>) => boolean) =>
      until(what, async () => {
        const m = samples(await (await fetch(url)).text());
        return ok(m) ? m : undefined;
      });

    await inject(dirs, [failed('203.0.113.7'), failed('203.0.113.7')]);
    await scrapeUntil('2 affairs', (m) => m.get('watcher_affairs_total{module="LG"}') === 2);

    // the FIFO replaced by a regular file: the source fails, the supervisor restarts the module
    rmSync(fifo);
    writeFileSync(fifo, '');
    await d.waitFor(/restart in \d+ ms/);
    rmSync(fifo); // the restarted module makes its FIFO again
    await d.waitFor(/restarted \(#1\)/);
    await until('the module reading again', () => ((d.output().match(/\[module:LG\] reading fifo:/g) ?? []).length >= 2 ? true : undefined));

    await inject(dirs, [failed('203.0.113.7'), noise(9)]);
    const m = await scrapeUntil('3 affairs after the restart', (x) => x.get('watcher_affairs_total{module="LG"}') === 3);
    t.is(m.get('watcher_lines_read_total{module="LG"}'), 4, 'lines of both incarnations');
    t.is(m.get('watcher_lines_matched_total{module="LG"}'), 3);
    t.is(m.get('watcher_actor_restarts_total{actor="module:LG"}'), 1);
    d.proc.kill('SIGTERM');
    t.is(await d.exited, 0);
  });

  test('check-config refuses a non-loopback metrics.listen with file:line, accepts [::1]', async (t) => {
    const dirs = daemonDirs(t, 'metrics:\n  enabled: true\n  listen: "0.0.0.0:9797"\n');
    const file = path.join(dirs.conf, '50-test.yaml');
    const line = readFileSync(file, 'utf8').split('\n').findIndex((l) => l.includes('listen:')) + 1;
    const bad = await watcher(dirs, ['check-config']);
    t.is(bad.code, 1);
    t.true(bad.out.includes(`${file}:${line}: metrics.listen: 0.0.0.0 must be a loopback address`), bad.out);

    appendFileSync(path.join(dirs.conf, '60-v6.yaml'), 'metrics:\n  listen: "[2001:db8::1]:9797"\n');
    const v6 = await watcher(dirs, ['check-config']);
    t.regex(v6.out, /60-v6\.yaml:2: metrics\.listen: 2001:db8::1 must be a loopback address/);

    writeFileSync(path.join(dirs.conf, '60-v6.yaml'), 'metrics:\n  listen: "[::1]:9797"\n');
    const good = await watcher(dirs, ['check-config']);
    t.is(good.code, 0, good.out);
  });
}
