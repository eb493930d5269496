// parseSyslogLine: real-looking lines from Debian 12 daemons (OpenSSH 9, Postfix 3.7, Dovecot 2.3,
// kernel, nginx/Apache through syslog) in every header form, year choice, zones, and near misses.
import test from 'ava';
import { parseSyslogLine } from '../../src/core/logline/syslog.js';
import type { LogLine } from '../../src/core/logline/types.js';

const NOW = Date.UTC(2026, 10, 22, 12, 0, 0); // 2026-11-22T12:00:00Z
const ctx = { year: 2026, nowMs: NOW };
const at = (iso: string): number => Date.parse(iso);

// [name, line, expected]
const cases: [string, string, LogLine][] = [
  // ---- RFC 3164 / rsyslog traditional file format (also what rsyslog writes to a FIFO)
  ['sshd failed password', 'Nov 22 01:50:29 mx1 sshd[23796]: Failed password for root from 203.0.113.5 port 51234 ssh2',
    { time: at('2026-11-22T01:50:29Z'), host: 'mx1', program: 'sshd', pid: 23796, message: 'Failed password for root from 203.0.113.5 port 51234 ssh2' }],
  ['sshd invalid user IPv6, single-digit day', 'Nov  2 01:50:29 mx1 sshd[811]: Invalid user admin from 2001:db8::5 port 40022',
    { time: at('2026-11-02T01:50:29Z'), host: 'mx1', program: 'sshd', pid: 811, message: 'Invalid user admin from 2001:db8::5 port 40022' }],
  ['sshd preauth close', 'Nov 22 01:50:30 mx1 sshd[23797]: Connection closed by invalid user admin 203.0.113.5 port 51234 [preauth]',
    { time: at('2026-11-22T01:50:30Z'), host: 'mx1', program: 'sshd', pid: 23797, message: 'Connection closed by invalid user admin 203.0.113.5 port 51234 [preauth]' }],
  ['sshd pam line with double space kept', 'Nov 22 01:50:30 mx1 sshd[23797]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=203.0.113.5  user=root',
    { time: at('2026-11-22T01:50:30Z'), host: 'mx1', program: 'sshd', pid: 23797, message: 'pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=203.0.113.5  user=root' }],
  ['postfix smtpd connect', 'Nov 22 01:50:29 mx1 postfix/smtpd[4242]: connect from unknown[203.0.113.5]',
    { time: at('2026-11-22T01:50:29Z'), host: 'mx1', program: 'postfix/smtpd', pid: 4242, message: 'connect from unknown[203.0.113.5]' }],
  ['postfix SASL failure', 'Nov 22 01:50:29 mx1 postfix/smtpd[4242]: warning: unknown[::ffff:203.0.113.5]: SASL LOGIN authentication failed: UGFzc3dvcmQ6',
    { time: at('2026-11-22T01:50:29Z'), host: 'mx1', program: 'postfix/smtpd', pid: 4242, message: 'warning: unknown[::ffff:203.0.113.5]: SASL LOGIN authentication failed: UGFzc3dvcmQ6' }],
  ['postfix relay denied, multi-instance name', 'Nov 22 01:50:29 mx1 postfix/submission/smtpd[4243]: NOQUEUE: reject: RCPT from unknown[2001:db8::5]: 554 5.7.1 <x@example.net>: Relay access denied; from=<a@example.com> to=<x@example.net> proto=ESMTP helo=<x>',
    { time: at('2026-11-22T01:50:29Z'), host: 'mx1', program: 'postfix/submission/smtpd', pid: 4243, message: 'NOQUEUE: reject: RCPT from unknown[2001:db8::5]: 554 5.7.1 <x@example.net>: Relay access denied; from=<a@example.com> to=<x@example.net> proto=ESMTP helo=<x>' }],
  ['postfix postscreen', 'Nov 22 01:50:29 mx1 postfix/postscreen[12]: PREGREET 11 after 0.07 from [203.0.113.5]:51234: EHLO x\\r\\n',
    { time: at('2026-11-22T01:50:29Z'), host: 'mx1', program: 'postfix/postscreen', pid: 12, message: 'PREGREET 11 after 0.07 from [203.0.113.5]:51234: EHLO x\\r\\n' }],
  ['dovecot without pid', 'Nov 22 01:50:31 mx1 dovecot: imap-login: Disconnected: Connection closed (auth failed, 1 attempts in 2 secs): user=<bob>, method=PLAIN, rip=203.0.113.5, lip=198.51.100.1, session=<abc>',
    { time: at('2026-11-22T01:50:31Z'), host: 'mx1', program: 'dovecot', pid: null, message: 'imap-login: Disconnected: Connection closed (auth failed, 1 attempts in 2 secs): user=<bob>, method=PLAIN, rip=203.0.113.5, lip=198.51.100.1, session=<abc>' }],
  ['dovecot with pid (via journal forward)', 'Nov 22 01:50:31 mx1 dovecot[812]: auth: pam_unix(dovecot:auth): authentication failure; logname= uid=0 euid=0 tty=dovecot ruser=bob rhost=::ffff:203.0.113.5  user=bob',
    { time: at('2026-11-22T01:50:31Z'), host: 'mx1', program: 'dovecot', pid: 812, message: 'auth: pam_unix(dovecot:auth): authentication failure; logname= uid=0 euid=0 tty=dovecot ruser=bob rhost=::ffff:203.0.113.5  user=bob' }],
  ['kernel', 'Nov 22 01:50:32 mx1 kernel: [12345.678901] IN=eth0 OUT= SRC=203.0.113.5 DST=198.51.100.1',
    { time: at('2026-11-22T01:50:32Z'), host: 'mx1', program: 'kernel', pid: null, message: '[12345.678901] IN=eth0 OUT= SRC=203.0.113.5 DST=198.51.100.1' }],
  ['sudo keeps the spaces after the one separator', 'Nov 22 01:50:32 mx1 sudo:    alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/bin/true',
    { time: at('2026-11-22T01:50:32Z'), host: 'mx1', program: 'sudo', pid: null, message: '   alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/bin/true' }],
  ['nginx access through syslog', 'Nov 22 01:50:29 web1 nginx: 203.0.113.5 - - [22/Nov/2026:01:50:29 +0000] "GET / HTTP/1.1" 404 153 "-" "curl/7.88.1"',
    { time: at('2026-11-22T01:50:29Z'), host: 'web1', program: 'nginx', pid: null, message: '203.0.113.5 - - [22/Nov/2026:01:50:29 +0000] "GET / HTTP/1.1" 404 153 "-" "curl/7.88.1"' }],
  ['nginx error through syslog keeps its own stamp', 'Nov 22 01:50:29 web1 nginx: 2026/11/22 01:50:29 [error] 1234#1234: *5 user "admin": password mismatch, client: 203.0.113.5, server: example.org',
    { time: at('2026-11-22T01:50:29Z'), host: 'web1', program: 'nginx', pid: null, message: '2026/11/22 01:50:29 [error] 1234#1234: *5 user "admin": password mismatch, client: 203.0.113.5, server: example.org' }],
  ['systemd unit with pid 1', 'Nov 22 01:50:29 mx1 systemd[1]: Started ssh.service - OpenBSD Secure Shell server.',
    { time: at('2026-11-22T01:50:29Z'), host: 'mx1', program: 'systemd', pid: 1, message: 'Started ssh.service - OpenBSD Secure Shell server.' }],
  ['fractional seconds on a classic stamp', 'Nov 22 01:50:29.250 mx1 sshd[1]: x',
    { time: at('2026-11-22T01:50:29.250Z'), host: 'mx1', program: 'sshd', pid: 1, message: 'x' }],
  ['stamp with its own year', 'Nov 22 2025 01:50:29 router sshd[1]: x',
    { time: at('2025-11-22T01:50:29Z'), host: 'router', program: 'sshd', pid: 1, message: 'x' }],
  ['trailing CRLF dropped', 'Nov 22 01:50:29 mx1 sshd[1]: Failed password\r\n',
    { time: at('2026-11-22T01:50:29Z'), host: 'mx1', program: 'sshd', pid: 1, message: 'Failed password' }],
  ['empty message', 'Nov 22 01:50:29 mx1 sshd[1]:',
    { time: at('2026-11-22T01:50:29Z'), host: 'mx1', program: 'sshd', pid: 1, message: '' }],
  ['IPv6 literal as host (rsyslog fromhost-ip)', 'Nov 22 01:50:29 2001:db8::1 sshd[7]: x',
    { time: at('2026-11-22T01:50:29Z'), host: '2001:db8::1', program: 'sshd', pid: 7, message: 'x' }],
  ['non-numeric pid', 'Nov 22 01:50:29 mx1 app[main]: x',
    { time: at('2026-11-22T01:50:29Z'), host: 'mx1', program: 'app', pid: null, message: 'x' }],
  ['pid bracket without colon', 'Nov 22 01:50:29 mx1 app[12] x y',
    { time: at('2026-11-22T01:50:29Z'), host: 'mx1', program: 'app', pid: 12, message: 'x y' }],
  ['no tag: rest is the message', 'Nov 22 01:50:29 mx1 hello world',
    { time: at('2026-11-22T01:50:29Z'), host: 'mx1', program: '', pid: null, message: 'hello world' }],
  ['stamp and host only', 'Nov 22 01:50:29 mx1',
    { time: at('2026-11-22T01:50:29Z'), host: 'mx1', program: '', pid: null, message: '' }],
  ['impossible date keeps the line', 'Feb 31 01:50:29 mx1 sshd[1]: x',
    { time: null, host: 'mx1', program: 'sshd', pid: 1, message: 'x' }],
  ['impossible hour keeps the line', 'Nov 22 25:50:29 mx1 sshd[1]: x',
    { time: null, host: 'mx1', program: 'sshd', pid: 1, message: 'x' }],

  // ---- with <PRI> (socket input: glibc syslog() sends no host)
  ['PRI, no host (glibc to /dev/log)', '<38>Nov 22 01:50:29 sshd[23796]: Accepted publickey for alice from 203.0.113.5 port 51234 ssh2: ED25519 SHA256:x',
    { time: at('2026-11-22T01:50:29Z'), host: null, program: 'sshd', pid: 23796, message: 'Accepted publickey for alice from 203.0.113.5 port 51234 ssh2: ED25519 SHA256:x' }],
  ['PRI with host', '<22>Nov 22 01:50:29 mx1 postfix/smtpd[4242]: lost connection after AUTH from unknown[203.0.113.5]',
    { time: at('2026-11-22T01:50:29Z'), host: 'mx1', program: 'postfix/smtpd', pid: 4242, message: 'lost connection after AUTH from unknown[203.0.113.5]' }],
  ['PRI and no host: nginx tag', '<190>Nov 22 01:50:29 nginx: 203.0.113.5 - - [22/Nov/2026:01:50:29 +0000] "GET / HTTP/1.1" 200 1 "-" "-"',
    { time: at('2026-11-22T01:50:29Z'), host: null, program: 'nginx', pid: null, message: '203.0.113.5 - - [22/Nov/2026:01:50:29 +0000] "GET / HTTP/1.1" 200 1 "-" "-"' }],

  // ---- rsyslog RFC 3339 (Debian 13 default), journalctl short-iso
  ['RFC 3339 with microseconds', '2026-11-22T01:50:29.123456+00:00 mx1 sshd[23796]: Failed password for root from 203.0.113.5 port 51234 ssh2',
    { time: at('2026-11-22T01:50:29.123Z'), host: 'mx1', program: 'sshd', pid: 23796, message: 'Failed password for root from 203.0.113.5 port 51234 ssh2' }],
  ['RFC 3339 with offset', '2026-11-22T02:50:29.999999+01:00 mx1 dovecot: imap-login: x',
    { time: at('2026-11-22T01:50:29.999Z'), host: 'mx1', program: 'dovecot', pid: null, message: 'imap-login: x' }],
  ['RFC 3339 negative offset, no fraction', '2026-11-21T21:50:29-04:00 mx1 sshd[1]: x',
    { time: at('2026-11-22T01:50:29Z'), host: 'mx1', program: 'sshd', pid: 1, message: 'x' }],
  ['RFC 3339 Z', '2026-11-22T01:50:29Z mx1 kernel: x',
    { time: at('2026-11-22T01:50:29Z'), host: 'mx1', program: 'kernel', pid: null, message: 'x' }],
  ['short-iso offset without colon', '2026-11-22T02:50:29+0100 mx1 sshd[1]: x',
    { time: at('2026-11-22T01:50:29Z'), host: 'mx1', program: 'sshd', pid: 1, message: 'x' }],
  ['RFC 3339 with PRI (forwarding format)', '<86>2026-11-22T01:50:29.5+00:00 mx1 sshd[1]: x',
    { time: at('2026-11-22T01:50:29.500Z'), host: 'mx1', program: 'sshd', pid: 1, message: 'x' }],
  ['RFC 3339 impossible date', '2026-02-30T01:50:29Z mx1 sshd[1]: x',
    { time: null, host: 'mx1', program: 'sshd', pid: 1, message: 'x' }],

  // ---- RFC 5424
  ['RFC 5424 full', '<34>1 2026-11-22T01:50:29.003Z mx1 sshd 23796 ID47 [exampleSDID@32473 iut="3" eventSource="Application"] Failed password for root from 203.0.113.5 port 51234 ssh2',
    { time: at('2026-11-22T01:50:29.003Z'), host: 'mx1', program: 'sshd', pid: 23796, message: 'Failed password for root from 203.0.113.5 port 51234 ssh2' }],
  ['RFC 5424 nil values', '<34>1 - - - - - - message',
    { time: null, host: null, program: '', pid: null, message: 'message' }],
  ['RFC 5424 escaped ] and " in SD, two elements, BOM', '<165>1 2026-11-22T01:50:29+01:00 mx1 app - - [a@1 x="q\\]\\"r]" y="\\\\"][b@1] \uFEFFhello ] world',
    { time: at('2026-11-22T00:50:29Z'), host: 'mx1', program: 'app', pid: null, message: 'hello ] world' }],
  ['RFC 5424 without MSG', '<34>1 2026-11-22T01:50:29Z mx1 app 1 - -',
    { time: at('2026-11-22T01:50:29Z'), host: 'mx1', program: 'app', pid: 1, message: '' }],
  ['RFC 5424 non-numeric procid', '<34>1 2026-11-22T01:50:29Z mx1 postfix/smtpd smtpd-7 - - connect from x',
    { time: at('2026-11-22T01:50:29Z'), host: 'mx1', program: 'postfix/smtpd', pid: null, message: 'connect from x' }],
];

for (const [name, line, expected] of cases) {
  test(`syslog: ${name}`, (t) => {
    t.deepEqual(parseSyslogLine(line, ctx), expected);
  });
}

// lines with no recognisable header
const refused: [string, string][] = [
  ['empty', ''],
  ['plain text', 'hello world'],
  ['month without day', 'Nov xx 01:50:29 mx1 sshd[1]: x'],
  ['stamp glued to text', 'Nov 22 01:50:29x mx1 sshd[1]: x'],
  ['truncated stamp', 'Nov 22 01:50'],
  ['not a month', 'Foo 22 01:50:29 mx1 sshd[1]: x'],
  ['PRI too large', '<192>Nov 22 01:50:29 mx1 sshd[1]: x'],
  ['PRI unclosed', '<34Nov 22 01:50:29 mx1 sshd[1]: x'],
  ['PRI only', '<34>'],
  ['RFC 5424 truncated in header', '<34>1 2026-11-22T01:50:29Z mx1 app'],
  ['RFC 5424 unclosed SD', '<34>1 2026-11-22T01:50:29Z mx1 app 1 - [a@1 x="]'],
  ['RFC 5424 bad stamp', '<34>1 2026-11-22 mx1 app 1 - - x'],
  ['ISO date only', '2026-11-22 mx1 sshd[1]: x'],
  ['access line', '203.0.113.5 - - [22/Nov/2026:01:50:29 +0000] "GET / HTTP/1.1" 200 1 "-" "-"'],
  ['nginx error line', '2026/11/22 01:50:29 [error] 1#1: x'],
  ['apache error line', '[Sun Nov 22 01:50:29.123456 2026] [core:error] [pid 1] x'],
];
for (const [name, line] of refused) {
  test(`syslog refuses: ${name}`, (t) => {
    t.is(parseSyslogLine(line, ctx), null);
  });
}

// ---- the year of year-less stamps, and the local zone
test('year: December lines read in January belong to the previous year', (t) => {
  const jan = { year: 2027, nowMs: Date.UTC(2027, 0, 2, 0, 10) };
  t.is(parseSyslogLine('Dec 31 23:59:59 mx1 sshd[1]: x', jan)?.time, at('2026-12-31T23:59:59Z'));
  t.is(parseSyslogLine('Jan  2 00:09:00 mx1 sshd[1]: x', jan)?.time, at('2027-01-02T00:09:00Z'));
});

test('year: a stamp up to a day ahead (clock skew) stays in this year', (t) => {
  t.is(parseSyslogLine('Nov 23 01:00:00 mx1 sshd[1]: x', ctx)?.time, at('2026-11-23T01:00:00Z'));
  t.is(parseSyslogLine('Nov 24 01:00:00 mx1 sshd[1]: x', ctx)?.time, at('2025-11-24T01:00:00Z'));
});

test('year: a stale ctx.year is corrected forward when that is not in the future', (t) => {
  const stale = { year: 2026, nowMs: Date.UTC(2027, 0, 1, 0, 0, 5) };
  t.is(parseSyslogLine('Jan  1 00:00:04 mx1 sshd[1]: x', stale)?.time, at('2027-01-01T00:00:04Z'));
  t.is(parseSyslogLine('Dec 31 23:59:59 mx1 sshd[1]: x', stale)?.time, at('2026-12-31T23:59:59Z'));
});

test('year: without nowMs the given year is used as is', (t) => {
  t.is(parseSyslogLine('Dec 31 23:59:59 mx1 sshd[1]: x', { year: 2027 })?.time, at('2027-12-31T23:59:59Z'));
});

test('year: Feb 29 exists only in leap years', (t) => {
  t.is(parseSyslogLine('Feb 29 12:00:00 mx1 sshd[1]: x', { year: 2028 })?.time, at('2028-02-29T12:00:00Z'));
  t.is(parseSyslogLine('Feb 29 12:00:00 mx1 sshd[1]: x', { year: 2027 })?.time, null);
});

test('zone: classic stamps are local time, shifted by tzOffsetMinutes (east positive)', (t) => {
  t.is(parseSyslogLine('Nov 22 01:50:29 mx1 sshd[1]: x', { year: 2026, tzOffsetMinutes: 60 })?.time, at('2026-11-22T00:50:29Z'));
  t.is(parseSyslogLine('Nov 22 01:50:29 mx1 sshd[1]: x', { year: 2026, tzOffsetMinutes: -300 })?.time, at('2026-11-22T06:50:29Z'));
  // stamps with an offset ignore the local zone
  t.is(parseSyslogLine('2026-11-22T01:50:29Z mx1 sshd[1]: x', { year: 2026, tzOffsetMinutes: 60 })?.time, at('2026-11-22T01:50:29Z'));
  // ... and stamps without one get it
  t.is(parseSyslogLine('2026-11-22T01:50:29 mx1 sshd[1]: x', { year: 2026, tzOffsetMinutes: 60 })?.time, at('2026-11-22T00:50:29Z'));
});

test('month names in any case', (t) => {
  t.is(parseSyslogLine('NOV 22 01:50:29 mx1 sshd[1]: x', ctx)?.time, at('2026-11-22T01:50:29Z'));
  t.is(parseSyslogLine('nov 22 01:50:29 mx1 sshd[1]: x', ctx)?.time, at('2026-11-22T01:50:29Z'));
});

test('every month and day of a year round-trips through the classic stamp', (t) => {
  const names = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  for (let day = 0; day < 365; day++) {
    const d = new Date(Date.UTC(2026, 0, 1) + day * 86_400_000 + 3_723_000);
    const dd = d.getUTCDate();
    const stamp = `${names[d.getUTCMonth()]} ${dd < 10 ? ` ${dd}` : dd} 01:02:03`;
    const r = parseSyslogLine(`${stamp} h p: m`, { year: 2026 });
    if (r?.time !== d.getTime()) t.fail(`${stamp}: ${r?.time} !== ${d.getTime()}`);
  }
  t.pass();
});
