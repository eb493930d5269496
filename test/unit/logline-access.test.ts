// parseAccessLog / parseAccessLogMessage: combined, common, Apache vhost_combined and nginx `watcher`
// lines as nginx 1.22 and Apache 2.4 write them, hostile request lines and user fields, and refusals.
import test from 'ava';
import { parseAccessLog, parseAccessLogMessage } from '../../src/core/logline/access-log.js';
import { parseSyslogLine } from '../../src/core/logline/syslog.js';
import type { HttpFields, LogLine } from '../../src/core/logline/types.js';

const at = (iso: string): number => Date.parse(iso);
const T = at('2026-11-22T01:50:29Z');

function http(p: Partial<HttpFields>): HttpFields {
  return { method: '', path: '', protocol: '', status: null, bytes: null, user: null, referer: null, userAgent: null, ...p };
}

/** The fields read one by one (they are computed when first read), as a plain object. */
function plain(h: HttpFields | undefined): HttpFields | undefined {
  if (h === undefined) return undefined;
  const { method, path, protocol, status, bytes, user, referer, userAgent } = h;
  return { method, path, protocol, status, bytes, user, referer, userAgent };
}

// [name, line, expected subset]
const cases: [string, string, Partial<LogLine>][] = [
  ['nginx combined, basic auth failure', '203.0.113.5 - admin [22/Nov/2026:01:50:29 +0000] "GET /private/ HTTP/1.1" 401 179 "-" "Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0"', {
    time: T, host: null, program: 'httpd', pid: null, client: '203.0.113.5', vhost: undefined,
    message: '"GET /private/ HTTP/1.1" 401 179 "-" "Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0"',
    http: http({ method: 'GET', path: '/private/', protocol: 'HTTP/1.1', status: 401, bytes: 179, user: 'admin', referer: '-', userAgent: 'Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0' }),
  }],
  ['Apache combined, IPv6 client, offset', '2001:db8::5 - - [22/Nov/2026:02:50:29 +0100] "POST /wp-login.php HTTP/1.1" 200 4523 "https://www.example.org/wp-login.php" "python-requests/2.31.0"', {
    time: T, client: '2001:db8::5', message: '"POST /wp-login.php HTTP/1.1" 200 4523 "https://www.example.org/wp-login.php" "python-requests/2.31.0"',
    http: http({ method: 'POST', path: '/wp-login.php', protocol: 'HTTP/1.1', status: 200, bytes: 4523, referer: 'https://www.example.org/wp-login.php', userAgent: 'python-requests/2.31.0' }),
  }],
  ['common log format (no referer, no agent), Apache %b "-"', '::ffff:203.0.113.5 - - [22/Nov/2026:01:50:29 +0000] "HEAD / HTTP/1.0" 304 -', {
    time: T, client: '::ffff:203.0.113.5', message: '"HEAD / HTTP/1.0" 304 -',
    http: http({ method: 'HEAD', path: '/', protocol: 'HTTP/1.0', status: 304, bytes: null }),
  }],
  ['Apache vhost_combined: vhost without port, program apache', 'www.example.org:443 203.0.113.5 - - [22/Nov/2026:01:50:29 +0000] "GET /.env HTTP/1.1" 404 437 "-" "curl/7.88.1"', {
    time: T, program: 'apache', vhost: 'www.example.org', client: '203.0.113.5', message: '"GET /.env HTTP/1.1" 404 437 "-" "curl/7.88.1"',
    http: http({ method: 'GET', path: '/.env', protocol: 'HTTP/1.1', status: 404, bytes: 437, referer: '-', userAgent: 'curl/7.88.1' }),
  }],
  ['nginx watcher format: vhost first, program nginx', 'example.org 2001:db8::5 - bob [22/Nov/2026:01:50:29 +0000] "GET /admin HTTP/2.0" 401 179 "-" "hydra"', {
    time: T, program: 'nginx', vhost: 'example.org', client: '2001:db8::5', message: '"GET /admin HTTP/2.0" 401 179 "-" "hydra"',
    http: http({ method: 'GET', path: '/admin', protocol: 'HTTP/2.0', status: 401, bytes: 179, user: 'bob', referer: '-', userAgent: 'hydra' }),
  }],
  ['nginx: no request line at all', '203.0.113.5 - - [22/Nov/2026:01:50:29 +0000] "-" 400 0 "-" "-"', {
    time: T, message: '"-" 400 0 "-" "-"', http: http({ status: 400, bytes: 0, referer: '-', userAgent: '-' }),
  }],
  ['nginx: TLS bytes on a plain port (escaped)', '203.0.113.5 - - [22/Nov/2026:01:50:29 +0000] "\\x16\\x03\\x01\\x00\\xF1\\x01\\x00\\x00\\xED\\x03\\x03" 400 157 "-" "-"', {
    client: '203.0.113.5', message: '"\\x16\\x03\\x01\\x00\\xF1\\x01\\x00\\x00\\xED\\x03\\x03" 400 157 "-" "-"', http: http({ status: 400, bytes: 157, referer: '-', userAgent: '-' }),
  }],
  ['HTTP/0.9 shape: no protocol', '203.0.113.5 - - [22/Nov/2026:01:50:29 +0000] "GET /x" 400 0 "-" "-"', {
    http: http({ method: 'GET', path: '/x', status: 400, bytes: 0, referer: '-', userAgent: '-' }),
  }],
  ['nginx allows spaces in the URI', '203.0.113.5 - - [22/Nov/2026:01:50:29 +0000] "GET /a b HTTP/1.1" 404 1 "-" "-"', {
    http: http({ method: 'GET', path: '/a b', protocol: 'HTTP/1.1', status: 404, bytes: 1, referer: '-', userAgent: '-' }),
  }],
  ['Apache escapes quotes in request and agent', '203.0.113.5 - - [22/Nov/2026:01:50:29 +0000] "GET /\\"><script> HTTP/1.1" 404 1 "-" "sqlmap \\"x\\""', {
    message: '"GET /\\"><script> HTTP/1.1" 404 1 "-" "sqlmap \\"x\\""',
    http: http({ method: 'GET', path: '/\\"><script>', protocol: 'HTTP/1.1', status: 404, bytes: 1, referer: '-', userAgent: 'sqlmap \\"x\\"' }),
  }],
  ['user field with spaces and brackets', '203.0.113.5 - a b [c] [22/Nov/2026:01:50:29 +0000] "GET / HTTP/1.1" 401 1 "-" "-"', {
    time: T, client: '203.0.113.5', http: http({ method: 'GET', path: '/', protocol: 'HTTP/1.1', status: 401, bytes: 1, user: 'a b [c]', referer: '-', userAgent: '-' }),
  }],
  ['forged stamp and request in the user field are skipped (nginx escapes the quote)', '203.0.113.5 - x [01/Jan/2020:00:00:00 +0000] \\x22GET /forged HTTP/1.1\\x22 200 [22/Nov/2026:01:50:29 +0000] "GET /real HTTP/1.1" 401 1 "-" "-"', {
    time: T, client: '203.0.113.5', message: '"GET /real HTTP/1.1" 401 1 "-" "-"',
  }],
  ['extra fields of a custom format stay in message', '203.0.113.5 - - [22/Nov/2026:01:50:29 +0000] "GET / HTTP/1.1" 200 1 "-" "UA" 0.002 "-"', {
    message: '"GET / HTTP/1.1" 200 1 "-" "UA" 0.002 "-"', http: http({ method: 'GET', path: '/', protocol: 'HTTP/1.1', status: 200, bytes: 1, referer: '-', userAgent: 'UA' }),
  }],
  ['truncated after the request', '203.0.113.5 - - [22/Nov/2026:01:50:29 +0000] "GET /x HTTP/1.1', {
    time: T, message: '"GET /x HTTP/1.1', http: http({ method: 'GET', path: '/x', protocol: 'HTTP/1.1' }),
  }],
  ['impossible stamp keeps the line', '203.0.113.5 - - [31/Feb/2026:01:50:29 +0000] "GET / HTTP/1.1" 200 1 "-" "-"', {
    time: null, client: '203.0.113.5',
  }],
  ['CRLF dropped', '203.0.113.5 - - [22/Nov/2026:01:50:29 +0000] "GET / HTTP/1.1" 200 1 "-" "UA"\r\n', {
    message: '"GET / HTTP/1.1" 200 1 "-" "UA"', http: http({ method: 'GET', path: '/', protocol: 'HTTP/1.1', status: 200, bytes: 1, referer: '-', userAgent: 'UA' }),
  }],
];

for (const [name, line, expected] of cases) {
  test(`access: ${name}`, (t) => {
    const r = parseAccessLog(line);
    t.not(r, null);
    t.like(r as LogLine, expected);
    if (expected.http) t.deepEqual(plain(r?.http), expected.http);
  });
}

const refused: [string, string][] = [
  ['empty', ''],
  ['one token', '203.0.113.5'],
  ['no stamp', '203.0.113.5 - - "GET / HTTP/1.1" 200 1'],
  ['stamp not followed by a request', '203.0.113.5 - - [22/Nov/2026:01:50:29 +0000] 200 1'],
  ['stamp without offset', '203.0.113.5 - - [22/Nov/2026:01:50:29] "GET / HTTP/1.1" 200 1'],
  ['ident field not "-" and no vhost shape', '203.0.113.5 ident user [22/Nov/2026:01:50:29 +0000] "GET / HTTP/1.1" 200 1'],
  ['syslog line', 'Nov 22 01:50:29 web1 nginx: x'],
  ['nginx error line', '2026/11/22 01:50:29 [error] 1234#1234: *5 x'],
];
for (const [name, line] of refused) {
  test(`access refuses: ${name}`, (t) => {
    t.is(parseAccessLog(line), null);
  });
}

test('access: ctx.program and ctx.vhost name what the line does not', (t) => {
  const line = '203.0.113.5 - - [22/Nov/2026:01:50:29 +0000] "GET / HTTP/1.1" 200 1 "-" "-"';
  t.like(parseAccessLog(line, { program: 'apache', vhost: 'shop.example.org' }) as LogLine, { program: 'apache', vhost: 'shop.example.org' });
  // a vhost in the line wins over the source's
  t.like(parseAccessLog(`a.example.org ${line}`, { vhost: 'b.example.org' }) as LogLine, { vhost: 'a.example.org', program: 'nginx' });
});

test('access: the vhost keeps IPv6 literal colons and loses only a port', (t) => {
  const rest = '203.0.113.5 - - [22/Nov/2026:01:50:29 +0000] "GET / HTTP/1.1" 200 1 "-" "-"';
  t.is(parseAccessLog(`[2001:db8::1]:8443 ${rest}`)?.vhost, '[2001:db8::1]');
  t.is(parseAccessLog(`[2001:db8::1] ${rest}`)?.vhost, '[2001:db8::1]');
  t.is(parseAccessLog(`example.org:80 ${rest}`)?.vhost, 'example.org');
});

test('access through syslog: nginx access_log syslog:... lines parsed again from the message', (t) => {
  const base = parseSyslogLine(
    'Nov 22 01:50:30 web1 nginx: 203.0.113.5 - - [22/Nov/2026:01:50:29 +0000] "GET /wp-admin/ HTTP/1.1" 404 153 "-" "curl/7.88.1"',
    { year: 2026 },
  );
  t.truthy(base);
  const r = parseAccessLogMessage(base!.message, base!);
  t.like(r as LogLine, {
    time: T, // the access-log stamp, not the syslog one
    host: 'web1',
    program: 'nginx',
    client: '203.0.113.5',
    message: '"GET /wp-admin/ HTTP/1.1" 404 153 "-" "curl/7.88.1"',
  });
  // custom tag and the watcher format with the vhost first
  const tagged = parseSyslogLine(
    '<190>Nov 22 01:50:30 web1 nginx_access: shop.example.org 2001:db8::5 - - [22/Nov/2026:01:50:29 +0000] "POST /login HTTP/1.1" 401 0 "-" "-"',
    { year: 2026 },
  )!;
  t.like(parseAccessLogMessage(tagged.message, tagged) as LogLine, { program: 'nginx_access', vhost: 'shop.example.org', client: '2001:db8::5' });
  // an impossible stamp in the payload falls back to the syslog time
  const bad = parseSyslogLine('Nov 22 01:50:30 web1 nginx: 203.0.113.5 - - [31/Feb/2026:01:50:29 +0000] "GET / HTTP/1.1" 200 1 "-" "-"', { year: 2026 })!;
  t.is(parseAccessLogMessage(bad.message, bad)?.time, at('2026-11-22T01:50:30Z'));
  t.is(parseAccessLogMessage('not an access line', bad), null);
});
