// Watcher end to end, MX and MB: Postfix probed with swaks (relay attempts from one address → MX
// ban, SASL failures on 587 from another → MB ban) and Dovecot brute-forced by hydra over IMAP and
// POP3 (→ MB bans); good clients keep working. Lines reach Watcher through rsyslog and the MX / MB
// FIFOs.
import test from 'ava';
import { e2eUnavailable, startMailLab, type E2ELab } from '../helpers/e2e-lab.js';
import { startMailStack } from '../helpers/e2e-daemons.js';
import { attackImap, attackPop3, connectProbe, mailLogin, swaksAuth, swaksRelay, type HydraOptions } from '../helpers/e2e-attacks.js';
import { SharedScope } from '../helpers/e2e-scope.js';
import { fifoSource, startWatcher, watcherE2eOff, type RunningWatcher } from '../helpers/e2e-watcher.js';

const LIMIT = 3;
const why = watcherE2eOff() ?? e2eUnavailable('mail', 'watcher');
if (why) {
  console.log(`SKIP watcher e2e MX/MB: ${why}`);
  test.skip('watcher e2e MX/MB: swaks relay and SASL, hydra IMAP/POP3 are banned', () => undefined);
} else {
  const scope = new SharedScope();
  let lab: E2ELab;
  let w: RunningWatcher;

  test.before(async () => {
    lab = await startMailLab(scope);
    await startMailStack(scope, lab);
    w = await startWatcher(scope, lab, {
      modules: {
        MX: { limit: LIMIT, window: '10m', ban_time: '1h', sources: fifoSource(lab, 'MX') },
        MB: { limit: LIMIT, window: '10m', ban_time: '1h', sources: fifoSource(lab, 'MB') },
      },
    });
  });
  test.after.always(() => scope.closeOrThrow());

  test.serial('MX: relay attempts from 198.51.100.20 are banned; port 25 then drops it', async (t) => {
    const src = '198.51.100.20';
    const r = await w.attackUntilBanned(src, 'MX', LIMIT + 3, () => swaksRelay(lab, src, { count: 1, timeoutMs: 25_000 }));
    t.log(`banned after ${r.rounds} relay attempts, ${r.ms} ms`);
    t.true(r.rounds <= LIMIT, `rounds: ${r.rounds}`);
    t.is(await connectProbe(lab, src, 25), 'blocked');
    t.is(await connectProbe(lab, '198.51.100.26', 25), 'open', 'another client still reaches Postfix');
  });

  // Each SASL failure is also a "lost connection after AUTH" for MX, so whichever module reaches its
  // limit first bans the attacker: MB (the SASL warning) or MX (the lost connection).
  test.serial('MX/MB: SASL failures on 587 from 198.51.100.21 are banned; a good SASL client still authenticates', async (t) => {
    const src = '198.51.100.21';
    const r = await w.attackUntilBanned(src, undefined, LIMIT + 3, () => swaksAuth(lab, src, { count: 1, timeoutMs: 40_000 }), 15_000);
    t.true(w.inSet(src, 'MB') || w.inSet(src, 'MX'), 'banned by MB or MX');
    t.log(`banned after ${r.rounds} SASL failures, ${r.ms} ms (Dovecot's auth penalty included)`);
    t.true(r.rounds <= LIMIT, `rounds: ${r.rounds}`);
    t.is(await connectProbe(lab, src, 587), 'blocked');
    const good = await swaksAuth(lab, '198.51.100.24', { count: 1, password: lab.user.password });
    t.regex(good[0]!.stdout, /235 2\.7\.0 Authentication successful/);
    t.false(w.inSet('198.51.100.24'));
  });

  const hydraBan = (name: string, src: string, port: number, attack: (o: HydraOptions) => ReturnType<typeof attackImap>) =>
    test.serial(`MB: hydra ${name} from ${src} is banned; port ${port} then drops it; a good client still logs in`, async (t) => {
      const ac = new AbortController();
      const run = attack({ attempts: 12, timeoutMs: 90_000, signal: ac.signal });
      const banMs = await w.waitInSet(src, 60_000, 'MB').finally(() => ac.abort());
      const res = await run;
      t.log(`banned ${banMs} ms after hydra ${name} started (hydra ran ${res.ms} ms)`);
      t.is(await connectProbe(lab, src, port), 'blocked');
      const good = await mailLogin(lab, '198.51.100.25', name as 'imap' | 'pop3');
      t.true(good.ok, good.stderr);
    });
  hydraBan('imap', '198.51.100.22', 143, (o) => attackImap(lab, '198.51.100.22', o));
  hydraBan('pop3', '198.51.100.23', 110, (o) => attackPop3(lab, '198.51.100.23', o));
}
