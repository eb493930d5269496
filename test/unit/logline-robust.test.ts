// Property-style checks of every header parser: seeded random garbage, mutated real lines, NULs, lone
// surrogates, 64 KiB lines; each must return null or a well-formed LogLine, never throw, stay linear.
import test from 'ava';
import { civilMs, clockMs } from '../../src/core/logline/civil-time.js';
import {
  parseAccessLog,
  parseAccessLogMessage,
  parseJournalJson,
  parseLine,
  parseSyslogLine,
  parseWebErrorLog,
  parseWebErrorMessage,
  type LogLine,
} from '../../src/core/logline/index.js';
import { mulberry32 as prng } from '../helpers/prng.js';

const ctx = { year: 2026, nowMs: Date.UTC(2026, 10, 22, 12), tzOffsetMinutes: 90 };
const BASE: LogLine = { time: 1, host: 'h', program: 'nginx', pid: 3, message: '' };

const REAL = [
  'Nov 22 01:50:29 mx1 sshd[23796]: Failed password for root from 203.0.113.5 port 51234 ssh2',
  'Nov  2 01:50:29 mx1 postfix/smtpd[4242]: warning: unknown[2001:db8::5]: SASL LOGIN authentication failed: UGFzc3dvcmQ6',
  '<38>Nov 22 01:50:29 sshd[23796]: Invalid user admin from ::ffff:203.0.113.5 port 4',
  '2026-11-22T01:50:29.123456+00:00 mx1 dovecot: imap-login: Disconnected: user=<bob>, rip=203.0.113.5',
  '<34>1 2026-11-22T01:50:29.003Z mx1 app 12 ID [a@1 x="q\\]\\"r]"][b@1] \uFEFFhello',
  '203.0.113.5 - admin [22/Nov/2026:01:50:29 +0000] "GET /x HTTP/1.1" 401 179 "-" "UA \\"q\\""',
  'www.example.org:443 2001:db8::5 - - [22/Nov/2026:01:50:29 +0000] "POST / HTTP/1.1" 200 1 "r" "u"',
  '2026/11/22 01:50:29 [error] 1234#1234: *5 user "admin": password mismatch, client: 203.0.113.5, server: example.org',
  '[Sun Nov 22 01:50:29.123456 2026] [core:error] [pid 1:tid 2] (13)Permission denied: [client 2001:db8::5:1] AH00035: x',
];

// characters that steer the scanners into their branches, plus hostile ones
const ALPHABET = [
  ...'0123456789', ' ', ' ', ' ', ':', '[', ']', '<', '>', '"', '\\', '-', '/', '.', '#', '*', ',', 'T', 'Z', '+',
  ...'NovDecJanFebSunpid client: server: ', '\u0000', '\n', '\r', '\t', '\uFEFF', '\uD800', '\uDC00', '\u{1F600}', '\u00ff', '\u0130',
];

function randomLine(rnd: () => number): string {
  const n = Math.floor(rnd() * 120);
  let s = '';
  for (let k = 0; k < n; k++) s += ALPHABET[Math.floor(rnd() * ALPHABET.length)];
  return s;
}

function mutate(line: string, rnd: () => number): string {
  const i = Math.floor(rnd() * (line.length + 1));
  switch (Math.floor(rnd() * 5)) {
    case 0: return line.slice(0, i); // truncation
    case 1: return line.slice(0, i) + ALPHABET[Math.floor(rnd() * ALPHABET.length)] + line.slice(i + 1); // substitution
    case 2: return `${line.slice(0, i)}\u0000${line.slice(i)}`; // NUL inserted
    case 3: return line.slice(0, i) + line.slice(i + 1 + Math.floor(rnd() * 5)); // deletion
    default: return line.slice(0, i) + line.slice(Math.floor(rnd() * line.length)); // splice
  }
}

/** Throws (failing the test with the line) unless r is null or a well-formed LogLine. */
function check(r: LogLine | null, line: string): void {
  if (r === null) return;
  const ok =
    (r.time === null || Number.isFinite(r.time)) &&
    (r.host === null || typeof r.host === 'string') &&
    typeof r.program === 'string' &&
    (r.pid === null || Number.isSafeInteger(r.pid)) &&
    typeof r.message === 'string' &&
    (r.client === undefined || typeof r.client === 'string') &&
    (r.vhost === undefined || typeof r.vhost === 'string') &&
    (r.http === undefined || (typeof r.http.method === 'string' && (r.http.status === null || Number.isSafeInteger(r.http.status))));
  if (!ok) throw new Error(`malformed result ${JSON.stringify(r)} for ${JSON.stringify(line)}`);
}

function allParsers(line: string): void {
  check(parseSyslogLine(line, ctx), line);
  check(parseSyslogLine(line, { year: 2026 }), line);
  check(parseAccessLog(line), line);
  check(parseWebErrorLog(line), line);
  check(parseAccessLogMessage(line, BASE), line);
  check(parseWebErrorMessage(line, BASE), line);
  for (const f of ['syslog', 'access', 'weberror', 'journal', 'auto'] as const) check(parseLine(line, f, ctx), line);
}

test('random garbage never throws and gives null or a well-formed LogLine', (t) => {
  const rnd = prng(1);
  for (let k = 0; k < 20_000; k++) allParsers(randomLine(rnd));
  t.pass();
});

test('mutated real lines (truncated, substituted, NUL, deleted, spliced) never throw', (t) => {
  const rnd = prng(2);
  for (const line of REAL) {
    for (let i = 0; i <= line.length; i++) allParsers(line.slice(0, i)); // every truncation
    for (let k = 0; k < 2_000; k++) allParsers(mutate(mutate(line, rnd), rnd));
  }
  t.pass();
});

test('syslog message is always a suffix of the line (the header is never rewritten)', (t) => {
  const rnd = prng(3);
  for (const line of REAL) {
    for (let k = 0; k < 2_000; k++) {
      const m = mutate(line, rnd).replace(/[\r\n]+$/, '');
      const r = parseSyslogLine(m, ctx);
      if (r !== null && !m.endsWith(r.message)) t.fail(`${JSON.stringify(m)} -> ${JSON.stringify(r.message)}`);
    }
  }
  t.pass();
});

test('64 KiB lines: parsed, linear time', (t) => {
  const big = 'A'.repeat(65_536);
  const hostile = [
    `Nov 22 01:50:29 mx1 sshd[1]: ${big}`,
    `Nov 22 01:50:29 ${big}`,
    `Nov 22 01:50:29 mx1 ${'x'.repeat(65_536)}[${'1'.repeat(1000)}`,
    `<34>1 2026-11-22T01:50:29Z h a - - ${'[a x="\\]'.repeat(8192)}`,
    `203.0.113.5 - ${'[ '.repeat(32_768)}`,
    `203.0.113.5 - - [22/Nov/2026:01:50:29 +0000] "${'\\"'.repeat(32_768)}`,
    `203.0.113.5 - - [22/Nov/2026:01:50:29 +0000] "${'\\\\\\"'.repeat(16_384)}" 200 1`,
    `2026/11/22 01:50:29 [error] 1#1: *1 ${', client: 1'.repeat(6_000)}`,
    `[Sun Nov 22 01:50:29 2026] [e] [pid 1] ${'(: '.repeat(20_000)}`,
    `2026-11-22T01:50:29.${'9'.repeat(65_536)}Z h p: m`,
    '\u0000'.repeat(65_536),
    '<'.repeat(65_536),
  ];
  const t0 = performance.now();
  for (const line of hostile) allParsers(line);
  const ms = performance.now() - t0;
  t.true(ms < 2_000, `took ${ms} ms`);
  t.is(parseSyslogLine(hostile[0]!, ctx)?.message.length, 65_536);
  t.is(parseSyslogLine(hostile[9]!, ctx)?.time, Date.UTC(2026, 10, 22, 1, 50, 29, 999));
});

test('non-string input is refused, not thrown on', (t) => {
  for (const v of [undefined, null, 42, {}, []] as unknown as string[]) {
    t.is(parseSyslogLine(v, ctx), null);
    t.is(parseAccessLog(v), null);
    t.is(parseWebErrorLog(v), null);
    t.is(parseLine(v, 'auto', ctx), null);
    t.is(parseLine(v, 'journal', ctx), null);
    t.is(parseAccessLogMessage(v, BASE), null);
    t.is(parseWebErrorMessage(v, BASE), null);
  }
});

test('random journal records never throw', (t) => {
  const rnd = prng(4);
  const values = (): unknown => {
    const r = rnd();
    if (r < 0.2) return randomLine(rnd);
    if (r < 0.3) return null;
    if (r < 0.4) return Math.floor(rnd() * 1e6);
    if (r < 0.6) return Array.from({ length: Math.floor(rnd() * 8) }, () => Math.floor(rnd() * 300) - 20);
    if (r < 0.7) return [randomLine(rnd), 1];
    if (r < 0.8) return [[1, 2, 'x']];
    if (r < 0.9) return String(Math.floor(rnd() * 1e17));
    return { nested: true };
  };
  for (let k = 0; k < 5_000; k++) {
    const obj: Record<string, unknown> = {};
    for (const f of ['MESSAGE', 'SYSLOG_IDENTIFIER', '_COMM', '_PID', 'SYSLOG_PID', '__REALTIME_TIMESTAMP', '_SOURCE_REALTIME_TIMESTAMP', '_HOSTNAME']) {
      if (rnd() < 0.7) obj[f] = values();
    }
    const r = parseJournalJson(obj);
    check(r, JSON.stringify(obj));
    if (r !== null && r.host !== null && typeof r.host !== 'string') t.fail();
  }
  t.pass();
});

test('civil time agrees with Date.UTC on random instants, and refuses impossible dates', (t) => {
  const rnd = prng(5);
  for (let k = 0; k < 20_000; k++) {
    const ms = Math.floor(rnd() * 8e12) - 1e12; // 1938 .. 2223
    const d = new Date(ms);
    const mine = civilMs(d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate(), clockMs(d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds(), d.getUTCMilliseconds()));
    if (mine !== ms) t.fail(`${d.toISOString()}: ${mine}`);
  }
  for (const [y, m, d] of [[2026, 2, 29], [2026, 4, 31], [2026, 13, 1], [2026, 0, 1], [2026, 1, 0], [2026, 1, 32], [1900, 2, 29]]) {
    t.true(Number.isNaN(civilMs(y!, m!, d!, 0)), `${y}-${m}-${d}`);
  }
  t.false(Number.isNaN(civilMs(2000, 2, 29, 0)));
  t.true(Number.isNaN(clockMs(24, 0, 0, 0)));
  t.true(Number.isNaN(clockMs(0, 60, 0, 0)));
  t.is(clockMs(23, 59, 60, 0), 86_400_000); // leap second: next minute
});

test('parseLine: each format, and auto trying syslog, access, then weberror', (t) => {
  const sys = 'Nov 22 01:50:29 mx1 sshd[1]: x';
  const acc = '203.0.113.5 - - [22/Nov/2026:01:50:29 +0000] "GET / HTTP/1.1" 200 1 "-" "-"';
  const ngx = '2026/11/22 01:50:29 [error] 1#1: *1 x, client: 203.0.113.5';
  const apa = '[Sun Nov 22 01:50:29 2026] [error] [client 203.0.113.5] x';
  t.like(parseLine(sys, 'syslog', ctx)!, { program: 'sshd' });
  t.is(parseLine(sys, 'access', ctx), null);
  t.like(parseLine(acc, 'access', ctx)!, { client: '203.0.113.5' });
  t.is(parseLine(acc, 'syslog', ctx), null);
  t.like(parseLine(ngx, 'weberror', ctx)!, { program: 'nginx', client: '203.0.113.5' });
  t.like(parseLine(sys, 'auto', ctx)!, { program: 'sshd' });
  t.like(parseLine(acc, 'auto', ctx)!, { client: '203.0.113.5', message: '"GET / HTTP/1.1" 200 1 "-" "-"' });
  t.like(parseLine(ngx, 'auto', ctx)!, { program: 'nginx', level: 'error' });
  t.like(parseLine(apa, 'auto', ctx)!, { program: 'apache', client: '203.0.113.5' });
  t.is(parseLine('no header here', 'auto', ctx), null);
  t.is(parseLine(sys, 'bogus' as 'auto', ctx), null);
});
