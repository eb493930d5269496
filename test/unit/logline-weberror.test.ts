// parseWebErrorLog / parseWebErrorMessage: nginx 1.22 and Apache 2.4 (and 2.2-style) error lines from
// files and through syslog, forged client fields, IPv6 clients, and refusals.
import test from 'ava';
import { parseSyslogLine } from '../../src/core/logline/syslog.js';
import type { LogLine } from '../../src/core/logline/types.js';
import { parseWebErrorLog, parseWebErrorMessage } from '../../src/core/logline/web-error.js';

const at = (iso: string): number => Date.parse(iso);
const T = at('2026-11-22T01:50:29Z');

const cases: [string, string, Partial<LogLine>][] = [
  ['nginx auth_basic password mismatch', '2026/11/22 01:50:29 [error] 1234#1234: *5 user "admin": password mismatch, client: 203.0.113.5, server: example.org, request: "GET / HTTP/1.1", host: "example.org"', {
    time: T, host: null, program: 'nginx', pid: 1234, level: 'error', client: '203.0.113.5', vhost: 'example.org',
    message: 'user "admin": password mismatch, client: 203.0.113.5, server: example.org, request: "GET / HTTP/1.1", host: "example.org"',
  }],
  ['nginx user not found, IPv6 client', '2026/11/22 01:50:29 [error] 1234#1234: *7 user "bob" was not found in "/etc/nginx/htpasswd", client: 2001:db8::5, server: example.org, request: "GET /private/ HTTP/1.1", host: "example.org"', {
    client: '2001:db8::5', vhost: 'example.org', message: 'user "bob" was not found in "/etc/nginx/htpasswd", client: 2001:db8::5, server: example.org, request: "GET /private/ HTTP/1.1", host: "example.org"',
  }],
  ['nginx limit_req', '2026/11/22 01:50:29 [error] 1234#1234: *9 limiting requests, excess: 5.120 by zone "one", client: 203.0.113.5, server: example.org, request: "GET / HTTP/1.1", host: "example.org"', {
    client: '203.0.113.5', message: 'limiting requests, excess: 5.120 by zone "one", client: 203.0.113.5, server: example.org, request: "GET / HTTP/1.1", host: "example.org"',
  }],
  ['nginx open() failed with errno, warn level, no connection number', '2026/11/22 01:50:29 [crit] 1234#1234: open() "/var/www/x" failed (13: Permission denied)', {
    level: 'crit', client: undefined, message: 'open() "/var/www/x" failed (13: Permission denied)',
  }],
  ['nginx: a forged client field in the user name makes client unknown', '2026/11/22 01:50:29 [error] 1234#1234: *5 user "x, client: 198.51.100.7, server: a": password mismatch, client: 203.0.113.5, server: example.org, request: "GET / HTTP/1.1"', {
    client: undefined, vhost: undefined,
  }],
  ['nginx: empty server field', '2026/11/22 01:50:29 [info] 1234#1234: *1 client closed connection while waiting for request, client: 203.0.113.5, server: 0.0.0.0:80', {
    client: '203.0.113.5', vhost: '0.0.0.0:80', level: 'info',
  }],
  ['Apache 2.4 auth_basic', '[Sun Nov 22 01:50:29.123456 2026] [auth_basic:error] [pid 123:tid 456] [client 203.0.113.5:51234] AH01617: user admin: authentication failure for "/": Password Mismatch', {
    time: at('2026-11-22T01:50:29.123Z'), program: 'apache', pid: 123, level: 'auth_basic:error', client: '203.0.113.5',
    message: 'AH01617: user admin: authentication failure for "/": Password Mismatch',
  }],
  ['Apache 2.4 user not found, IPv6 client with port, referer tail', '[Sun Nov 22 01:50:29.123456 2026] [auth_basic:error] [pid 123:tid 456] [client 2001:db8::5:51234] AH01618: user bob not found: /private/, referer: https://example.org/', {
    client: '2001:db8::5', message: 'AH01618: user bob not found: /private/, referer: https://example.org/',
  }],
  ['Apache 2.4 mapped IPv4 client', '[Sun Nov 22 01:50:29.123456 2026] [auth_basic:error] [pid 1:tid 2] [client ::ffff:203.0.113.5:51234] AH01617: x', {
    client: '::ffff:203.0.113.5',
  }],
  ['Apache 2.4 errno chunk before the client', '[Sun Nov 22 01:50:29.123456 2026] [core:error] [pid 123:tid 456] (13)Permission denied: [client 203.0.113.5:51234] AH00035: access to /index.html denied (filesystem path \'/var/www/html/index.html\') because search permissions are missing on a component of the path', {
    client: '203.0.113.5', level: 'core:error',
    message: '(13)Permission denied: AH00035: access to /index.html denied (filesystem path \'/var/www/html/index.html\') because search permissions are missing on a component of the path',
  }],
  ['Apache 2.4 server message without client', '[Sun Nov 22 01:50:29.123456 2026] [mpm_event:notice] [pid 123:tid 456] AH00489: Apache/2.4.62 (Debian) configured -- resuming normal operations', {
    client: undefined, pid: 123, message: 'AH00489: Apache/2.4.62 (Debian) configured -- resuming normal operations',
  }],
  ['Apache: a [client] in the message text is not the client', '[Sun Nov 22 01:50:29.123456 2026] [core:info] [pid 1:tid 2] AH00000: text [client 198.51.100.7:1] forged', {
    client: undefined, message: 'AH00000: text [client 198.51.100.7:1] forged',
  }],
  ['Apache 2.2 style: no pid, level only, client without port', '[Sun Nov 22 01:50:29 2026] [error] [client 203.0.113.5] user admin: authentication failure for "/": Password Mismatch', {
    time: T, pid: null, level: 'error', client: '203.0.113.5', message: 'user admin: authentication failure for "/": Password Mismatch',
  }],
  ['Apache: impossible stamp keeps the line', '[Sun Feb 30 01:50:29.1 2026] [auth_basic:error] [pid 1] [client 203.0.113.5:1] AH01617: x', {
    time: null, client: '203.0.113.5', message: 'AH01617: x',
  }],
];

for (const [name, line, expected] of cases) {
  test(`weberror: ${name}`, (t) => {
    const r = parseWebErrorLog(line);
    t.not(r, null);
    t.like(r as LogLine, expected);
  });
}

test('weberror: stamps are local time; ctx names program and vhost', (t) => {
  const ctx = { tzOffsetMinutes: 60, program: 'web', vhost: 'shop.example.org' };
  t.like(parseWebErrorLog('2026/11/22 02:50:29 [error] 1#1: *1 x', ctx) as LogLine, { time: T, program: 'web', vhost: 'shop.example.org' });
  t.like(parseWebErrorLog('[Sun Nov 22 02:50:29 2026] [error] [client 203.0.113.5] x', ctx) as LogLine, { time: T, program: 'web', vhost: 'shop.example.org' });
});

const refused: [string, string][] = [
  ['empty', ''],
  ['text', 'hello'],
  ['nginx stamp without level', '2026/11/22 01:50:29 1234#1234: x'],
  ['nginx without pid#tid', '2026/11/22 01:50:29 [error] x'],
  ['nginx truncated', '2026/11/22 01:50'],
  ['bracket with spaces (not a level)', '[not a level] x'],
  ['unclosed bracket', '[auth_basic:error x'],
  ['syslog line', 'Nov 22 01:50:29 web1 nginx: x'],
  ['access line', '203.0.113.5 - - [22/Nov/2026:01:50:29 +0000] "GET / HTTP/1.1" 200 1 "-" "-"'],
];
for (const [name, line] of refused) {
  test(`weberror refuses: ${name}`, (t) => {
    t.is(parseWebErrorLog(line), null);
  });
}

test('weberror through syslog: nginx keeps its stamp, Apache has none', (t) => {
  const ngx = parseSyslogLine(
    'Nov 22 01:50:31 web1 nginx: 2026/11/22 01:50:29 [error] 1234#1234: *5 user "admin": password mismatch, client: 203.0.113.5, server: example.org, request: "GET / HTTP/1.1", host: "example.org"',
    { year: 2026 },
  )!;
  t.like(parseWebErrorMessage(ngx.message, ngx) as LogLine, {
    time: T, host: 'web1', program: 'nginx', pid: 1234, client: '203.0.113.5', vhost: 'example.org', level: 'error',
    message: 'user "admin": password mismatch, client: 203.0.113.5, server: example.org, request: "GET / HTTP/1.1", host: "example.org"',
  });
  const apache = parseSyslogLine(
    'Nov 22 01:50:31 web1 apache2[777]: [auth_basic:error] [pid 777:tid 778] [client 203.0.113.5:51234] AH01617: user admin: authentication failure for "/": Password Mismatch',
    { year: 2026 },
  )!;
  t.like(parseWebErrorMessage(apache.message, apache) as LogLine, {
    time: at('2026-11-22T01:50:31Z'), host: 'web1', program: 'apache2', pid: 777, client: '203.0.113.5', level: 'auth_basic:error',
    message: 'AH01617: user admin: authentication failure for "/": Password Mismatch',
  });
  // Apache without [pid] in the payload takes the syslog pid
  const nopid = parseSyslogLine('Nov 22 01:50:31 web1 apache2[777]: [error] [client 203.0.113.5] x', { year: 2026 })!;
  t.like(parseWebErrorMessage(nopid.message, nopid) as LogLine, { pid: 777, client: '203.0.113.5', message: 'x' });
  t.is(parseWebErrorMessage('plain text', nopid), null);
});
