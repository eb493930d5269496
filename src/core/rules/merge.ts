// Merges parsed rule files into one module's rule list: shipped files first, then local drop-ins that
// add rules or change existing ones by id. Pure; every refusal is a problem at the entry's file:line.
import type { Problem } from '../errors.js';
import { completeRule, REQUIRED_KEYS, ruleProblems, type RuleEntry, type RuleFile } from './parse.js';
import type { Rule } from './types.js';

export interface MergedRules {
  /** every rule in order (shipped files, then new local rules); disabled ones included */
  rules: Rule[];
  problems: Problem[];
}

/** Lines of an override's keys; problems about keys it did not set point at the entry. */
function entryLineOf(entry: RuleEntry): (path: readonly PropertyKey[]) => number {
  const fallback = entry.location.line ?? 1;
  return (path) => {
    if (path[0] === 'samples' && (path[1] === 'match' || path[1] === 'nomatch') && typeof path[2] === 'number') {
      const line = entry.sampleLines[path[1]][path[2]];
      if (line !== undefined) return line;
    }
    return entry.keyLines[path[0] as keyof RuleEntry['keyLines']] ?? fallback;
  };
}

/**
 * Files in load order. An entry whose id is new adds a rule at the end (it must be complete); one
 * whose id exists changes only the keys it sets, in place, so the order of first-match stays that
 * of the shipped files. A change that would leave a broken rule (a new pattern its samples do not
 * match) is refused and the rule stays as it was. Shipped files may not repeat an id.
 */
export function mergeRuleFiles(files: readonly RuleFile[]): MergedRules {
  const rules: Rule[] = [];
  const index = new Map<string, number>();
  const problems: Problem[] = [];
  for (const f of files) {
    for (const entry of f.entries) {
      const at = index.get(entry.id);
      if (at === undefined) {
        const rule = completeRule(entry.id, entry.set, entry.location);
        if (rule === undefined) {
          const missing = REQUIRED_KEYS.filter((key) => entry.set[key] === undefined);
          problems.push({
            code: 'WATCHER_E_CONFIG',
            message: `rule ${entry.id}: no rule with this id to change, and a new rule needs ${missing.join(', ')}`,
            location: entry.location,
          });
          continue;
        }
        // shipped entries were checked when their file was parsed
        if (f.origin === 'local') {
          const found = ruleProblems(rule, entry.location.file, entryLineOf(entry));
          if (found.length > 0) {
            problems.push(...found);
            continue;
          }
        }
        index.set(entry.id, rules.length);
        rules.push(rule);
        continue;
      }
      if (f.origin === 'shipped') {
        problems.push({ code: 'WATCHER_E_CONFIG', message: `rule ${entry.id}: id already used by ${where(rules[at]!)}`, location: entry.location });
        continue;
      }
      const merged: Rule = { ...rules[at]!, ...entry.set, id: entry.id, location: entry.location };
      const found = ruleProblems(merged, entry.location.file, entryLineOf(entry));
      if (found.length > 0) {
        problems.push(...found.map((p) => ({ ...p, message: `${p.message} (change refused; the rule stays as in ${where(rules[at]!)})` })));
        continue;
      }
      rules[at] = merged;
    }
  }
  return { rules, problems };
}

function where(rule: Rule): string {
  const loc = rule.location;
  return loc === undefined ? 'an earlier file' : loc.line !== undefined ? `${loc.file}:${loc.line}` : loc.file;
}
