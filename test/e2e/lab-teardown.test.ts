// The e2e lab cleans up after itself: every process in its namespaces is stopped by PID, the
// namespaces and the lab dir are removed when a test fails, and a watchdog does the same when the
// test process itself dies. Also: rsyslog can write Debian 13's RFC 3339 stamps.
import test from 'ava';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { e2eUnavailable, startMailLab } from '../helpers/e2e-lab.js';
import { startSshd } from '../helpers/e2e-daemons.js';
import { FifoReader } from '../helpers/e2e-fifo.js';
import { SharedScope } from '../helpers/e2e-scope.js';
import { sleep } from '../helpers/e2e-proc.js';

const FIXTURE = fileURLToPath(new URL('./fixtures/lab-crash.ts', import.meta.url));
const nsList = () => execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });
const nsPids = (ns: string) => execFileSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' }).split(/\s+/).filter(Boolean).map(Number);
const alive = (pid: number) => existsSync(`/proc/${pid}`);
const hasNs = (name: string) => nsList().split('\n').some((l) => l.split(' ')[0] === name);

const why = e2eUnavailable('ssh');
if (why) {
  console.log(`SKIP e2e lab teardown: ${why}`);
  test.skip('e2e lab: teardown', () => undefined);
} else {
  test.serial('a failing test still stops every process by PID and removes namespaces and files; RFC 3339 stamps', async (t) => {
    const scope = new SharedScope();
    let made: { server: string; peer: string; dir: string; pids: number[] } | null = null;
    try {
      const lab = await startMailLab(scope, { syslogFormat: 'rfc3339' });
      const lg = new FifoReader(lab.fifos.LG, scope);
      await startSshd(scope, lab);
      void lab.peerRun(['sleep', '600'], { timeoutMs: 600_000 });
      await sleep(200);
      const l = await lg.waitFor(/Server listening on 0\.0\.0\.0 port 22/);
      t.regex(l[0]!, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}[+-]\d\d:\d\d mail sshd\[\d+\]: Server listening/);
      made = { server: lab.server, peer: lab.peer, dir: lab.dir, pids: [...nsPids(lab.server), ...nsPids(lab.peer)] };
      t.true(made.pids.length >= 4, `holder, rsyslogd, sshd, sleep: ${made.pids.join(' ')}`);
      throw new Error('simulated test failure');
    } catch (err) {
      t.is((err as Error).message, 'simulated test failure');
    } finally {
      t.deepEqual(await scope.close(), []);
    }
    t.truthy(made);
    for (const pid of made!.pids) t.false(alive(pid), `pid ${pid} still alive`);
    t.false(hasNs(made!.server));
    t.false(hasNs(made!.peer));
    t.false(existsSync(made!.dir));
  });

  test.serial('a watchdog removes the lab when the test process dies without teardown', async (t) => {
    const child = spawn(process.execPath, ['--import=tsx', FIXTURE], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    t.teardown(() => {
      if (child.exitCode === null) child.kill('SIGKILL');
    });
    const deadline = Date.now() + 30_000;
    while (!out.includes('\n')) {
      if (child.exitCode !== null || Date.now() > deadline) t.fail(`fixture did not start: ${out}\n${err}`);
      await sleep(50);
    }
    const made = JSON.parse(out.split('\n')[0]!) as { server: string; peer: string; dir: string; pids: number[] };
    t.true(hasNs(made.server) && hasNs(made.peer));
    t.true(made.pids.length >= 4, made.pids.join(' '));
    child.kill('SIGKILL');
    const t0 = Date.now();
    while (Date.now() - t0 < 15_000 && (hasNs(made.server) || hasNs(made.peer) || existsSync(made.dir) || made.pids.some(alive))) await sleep(200);
    t.log(`watchdog cleaned up ${Date.now() - t0} ms after the kill`);
    for (const pid of made.pids) t.false(alive(pid), `pid ${pid} still alive`);
    t.false(hasNs(made.server));
    t.false(hasNs(made.peer));
    t.false(existsSync(made.dir));
  });
}
