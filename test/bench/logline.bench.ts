// Micro-benchmark of header parsing (src/core/logline) over a deterministic mix of every format, each
// parsed with its source's configured format as the pipeline does. Never asserts beyond sanity; only measures.
import { performance } from 'node:perf_hooks';
import { parseLine, type LineFormat } from '../../src/core/logline/index.js';

/** [weight, format, line]: roughly what a busy mail + web host logs, attack lines included. */
const TEMPLATES: [number, LineFormat, string][] = [
  [20, 'syslog', 'Nov 22 01:50:29 mx1 sshd[23796]: Failed password for invalid user admin from 203.0.113.5 port 51234 ssh2'],
  [10, 'syslog', 'Nov  2 01:50:30 mx1 sshd[23797]: Connection closed by authenticating user root 2001:db8::5 port 40022 [preauth]'],
  [15, 'syslog', '2026-11-22T01:50:29.123456+00:00 mx1 postfix/smtpd[4242]: connect from unknown[203.0.113.5]'],
  [10, 'syslog', '2026-11-22T01:50:29.223456+00:00 mx1 postfix/smtpd[4242]: warning: unknown[203.0.113.5]: SASL LOGIN authentication failed: UGFzc3dvcmQ6'],
  [10, 'syslog', 'Nov 22 01:50:31 mx1 dovecot: imap-login: Disconnected: Connection closed (auth failed, 1 attempts in 2 secs): user=<bob>, method=PLAIN, rip=203.0.113.5, lip=198.51.100.1, session=<abc>'],
  [5, 'syslog', '<34>1 2026-11-22T01:50:29.003Z mx1 sshd 23796 - - Invalid user test from 203.0.113.5 port 51234'],
  [3, 'syslog', 'Nov 22 01:50:32 mx1 kernel: [12345.678901] IN=eth0 OUT= SRC=203.0.113.5 DST=198.51.100.1 PROTO=TCP DPT=22'],
  [15, 'access', '203.0.113.5 - - [22/Nov/2026:01:50:29 +0000] "GET /wp-login.php HTTP/1.1" 404 153 "-" "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36"'],
  [5, 'access', 'www.example.org:443 2001:db8::5 - admin [22/Nov/2026:01:50:29 +0000] "POST /admin/ HTTP/1.1" 401 381 "https://www.example.org/" "python-requests/2.31.0"'],
  [4, 'access', 'example.org ::ffff:203.0.113.5 - - [22/Nov/2026:01:50:29 +0000] "GET /.env HTTP/1.1" 403 153 "-" "curl/7.88.1"'],
  [2, 'weberror', '2026/11/22 01:50:29 [error] 1234#1234: *5 user "admin": password mismatch, client: 203.0.113.5, server: example.org, request: "GET / HTTP/1.1", host: "example.org"'],
  [1, 'weberror', '[Sun Nov 22 01:50:29.123456 2026] [auth_basic:error] [pid 123:tid 456] [client 203.0.113.5:51234] AH01617: user admin: authentication failure for "/": Password Mismatch'],
];

/**
 * Parses n lines cycling through the weighted mix (lines are distinct strings: the varying second
 * digit keeps V8 from seeing the same string object) and reports the rate. One warm-up pass of
 * min(n, 100k) lines first so the timed run measures optimised code.
 */
export function benchHeaders(n: number): { lines: number; seconds: number; linesPerSecond: number } {
  const formats: LineFormat[] = [];
  const lines: string[] = [];
  for (const [w, f, l] of TEMPLATES) {
    for (let k = 0; k < w * 10; k++) {
      formats.push(f);
      lines.push(l.replace('29', String(10 + (k % 50)))); // distinct strings, still valid stamps
    }
  }
  const ctx = { year: 2026, nowMs: Date.UTC(2026, 10, 22, 12), tzOffsetMinutes: 0 };
  const m = lines.length;
  let sink = 0;
  const run = (count: number): void => {
    for (let i = 0, j = 0; i < count; i++, j = j + 1 === m ? 0 : j + 1) {
      const r = parseLine(lines[j]!, formats[j]!, ctx);
      if (r !== null) sink += r.message.length;
    }
  };
  run(Math.min(n, 100_000));
  sink = 0;
  const t0 = performance.now();
  run(n);
  const seconds = (performance.now() - t0) / 1000;
  if (sink === 0) throw new Error('benchmark lines did not parse');
  return { lines: n, seconds, linesPerSecond: Math.round(n / seconds) };
}
