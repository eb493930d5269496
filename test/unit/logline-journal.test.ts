// parseJournalJson: `journalctl -o json` records as Debian 12 writes them for sshd, Postfix and
// Dovecot, binary (byte-array) messages, multi-valued and missing fields.
import test from 'ava';
import { parseJournalJson } from '../../src/core/logline/journal.js';
import { parseLine } from '../../src/core/logline/parse-line.js';

const sshd = {
  __CURSOR: 's=0123;i=1a2b',
  __REALTIME_TIMESTAMP: '1795312229123456',
  __MONOTONIC_TIMESTAMP: '123456789',
  _BOOT_ID: 'abc',
  PRIORITY: '6',
  SYSLOG_FACILITY: '4',
  SYSLOG_IDENTIFIER: 'sshd',
  _PID: '23796',
  _COMM: 'sshd',
  _HOSTNAME: 'mx1',
  _SYSTEMD_UNIT: 'ssh.service',
  MESSAGE: 'Failed password for invalid user admin from 2001:db8::5 port 40022 ssh2',
};

test('journal: sshd record', (t) => {
  t.deepEqual(parseJournalJson(sshd), {
    time: Date.parse('2026-11-22T01:50:29.123Z'),
    host: 'mx1',
    program: 'sshd',
    pid: 23796,
    message: 'Failed password for invalid user admin from 2001:db8::5 port 40022 ssh2',
  });
});

test('journal: postfix identifier differs from _COMM; dovecot', (t) => {
  t.like(parseJournalJson({ ...sshd, SYSLOG_IDENTIFIER: 'postfix/smtpd', _COMM: 'smtpd', _PID: '4242', MESSAGE: 'connect from unknown[203.0.113.5]' })!, {
    program: 'postfix/smtpd', pid: 4242, message: 'connect from unknown[203.0.113.5]',
  });
  t.like(parseJournalJson({ ...sshd, SYSLOG_IDENTIFIER: 'dovecot', _COMM: 'imap-login', _PID: '812', MESSAGE: 'imap-login: Disconnected: Connection closed (auth failed, 1 attempts in 2 secs): user=<bob>, method=PLAIN, rip=::ffff:203.0.113.5' })!, {
    program: 'dovecot', pid: 812,
  });
});

test('journal: fallbacks: _COMM, SYSLOG_PID, _SOURCE_REALTIME_TIMESTAMP, nothing', (t) => {
  t.deepEqual(parseJournalJson({ MESSAGE: 'x', _COMM: 'sshd', SYSLOG_PID: '5', _SOURCE_REALTIME_TIMESTAMP: '1795312229000999' }), {
    time: 1795312229000, host: null, program: 'sshd', pid: 5, message: 'x',
  });
  t.deepEqual(parseJournalJson({ MESSAGE: 'x' }), { time: null, host: null, program: '', pid: null, message: 'x' });
});

test('journal: binary MESSAGE as byte array decodes as lossy UTF-8', (t) => {
  const bytes = [...Buffer.from('user=<b\u00f6b> ')].concat([0xff, 0xfe, 0x00, 0x41]);
  t.is(parseJournalJson({ ...sshd, MESSAGE: bytes })?.message, 'user=<b\u00f6b> \ufffd\ufffd\u0000A');
});

test('journal: multi-valued fields take the first value', (t) => {
  t.like(parseJournalJson({ ...sshd, SYSLOG_IDENTIFIER: ['sshd', 'other'], MESSAGE: ['first', 'second'] })!, { program: 'sshd', message: 'first' });
  t.is(parseJournalJson({ ...sshd, MESSAGE: [[104, 105], 'x'] })?.message, 'hi');
});

test('journal: no usable MESSAGE or not an object gives null', (t) => {
  t.is(parseJournalJson({ ...sshd, MESSAGE: null }), null); // journalctl's "too large" marker
  t.is(parseJournalJson({ ...sshd, MESSAGE: undefined }), null);
  t.is(parseJournalJson({ ...sshd, MESSAGE: 42 }), null);
  t.is(parseJournalJson({ ...sshd, MESSAGE: [] }), null);
  t.is(parseJournalJson({ ...sshd, MESSAGE: [1, 'a'] }), null);
  t.is(parseJournalJson(null as unknown as Record<string, unknown>), null);
});

test('journal: bad numbers give null fields, not wrong ones', (t) => {
  t.like(parseJournalJson({ ...sshd, _PID: '12a', __REALTIME_TIMESTAMP: '-5' })!, { pid: null, time: null });
  t.like(parseJournalJson({ ...sshd, __REALTIME_TIMESTAMP: '1234567890123456789' })!, { time: null });
});

test('journal: parseLine "journal" parses JSON text and never throws on bad JSON', (t) => {
  t.like(parseLine(JSON.stringify(sshd), 'journal', { year: 2026 })!, { program: 'sshd', pid: 23796 });
  t.is(parseLine('{"MESSAGE": "x"', 'journal', { year: 2026 }), null);
  t.is(parseLine('[1,2]', 'journal', { year: 2026 }), null);
  t.is(parseLine('null', 'journal', { year: 2026 }), null);
});
