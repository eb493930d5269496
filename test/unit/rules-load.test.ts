// The rule loader: file:line for every kind of problem, a bad file or rule skipped alone, local
// drop-ins that add, change, disable and enable rules, and per-file results for keeping old rules.
import test, { type ExecutionContext } from 'ava';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import type { Problem } from '../../src/core/errors.js';
import { loadModuleRules, mergeRuleFiles, parseRuleText, type RuleReader } from '../../src/core/rules/index.js';

/** One complete rule in YAML, indented as a list item. */
function ruleYaml(id: string, opts: { pattern?: string; weight?: number; enabled?: boolean; sample?: string; ip?: string } = {}): string {
  const sample = opts.sample ?? `Failed ${id} from 203.0.113.5`;
  return [
    `  - id: ${id}`,
    '    programs: [sshd]',
    '    event: auth-failure',
    ...(opts.weight !== undefined ? [`    weight: ${opts.weight}`] : []),
    ...(opts.enabled !== undefined ? [`    enabled: ${opts.enabled}`] : []),
    `    pattern: '${opts.pattern ?? `Failed ${id} from <IP>`}'`,
    '    samples:',
    '      match:',
    `        - line: '${sample}'`,
    `          ip: ${opts.ip ?? '203.0.113.5'}`,
    '      nomatch:',
    `        - 'Failed ${id} from nowhere'`,
  ].join('\n');
}

const file = (...rules: string[]): string => `rules:\n${rules.join('\n')}\n`;

/** shipped/<LG>/... and local/<LG>/... from name -> content maps; returns the loader options. */
function dirs(t: ExecutionContext, shipped: Record<string, string>, local: Record<string, string> = {}): { shippedDir: string; localDir: string } {
  const root = mkdtempSync(join(tmpdir(), 'watcher-rules-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  for (const [dir, files] of [['shipped', shipped], ['local', local]] as const) {
    mkdirSync(join(root, dir, 'LG'), { recursive: true });
    for (const [name, text] of Object.entries(files)) writeFileSync(join(root, dir, 'LG', name), text);
  }
  return { shippedDir: join(root, 'shipped'), localDir: join(root, 'local') };
}

const where = (ps: readonly Problem[]): string[] => ps.map((p) => `${basename(p.location?.file ?? '?')}:${p.location?.line ?? '-'} ${p.message}`);

test('shipped files load in lexical order; rules keep file order', (t) => {
  const opts = dirs(t, { 'b.yaml': file(ruleYaml('b1')), 'a.yaml': file(ruleYaml('a1'), ruleYaml('a2')), '.hidden.yaml': 'x: [', 'notes.txt': 'x' });
  const r = loadModuleRules('LG', opts);
  t.deepEqual(where(r.problems), []);
  t.deepEqual(
    r.rules.map((x) => x.id),
    ['a1', 'a2', 'b1'],
  );
  t.deepEqual(
    r.files.map((f) => basename(f.file)),
    ['a.yaml', 'b.yaml'],
  );
  t.deepEqual(r.rules[0]!.location, { file: join(opts.shippedDir, 'LG', 'a.yaml'), line: 2 });
});

test('a file with a YAML error is reported at its line and skipped; the other files load', (t) => {
  const opts = dirs(t, { 'a.yaml': file(ruleYaml('a1')), 'b.yaml': 'rules:\n  - id: x\n    programs: [sshd\n' });
  const r = loadModuleRules('LG', opts);
  t.deepEqual(
    r.rules.map((x) => x.id),
    ['a1'],
  );
  t.is(r.problems.length >= 1, true);
  t.regex(where(r.problems)[0]!, /^b\.yaml:\d+ YAML syntax: /);
  t.deepEqual(r.files[1]!.entries, []);
});

test('every kind of rule problem names the file and the line to look at, and skips only that rule', (t) => {
  const text = [
    'rules:',
    ruleYaml('good'), //                                                          2-11
    '  - id: unknown-key', //                                                     12
    '    programs: [sshd]',
    '    event: auth-failure',
    "    pattern: 'x <IP>'",
    '    sampels: {}', //                                                         16
    '  - id: Bad_Id', //                                                          17
    '  - id: bad-weight', //                                                      18
    '    programs: [sshd]',
    '    event: auth-failure',
    '    weight: many', //                                                        21
    "    pattern: 'x <IP>'",
    "    samples: { match: [{ line: 'x 203.0.113.5', ip: 203.0.113.5 }] }",
    '  - id: bad-pattern', //                                                     24
    '    programs: [sshd]',
    '    event: auth-failure',
    "    pattern: '(a+)+ <IP>'", //                                               27
    "    samples: { match: [{ line: 'a 203.0.113.5', ip: 203.0.113.5 }] }",
    '  - id: wrong-sample', //                                                    29
    '    programs: [sshd]',
    '    event: auth-failure',
    "    pattern: 'Failed from <IP>'",
    '    samples:',
    '      match:',
    "        - { line: 'Failed from 203.0.113.5', ip: 203.0.113.5 }",
    "        - { line: 'Failed from 203.0.113.6', ip: 203.0.113.5 }", //          36
    "        - { line: 'Failed from ::ffff:203.0.113.7', ip: '::ffff:203.0.113.7' }", // 37
    "      nomatch: ['Failed from 203.0.113.8']", //                              38
    ruleYaml('good'), //                                                          39
    '  - id: incomplete', //                                                      49
    '    programs: [sshd]',
    '  - id: user-mismatch', //                                                   51
    '    programs: [sshd]',
    '    event: auth-failure',
    "    pattern: 'Failed <USER> from <IP>'",
    "    samples: { match: [{ line: 'Failed root from 203.0.113.5', ip: 203.0.113.5 }] }", // 55
    '',
  ].join('\n');
  const r = parseRuleText(text, 'pack.yaml', 'shipped');
  t.deepEqual(where(r.problems), [
    'pack.yaml:16 rule unknown-key: unknown key sampels',
    'pack.yaml:17 rule Bad_Id: id: 1-64 lower-case letters, digits, ".", "_" or "-", starting with a letter or digit',
    'pack.yaml:21 rule bad-weight: weight: Invalid input: expected number, received string',
    'pack.yaml:27 rule bad-pattern: nested quantifier in (a+)+: a repeated group may not contain *, +, ? or {m,n} (catastrophic backtracking)',
    'pack.yaml:36 rule wrong-sample: match sample gives ip 203.0.113.6 (expected 203.0.113.5)',
    'pack.yaml:37 rule wrong-sample: sample ip "::ffff:203.0.113.7" is not a normalised address (write 203.0.113.7)',
    'pack.yaml:38 rule wrong-sample: nomatch sample matches rule wrong-sample (ip 203.0.113.8): "Failed from 203.0.113.8"',
    'pack.yaml:39 rule good: the id is used twice in this file',
    'pack.yaml:49 rule incomplete: missing pattern, event, samples',
    'pack.yaml:55 rule user-mismatch: match sample gives user "root" (expected none)',
  ]);
  t.deepEqual(
    r.entries.map((e) => e.id),
    ['good'],
  );
});

test('the top level of a rule file is checked too', (t) => {
  t.deepEqual(where(parseRuleText('', 'a.yaml', 'shipped').problems), []);
  t.deepEqual(where(parseRuleText('rules: []\n', 'a.yaml', 'shipped').problems), []);
  t.deepEqual(where(parseRuleText('- id: x\n', 'a.yaml', 'shipped').problems), ['a.yaml:1 a rule file is a map with one key, "rules:", holding a list of rules']);
  t.deepEqual(where(parseRuleText('rules: []\nversion: 2\n', 'a.yaml', 'shipped').problems), [
    'a.yaml:2 unknown key version: a rule file is a map with one key, "rules:", holding a list of rules',
  ]);
  t.deepEqual(where(parseRuleText('rules: {}\n', 'a.yaml', 'shipped').problems), [
    'a.yaml:1 rules: must be a list: a rule file is a map with one key, "rules:", holding a list of rules',
  ]);
  t.deepEqual(where(parseRuleText('rules: []\n---\nrules: []\n', 'a.yaml', 'shipped').problems).length, 1);
});

test('a pattern may be a list of pieces, joined without separators; YAML anchors reuse pieces', (t) => {
  const text = [
    'rules:',
    '  - id: pieces',
    '    programs: [sshd]',
    '    event: auth-failure',
    "    pattern: [&pre 'Failed (?:password|publickey) ', 'for <USER> ', 'from <IP>']",
    "    samples: { match: [{ line: 'Failed password for root from 203.0.113.5', ip: 203.0.113.5, user: root }] }",
    '  - id: reuse',
    '    programs: [sshd]',
    '    event: auth-failure',
    "    pattern: [*pre, 'by <IP>']",
    "    samples: { match: [{ line: 'Failed publickey by 2001:db8::1', ip: '2001:db8::1' }] }",
  ].join('\n');
  const r = parseRuleText(text, 'a.yaml', 'shipped');
  t.deepEqual(where(r.problems), []);
  t.is(r.entries[0]!.set.pattern, 'Failed (?:password|publickey) for <USER> from <IP>');
  t.is(r.entries[1]!.set.pattern, 'Failed (?:password|publickey) by <IP>');
});

test('shipped files may not repeat an id; the first one stays', (t) => {
  const opts = dirs(t, { 'a.yaml': file(ruleYaml('r1', { weight: 2 })), 'b.yaml': file(ruleYaml('r1', { weight: 3 })) });
  const r = loadModuleRules('LG', opts);
  t.deepEqual(where(r.problems), [`b.yaml:2 rule r1: id already used by ${join(opts.shippedDir, 'LG', 'a.yaml')}:2`]);
  t.is(r.rules[0]!.weight, 2);
  t.is(r.files[1]!.problems.length, 1);
});

test('local drop-ins add rules at the end and change existing ones in place by id', (t) => {
  const opts = dirs(
    t,
    { 'a.yaml': file(ruleYaml('r1'), ruleYaml('r2'), ruleYaml('off', { enabled: false })) },
    {
      '10-site.yaml': file(
        '  - id: r1\n    weight: 5',
        '  - id: r2\n    enabled: false',
        '  - id: off\n    enabled: true',
        ruleYaml('mine', { pattern: 'Mine from <IP>', sample: 'Mine from 2001:db8::9', ip: "'2001:db8::9'" }),
      ),
      '20-more.yaml': file('  - id: r1\n    weight: 7\n    event: invalid-user'),
    },
  );
  const r = loadModuleRules('LG', opts);
  t.deepEqual(where(r.problems), []);
  t.deepEqual(
    r.rules.map((x) => [x.id, x.weight, x.enabled, x.event]),
    [
      ['r1', 7, true, 'invalid-user'],
      ['r2', 1, false, 'auth-failure'],
      ['off', 1, true, 'auth-failure'],
      ['mine', 1, true, 'auth-failure'],
    ],
  );
  // an override keeps the shipped pattern and samples, and points at the drop-in that changed it last
  t.is(r.rules[0]!.pattern, 'Failed r1 from <IP>');
  t.deepEqual(r.rules[0]!.location, { file: join(opts.localDir, 'LG', '20-more.yaml'), line: 2 });
});

test('a local change that breaks a rule is refused and the rule stays as shipped', (t) => {
  const opts = dirs(
    t,
    { 'a.yaml': file(ruleYaml('r1'), ruleYaml('r2')) },
    {
      'site.yaml': file(
        "  - id: r1\n    pattern: 'Failed r1 at <IP>'", // the shipped sample no longer matches
        "  - id: r2\n    pattern: '(x+)+ <IP>'",
        '  - id: ghost\n    weight: 3',
        "  - id: new-bad\n    programs: [sshd]\n    event: scan\n    pattern: 'New from <IP>'\n    samples: { match: [{ line: 'New from 1.2.3', ip: 1.2.3.4 }] }",
        '  - id: r2\n    weight: 2',
      ),
    },
  );
  const r = loadModuleRules('LG', opts);
  const shipped = join(opts.shippedDir, 'LG', 'a.yaml');
  t.deepEqual(where(r.problems), [
    `site.yaml:2 rule r1: match sample does not match rule r1: "Failed r1 from 203.0.113.5" (change refused; the rule stays as in ${shipped}:2)`,
    `site.yaml:5 rule r2: nested quantifier in (x+)+: a repeated group may not contain *, +, ? or {m,n} (catastrophic backtracking) (change refused; the rule stays as in ${shipped}:12)`,
    'site.yaml:6 rule ghost: no rule with this id to change, and a new rule needs programs, pattern, event, samples',
    'site.yaml:12 rule new-bad: match sample does not match rule new-bad: "New from 1.2.3"',
    'site.yaml:13 rule r2: the id is used twice in this file',
  ]);
  t.deepEqual(
    r.rules.map((x) => [x.id, x.pattern]),
    [
      ['r1', 'Failed r1 from <IP>'],
      ['r2', 'Failed r2 from <IP>'],
    ],
  );
  // merge problems are also listed with the file they belong to
  t.is(r.files.find((f) => basename(f.file) === 'site.yaml')!.problems.length, 5);
});

test('missing directories mean no rules and no problems; an unreadable one is a problem', (t) => {
  const r = loadModuleRules('MX', { shippedDir: join(tmpdir(), 'watcher-none-'), localDir: join(tmpdir(), 'watcher-none-') });
  t.deepEqual(r, { rules: [], problems: [], files: [] });
  const reader: RuleReader = {
    list: (dir) => {
      if (dir.includes('local')) throw Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' });
      return [`${dir}/a.yaml`, `${dir}/b.yaml`];
    },
    read: (f) => {
      if (f.endsWith('b.yaml')) throw new Error('EIO: i/o error');
      return file(ruleYaml('r1'));
    },
  };
  const r2 = loadModuleRules('LG', { shippedDir: '/shipped', localDir: '/local', reader });
  t.deepEqual(
    r2.problems.map((p) => `${p.code} ${p.location?.file}: ${p.message}`),
    ['WATCHER_E_IO /shipped/LG/b.yaml: cannot read rule file: EIO: i/o error', 'WATCHER_E_IO /local/LG: cannot read rule directory: EACCES: permission denied'],
  );
  t.deepEqual(
    r2.rules.map((x) => x.id),
    ['r1'],
  );
});

test('on reload a caller can keep the previous version of a file that now has problems', (t) => {
  const shipped = parseRuleText(file(ruleYaml('r1')), 'rules/LG/a.yaml', 'shipped');
  const before = parseRuleText(file('  - id: r1\n    weight: 4', ruleYaml('mine')), '/etc/watcher/rules.d/LG/site.yaml', 'local');
  const after = parseRuleText('rules:\n  - id: r1\n    weight: [\n', '/etc/watcher/rules.d/LG/site.yaml', 'local');
  t.true(after.problems.length > 0);
  // the caller sees that site.yaml is bad now and merges its previous version instead
  const files = [shipped, after.problems.length > 0 ? before : after];
  const merged = mergeRuleFiles(files);
  t.deepEqual(merged.problems, []);
  t.deepEqual(
    merged.rules.map((x) => [x.id, x.weight]),
    [
      ['r1', 4],
      ['mine', 1],
    ],
  );
});
