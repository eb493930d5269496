// Parses the text of one rule file into entries, with every problem at its file:line. Pure: no file
// access (load.ts reads). A bad entry is skipped with a problem; the others of the file still load.
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node as YamlNode } from 'yaml';
import type { Location, Problem } from '../errors.js';
import { compilePattern } from './compile.js';
import { checkSamples } from './samples.js';
import { ruleEntrySchema, ruleFileSchema, type RuleEntryInput } from './schema.js';
import type { Rule } from './types.js';

/** Shipped rules come with the package and must be complete; local ones may change existing rules. */
export type RuleOrigin = 'shipped' | 'local';

/** The keys of a rule an entry can set (everything but its id and location). */
export type RuleFields = Omit<Rule, 'id' | 'location'>;

export interface RuleEntry {
  id: string;
  /** the keys this entry sets, pattern pieces already joined */
  set: Partial<RuleFields>;
  /** the line of the entry's first key */
  location: Location;
  /** line of each key the entry sets, and of each match/nomatch sample, for problems found when merging */
  keyLines: Partial<Record<keyof RuleFields, number>>;
  sampleLines: { match: number[]; nomatch: number[] };
}

export interface RuleFile {
  file: string;
  origin: RuleOrigin;
  entries: RuleEntry[];
  problems: Problem[];
}

export const REQUIRED_KEYS = ['programs', 'pattern', 'event', 'samples'] as const;

const problem = (message: string, location: Location): Problem => ({ code: 'WATCHER_E_CONFIG', message, location });

/** The YAML node at path below node, or the deepest one that exists on the way. */
function nodeAt(node: unknown, path: readonly PropertyKey[]): { node: unknown; keyNode?: unknown } {
  let cur = node;
  let keyNode: unknown;
  for (const step of path) {
    if (isMap(cur)) {
      const pair = cur.items.find((p) => isScalar(p.key) && p.key.value === step);
      if (pair === undefined) break;
      keyNode = pair.key;
      cur = pair.value;
    } else if (isSeq(cur) && typeof step === 'number' && cur.items[step] !== undefined) {
      keyNode = undefined;
      cur = cur.items[step];
    } else break;
  }
  return { node: cur, keyNode };
}

/** A complete rule from an entry, defaults filled in; undefined when required keys are missing. */
export function completeRule(id: string, f: Partial<RuleFields>, location?: Location): Rule | undefined {
  if (f.programs === undefined || f.pattern === undefined || f.event === undefined || f.samples === undefined) return undefined;
  return {
    id,
    programs: f.programs,
    pattern: f.pattern,
    event: f.event,
    weight: f.weight ?? 1,
    source: f.source ?? 'message',
    enabled: f.enabled ?? true,
    samples: f.samples,
    ...(location ? { location } : {}),
  };
}

/**
 * Problems of a complete rule: its pattern, then its samples. `lineOf` finds the line for a key
 * path (pattern, samples.match.N) so each problem points where the user has to look.
 */
export function ruleProblems(rule: Rule, file: string, lineOf: (path: readonly PropertyKey[]) => number): Problem[] {
  const compiled = compilePattern(rule.pattern, rule.source);
  if (!compiled.ok) return compiled.errors.map((e) => problem(`rule ${rule.id}: ${e}`, { file, line: lineOf(['pattern']) }));
  return checkSamples(rule).map((f) => {
    const path = f.kind === 'none' ? ['samples', 'match'] : ['samples', f.kind, f.index];
    return problem(`rule ${rule.id}: ${f.message}`, { file, line: lineOf(path) });
  });
}

function entryFields(input: RuleEntryInput): Partial<RuleFields> {
  const set: Partial<RuleFields> = {};
  if (input.enabled !== undefined) set.enabled = input.enabled;
  if (input.programs !== undefined) set.programs = input.programs;
  if (input.pattern !== undefined) set.pattern = Array.isArray(input.pattern) ? input.pattern.join('') : input.pattern;
  if (input.event !== undefined) set.event = input.event;
  if (input.weight !== undefined) set.weight = input.weight;
  if (input.source !== undefined) set.source = input.source;
  if (input.samples !== undefined) set.samples = { match: input.samples.match ?? [], nomatch: input.samples.nomatch ?? [] };
  return set;
}

export function parseRuleText(text: string, file: string, origin: RuleOrigin): RuleFile {
  const out: RuleFile = { file, origin, entries: [], problems: [] };
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const lineAt = (n: unknown, fallback = 1): number => {
    const range = (n as YamlNode | undefined)?.range;
    return range ? lineCounter.linePos(range[0]).line : fallback;
  };
  if (doc.errors.length > 0) {
    for (const e of doc.errors) out.problems.push(problem(`YAML syntax: ${e.message.split('\n')[0]}`, { file, line: lineCounter.linePos(e.pos[0]).line }));
    return out;
  }
  if (doc.contents === null) return out; // an empty file holds no rules
  const top = ruleFileSchema.safeParse(doc.toJS());
  if (!top.success || !isMap(doc.contents)) {
    const issue = top.success ? undefined : top.error.issues[0];
    const where = issue?.code === 'unrecognized_keys' ? nodeAt(doc.contents, [issue.keys[0] ?? '']).keyNode : doc.contents;
    const what =
      issue?.code === 'unrecognized_keys'
        ? `unknown key ${issue.keys.join(', ')}: `
        : issue?.path[0] === 'rules'
          ? 'rules: must be a list: '
          : '';
    out.problems.push(problem(`${what}a rule file is a map with one key, "rules:", holding a list of rules`, { file, line: lineAt(where) }));
    return out;
  }
  const rulesNode = nodeAt(doc.contents, ['rules']).node;
  const items = top.data.rules ?? [];
  const seen = new Set<string>();
  items.forEach((value, k) => {
    const itemNode = isSeq(rulesNode) ? rulesNode.items[k] : undefined;
    const itemLine = lineAt(itemNode, lineAt(rulesNode));
    const lineOf = (path: readonly PropertyKey[]): number => {
      const found = nodeAt(itemNode, path);
      return lineAt(found.keyNode ?? found.node, itemLine);
    };
    const parsed = ruleEntrySchema.safeParse(value);
    if (!parsed.success) {
      const id = typeof (value as { id?: unknown })?.id === 'string' ? `rule ${(value as { id: string }).id}: ` : '';
      for (const issue of parsed.error.issues) {
        const path = issue.code === 'unrecognized_keys' ? [...issue.path, issue.keys[0] ?? ''] : issue.path;
        const where = path.length > 0 && issue.code !== 'unrecognized_keys' ? `${path.join('.')}: ` : '';
        const message = issue.code === 'unrecognized_keys' ? `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.join(', ')}` : issue.message;
        out.problems.push(problem(`${id}${where}${message}`, { file, line: lineOf(path) }));
      }
      return;
    }
    const input = parsed.data;
    const location: Location = { file, line: itemLine };
    if (seen.has(input.id)) {
      out.problems.push(problem(`rule ${input.id}: the id is used twice in this file`, location));
      return;
    }
    seen.add(input.id);
    const set = entryFields(input);
    const keyLines: RuleEntry['keyLines'] = {};
    for (const key of Object.keys(set) as (keyof RuleFields)[]) keyLines[key] = lineOf([key]);
    const sampleLines = {
      match: (set.samples?.match ?? []).map((_, n) => lineOf(['samples', 'match', n])),
      nomatch: (set.samples?.nomatch ?? []).map((_, n) => lineOf(['samples', 'nomatch', n])),
    };
    // A local entry may change a rule of another file, whose keys it inherits: merge.ts checks it.
    if (origin === 'shipped') {
      const rule = completeRule(input.id, set, location);
      if (rule === undefined) {
        const missing = REQUIRED_KEYS.filter((key) => set[key] === undefined);
        out.problems.push(problem(`rule ${input.id}: missing ${missing.join(', ')}`, location));
        return;
      }
      const problems = ruleProblems(rule, file, lineOf);
      if (problems.length > 0) {
        out.problems.push(...problems);
        return;
      }
    }
    out.entries.push({ id: input.id, set, location, keyLines, sampleLines });
  });
  return out;
}
