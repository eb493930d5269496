// list-file.ts: every format case of a static list (comments, blanks, line endings, families, host bits,
// garbage) with the entries kept and the problems reported at file:line; and the serializer round trip.
import test from 'ava';
import { EntryCollector } from '../../src/core/aggregate.js';
import { describeProblem } from '../../src/core/errors.js';
import { formatV4, type SetEntries } from '../../src/core/fw-plan.js';
import { parseListText, serializeEntries, type ListProblem } from '../../src/core/list-file.js';

interface Outcome {
  entries: string[];
  /** "line severity" of each problem, in order */
  problems: string[];
}

function flat(e: SetEntries): string[] {
  return [...Array.from(e.v4, formatV4), ...e.v4nets, ...e.v6, ...e.v6nets];
}

function run(text: string, file = 'list.txt'): { outcome: Outcome; problems: ListProblem[] } {
  const c = new EntryCollector();
  const problems = parseListText(text, file, c);
  return {
    outcome: { entries: flat(c.finish()), problems: problems.map((p) => `${p.location.line} ${p.severity}`) },
    problems,
  };
}

// [title, text, entries kept (aggregated, in SetEntries order), problems as "line severity"]
const cases: [string, string, string[], string[]][] = [
  ['empty text', '', [], []],
  ['only blank and comment lines', '\n\n# a comment\n   \n\t\n   # indented comment\n', [], []],
  ['one entry without a final newline', '1.2.3.4', ['1.2.3.4'], []],
  ['comment after an entry', '1.2.3.4 # abuser\n', ['1.2.3.4'], []],
  ['comment glued to an entry', '1.2.3.4#abuser\n2001:db8::1#x\n', ['1.2.3.4', '2001:db8::1'], []],
  ['a comment line that looks like an entry', '# 1.2.3.4\n#5.6.7.8\n', [], []],
  ['indented entries', '   1.2.3.4\n\t\t5.6.7.8\n', ['1.2.3.4', '5.6.7.8'], []],
  ['text after the first column is a comment', '1.2.3.4 spammer since 2020 999.1.1.1\n5.6.7.8\tfoo\n', ['1.2.3.4', '5.6.7.8'], []],
  ['CRLF line endings', '1.2.3.4\r\n# c\r\n\r\n5.6.7.8\r\nbad\r\n', ['1.2.3.4', '5.6.7.8'], ['5 error']],
  ['lone CR line endings', '1.2.3.4\r5.6.7.8\rbad\r', ['1.2.3.4', '5.6.7.8'], ['3 error']],
  ['trailing whitespace and CR', '1.2.3.4  \t\r\n', ['1.2.3.4'], []],
  ['a byte-order mark', '\ufeff1.2.3.4\n', ['1.2.3.4'], []],
  ['IPv6 entries and networks', '2001:db8::1\n2001:DB8:1::/48 net\n::1\n', ['::1', '2001:db8::1', '2001:db8:1::/48'], []],
  ['mapped IPv4 becomes IPv4', '::ffff:1.2.3.4\n::ffff:10.0.0.0/104\n', ['1.2.3.4', '10.0.0.0/8'], []],
  ['host bits: warned and kept normalised', '10.1.2.3/8\n2001:db8::1/32\n::ffff:1.2.3.4/120\n',
    ['1.2.3.0/24', '10.0.0.0/8', '2001:db8::/32'], ['1 warning', '2 warning', '3 warning']],
  ['garbage lines are skipped with their line numbers', 'hello\n1.2.3.4\n\n1.2.3\n;\n5.6.7.8\n',
    ['1.2.3.4', '5.6.7.8'], ['1 error', '4 error', '5 error']],
  ['out of range', '256.1.1.1\n1.2.3.4/33\n2001:db8::/129\n1.2.3.4/\n', [], ['1 error', '2 error', '3 error', '4 error']],
  ['ambiguous leading zeros', '010.1.1.1\n1.2.3.0/024\n::ffff:010.1.1.1\n', [], ['1 error', '2 error', '3 error']],
  ['zone ids', 'fe80::1%eth0\n', [], ['1 error']],
  ['duplicates across lines', '1.2.3.4\n1.2.3.4 # again\n::ffff:1.2.3.4\n', ['1.2.3.4'], []],
  ['contained entries', '10.0.0.0/8\n10.1.1.1\n10.2.0.0/16\n', ['10.0.0.0/8'], []],
  ['adjacent entries merge', '10.0.0.128/25\n10.0.0.0/25\n1.2.3.4\n1.2.3.5\n', ['1.2.3.4/31', '10.0.0.0/24'], []],
  ['IPv6 aggregation', '2001:db8::/33\n2001:db8:8000::/33\n2001:db8::5\n', ['2001:db8::/32'], []],
  ['a problem count does not shift later line numbers', 'x\ny\n1.1.1.1\nz\n', ['1.1.1.1'], ['1 error', '2 error', '4 error']],
  ['entries and garbage at the very end of the text', '1.2.3.4\n10.0.0.0/8', ['1.2.3.4', '10.0.0.0/8'], []],
  ['garbage at the very end of the text', '1.2.3.4\nbad', ['1.2.3.4'], ['2 error']],
  ['a single character', 'x', [], ['1 error']],
  ['a hash inside what would be a token splits it', '1.2.3#.4\n', [], ['1 error']],
  ['non-breaking space is not a separator', '1.2.3.4\u00a0x\n', [], ['1 error']],
];

for (const [title, text, entries, problems] of cases) {
  test(`list format: ${title}`, (t) => {
    t.deepEqual(run(text).outcome, { entries, problems });
  });
}

test('problems carry the code, the file and the line, and describe themselves as file:line', (t) => {
  const { problems } = run('1.2.3.4\n\n  bogus  # comment\n10.1.2.3/8\n', '/etc/watcher/blacklist');
  t.is(problems.length, 2);
  const [bad, warn] = problems;
  t.deepEqual(bad?.location, { file: '/etc/watcher/blacklist', line: 3 });
  t.is(bad?.code, 'WATCHER_E_LIST');
  t.is(bad?.severity, 'error');
  t.true(bad?.message.includes('"bogus"'), bad?.message);
  t.true(describeProblem(bad!).startsWith('/etc/watcher/blacklist:3: '), describeProblem(bad!));
  t.is(warn?.severity, 'warning');
  t.true(warn?.message.includes('10.0.0.0/8'), warn?.message);
  t.deepEqual(warn?.location, { file: '/etc/watcher/blacklist', line: 4 });
});

test('parsing appends to a collector that already holds entries', (t) => {
  const c = new EntryCollector();
  parseListText('1.2.3.4\n', 'a', c);
  parseListText('1.2.3.5\n', 'b', c);
  t.deepEqual(c.finish().v4nets, ['1.2.3.4/31']);
});

test('serializeEntries writes one entry per line and parses back to the same entries', (t) => {
  const c = new EntryCollector();
  let seed = 1;
  const rand = (n: number): number => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return Math.floor((seed / 2 ** 31) * n);
  };
  const lines: string[] = [];
  for (let i = 0; i < 3000; i++) {
    const a = `${rand(256)}.${rand(256)}.${rand(256)}.${rand(256)}`;
    if (i % 10 === 0) lines.push(`${a}/${16 + rand(16)}`);
    else if (i % 7 === 0) lines.push(`2001:db8:${rand(65536).toString(16)}::${rand(65536).toString(16)}/${rand(2) ? 128 : 64}`);
    else lines.push(a);
  }
  parseListText(lines.join('\n'), 'gen', c);
  const entries = c.finish();
  const text = serializeEntries(entries, 'load pool: dl:spamhaus\nfetched earlier');
  t.true(text.startsWith('# load pool: dl:spamhaus\n# fetched earlier\n'));
  t.true(text.endsWith('\n'));
  const body = text.split('\n').filter((l) => l !== '' && !l.startsWith('#'));
  t.is(body.length, entries.v4.length + entries.v4nets.length + entries.v6.length + entries.v6nets.length);
  const again = new EntryCollector();
  t.deepEqual(parseListText(text, 'pool', again), []);
  const back = again.finish();
  t.deepEqual(Array.from(back.v4), Array.from(entries.v4));
  t.deepEqual({ ...back, v4: null }, { ...entries, v4: null });
  const counts = [entries.v4.length, entries.v4nets.length, entries.v6.length, entries.v6nets.length];
  t.true(counts[0]! > 1000 && counts[1]! > 100 && counts[2]! > 50 && counts[3]! > 50, `every kind is exercised: ${counts}`);
});

test('serializeEntries of nothing is empty text', (t) => {
  t.is(serializeEntries({ v4: new Uint32Array(0), v4nets: [], v6: [], v6nets: [] }), '');
  t.is(serializeEntries({ v4: Uint32Array.from([0x01020304]), v4nets: [], v6: ['::1'], v6nets: [] }), '1.2.3.4\n::1\n');
});
