// Watcher end to end, WB: nginx (a.example with basic auth, b.example) hit from the peer by curl
// with basic-auth failures, scanner paths and a request flood; access and error lines reach Watcher
// through rsyslog and the WB FIFO. Each attacker is banned; a good client still gets its pages.
import test from 'ava';
import { e2eUnavailable, startMailLab, type E2ELab } from '../helpers/e2e-lab.js';
import { startNginx, VHOST_A, VHOST_B } from '../helpers/e2e-daemons.js';
import { connectProbe, curlBasicAuth, curlFlood, curlPaths, curlScan, SCANNER_PATHS } from '../helpers/e2e-attacks.js';
import { SharedScope } from '../helpers/e2e-scope.js';
import { fifoSource, startWatcher, watcherE2eOff, type RunningWatcher } from '../helpers/e2e-watcher.js';

const LIMIT = 3;
const GOOD = '203.0.113.40';
const why = watcherE2eOff() ?? e2eUnavailable('web', 'watcher');
if (why) {
  console.log(`SKIP watcher e2e WB: ${why}`);
  test.skip('watcher e2e WB: basic-auth failures, scanners and floods are banned', () => undefined);
} else {
  const scope = new SharedScope();
  let lab: E2ELab;
  let w: RunningWatcher;

  test.before(async () => {
    lab = await startMailLab(scope);
    await startNginx(scope, lab);
    w = await startWatcher(scope, lab, {
      modules: { WB: { limit: LIMIT, window: '10m', ban_time: '1h', flood: { requests: 20, window: '10s' }, sources: fifoSource(lab, 'WB') } },
    });
  });
  test.after.always(() => scope.closeOrThrow());

  const goodClientOk = async () => {
    const codes = [...(await curlPaths(lab, GOOD, ['/'], { vhost: VHOST_A })), ...(await curlPaths(lab, GOOD, ['/'], { vhost: VHOST_B }))];
    return codes.join(',') === '200,200';
  };

  test.serial('basic-auth failures on a.example from 203.0.113.5 are banned', async (t) => {
    const src = '203.0.113.5';
    const r = await w.attackUntilBanned(src, 'WB', LIMIT + 3, () => curlBasicAuth(lab, src, { count: 1 }));
    t.log(`banned after ${r.rounds} basic-auth failures, ${r.ms} ms`);
    t.true(r.rounds <= LIMIT, `rounds: ${r.rounds}`);
    t.is(await connectProbe(lab, src, 80), 'blocked');
    t.true(await goodClientOk());
  });

  test.serial('a scanner on b.example from 203.0.113.6 is banned', async (t) => {
    const src = '203.0.113.6';
    const r = await w.attackUntilBanned(src, 'WB', SCANNER_PATHS.length, (i) => curlScan(lab, src, { paths: [SCANNER_PATHS[i]!] }));
    t.log(`banned after ${r.rounds} scanner paths, ${r.ms} ms`);
    t.is(await connectProbe(lab, src, 80), 'blocked');
    t.true(await goodClientOk());
  });

  test.serial('a request flood on b.example from 203.0.113.7 is banned', async (t) => {
    const src = '203.0.113.7';
    // Rounds of 10 requests on one keep-alive connection: a flood, yet bounded (after the ban a
    // further round would only wait for curl's timeouts).
    let answers = 0;
    let n503 = 0;
    const r = await w.attackUntilBanned(src, 'WB', 8, async () => {
      const codes = await curlFlood(lab, src, { requests: 10 });
      answers += codes.filter((c) => c > 0).length;
      n503 += codes.filter((c) => c === 503).length;
    });
    t.log(`flood banned after ${r.rounds} rounds, ${r.ms} ms: ${answers} answers (${n503} x 503) before the ban`);
    t.is(await connectProbe(lab, src, 80), 'blocked');
    t.true(await goodClientOk());
  });
}
