// The reporter actor for real: a report written into a directory from real module databases, and mailed
// through Debian's real Postfix `sendmail` into a private Postfix instance (its own config, queue and
// maildir under a temp directory; the machine's Postfix config and spool are not touched).
import test, { type ExecutionContext } from 'ava';
import { spawn } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createActor } from 'xstate';
import { reporterLogic } from '../../actors/reporter.js';
import type { ReportRun } from '../../machines/reporter.js';
import { loadConfig } from '../../src/config/load.js';
import type { WatcherConfig } from '../../src/config/schema.js';
import { loggerFor } from '../../src/log.js';
import { DAY, fillHistory, MIN } from '../helpers/report-fixture.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function tempDir(t: ExecutionContext): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'watcher-reporter-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function configFor(dir: string, reports: Record<string, unknown>): WatcherConfig {
  const r = loadConfig({
    configDir: path.join(dir, 'none'),
    overrides: { state_dir: path.join(dir, 'state'), run_dir: path.join(dir, 'run'), control: { socket: path.join(dir, 'run', 'watcher.sock') }, reports },
  });
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  return r.config;
}

/** Runs the reporter until its first run is done; returns that run. */
async function firstRun(config: WatcherConfig): Promise<ReportRun> {
  const actor = createActor(reporterLogic({ config: () => config, log: loggerFor('reporter') }), { input: { firstDelayMs: 20 } });
  try {
    return await new Promise<ReportRun>((resolve, reject) => {
      actor.subscribe({
        next: (s) => {
          if (s.context.last) resolve(s.context.last);
        },
        error: reject,
      });
      actor.start();
    });
  } finally {
    actor.stop();
  }
}

function fill(dir: string) {
  const end = Date.now();
  fillHistory(path.join(dir, 'state'), {
    module: 'LG', from: end - 2 * DAY, to: end, stepMs: 30 * MIN, seed: 11, prefix: '198.51.100.', size: 15,
    events: [{ rule: 'sshd-failed-password', event: 'auth-failure' }], users: ['root'],
  });
}

test('the reporter writes the HTML page into reports.dir; a failing sendmail is a failed run, the file is still there', async (t) => {
  const dir = tempDir(t);
  fill(dir);
  const out = path.join(dir, 'reports');
  const run = await firstRun(configFor(dir, { schedule: 'daily', dir: out, mail_to: ['root@localhost'], sendmail: '/bin/false' }));
  t.is(run.outcome, 'failed');
  t.regex(run.error ?? '', /mail: \/bin\/false exited 1/);
  t.truthy(run.file);
  t.is(path.dirname(run.file!), out);
  t.regex(path.basename(run.file!), /^watcher-report-\d{8}T\d{4}Z\.html$/);
  const page = readFileSync(run.file!, 'utf8');
  t.regex(page, /^<!DOCTYPE html>/);
  t.regex(page, /<figure id="chart-attacks"><svg/);
  t.regex(page, /data-value="\d+"/);
  t.regex(page, /198\.51\.100\./);
  t.deepEqual(readdirSync(out), [path.basename(run.file!)], 'no temp file left behind');
  t.true(run.nextDelayMs > 0 && run.nextDelayMs <= DAY, 'the next run is within a day');
});

// --- mail through a private Postfix ------------------------------------------------------------

const MASTER_CF = `pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
local     unix  -       n       n       -       -       local
virtual   unix  -       n       n       -       -       virtual
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
`;

/** A Postfix instance with no network listener that delivers admin@report.test into a maildir. */
async function privatePostfix(t: ExecutionContext, dir: string): Promise<{ etc: string; maildir: string; log: string }> {
  const pf = path.join(dir, 'postfix');
  const etc = path.join(pf, 'etc');
  const queue = path.join(pf, 'queue');
  const data = path.join(pf, 'data');
  const mail = path.join(pf, 'mail');
  const log = path.join(pf, 'maillog');
  for (const d of [etc, queue, data, mail]) mkdirSync(d, { recursive: true });
  // Postfix's daemons run as the postfix user and as nobody: they must reach their directories
  for (const d of [dir, pf]) chmodSync(d, 0o755);
  const uid = (name: string) => Number(/^[^:]+:[^:]*:(\d+):(\d+):/m.exec(readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith(`${name}:`)) ?? '')?.[1]);
  chownSync(data, uid('postfix'), 0);
  chownSync(mail, 65534, 65534);
  writeFileSync(
    path.join(etc, 'main.cf'),
    [
      'compatibility_level = 3.6',
      `queue_directory = ${queue}`,
      `data_directory = ${data}`,
      'myhostname = watcher-report.test',
      'myorigin = watcher-report.test',
      'mydestination =',
      'inet_interfaces = loopback-only',
      'inet_protocols = ipv4',
      'master_service_disable = inet',
      'alias_maps =',
      'alias_database =',
      'virtual_mailbox_domains = report.test',
      `virtual_mailbox_base = ${mail}`,
      'virtual_mailbox_maps = inline:{ admin@report.test=admin/ }',
      'virtual_uid_maps = static:65534',
      'virtual_gid_maps = static:65534',
      'virtual_minimum_uid = 100',
      `maillog_file = ${log}`,
      `maillog_file_prefixes = ${pf}`,
      'disable_dns_lookups = yes',
      'smtp_dns_support_level = disabled',
      'default_transport = error:no outside mail in this test',
      '',
    ].join('\n'),
  );
  writeFileSync(path.join(etc, 'master.cf'), MASTER_CF);
  const proc = spawn('/usr/sbin/postfix', ['-c', etc, 'start-fg'], { stdio: ['ignore', 'pipe', 'pipe'] });
  proc.stdout.resume();
  proc.stderr.resume();
  const pidFile = path.join(queue, 'pid', 'master.pid');
  t.teardown(async () => {
    // stop what we started, by PID: master (from its pid file), then postfix-script
    try {
      process.kill(Number(readFileSync(pidFile, 'utf8').trim()), 'SIGTERM');
    } catch {
      // not running
    }
    if (proc.exitCode === null) proc.kill('SIGTERM');
    await sleep(500);
  });
  for (let i = 0; i < 100 && !existsSync(log); i++) await sleep(100);
  for (let i = 0; i < 100 && !/daemon started/.test(existsSync(log) ? readFileSync(log, 'utf8') : ''); i++) await sleep(100);
  const started = existsSync(log) ? readFileSync(log, 'utf8') : '(no maillog)';
  if (!/daemon started/.test(started)) throw new Error(`the private Postfix did not start:\n${started}`);
  return { etc, maildir: path.join(mail, 'admin', 'new'), log };
}

test('the reporter mails text + HTML through the real Postfix sendmail into a maildir', async (t) => {
  if (!existsSync('/usr/sbin/postfix') || process.getuid?.() !== 0) {
    t.log(`skipped: needs root and Debian's postfix (${existsSync('/usr/sbin/postfix') ? 'not root' : 'postfix missing'})`);
    return t.pass();
  }
  const dir = tempDir(t);
  fill(dir);
  const pf = await privatePostfix(t, dir);
  // sendmail and postdrop take the private instance's config from MAIL_CONFIG (root may choose any)
  process.env.MAIL_CONFIG = pf.etc;
  t.teardown(() => void delete process.env.MAIL_CONFIG);
  const run = await firstRun(configFor(dir, { schedule: 'weekly', mail_to: ['admin@report.test'], sendmail: '/usr/sbin/sendmail' }));
  t.is(run.outcome, 'done', run.error ?? '');
  t.is(run.mailed, 1);
  t.is(run.file, null);
  let files: string[] = [];
  for (let i = 0; i < 150 && files.length === 0; i++) {
    await sleep(200);
    files = existsSync(pf.maildir) ? readdirSync(pf.maildir) : [];
  }
  t.is(files.length, 1, `delivered; maillog:\n${existsSync(pf.log) ? readFileSync(pf.log, 'utf8') : ''}`);
  const msg = readFileSync(path.join(pf.maildir, files[0]!), 'utf8');
  t.regex(msg, /^Delivered-To: admin@report\.test$/m);
  t.regex(msg, /^To: admin@report\.test$/m);
  t.regex(msg, /^Subject: Watcher report for /m);
  t.regex(msg, /^Message-Id: <.+@watcher-report\.test>$/mi, 'Postfix accepted and completed it');
  const boundary = /boundary="([^"]+)"/.exec(msg)![1]!;
  const parts = msg.split(`--${boundary}`).slice(1, -1);
  t.is(parts.length, 2);
  const decode = (p: string) => Buffer.from(p.slice(p.search(/\r?\n\r?\n/)).replace(/\s+/g, ''), 'base64').toString('utf8');
  t.regex(parts[0]!, /text\/plain; charset=utf-8/);
  t.regex(decode(parts[0]!), /^Watcher report for /);
  t.regex(parts[1]!, /text\/html; charset=utf-8/);
  const html = decode(parts[1]!);
  t.regex(html, /<figure id="chart-attacks"><svg/);
  t.regex(html, /198\.51\.100\./);
});
