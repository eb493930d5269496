// Turns one pattern as written into an anchored RegExp plus its prefilter facts, or explains why it
// is refused. Pure: the loader reports the errors with file:line; the engine only compiles good ones.
import { CharSet } from './charset.js';
import { anyOfLiterals, literalsOf } from './literals.js';
import { expandPlaceholders, MAX_MESSAGE } from './placeholders.js';
import { parseRegex, type Node } from './regex-ast.js';
import { altsFirst, checkSafety, nullable, wideFieldBeforeIp } from './safety.js';
import type { RuleSource } from './types.js';

export interface CompiledPattern {
  /** `^(?:expanded)$` with the s flag: the whole message must match, so attacker text cannot pick the IP */
  re: RegExp;
  /** the expanded source, without anchors (for messages and tests) */
  source: string;
  prefix: string;
  /** the longest literal, when it adds anything to the prefix check */
  needle: string;
  /** the other literals of 3 characters or more every match contains: checked after the needle (a
   *  request line's ` HTTP/` is in every access line, its `" 404 ` is not) */
  needles: readonly string[];
  /** texts of which every match contains one (a mandatory alternation of literals), or null: one
   *  unanchored search for any of them before the regex runs */
  anyOf: readonly string[] | null;
  /** ASCII codes a match can start with; 128 stands for any non-ASCII first character */
  firstChars: number[];
  /** the pattern matches the empty message */
  matchesEmpty: boolean;
  /** the static backtracking estimate (see safety.ts) */
  cost: number;
}

export type PatternResult = { ok: true; pattern: CompiledPattern } | { ok: false; errors: string[] };

const CAPTURES = new Set(['ip', 'user', 'vhost']);

function namedGroups(alts: Node[][], out: string[] = []): string[] {
  const visit = (n: Node): void => {
    if (n.t === 'group') {
      if (n.kind === 'named' && n.name !== undefined) out.push(n.name);
      for (const seq of n.alts) seq.forEach(visit);
    } else if (n.t === 'quant') visit(n.item);
  };
  for (const seq of alts) seq.forEach(visit);
  return out;
}

export function compilePattern(pattern: string, source: RuleSource): PatternResult {
  const errors: string[] = [];
  if (/[\n\r]/.test(pattern)) {
    return { ok: false, errors: ['pattern contains a line break (write it as a single-quoted string, or a list of pieces)'] };
  }
  if (/\(\?<ip>/.test(pattern)) errors.push('capture the address with <IP>, not (?<ip>...): <IP> is the only safe address class');
  const exp = expandPlaceholders(pattern);
  errors.push(...exp.errors);
  const ipCount = exp.counts.IP ?? 0;
  if (source === 'message' && ipCount !== 1) {
    errors.push(ipCount === 0 ? 'pattern has no <IP>' : 'pattern has more than one <IP> (use <ADDR> for the other addresses)');
  }
  if (source !== 'message' && ipCount > 0) {
    errors.push(`a rule with source: ${source} takes the address from the client field: use <ADDR>, not <IP>`);
  }
  for (const name of ['USER', 'VHOST']) if ((exp.counts[name] ?? 0) > 1) errors.push(`<${name}> may occur only once`);
  if (errors.length > 0) return { ok: false, errors };

  try {
    new RegExp(exp.source, 's');
  } catch (e) {
    return { ok: false, errors: [`not a valid regular expression: ${e instanceof Error ? e.message : String(e)}`] };
  }
  const alts = parseRegex(exp.source);
  for (const name of namedGroups(alts)) {
    if (!CAPTURES.has(name)) errors.push(`unknown capture (?<${name}>...): only user and vhost may be captured by name`);
  }
  const safety = checkSafety(alts, MAX_MESSAGE);
  errors.push(...safety.errors);
  if (source === 'message') {
    const wide = wideFieldBeforeIp(alts);
    if (wide !== null) errors.push(wide);
  }
  if (errors.length > 0) return { ok: false, errors };

  const lit = literalsOf(alts);
  const firstSet: CharSet = altsFirst(alts, new CharSet());
  const firstChars = firstSet.asciiMembers();
  if (firstSet.high) firstChars.push(128);
  return {
    ok: true,
    pattern: {
      re: new RegExp(`^(?:${exp.source})$`, 's'),
      source: exp.source,
      prefix: lit.prefix,
      needle: lit.longest.length >= 3 ? lit.longest : '',
      needles: [...new Set(lit.runs.filter((r) => r.length >= 3 && r !== lit.longest))],
      anyOf: anyOfLiterals(alts),
      firstChars,
      matchesEmpty: alts.some((seq) => seq.every(nullable)),
      cost: safety.cost,
    },
  };
}
