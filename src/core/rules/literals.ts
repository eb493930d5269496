// The fixed text of a pattern, for the prefilter that runs before any regex: the literal prefix
// every match starts with and the literals every match contains (the longest first). Never over-claims.
import type { Node } from './regex-ast.js';

export interface Literals {
  /** text every match starts with ('' when it may start with a class, group or placeholder) */
  prefix: string;
  /** the longest text every match contains after the prefix ('' when none): it tells apart rules sharing a prefix */
  longest: string;
  /** every text every match contains after the prefix (longest among them), in pattern order */
  runs: string[];
}

export function literalsOf(alts: Node[][]): Literals {
  if (alts.length !== 1) return { prefix: '', longest: '', runs: [] };
  const runs: string[] = [];
  let cur = '';
  let prefix: string | null = null;
  const cut = (): void => {
    if (prefix === null) prefix = cur;
    runs.push(cur);
    cur = '';
  };
  const visit = (seq: readonly Node[]): void => {
    for (const n of seq) {
      if (n.t === 'char' && n.lit !== null) cur += n.lit;
      // a group that must match exactly once continues the text around it
      else if (n.t === 'group' && n.kind !== 'look' && n.alts.length === 1) visit(n.alts[0]!);
      else cut();
    }
  };
  visit(alts[0]!);
  cut();
  let longest = '';
  for (const r of runs.slice(1)) if (r.length > longest.length) longest = r;
  return { prefix: prefix ?? '', longest, runs: runs.slice(1).filter((r) => r !== '') };
}

/** The longest text every match of one alternative contains ('' when none). */
function mustContain(seq: readonly Node[]): string {
  const lit = literalsOf([seq as Node[]]);
  let best = lit.prefix;
  for (const r of lit.runs) if (r.length > best.length) best = r;
  return best;
}

/**
 * The texts of which every match contains at least one: the alternatives of the first group that every
 * match passes through once (the pattern itself, or a group not under a quantifier) and whose every
 * alternative contains a literal of at least `min` characters. A rule for bad bots (`...(?:sqlmap/|
 * Nikto|masscan/)...`) then costs a line one search for any of them instead of a regex run. Null when no
 * such group exists. Never over-claims: a match must pass through the group, so it contains one of them.
 */
export function anyOfLiterals(alts: Node[][], min = 3): string[] | null {
  const ofGroup = (group: Node[][]): string[] | null => {
    if (group.length < 2) return null;
    const out: string[] = [];
    for (const seq of group) {
      const s = mustContain(seq);
      if (s.length < min) return null;
      out.push(s);
    }
    return [...new Set(out)];
  };
  const top = ofGroup(alts);
  if (top !== null || alts.length !== 1) return top;
  const visit = (seq: readonly Node[]): string[] | null => {
    for (const n of seq) {
      if (n.t !== 'group' || n.kind === 'look') continue;
      const found = n.alts.length === 1 ? visit(n.alts[0]!) : ofGroup(n.alts);
      if (found !== null) return found;
    }
    return null;
  };
  return visit(alts[0]!);
}
