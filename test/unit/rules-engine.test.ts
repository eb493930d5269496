// The rule engine: pattern checks (placeholders, anchoring, nested quantifiers, backtracking budget),
// the literal prefilter, program dispatch, first match in file order, sources and IP normalisation.
import test from 'ava';
import { parseIp } from '../../src/core/ip.js';
import type { LogLine } from '../../src/core/logline/types.js';
import { parseAccessLog } from '../../src/core/logline/index.js';
import { compilePattern, compileRules, loadModuleRules, MAX_MESSAGE, type Rule } from '../../src/core/rules/index.js';

function rule(id: string, pattern: string, extra: Partial<Rule> = {}): Rule {
  return { id, programs: ['sshd'], pattern, event: 'auth-failure', weight: 1, source: 'message', enabled: true, samples: { match: [], nomatch: [] }, ...extra };
}

function line(message: string, extra: Partial<LogLine> = {}): LogLine {
  return { time: 1_700_000_000_000, host: 'h', program: 'sshd', pid: 1, message, ...extra };
}

const HTTP = { method: 'GET', path: '/', protocol: 'HTTP/1.1', status: 404, bytes: 1, user: null, referer: null, userAgent: null };

// [pattern, source, expected error fragment]
const refused: [string, Rule['source'], string][] = [
  ['Invalid user <USER> from <HOST>', 'message', 'pattern has no <IP>'],
  ['from <IP> to <IP>', 'message', 'more than one <IP>'],
  ['"GET <IP>" 404 <*>', 'access', 'use <ADDR>, not <IP>'],
  ['AH01617: <IP>', 'client', 'use <ADDR>, not <IP>'],
  ['user <USER> and <USER> from <IP>', 'message', '<USER> may occur only once'],
  ['<HOSTNAME> from <IP>', 'message', 'unknown placeholder <HOSTNAME>'],
  ['x (?<ip>[0-9.]+)', 'message', 'capture the address with <IP>'],
  ['x (?<who>\\S+) <IP>', 'message', 'unknown capture (?<who>'],
  ['^Failed from <IP>', 'message', 'anchors every pattern'],
  ['Failed from <IP>$', 'message', 'anchors every pattern'],
  ['(a+)+ <IP>', 'message', 'nested quantifier'],
  ['(.*)* <IP>', 'message', 'nested quantifier'],
  ['(?:x\\d+){2,} <IP>', 'message', 'nested quantifier'],
  ['(?:a|ab)* <IP>', 'message', 'repeated alternatives'],
  ['(?:)* <IP>', 'message', 'can match nothing'],
  ['(x)\\1 <IP>', 'message', 'backreference'],
  ['(?<user>x)\\k<user> <IP>', 'message', 'backreference'],
  ['(?=a+)x <IP>', 'message', 'lookaround'],
  ['<*>from <IP> port <PORT>', 'message', 'before <IP>'],
  ['[^"]* from <IP>', 'message', 'before <IP>'],
  ['x.*?y.*?z.*? <IP>', 'message', 'backtrack too much'],
  ['Failed (?:password for <USER> from <IP>', 'message', 'not a valid regular expression'],
  ['Failed for <USER>\nfrom <IP>', 'message', 'line break'],
  ['a\\01b <IP>', 'message', '\\0 is not supported'],
  ['a\\c1 <IP>', 'message', '\\c is not supported'],
];

for (const [pattern, source, fragment] of refused) {
  test(`refused (${source}): ${JSON.stringify(pattern)}`, (t) => {
    const r = compilePattern(pattern, source);
    if (r.ok) return t.fail(`accepted: ${r.pattern.re.source}`);
    t.true(
      r.errors.some((e) => e.includes(fragment)),
      r.errors.join('\n'),
    );
  });
}

// [pattern, source, prefix, needle]
const accepted: [string, Rule['source'], string, string][] = [
  ['Invalid user <USER> from <IP> port <PORT>', 'message', 'Invalid user ', ' from '],
  ['(?:error: )?maximum authentication attempts exceeded for <USER> from <IP> port <PORT> ssh2', 'message', '', 'maximum authentication attempts exceeded for '],
  ['NOQUEUE: reject: RCPT from <HOST>\\[<IP>\\]: \\d{3} <<*>>: Relay access denied; <*>', 'message', 'NOQUEUE: reject: RCPT from ', '>: Relay access denied; '],
  ['"(?:[^"\\\\]|\\\\.)*" \\d{3} <*>', 'access', '"', ''],
  ['AH01617: user (?<user>[^:]{0,256}): authentication failure for "<*>": Password Mismatch', 'client', 'AH01617: user ', ': authentication failure for "'],
  ['x(?=y)y <IP>', 'message', 'x', ''],
  ['literal \\<ANGLE> from <IP>', 'message', 'literal <ANGLE> from ', ''],
];

for (const [pattern, source, prefix, needle] of accepted) {
  test(`accepted (${source}) with prefilter literals: ${JSON.stringify(pattern)}`, (t) => {
    const r = compilePattern(pattern, source);
    if (!r.ok) return t.fail(r.errors.join('\n'));
    t.is(r.pattern.prefix, prefix);
    t.is(r.pattern.needle, needle);
    t.true(r.pattern.re.source.startsWith('^(?:') && r.pattern.re.source.endsWith(')$'));
  });
}

test('a pattern ending in <*> ends in a greedy .*; elsewhere <*> is lazy', (t) => {
  const r = compilePattern('a <IP> b <*> c <*>', 'message');
  if (!r.ok) return t.fail(r.errors.join());
  t.true(r.pattern.source.endsWith(' b .*? c .*'));
});

test('the whole message must match: text before or after the pattern makes no match', (t) => {
  const set = compileRules([rule('r', 'Invalid user <USER> from <IP> port <PORT>')]);
  t.is(set.match(line('Invalid user a from 203.0.113.5 port 22'))?.ip, '203.0.113.5');
  t.is(set.match(line('Nov 22 01:50:29 h sshd[1]: Invalid user a from 203.0.113.5 port 22')), null);
  t.is(set.match(line('Invalid user a from 203.0.113.5 port 22 ssh2')), null);
});

test('injected user names never choose the address: the last "from <IP> port N" wins', (t) => {
  const set = compileRules([
    rule('invalid', 'Invalid user <USER> from <IP> port <PORT>', { event: 'invalid-user' }),
    rule('failed', 'Failed password for (?:invalid user )?<USER> from <IP> port <PORT> ssh2'),
  ]);
  const cases: [string, string, string][] = [
    ['Invalid user x from 1.2.3.4 from 203.0.113.5 port 50022', '203.0.113.5', 'x from 1.2.3.4'],
    ['Invalid user x from 1.2.3.4 port 22 from 203.0.113.5 port 50022', '203.0.113.5', 'x from 1.2.3.4 port 22'],
    ['Failed password for x from 1.2.3.4 port 22 ssh2 from 203.0.113.5 port 50022 ssh2', '203.0.113.5', 'x from 1.2.3.4 port 22 ssh2'],
    [
      'Failed password for invalid user Nov 22 01:50:29 h sshd[1]: Failed password for root from 1.2.3.4 port 22 ssh2 from 2001:db8::5 port 50022 ssh2',
      '2001:db8::5',
      'Nov 22 01:50:29 h sshd[1]: Failed password for root from 1.2.3.4 port 22 ssh2',
    ],
  ];
  for (const [message, ip, user] of cases) {
    const d = set.match(line(message));
    t.is(d?.ip, ip, message);
    t.is(d?.user, user, message);
  }
});

test('detections carry rule, event, weight, time, normalised address, family and the IPv4 number', (t) => {
  const set = compileRules([rule('r', 'Failed for <USER> from <IP>', { weight: 3, event: 'invalid-user' })]);
  t.deepEqual(set.match(line('Failed for root from ::ffff:203.0.113.5')), {
    ip: '203.0.113.5',
    family: 4,
    v4: 0xcb007105,
    rule: 'r',
    event: 'invalid-user',
    weight: 3,
    time: 1_700_000_000_000,
    user: 'root',
  });
  t.deepEqual(set.match(line('Failed for  from 2001:DB8:0:0::5', { time: null })), {
    ip: '2001:db8::5',
    family: 6,
    v4: -1,
    rule: 'r',
    event: 'invalid-user',
    weight: 3,
    time: null,
  });
});

test('text that only looks like an address is no detection, and the next rule gets its chance', (t) => {
  const set = compileRules([rule('strict', 'from <IP>'), rule('fallback', 'from <IP>', { programs: ['other'] })]);
  for (const bad of ['from 01.2.3.4', 'from 256.1.1.1', 'from 1.2.3', 'from ::ffff::1', 'from 1.2.3.4.5', 'from ::', 'from cafe.dead.beef']) {
    const r = parseIp(bad.slice(5));
    const d = set.match(line(bad));
    t.is(d?.ip, r.ok && r.ip.prefix === (r.ip.family === 4 ? 32 : 128) ? r.ip.addr : undefined, bad);
  }
  const two = compileRules([rule('first', 'from <IP> <*>'), rule('second', 'from <ADDR> x <IP>')]);
  t.is(two.match(line('from 999.1.1.1 x 203.0.113.5'))?.rule, 'second');
});

test('the IPv4 fast path and the remembered slow path agree with parseIp, on first sight and after', (t) => {
  const set = compileRules([rule('r', 'from <IP>')]);
  const inputs = ['0.0.0.0', '255.255.255.255', '1.2.3.4', '10.0.0.255', '192.168.001.1', '1.2.3.04', '300.1.1.1', '::ffff:1.2.3.4', '::ffff:01.2.3.4', '2001:db8::1', '2001:DB8:0::1', '::'];
  for (let pass = 0; pass < 2; pass++) {
    for (const ip of inputs) {
      const p = parseIp(ip);
      const d = set.match(line(`from ${ip}`));
      t.is(d?.ip, p.ok && p.ip.prefix === (p.ip.family === 4 ? 32 : 128) ? p.ip.addr : undefined, ip);
      t.is(d?.family, p.ok ? p.ip.family : undefined, ip);
    }
  }
});

test('the first matching rule in file order wins, whatever the prefilter buckets', (t) => {
  const set = compileRules([
    rule('specific', 'Failed password for invalid user <USER> from <IP> port <PORT> ssh2'),
    rule('general', 'Failed password for <USER> from <IP> port <PORT> ssh2'),
    rule('any-start', '(?:x|F)<USER> from <IP> port <PORT> ssh2'),
  ]);
  t.is(set.match(line('Failed password for invalid user a from 203.0.113.5 port 1 ssh2'))?.rule, 'specific');
  t.is(set.match(line('Failed password for a from 203.0.113.5 port 1 ssh2'))?.rule, 'general');
  t.is(set.match(line('Failed publickey for a from 203.0.113.5 port 1 ssh2'))?.rule, 'any-start');
  t.is(set.match(line('x from 203.0.113.5 port 1 ssh2'))?.rule, 'any-start');
  t.deepEqual(set.ids, ['specific', 'general', 'any-start']);
});

test('rules apply only to their programs; "*" applies to every program', (t) => {
  const set = compileRules([
    rule('ssh', 'a <IP>', { programs: ['sshd', 'sshd-session'] }),
    rule('all', 'b <IP>', { programs: ['*'] }),
  ]);
  t.is(set.match(line('a 203.0.113.5'))?.rule, 'ssh');
  t.is(set.match(line('a 203.0.113.5', { program: 'sshd-session' }))?.rule, 'ssh');
  t.is(set.match(line('a 203.0.113.5', { program: 'cron' })), null);
  t.is(set.match(line('b 203.0.113.5', { program: 'cron' }))?.rule, 'all');
  t.is(set.match(line('b 203.0.113.5', { program: '' }))?.rule, 'all');
  t.is(set.match(line('b 203.0.113.5'))?.rule, 'all');
});

test('access rules see only access lines and take the address and vhost from the line', (t) => {
  const set = compileRules([
    rule('probe', '"GET /wp-login\\.php HTTP/1\\.1" 404 <*>', { programs: ['*'], source: 'access' }),
    rule('text', '"GET /wp-login\\.php HTTP/1\\.1" 404 from <IP>', { programs: ['*'] }),
  ]);
  const msg = '"GET /wp-login.php HTTP/1.1" 404 153 "-" "x"';
  t.deepEqual(set.match(line(msg, { program: 'nginx', client: '::ffff:203.0.113.5', vhost: 'www.example.org', http: HTTP })), {
    ip: '203.0.113.5',
    family: 4,
    v4: 0xcb007105,
    rule: 'probe',
    event: 'auth-failure',
    weight: 1,
    time: 1_700_000_000_000,
    vhost: 'www.example.org',
  });
  // the same text as a non-access line: access rules do not apply
  t.is(set.match(line(msg, { program: 'nginx', client: '203.0.113.5' })), null);
  // an access line without a usable client: no detection
  t.is(set.match(line(msg, { program: 'nginx', http: HTTP })), null);
  t.is(set.match(line(msg, { program: 'nginx', client: 'unknown', http: HTTP })), null);
});

test('client rules take the address the header parser read; a captured vhost wins over the line', (t) => {
  const set = compileRules([
    rule('apache', 'AH01618: user (?<user>[^:]{0,256}) not found: <*>', { programs: ['apache'], source: 'client' }),
    rule('nginx', 'limit, client: <IP>, server: <VHOST>', { programs: ['nginx'] }),
  ]);
  t.like(set.match(line('AH01618: user guest not found: /x', { program: 'apache', client: '2001:db8::5', vhost: 'a.example' })), {
    ip: '2001:db8::5',
    user: 'guest',
    vhost: 'a.example',
  });
  t.is(set.match(line('AH01618: user guest not found: /x', { program: 'apache' })), null);
  t.like(set.match(line('limit, client: 203.0.113.5, server: b.example', { program: 'nginx', vhost: 'a.example' })), { vhost: 'b.example' });
  t.like(set.match(line('limit, client: 203.0.113.5, server: ', { program: 'nginx', vhost: 'a.example' })), { vhost: 'a.example' });
});

test('disabled rules are not compiled or matched', (t) => {
  const set = compileRules([rule('off', 'a <IP>', { enabled: false }), rule('on', 'a <ADDR> b <IP>')]);
  t.deepEqual(set.ids, ['on']);
  t.is(set.match(line('a 203.0.113.5')), null);
});

test('messages longer than the cap are never matched (never cut: a cut line could end where an attacker chose)', (t) => {
  const set = compileRules([rule('r', 'Invalid user <USER> from <IP> port <PORT><*>')]);
  const head = 'Invalid user x from 203.0.113.5 port 22';
  t.truthy(set.match(line(head + ' '.repeat(MAX_MESSAGE - head.length))));
  t.is(set.match(line(head + ' '.repeat(MAX_MESSAGE - head.length + 1))), null);
});

test('empty messages, non-ASCII first characters and unknown programs are handled', (t) => {
  const set = compileRules([rule('r', '(?:é|x)? from <IP>'), rule('e', '(?:<IP>)?', { source: 'message' })]);
  t.is(set.match(line('é from 203.0.113.5'))?.rule, 'r');
  t.is(set.match(line(' from 203.0.113.5'))?.rule, 'r');
  t.is(set.match(line('')), null); // matched by "e", but it captured no address
  t.is(set.match(line('é from 203.0.113.5', { program: 'nope' })), null);
});

test('compileRules throws with the rule location for a pattern the loader would have refused', (t) => {
  const e = t.throws(() => compileRules([rule('bad', '(a+)+ <IP>', { location: { file: 'x.yaml', line: 7 } })]));
  t.regex(e?.message ?? '', /rule bad: nested quantifier/);
});

test('every literal every match contains is a prefilter needle; optional and repeated text is not', (t) => {
  const cases: [string, 'message' | 'access', string, string[]][] = [
    ['"[A-Z]{1,16} /wp-login\\.php HTTP/[0-9.]{1,3}" 404 <*>', 'access', ' /wp-login.php HTTP/', ['" 404 ']],
    ['x(?:abcd)?yyy <IP> (?:foo|barbaz) qqq', 'message', 'yyy ', [' qqq']],
    ['pre <IP> (?:mid)+ end', 'message', ' end', []],
  ];
  for (const [pattern, source, needle, needles] of cases) {
    const r = compilePattern(pattern, source);
    if (!r.ok) return t.fail(r.errors.join('\n'));
    t.is(r.pattern.needle, needle, pattern);
    t.deepEqual(r.pattern.needles, needles, pattern);
  }
  // a line without one of the needles never reaches the regex, and is not matched
  const rules = compileRules([rule('wp', '"[A-Z]{1,16} /wp-login\\.php HTTP/[0-9.]{1,3}" 404 <*>', { source: 'access', programs: ['*'] })]);
  const line = (status: number) => parseAccessLog(`203.0.113.9 - - [22/Nov/2026:01:50:29 +0000] "GET /wp-login.php HTTP/1.1" ${status} 512 "-" "x"`)!;
  t.like(rules.match(line(404)), { ip: '203.0.113.9', rule: 'wp' });
  t.is(rules.match(line(200)), null);
});

test('a mandatory alternation of literals becomes an any-of prefilter; optional, repeated or short ones do not', (t) => {
  const cases: [string, 'message' | 'access', string[] | null][] = [
    ['"[^"]{0,64}" \\d{3} [0-9-]{1,20} "[^"]{0,64}" "(?:[^"]{0,64}?)(?:sqlmap/|Nikto|zgrab/)[^"]{0,64}"', 'access', ['sqlmap/', 'Nikto', 'zgrab/']],
    ['Failed (?:password|keyboard-interactive/pam) for x from <IP>', 'message', ['password', 'keyboard-interactive/pam']],
    // nested inside a group that must match once: still mandatory
    ['a(?:b(?:alpha|beta)c) <IP>', 'message', ['alpha', 'beta']],
    ['Connection (?:closed|reset) by <IP>', 'message', ['closed', 'reset']],
    // the whole pattern is the alternation
    ['foo <IP>|bar <IP> baz', 'message', null], // two <IP>: refused below, not here
    ['x (?:closed|reset)? by <IP>', 'message', null], // optional
    ['x (?:closed|reset)+ by <IP>', 'message', null], // repeated: under a quantifier
    ['x (?:ab|reset) by <IP>', 'message', null], // an alternative without 3 fixed characters
    ['x (?:[a-z]{3}|reset) by <IP>', 'message', null],
  ];
  for (const [pattern, source, anyOf] of cases) {
    const r = compilePattern(pattern, source);
    if (!r.ok) {
      t.is(anyOf, null, pattern);
      continue;
    }
    t.deepEqual(r.pattern.anyOf, anyOf, pattern);
  }
  // a line with none of them never reaches the regex; one with any of them is judged by it
  const bots = compileRules([rule('bot', '"[^"]{0,64}" \\d{3} [0-9-]{1,20} "[^"]{0,64}" "(?:[^"]{0,64}?)(?:sqlmap/|Nikto|zgrab/)[^"]{0,64}"', { source: 'access', programs: ['*'] })]);
  const ua = (agent: string) => parseAccessLog(`203.0.113.9 - - [22/Nov/2026:01:50:29 +0000] "GET / HTTP/1.1" 200 512 "-" "${agent}"`)!;
  t.like(bots.match(ua('Mozilla/5.0 zgrab/0.x')), { rule: 'bot' });
  t.like(bots.match(ua('sqlmap/1.7')), { rule: 'bot' });
  t.is(bots.match(ua('Mozilla/5.0 (X11; Linux x86_64)')), null);
  // regex metacharacters in the literals are searched for as text
  const odd = compilePattern('x (?:a.b+c|(Hydra)|d|e{2}fgh) <IP>', 'message');
  if (!odd.ok) return t.fail(odd.errors.join('\n'));
  t.is(odd.pattern.anyOf, null); // `d` is too short: no prefilter
  const paren = compileRules([rule('p', 'x (?:\\(Hydra\\)|a\\.b\\+c) <IP>')]);
  t.like(paren.match(line('x (Hydra) 203.0.113.7')), { ip: '203.0.113.7' });
  t.like(paren.match(line('x a.b+c 203.0.113.8')), { ip: '203.0.113.8' });
  t.is(paren.match(line('x aXb+c 203.0.113.8')), null);
});

test('every shipped rule with an any-of prefilter passes it on each of its match samples', (t) => {
  let checked = 0;
  for (const m of ['LG', 'MX', 'MB', 'WB'] as const) {
    for (const r of loadModuleRules(m, { localDir: null }).rules) {
      const c = compilePattern(r.pattern, r.source);
      if (!c.ok || c.pattern.anyOf === null) continue;
      for (const s of r.samples.match) {
        t.true(c.pattern.anyOf.some((lit) => s.line.includes(lit)), `${r.id}: ${s.line}`);
        checked++;
      }
    }
  }
  t.true(checked > 20, `${checked} samples checked`);
});
