// `watcherctl match`: JSON and readable output, --missed, options and their errors, shipped and local
// rule directories, chunked and odd input, and the header formats (through the header parser).
import test, { type ExecutionContext } from 'ava';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runMatch, type MatchIo } from '../../src/cli/match.js';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function run(argv: string[], input: string | (string | Uint8Array)[] = '', files: Record<string, string> = {}): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const io: MatchIo = {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    readInput: (p) => {
      if (p === '-') return typeof input === 'string' ? [input] : input;
      if (p in files) return [files[p]!];
      return (async function* () {
        throw new Error(`ENOENT: no such file or directory, open '${p}'`);
      })();
    },
  };
  const code = await runMatch(argv, io);
  return { code, stdout, stderr };
}

const NO_LOCAL = ['--local-rules-dir', join(tmpdir(), 'watcher-no-local-rules')];

const AUTH_LOG = [
  'Nov 22 01:50:29 host sshd[23796]: Invalid user admin from 203.0.113.5 port 50022',
  'Nov 22 01:50:31 host sshd[23796]: Failed password for invalid user admin from 203.0.113.5 port 50022 ssh2',
  '2026-11-22T01:50:33.123456+00:00 host sshd[23797]: Failed password for root from 2001:db8::7 port 41234 ssh2',
  '',
  'Nov 22 01:50:34 host sshd[23798]: Accepted publickey for bob from 198.51.100.2 port 5555 ssh2: ED25519 SHA256:x',
  'not a log line',
  'Nov 22 01:50:35 host sshd[23799]: Connection closed by authenticating user root ::ffff:203.0.113.5 port 50099 [preauth]',
  'Nov 22 01:50:36 host CRON[1]: Invalid user admin from 203.0.113.9 port 50022',
].join('\n');

test('--json prints one object per detected line with its 1-based line number; the summary goes to stderr', async (t) => {
  const r = await run(['--module', 'LG', '--json', ...NO_LOCAL, '-'], AUTH_LOG);
  t.is(r.code, 0);
  t.deepEqual(
    r.stdout.trim().split('\n').map((l) => JSON.parse(l)),
    [
      { line: 1, ip: '203.0.113.5', rule: 'sshd-invalid-user', event: 'invalid-user' },
      { line: 2, ip: '203.0.113.5', rule: 'sshd-failed-password-invalid-user', event: 'auth-failure' },
      { line: 3, ip: '2001:db8::7', rule: 'sshd-failed-password', event: 'auth-failure' },
      { line: 7, ip: '203.0.113.5', rule: 'sshd-preauth-closed', event: 'preauth-disconnect' },
    ],
  );
  t.regex(r.stdout, /^\{"line":1,"ip":"203\.0\.113\.5","rule":"sshd-invalid-user","event":"invalid-user"\}\n/);
  t.regex(r.stderr, /Lines: 8 read, 6 parsed, 1 not parsed \(format auto\), 1 blank/);
  t.regex(r.stderr, /Matched: 4 lines/);
  t.notRegex(r.stderr, /matched nothing/);
});

test('the readable report counts per rule and per address, and --missed lists what matched nothing', async (t) => {
  const r = await run(['--module', 'LG', '--missed', ...NO_LOCAL, '-'], AUTH_LOG);
  t.is(r.code, 0);
  t.is(r.stderr, '');
  t.regex(r.stdout, /Matches per rule:\n\s+1  sshd-failed-password\s+auth-failure\n/);
  t.regex(r.stdout, /Top addresses \(lines, affairs\):\n\s+3\s+3  203\.0\.113\.5\n\s+1\s+1  2001:db8::7\n/);
  t.regex(r.stdout, /Lines that matched nothing \(3\):\n\s+5  Nov 22 01:50:34 host sshd\[23798\]: Accepted publickey[^\n]*\n\s+6 \(not parsed\)  not a log line\n\s+8  Nov 22 01:50:36 host CRON/);
  const plain = await run(['--module', 'LG', ...NO_LOCAL, '-'], AUTH_LOG);
  t.notRegex(plain.stdout, /matched nothing/);
});

test('command-line mistakes exit 2 with the help on stderr; --help prints it on stdout', async (t) => {
  for (const [argv, message] of [
    [['-'], 'missing --module'],
    [['--module', 'XX', '-'], 'unknown module "XX"'],
    [['--module', 'LG', '--format', 'csv', '-'], 'unknown format "csv"'],
    [['--module', 'LG'], 'missing input file'],
    [['--module', 'LG', 'a', 'b'], 'only one input file'],
    [['--module', 'LG', '--bogus', '-'], "Unknown option '--bogus'"],
  ] as const) {
    const r = await run([...argv]);
    t.is(r.code, 2, message);
    t.true(r.stderr.includes(message), r.stderr);
    t.true(r.stderr.includes('Usage: watcherctl match'));
  }
  const h = await run(['--help']);
  t.is(h.code, 0);
  t.regex(h.stdout, /^watcherctl match/);
});

test('an unreadable input exits 1', async (t) => {
  const r = await run(['--module', 'LG', ...NO_LOCAL, '/nonexistent/auth.log']);
  t.is(r.code, 1);
  t.regex(r.stderr, /cannot read \/nonexistent\/auth\.log: ENOENT/);
});

function ruleDirs(t: ExecutionContext, shipped: string, local: Record<string, string>): { shipped: string; local: string } {
  const root = mkdtempSync(join(tmpdir(), 'watcher-match-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  mkdirSync(join(root, 'shipped', 'LG'), { recursive: true });
  mkdirSync(join(root, 'local', 'LG'), { recursive: true });
  writeFileSync(join(root, 'shipped', 'LG', 'pack.yaml'), shipped);
  for (const [name, text] of Object.entries(local)) writeFileSync(join(root, 'local', 'LG', name), text);
  return { shipped: join(root, 'shipped'), local: join(root, 'local') };
}

test('--rules-dir and --local-rules-dir choose the rules; a bad local file is reported, exit 1, the rest still runs', async (t) => {
  const d = ruleDirs(
    t,
    [
      'rules:',
      '  - id: my-invalid',
      '    programs: [sshd]',
      '    event: invalid-user',
      "    pattern: 'Invalid user <USER> from <IP> port <PORT>'",
      "    samples: { match: [{ line: 'Invalid user a from 203.0.113.5 port 1', ip: 203.0.113.5, user: a }] }",
      '',
    ].join('\n'),
    { '10-weight.yaml': 'rules:\n  - id: my-invalid\n    weight: 4\n', '20-bad.yaml': 'rules: [\n' },
  );
  const r = await run(['--module', 'LG', '--rules-dir', d.shipped, '--local-rules-dir', d.local, '-'], AUTH_LOG);
  t.is(r.code, 1);
  t.regex(r.stderr, /20-bad\.yaml:\d+: YAML syntax/);
  t.regex(r.stdout, /Module LG: 1 rules enabled \(0 disabled\)/);
  t.regex(r.stdout, /\s+1\s+4  203\.0\.113\.5\n/);
  t.regex(r.stdout, /Matched: 1 lines/);
});

test('input in odd chunks: split lines and UTF-8 sequences, CRLF, no final newline', async (t) => {
  const text = 'Nov 22 01:50:29 host sshd[1]: Invalid user Jürgen from 203.0.113.5 port 50022\r\nNov 22 01:50:30 host sshd[1]: Invalid user \u00e9 from 2001:db8::1 port 1';
  const bytes = new TextEncoder().encode(text);
  const chunks: Uint8Array[] = [];
  for (let i = 0; i < bytes.length; i += 7) chunks.push(bytes.slice(i, i + 7));
  const r = await run(['--module', 'LG', '--json', ...NO_LOCAL, '-'], chunks);
  t.deepEqual(
    r.stdout.trim().split('\n').map((l) => JSON.parse(l).ip),
    ['203.0.113.5', '2001:db8::1'],
  );
});

test('WB: access lines (--format access) and nginx error lines wrapped in syslog', async (t) => {
  const access = [
    '203.0.113.5 - - [22/Nov/2026:01:50:29 +0000] "GET /wp-login.php HTTP/1.1" 404 153 "-" "Mozilla/5.0"',
    '198.51.100.7 - - [22/Nov/2026:01:50:30 +0000] "GET / HTTP/1.1" 200 612 "-" "sqlmap/1.7.2#stable (https://sqlmap.org)"',
    '198.51.100.8 - - [22/Nov/2026:01:50:31 +0000] "GET / HTTP/1.1" 200 612 "-" "Mozilla/5.0"',
  ].join('\n');
  const a = await run(['--module', 'WB', '--json', '--format', 'access', ...NO_LOCAL, '-'], access);
  t.deepEqual(
    a.stdout.trim().split('\n').map((l) => JSON.parse(l)),
    [
      { line: 1, ip: '203.0.113.5', rule: 'http-probe-wordpress', event: 'vuln-scan' },
      { line: 2, ip: '198.51.100.7', rule: 'http-bad-bot', event: 'bad-bot' },
    ],
  );
  const error =
    'Nov 22 01:50:29 web nginx: 2026/11/22 01:50:29 [error] 1234#1234: *5 user "admin": password mismatch, client: 203.0.113.5, server: www.example.org, request: "GET /private/ HTTP/1.1", host: "www.example.org"';
  const e = await run(['--module', 'WB', '--json', '--format', 'syslog', ...NO_LOCAL, '-'], error);
  t.deepEqual(JSON.parse(e.stdout), { line: 1, ip: '203.0.113.5', rule: 'nginx-basic-auth-mismatch', event: 'basic-auth-failure' });
  const apache = '[Sun Nov 22 01:50:29.123456 2026] [auth_basic:error] [pid 42:tid 43] [client 2001:db8::25:51234] AH01617: user bob: authentication failure for "/": Password Mismatch';
  const ap = await run(['--module', 'WB', '--json', '--format', 'weberror', ...NO_LOCAL, '-'], apache);
  t.deepEqual(JSON.parse(ap.stdout), { line: 1, ip: '2001:db8::25', rule: 'apache-basic-auth-mismatch', event: 'basic-auth-failure' });
});
