// RuleSet.explain (the trace log level) against match(): on every shipped sample, match and no-match
// lines alike, both give the same verdict; and the reasons it names are the real ones.
import test from 'ava';
import { MODULES } from '../../src/core/logline/types.js';
import { compileRules, loadModuleRules, sampleLine, type Rule, type RuleSet } from '../../src/core/rules/index.js';
import type { LogLine } from '../../src/core/logline/index.js';
import { describeTrace, traceBatch } from '../../src/core/module/trace.js';
import type { Detector } from '../../src/core/module/detect.js';

function agree(t: import('ava').ExecutionContext, set: RuleSet, line: LogLine, where: string): void {
  const d = set.match(line);
  const e = set.explain(line);
  if (d === null) t.not(e.outcome, 'matched', where);
  else if (e.outcome !== 'matched') t.fail(`${where}: match() found ${d.rule}, explain() says ${e.outcome}`);
  else {
    t.is(e.rule, d.rule, where);
    t.is(e.ip, d.ip, where);
  }
}

for (const module of MODULES) {
  test(`${module}: explain() and match() agree on every shipped sample line`, (t) => {
    const loaded = loadModuleRules(module, { localDir: null });
    const set = compileRules(loaded.rules);
    let n = 0;
    for (const r of loaded.rules) {
      for (const program of r.programs) {
        const prog = program === '*' ? 'nginx' : program;
        for (const s of r.samples.match) {
          agree(t, set, sampleLine(r, s.line, s, prog), `${r.id} match: ${s.line}`);
          n++;
        }
        for (const text of r.samples.nomatch) {
          agree(t, set, sampleLine(r, text, undefined, prog), `${r.id} nomatch: ${text}`);
          n++;
        }
      }
    }
    t.true(n > 0);
  });
}

const rule = (id: string, pattern: string, programs = ['sshd']): Rule =>
  ({ id, pattern, programs, source: 'message', event: 'auth', weight: 1, enabled: true, samples: { match: [], nomatch: [] } }) as unknown as Rule;
const line = (program: string, message: string): LogLine => ({ time: null, host: null, program, pid: null, message });

test('explain names the program prefilter, the literal prefilters, the first character and the pattern', (t) => {
  const set = compileRules([
    rule('a-prefix', 'Failed password for <USER> from <IP> port <PORT>'),
    rule('b-literal', '(?:Failed|Faulty) login of <USER> from <IP> port <PORT>'),
  ]);
  t.deepEqual(set.explain(line('cron', 'Failed password for x from 192.0.2.1 port 22')), { outcome: 'no-rules', program: 'cron' });
  const hit = set.explain(line('sshd', 'Failed password for x from 192.0.2.1 port 22'));
  t.like(hit, { outcome: 'matched', rule: 'a-prefix', ip: '192.0.2.1' });
  t.is(describeTrace(hit), 'rule a-prefix matched, address 192.0.2.1');
  const text = describeTrace(set.explain(line('sshd', 'Failed publickey for x from 192.0.2.1 port 22')));
  t.regex(text, /a-prefix: literal prefix absent/);
  t.regex(text, /b-literal: literal text absent/);
  t.regex(describeTrace(set.explain(line('sshd', 'Failed password for x from nowhere port 22'))), /a-prefix: pattern did not match/);
  const firstChar = describeTrace(set.explain(line('sshd', 'Accepted publickey for x from 192.0.2.1 port 22')));
  t.regex(firstChar, /^no rule: 2 rule\(s\) of program "sshd" ruled out by the first character$/);
});

test('traceBatch: one line per item, unparsed headers said as such, the excerpt quoted and cut', (t) => {
  const d: Detector = { rules: compileRules([rule('a', 'Failed password for <USER> from <IP>')]), floodWeight: 1 };
  const long = 'x'.repeat(500);
  const items = ['sshd|Failed password for x from 192.0.2.1', 'garbage', `sshd|${long}`];
  const parse = (s: string): LogLine | null => (s.includes('|') ? line(s.split('|')[0]!, s.split('|')[1]!) : null);
  const out = traceBatch(d, items, parse, { year: 2026, nowMs: 0, tzOffsetMinutes: 0 }, [], (s) => s);
  t.is(out.length, 3);
  t.regex(out[0]!, /rule a matched, address 192\.0\.2\.1/);
  t.regex(out[1]!, /"garbage": not parsed/);
  t.regex(out[2]!, /…\(\+345\)/);
  t.true(out.every((l) => !l.includes('\n')));
});
