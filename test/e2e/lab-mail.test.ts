// The e2e lab itself, without Watcher: real Postfix (25, 587 with SASL through Dovecot) and Dovecot
// (IMAP 143, POP3 110) on the lab's private host, probed by swaks and brute-forced by hydra from the
// peer; Postfix lines reach the MX FIFO, Dovecot's and Postfix's SASL warnings the MB FIFO.
import test from 'ava';
import { e2eUnavailable, startMailLab, PEER4, type E2ELab } from '../helpers/e2e-lab.js';
import { startMailStack, type MailStack } from '../helpers/e2e-daemons.js';
import { attackImap, attackPop3, connectProbe, mailLogin, swaksAuth, swaksRelay } from '../helpers/e2e-attacks.js';
import { FifoReader } from '../helpers/e2e-fifo.js';
import { SharedScope } from '../helpers/e2e-scope.js';
import { toolPath } from '../helpers/e2e-proc.js';

const why = e2eUnavailable('mail');
if (why) {
  console.log(`SKIP e2e mail lab: ${why}`);
  test.skip('e2e lab: postfix, dovecot, swaks, hydra', () => undefined);
} else {
  const scope = new SharedScope();
  let lab: E2ELab;
  let mail: MailStack;
  let mx: FifoReader;
  let mb: FifoReader;
  let lg: FifoReader;
  const esc = (s: string) => s.replace(/[.[\]]/g, '\\$&');

  test.before(async () => {
    lab = await startMailLab(scope);
    mx = new FifoReader(lab.fifos.MX, scope);
    mb = new FifoReader(lab.fifos.MB, scope);
    lg = new FifoReader(lab.fifos.LG, scope);
    mail = await startMailStack(scope, lab);
  });
  test.after.always(() => scope.closeOrThrow());

  test.serial('postfix and dovecot start and log through rsyslog', async (t) => {
    t.log(`postfix listening after ${mail.postfix.startMs} ms, dovecot after ${mail.dovecot.startMs} ms`);
    await mx.waitFor(/ mail postfix\/master\[\d+\]: daemon started -- version 3\.\d+\.\d+, configuration /);
    await mb.waitFor(/ mail dovecot: master: Dovecot v2\.\d[\d.]* \(\w+\) starting up for imap, pop3/);
    for (const port of [25, 587, 143, 110]) t.is(await connectProbe(lab, PEER4, port), 'open', `port ${port}`);
  });

  test.serial('swaks relay attempts from 198.51.100.20 (and IPv6): Relay access denied in MX only', async (t) => {
    const src = '198.51.100.20';
    const runs = await swaksRelay(lab, src, { count: 3 });
    for (const r of runs) t.regex(r.reply, /554 5\.7\.1 .*Relay access denied/);
    const rej = await mx.waitFor(new RegExp(`postfix/smtpd\\[\\d+\\]: NOQUEUE: reject: RCPT from unknown\\[${esc(src)}\\]: 554 5\\.7\\.1 <victim\\d@elsewhere\\.example>: Relay access denied; from=<spam\\d@spammer\\.example> to=<victim\\d@elsewhere\\.example> proto=ESMTP helo=<spammer\\.example>`), { count: 3 });
    await mx.waitFor(new RegExp(`postfix/smtpd\\[\\d+\\]: connect from unknown\\[${esc(src)}\\]`), { count: 3 });
    t.log(rej[0]);
    if (toolPath('/usr/share/perl5/IO/Socket/INET6.pm')) {
      const r6 = await swaksRelay(lab, '2001:db8:1::20', { count: 1 });
      t.regex(r6[0]!.reply, /Relay access denied/);
      const l6 = await mx.waitFor(/NOQUEUE: reject: RCPT from unknown\[2001:db8:1::20\]: 554 5\.7\.1 /);
      t.log(l6[0]);
    }
    t.deepEqual(mb.matching(/198\.51\.100\.20/), [], 'relay attempts are not MB business');
    t.deepEqual(lg.matching(/198\.51\.100\.20/), []);
  });

  test.serial('swaks SASL failures on 587 from 198.51.100.21 reach MB (and MX); a good SASL login works', async (t) => {
    const src = '198.51.100.21';
    const [bad, good] = await Promise.all([swaksAuth(lab, src, { count: 2 }), swaksAuth(lab, '198.51.100.24', { count: 1, password: lab.user.password, mech: 'PLAIN' })]);
    for (const r of bad) t.regex(r.stdout + r.stderr, /535 5\.7\.8 Error: authentication failed/);
    t.regex(good[0]!.stdout, /235 2\.7\.0 Authentication successful/);
    const warn = new RegExp(`postfix/submission/smtpd\\[\\d+\\]: warning: unknown\\[${esc(src)}\\]: SASL LOGIN authentication failed: .*sasl_username=alice`);
    const inMb = await mb.waitFor(warn, { count: 2 });
    await mx.waitFor(warn, { count: 2 });
    const pam = await mb.waitFor(new RegExp(`auth: pam_unix\\(dovecot:auth\\): authentication failure; .* rhost=${esc(src)}\\s+user=alice`), { count: 2 });
    t.log([inMb[0], pam[0]].join('\n'));
    t.deepEqual(mb.matching(/198\.51\.100\.24/), [], 'no failure logged for the good client');
    t.log(`SASL failures took ${bad.map((r) => r.ms).join(', ')} ms (Dovecot's auth penalty)`);
  });

  test.serial('hydra IMAP from 198.51.100.22 and POP3 from 198.51.100.23 reach MB; good clients log in', async (t) => {
    const imap = await attackImap(lab, '198.51.100.22', { attempts: 4 });
    t.is(imap.found, 0, imap.stdout + imap.stderr);
    const pop3 = await attackPop3(lab, '198.51.100.23', { attempts: 4 });
    t.is(pop3.found, 0, pop3.stdout + pop3.stderr);
    const i = await mb.waitFor(/dovecot: imap-login: Disconnected: .*\(auth failed, \d+ attempts in \d+ secs\): user=<alice>, method=LOGIN, rip=198\.51\.100\.22, lip=192\.0\.2\.1/, { count: 1 });
    const p = await mb.waitFor(/dovecot: pop3-login: Disconnected: .*\(auth failed, \d+ attempts in \d+ secs\): user=<alice>, method=\w+, rip=198\.51\.100\.23, lip=192\.0\.2\.1/, { count: 1 });
    await mb.waitFor(/auth: pam_unix\(dovecot:auth\): authentication failure; .* rhost=198\.51\.100\.22\s+user=alice/, { count: 4 });
    await mb.waitFor(/auth: pam_unix\(dovecot:auth\): authentication failure; .* rhost=198\.51\.100\.23\s+user=alice/, { count: 4 });
    t.log(`hydra imap ${imap.ms} ms, pop3 ${pop3.ms} ms\n${i[0]}\n${p[0]}`);
    t.deepEqual(mx.matching(/198\.51\.100\.2[23]/), [], 'IMAP/POP3 lines are not MX business');

    const gi = await mailLogin(lab, '198.51.100.25', 'imap');
    t.true(gi.ok, gi.stderr);
    const gp = await mailLogin(lab, '198.51.100.25', 'pop3');
    t.true(gp.ok, gp.stderr);
    const ok = await mb.waitFor(/dovecot: (imap|pop3)-login: Login: user=<alice>, method=\w+, rip=198\.51\.100\.25, lip=192\.0\.2\.1/, { count: 2 });
    t.log(ok.join('\n'));
  });
}
