// Every shipped rule pack, loaded through the loader: no problems, unique ids, and every sample line
// next to every rule does what it says against the whole module. A rule without a sample fails.
import test from 'ava';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { describeProblem } from '../../src/core/errors.js';
import { MODULES } from '../../src/core/logline/types.js';
import { fsRuleReader } from '../../src/core/rules/fs-reader.js';
import { compileRules, loadModuleRules, parseRuleText, sampleLine, shippedRulesDir, type Rule } from '../../src/core/rules/index.js';

const SHIPPED = shippedRulesDir();

/** The module's rules with every rule enabled: samples must hold even when a disabled rule is switched on. */
function allEnabled(rules: readonly Rule[]): Rule[] {
  return rules.map((r) => ({ ...r, enabled: true }));
}

for (const module of MODULES) {
  const loaded = loadModuleRules(module, { localDir: null });

  test(`${module}: shipped rule files load without problems`, (t) => {
    t.deepEqual(loaded.problems.map(describeProblem), []);
    t.true(loaded.files.length > 0, `no rule files in ${join(SHIPPED, module)}`);
    t.true(loaded.rules.length > 0);
  });

  test(`${module}: no two rules share an id, across all files of the module`, (t) => {
    const seen = new Map<string, string>();
    for (const file of fsRuleReader.list(join(SHIPPED, module))) {
      for (const e of parseRuleText(fsRuleReader.read(file), file, 'shipped').entries) {
        t.false(seen.has(e.id), `${e.id} in ${basename(file)} and ${seen.get(e.id)}`);
        seen.set(e.id, basename(file));
      }
    }
    t.is(seen.size, loaded.rules.length);
  });

  test(`${module}: every rule has at least one match sample`, (t) => {
    for (const r of loaded.rules) t.true(r.samples.match.length > 0, `${r.id} has no match sample`);
  });

  test(`${module}: every match sample yields exactly its rule, with the expected ip/user/vhost, for each program`, (t) => {
    const set = compileRules(allEnabled(loaded.rules));
    let checked = 0;
    for (const r of loaded.rules) {
      for (const program of r.programs) {
        for (const s of r.samples.match) {
          const d = set.match(sampleLine(r, s.line, s, program === '*' ? 'nginx' : program));
          const where = `${r.id} (${program}): ${s.line}`;
          t.is(d?.rule, r.id, where);
          t.is(d?.ip, s.ip, where);
          t.is(d?.user, s.user, where);
          t.is(d?.vhost, s.vhost, where);
          t.is(d?.event, r.event, where);
          t.is(d?.weight, r.weight, where);
          checked++;
        }
      }
    }
    t.true(checked > 0);
  });

  test(`${module}: every nomatch sample matches no rule of the module`, (t) => {
    const set = compileRules(allEnabled(loaded.rules));
    for (const r of loaded.rules) {
      for (const program of r.programs) {
        for (const text of r.samples.nomatch) {
          const d = set.match(sampleLine(r, text, undefined, program === '*' ? 'nginx' : program));
          t.is(d, null, `${r.id} (${program}) nomatch sample taken by ${d?.rule}: ${text}`);
        }
      }
    }
  });
}

test('a rule without a match sample is reported with file:line and not loaded; the other rules load', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'watcher-rules-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, 'LG'));
  writeFileSync(
    join(dir, 'LG', 'pack.yaml'),
    [
      'rules:',
      '  - id: good',
      '    programs: [sshd]',
      '    event: auth-failure',
      "    pattern: 'Failed password for <USER> from <IP> port <PORT> ssh2'",
      '    samples:',
      "      match: [{ line: 'Failed password for root from 203.0.113.5 port 22 ssh2', ip: 203.0.113.5, user: root }]",
      '  - id: no-sample',
      '    programs: [sshd]',
      '    event: invalid-user',
      "    pattern: 'Invalid user <USER> from <IP> port <PORT>'",
      '    samples:',
      "      nomatch: ['Invalid user x']",
      '  - id: no-samples-at-all',
      '    programs: [sshd]',
      '    event: invalid-user',
      "    pattern: 'User <USER> from <IP> not allowed because <*>'",
      '',
    ].join('\n'),
  );
  const loaded = loadModuleRules('LG', { shippedDir: dir, localDir: null });
  t.deepEqual(
    loaded.problems.map((p) => `${basename(p.location?.file ?? '')}:${p.location?.line}: ${p.message}`),
    [
      'pack.yaml:12: rule no-sample: rule no-sample has no match sample (every rule needs at least one)',
      'pack.yaml:14: rule no-samples-at-all: missing samples',
    ],
  );
  t.deepEqual(
    loaded.rules.map((r) => r.id),
    ['good'],
  );
});
