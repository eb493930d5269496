// The e2e lab itself, without Watcher: real OpenSSH on the lab's private host, attacked by hydra
// from the peer; its lines reach the LG FIFO through the private rsyslog, as production would feed
// Watcher. One lab for the whole file.
import test from 'ava';
import { e2eUnavailable, startMailLab, PEER4, type E2ELab } from '../helpers/e2e-lab.js';
import { startSshd, type Daemon } from '../helpers/e2e-daemons.js';
import { attackSsh, connectProbe, sshLogin } from '../helpers/e2e-attacks.js';
import { FifoReader } from '../helpers/e2e-fifo.js';
import { SharedScope } from '../helpers/e2e-scope.js';

const why = e2eUnavailable('ssh');
if (why) {
  console.log(`SKIP e2e ssh lab: ${why}`);
  test.skip('e2e lab: sshd, hydra, good client', () => undefined);
} else {
  const scope = new SharedScope();
  let lab: E2ELab;
  let sshd: Daemon;
  let lg: FifoReader;
  let mx: FifoReader;

  test.before(async () => {
    lab = await startMailLab(scope);
    lg = new FifoReader(lab.fifos.LG, scope);
    mx = new FifoReader(lab.fifos.MX, scope);
    sshd = await startSshd(scope, lab);
  });
  test.after.always(() => scope.closeOrThrow());

  test.serial('sshd starts on port 22 and logs through rsyslog into the LG FIFO', async (t) => {
    t.true(sshd.proc.running());
    await lg.waitFor(/ mail sshd\[\d+\]: Server listening on 0\.0\.0\.0 port 22\./);
    await lg.waitFor(/sshd\[\d+\]: Server listening on :: port 22\./);
    t.is(await connectProbe(lab, PEER4, 22), 'open');
    t.log(`sshd listening ${sshd.startMs} ms after spawn`);
  });

  test.serial('a good client logs in with the right password', async (t) => {
    const src = '203.0.113.50';
    const r = await sshLogin(lab, src);
    t.true(r.ok, `ssh login failed: ${r.code} ${r.stdout} ${r.stderr}`);
    const acc = await lg.waitFor(new RegExp(`sshd\\[\\d+\\]: Accepted password for ${lab.user.name} from ${src.replace(/\./g, '\\.')} port \\d+ ssh2$`));
    t.log(acc[0]);
    const bad = await sshLogin(lab, src, { password: 'not-the-password' });
    t.false(bad.ok);
    await lg.waitFor(new RegExp(`Failed password for ${lab.user.name} from 203\\.0\\.113\\.50 port \\d+ ssh2`));
  });

  test.serial('hydra from 198.51.100.7: failed passwords and invalid users reach the LG FIFO, not MX', async (t) => {
    const src = '198.51.100.7';
    const mark = lg.mark();
    const r = await attackSsh(lab, src, { attempts: 4, users: [lab.user.name, 'nosuchuser'] });
    t.false(r.timedOut, r.stdout + r.stderr);
    t.is(r.found, 0, r.stdout);
    const failed = await lg.waitFor(/Failed password for alice from 198\.51\.100\.7 port \d+ ssh2/, { count: 4 });
    const invalid = await lg.waitFor(/Failed password for invalid user nosuchuser from 198\.51\.100\.7 port \d+ ssh2/, { count: 4 });
    await lg.waitFor(/Invalid user nosuchuser from 198\.51\.100\.7 port \d+/);
    await lg.waitFor(/pam_unix\(sshd:auth\): authentication failure; .* rhost=198\.51\.100\.7\s+user=alice/);
    t.log(`hydra: ${r.ms} ms, ${lg.since(mark).length} LG lines; e.g.\n${[failed[0], invalid[0]].join('\n')}`);
    t.deepEqual(mx.matching(/198\.51\.100\.7/), [], 'sshd lines never reach the MX FIFO');
    t.true(lab.readAllLog().includes('Failed password for alice from 198.51.100.7'), 'the file copy has them too');
    t.is(await connectProbe(lab, src, 22), 'open', 'without Watcher nothing is blocked');
  });

  test.serial('hydra over IPv6 from 2001:db8:1::7', async (t) => {
    const src = '2001:db8:1::7';
    const r = await attackSsh(lab, src, { attempts: 4 });
    t.is(r.found, 0, r.stdout + r.stderr);
    const failed = await lg.waitFor(/Failed password for alice from 2001:db8:1::7 port \d+ ssh2/, { count: 4 });
    t.log(failed[0]);
  });

  test.serial('hydra with the right password in its list finds it', async (t) => {
    const r = await attackSsh(lab, '198.51.100.8', { attempts: 3, includeCorrect: true });
    t.is(r.found, 1, r.stdout);
    await lg.waitFor(/Accepted password for alice from 198\.51\.100\.8 port \d+ ssh2/);
  });
}
