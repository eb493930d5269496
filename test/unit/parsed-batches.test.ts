// A fanned-out batch is parsed once per kind of parser, whichever module asks first; other batches and
// other kinds are parsed on their own.
import test from 'ava';
import { ParsedBatches } from '../../src/core/module/detect.js';
import { lineParser, parserKind } from '../../src/core/module/line-parser.js';
import type { ParseContext } from '../../src/core/logline/index.js';

const ctx: ParseContext = { year: 2026, nowMs: Date.UTC(2026, 10, 22, 12), tzOffsetMinutes: 0 };
const LINES = [
  'Nov 22 01:50:29 mx1 sshd[23796]: Failed password for root from 192.0.2.7 port 4242 ssh2',
  'Nov 22 01:50:30 web1 nginx: a.example 192.0.2.8 - - [22/Nov/2026:01:50:30 +0000] "GET /.env HTTP/1.1" 404 1 "-" "x"',
  'not a syslog line',
];

test('modules with the same kind of parser share one parse of a batch', (t) => {
  t.is(parserKind('LG', 'syslog'), parserKind('MX', 'syslog'));
  t.not(parserKind('LG', 'syslog'), parserKind('WB', 'syslog'), 'WB reads the web line inside the syslog message');
  t.is(parserKind('WB', 'access'), parserKind('LG', 'access'));
  const memo = new ParsedBatches();
  let calls = 0;
  const base = lineParser('LG', 'syslog');
  const counted = (l: string, c: ParseContext) => (calls++, base(l, c));
  const batch = [...LINES];
  const a = memo.get(batch, parserKind('LG', 'syslog'), counted, ctx);
  const b = memo.get(batch, parserKind('MX', 'syslog'), counted, ctx);
  t.is(a, b);
  t.is(calls, 3, 'each line parsed once');
  t.like(a[0], { program: 'sshd', pid: 23796 });
  t.is(a[2], null);
  const web = memo.get(batch, parserKind('WB', 'syslog'), lineParser('WB', 'syslog'), ctx);
  t.not(web, a);
  t.like(web[1], { program: 'nginx', vhost: 'a.example', client: '192.0.2.8' });
  t.is(a[1]?.vhost, undefined, 'the plain parse is not changed by the web one');
  memo.get([...LINES], parserKind('LG', 'syslog'), counted, ctx);
  t.is(calls, 6, 'another batch with the same text is its own batch');
});

test('only the last few batches are remembered, so none is kept alive for long', (t) => {
  const memo = new ParsedBatches();
  let calls = 0;
  const base = lineParser('LG', 'syslog');
  const counted = (l: string, c: ParseContext) => (calls++, base(l, c));
  const first = [LINES[0]!];
  memo.get(first, 'syslog', counted, ctx);
  memo.get(first, 'syslog', counted, ctx);
  t.is(calls, 1, 'asked again right away: remembered');
  for (let i = 0; i < 4; i++) memo.get([LINES[0]!], 'syslog', counted, ctx);
  t.is(calls, 5);
  memo.get(first, 'syslog', counted, ctx);
  t.is(calls, 6, 'four batches later the first is parsed afresh');
});
