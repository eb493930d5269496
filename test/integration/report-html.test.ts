// `watcherctl report` over real module databases (filled through ModuleDb) with attacker-chosen user
// names and vhosts: --vhost reports hold nothing from other vhosts, HTML escapes everything, and the page
// renders in real headless Chromium with non-empty charts (screenshot decoded, DOM dumped). Also against
// a running daemon (dry-run firewall): the firewall part comes from its status answer.
import test, { type ExecutionContext } from 'ava';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { daemonDirs, distBuilt, runDaemon, watcher } from '../helpers/daemon.js';
import { decodePng } from '../helpers/png.js';
import { formatPoolHeader } from '../../src/core/pool-header.js';
import { DAY, fillHistory, MIN, type FillResult } from '../helpers/report-fixture.js';
import { openReader } from '../helpers/read-db.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const CHROMIUM = '/usr/bin/chromium';
const EVIL_VHOST = 'evil<script>alert(1)</script>.example';
const EVIL_USER = '<img src=x onerror=alert("pwn")>';
const GOOD = 'good.example';

let dir = '';
let flags: string[] = [];
let wb: FillResult;
let evilOnly: FillResult;
const ESCAPE_USER = 'x\u001b[2Jcleared';

test.before(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'watcher-report-'));
  for (const d of ['conf', 'state']) mkdirSync(path.join(dir, d));
  const state = path.join(dir, 'state');
  const end = Date.now();
  // two address pools: 203.0.113.1-20 hit both vhosts, 192.0.2.1-9 only the evil one
  wb = fillHistory(state, {
    module: 'WB', from: end - 3 * DAY, to: end, stepMs: 15 * MIN, seed: 5, prefix: '203.0.113.', size: 20,
    events: [{ rule: 'web-scan', event: 'scan' }, { rule: 'web-basic-auth', event: 'auth-failure' }],
    users: ['alice', 'carol'], vhosts: [GOOD, EVIL_VHOST],
  });
  evilOnly = fillHistory(state, {
    module: 'WB', from: end - 2 * DAY, to: end, stepMs: 30 * MIN, seed: 6, prefix: '192.0.2.', size: 9,
    events: [{ rule: 'web-evil-only-rule', event: 'scan' }], users: [EVIL_USER, ESCAPE_USER], vhosts: [EVIL_VHOST],
  });
  fillHistory(state, {
    module: 'LG', from: end - 3 * DAY, to: end, stepMs: 20 * MIN, seed: 7, prefix: '198.51.100.', size: 25,
    events: [{ rule: 'sshd-failed-password', event: 'auth-failure' }], users: ['root', 'oracle'], unbanEvery: 9,
  });
  flags = ['--config-dir', path.join(dir, 'conf'), '--state-dir', state, '--run-dir', path.join(dir, 'run')];
  // a load pool list as a dynloader stores it (header lines, then entries)
  mkdirSync(path.join(state, 'loadpool'));
  const header = formatPoolHeader('spamhaus', { source: 'https://www.spamhaus.org/drop/drop_v4.json', fetchedAt: new Date(end - 3_600_000).toISOString(), entries: 2, checksum: 'sha256:00' });
  writeFileSync(path.join(state, 'loadpool', 'spamhaus.list'), `${header.split('\n').map((l) => `# ${l}`).join('\n')}\n192.0.2.0/24\n198.51.100.0/24\n`);
});

test.after.always(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function ctl(...args: string[]) {
  return spawnSync(process.execPath, [path.join(ROOT, 'bin/watcherctl.js'), ...args], { encoding: 'utf8', timeout: 60_000 });
}

function html(t: ExecutionContext, name: string, ...args: string[]): { file: string; text: string } {
  const file = path.join(dir, name);
  const r = ctl('report', '--html', file, ...args, ...flags);
  t.is(r.status, 0, r.stderr);
  return { file, text: readFileSync(file, 'utf8') };
}

test('--vhost: text, JSON and HTML hold nothing from the other vhost', (t) => {
  // addresses and user names seen only on the evil vhost, and rules used only there
  const onlyEvil = [...[...wb.vhostOfIp].filter(([, v]) => !v.has(GOOD)).map(([ip]) => ip), ...evilOnly.vhostOfIp.keys()];
  t.true(onlyEvil.length >= 5, 'the fixture has addresses seen only on the other vhost');
  const forbidden = [EVIL_VHOST, 'evil', 'web-evil-only-rule', EVIL_USER, 'cleared', '192.0.2.', 'LG', '198.51.100.', 'root'];
  const text = ctl('report', '--vhost', GOOD, ...flags);
  t.is(text.status, 0, text.stderr);
  t.regex(text.stdout, /good\.example/);
  t.regex(text.stdout, /Top offenders/);
  const json = ctl('report', '--vhost', GOOD, '--json', ...flags);
  t.is(json.status, 0, json.stderr);
  const page = html(t, 'good.html', '--vhost', GOOD);
  for (const [name, out] of [['text', text.stdout + '\n'], ['json', json.stdout], ['html', page.text]] as const) {
    for (const f of forbidden) t.false(out.includes(f) || out.includes(f.replaceAll('<', '&lt;')), `${name} report contains "${f}"`);
    for (const ip of onlyEvil) t.notRegex(out, new RegExp(`(?<![\\d.])${ip.replaceAll('.', '\\.')}(?![\\d.])`), `${name} report contains ${ip}`);
  }
  // what it does show is from this vhost: its offenders attacked good.example
  const model = JSON.parse(json.stdout) as { topOffenders: { ip: string }[]; firewall: unknown; modules: unknown[] };
  t.true(model.topOffenders.length > 0);
  for (const o of model.topOffenders) t.true(wb.vhostOfIp.get(o.ip)?.has(GOOD), o.ip);
  t.is(model.firewall, null);
  t.deepEqual(model.modules, []);
});

test('HTML escapes user names and vhosts from the logs; the text report strips control characters', (t) => {
  const page = html(t, 'all.html');
  t.false(page.text.includes('<script>alert'), 'no raw script element');
  t.false(page.text.includes('<img'), 'no raw img element');
  t.true(page.text.includes('evil&lt;script&gt;alert(1)&lt;/script&gt;.example'));
  t.true(page.text.includes('&lt;img src=x onerror=alert(&quot;pwn&quot;)&gt;'));
  t.notRegex(page.text, /<script|<link|<img|src="http|href="http|@import/i, 'self-contained: no script, no external asset');
  const text = ctl('report', ...flags);
  t.is(text.status, 0, text.stderr);
  t.true(text.stdout.includes(EVIL_USER), 'the text report shows the name as it was');
  t.false(text.stdout.includes('\u001b'), 'no terminal escape reaches the terminal');
  t.true(text.stdout.includes('x?[2Jcleared'));
  t.regex(text.stdout, /daemon\s+not running/);
  t.regex(text.stdout, /spamhaus\s+2\s+\S+Z\s+60 min\s+-\s+-\s+https:\/\/www\.spamhaus\.org/, 'the load pool list with its entries and age');
});

function chromium(t: ExecutionContext): boolean {
  if (existsSync(CHROMIUM)) return true;
  if (process.getuid?.() === 0) {
    t.fail(`${CHROMIUM} is missing (scripts/ensure-deps.sh test installs Debian's chromium)`);
    return false;
  }
  t.log(`skipped: ${CHROMIUM} is missing and we are not root to install it (apt-get install chromium)`);
  t.pass();
  return false;
}

function runChromium(profile: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  // asynchronously: its stderr is chatty (D-Bus), and the test must not block on a full pipe
  return new Promise((resolve) => {
    const p = spawn(
      CHROMIUM,
      ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', `--user-data-dir=${profile}`, ...args],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    p.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    const timer = setTimeout(() => p.kill('SIGKILL'), 90_000);
    p.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? 1, stdout, stderr });
    });
  });
}

const CHART_COLORS = [
  [0x1f, 0x6f, 0xb4],
  [0xc6, 0x28, 0x28],
];

test('the HTML report renders in headless Chromium: three charts with bars on the screenshot and in the DOM', async (t) => {
  if (!chromium(t)) return;
  const page = html(t, 'chromium.html');
  const url = `file://${page.file}`;
  const png = path.join(dir, 'shot.png');
  const shot = await runChromium(path.join(dir, 'chr1'), [`--screenshot=${png}`, '--window-size=1200,2000', url]);
  t.is(shot.code, 0, shot.stderr);
  const img = decodePng(readFileSync(png));
  t.is(img.width, 1200);
  t.is(img.height, 2000);
  // rows holding chart-coloured pixels, grouped into bands separated by 30+ rows without any
  const perRow: number[] = [];
  for (let y = 0; y < img.height; y++) {
    let n = 0;
    for (let x = 0; x < img.width; x++) {
      const o = (y * img.width + x) * 4;
      if (CHART_COLORS.some(([r, g, b]) => Math.abs(img.data[o]! - r!) < 8 && Math.abs(img.data[o + 1]! - g!) < 8 && Math.abs(img.data[o + 2]! - b!) < 8)) n++;
    }
    perRow.push(n);
  }
  const bands: { from: number; to: number; pixels: number }[] = [];
  for (let y = 0; y < perRow.length; y++) {
    if (perRow[y]! === 0) continue;
    const last = bands[bands.length - 1];
    if (last && y - last.to <= 30) {
      last.to = y;
      last.pixels += perRow[y]!;
    } else bands.push({ from: y, to: y, pixels: perRow[y]! });
  }
  t.log(`chart bands: ${bands.map((b) => `${b.from}-${b.to} (${b.pixels} px)`).join(', ')}`);
  t.true(bands.length >= 3, 'three chart regions with bars');
  for (const b of bands.slice(0, 3)) {
    t.true(b.to - b.from > 40, `band ${b.from}-${b.to} is tall`);
    t.true(b.pixels > 3000, `band ${b.from}-${b.to} is not blank`);
  }

  const dom = await runChromium(path.join(dir, 'chr2'), ['--dump-dom', url]);
  t.is(dom.code, 0, dom.stderr);
  for (const id of ['chart-attacks', 'chart-bans', 'chart-sources']) {
    const fig = new RegExp(`<figure id="${id}">([\\s\\S]*?)</figure>`).exec(dom.stdout);
    t.truthy(fig, `${id} in the DOM`);
    const bars = [...fig![1]!.matchAll(/<rect class="bar"[^>]*data-value="(\d+)"[^>]*height="([\d.]+)"/g)];
    t.true(bars.length >= 5, `${id}: ${bars.length} bars`);
    t.true(bars.every((m) => Number(m[1]) > 0 && Number(m[2]) > 0), `${id}: every bar has a value and a height`);
  }
  t.false(/<script|<img/i.test(dom.stdout), 'the DOM has no script or img element from the logs');
});

test('against a running daemon: the firewall part comes from its status answer', async (t) => {
  const missing = distBuilt();
  if (missing) return t.fail(missing);
  const dirs = daemonDirs(t, 'firewall:\n  backend: dry-run\n');
  const d = runDaemon(t, dirs);
  await d.waitFor(/master load done/);
  const r = spawnSync(process.execPath, [path.join(ROOT, 'bin/watcherctl.js'), 'report', '--json', ...dirs.flags], { encoding: 'utf8', timeout: 60_000 });
  t.is(r.status, 0, r.stderr);
  const m = JSON.parse(r.stdout) as { firewall: { daemon: string; backend: string; masterLoad: { at: number | null; state: string } | null; children: { id: string }[] } };
  t.is(m.firewall.daemon, 'running');
  t.is(m.firewall.backend, 'dry-run');
  t.truthy(m.firewall.masterLoad);
  t.true(m.firewall.children.some((c) => c.id === 'fw-writer'));
  d.proc.kill('SIGTERM');
  await d.exited;
});

test('the daemon runs the reporter child when reports.schedule is set; a reload to off removes it', async (t) => {
  const missing = distBuilt();
  if (missing) return t.fail(missing);
  const dirs = daemonDirs(t, 'firewall:\n  backend: dry-run\n');
  writeFileSync(path.join(dirs.conf, '60-reports.yaml'), `reports:\n  schedule: weekly\n  at: "03:00"\n  dir: ${dirs.root}/reports\n`);
  const d = runDaemon(t, dirs);
  await d.waitFor(/master load done/);
  const children = async () => {
    const r = spawnSync(process.execPath, [path.join(ROOT, 'bin/watcherctl.js'), 'status', '--json', ...dirs.flags], { encoding: 'utf8', timeout: 30_000 });
    return (JSON.parse(r.stdout) as { children: { id: string; state: string; machineState?: unknown }[] }).children;
  };
  const reporter = (await children()).find((c) => c.id === 'reporter');
  t.is(reporter?.state, 'running');
  t.is(reporter?.machineState, 'waiting');
  writeFileSync(path.join(dirs.conf, '60-reports.yaml'), 'reports:\n  schedule: "off"\n');
  t.is((await watcher(dirs, ['reload'])).code, 0);
  await d.waitFor(/removed by reload/);
  t.false((await children()).some((c) => c.id === 'reporter'));
  d.proc.kill('SIGTERM');
  await d.exited;
});

test('stats --vhost: only that vhost affairs, only affair columns', async (t) => {
  const { parseCsv } = await import('../helpers/csv.js');
  const Database = (await import('better-sqlite3')).default;
  const r = ctl('stats', '--module', 'WB', '--vhost', GOOD, '--by', 'day', '--from', new Date(Date.now() - 5 * DAY).toISOString().slice(0, 10), '--csv', ...flags);
  t.is(r.status, 0, r.stderr);
  const rows = parseCsv(r.stdout);
  t.deepEqual(rows[0], ['from', 'to', 'affairs', 'affairs:auth-failure', 'affairs:scan']);
  const total = rows.slice(1).reduce((s, row) => s + Number(row[2]), 0);
  const db = openReader(path.join(dir, 'state', 'db', 'WB.sqlite'));
  t.teardown(() => db.close());
  t.is(total, db.prepare('SELECT count(*) FROM affairs WHERE vhost = ?').pluck().get(GOOD) as number);
  t.true(total > 0);
});
