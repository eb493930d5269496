// Watcher end to end, LG: OpenSSH on the lab's private host attacked by hydra from the peer; sshd's
// lines reach Watcher through rsyslog and the LG FIFO as in production. After the limit the
// attacker's new TCP connections to port 22 are dropped while a good client still logs in.
import test from 'ava';
import { e2eUnavailable, startMailLab, PEER4, type E2ELab } from '../helpers/e2e-lab.js';
import { startSshd } from '../helpers/e2e-daemons.js';
import { attackSsh, connectProbe, sshLogin } from '../helpers/e2e-attacks.js';
import { SharedScope } from '../helpers/e2e-scope.js';
import { fifoSource, startWatcher, watcherE2eOff, type RunningWatcher } from '../helpers/e2e-watcher.js';

const LIMIT = 3;
const why = watcherE2eOff() ?? e2eUnavailable('ssh', 'watcher');
if (why) {
  console.log(`SKIP watcher e2e LG: ${why}`);
  test.skip('watcher e2e LG: hydra on sshd is banned, a good client still logs in', () => undefined);
} else {
  const scope = new SharedScope();
  let lab: E2ELab;
  let w: RunningWatcher;

  test.before(async () => {
    lab = await startMailLab(scope);
    await startSshd(scope, lab);
    w = await startWatcher(scope, lab, { modules: { LG: { limit: LIMIT, window: '10m', ban_time: '1h', sources: fifoSource(lab, 'LG') } } });
  });
  test.after.always(() => scope.closeOrThrow());

  for (const [attacker, good] of [
    ['198.51.100.7', '203.0.113.50'],
    ['2001:db8:1::7', '2001:db8:1::50'],
  ] as const) {
    test.serial(`hydra from ${attacker} is banned after ${LIMIT} failures; ${good} still logs in`, async (t) => {
      t.is(await connectProbe(lab, PEER4, 22), 'open');
      t.false(w.inSet(attacker), 'not banned before the attack');
      const ac = new AbortController();
      const t0 = Date.now();
      const attack = attackSsh(lab, attacker, { attempts: 12, timeoutMs: 60_000, signal: ac.signal });
      const banMs = await w.waitInSet(attacker, 45_000, 'LG').finally(() => ac.abort());
      const r = await attack;
      t.log(`banned ${banMs} ms after hydra started (hydra ${r.aborted ? 'stopped' : 'finished'} after ${r.ms} ms)`);
      const failures = lab.readAllLog().split('\n').filter((l) => l.includes(`Failed password for alice from ${attacker} `)).length;
      t.log(`${failures} failed passwords logged in all (hydra runs 4 tasks in step, so a burst lands together)`);
      t.is(await connectProbe(lab, attacker, 22), 'blocked', 'new connections from the attacker are dropped');
      t.is(await connectProbe(lab, attacker, 22), 'blocked');
      const ok = await sshLogin(lab, good);
      t.true(ok.ok, `good client: ${ok.code} ${ok.stderr}`);
      t.false(w.inSet(good));
      t.log(`${Date.now() - t0} ms for the whole test`);
    });
  }
}
