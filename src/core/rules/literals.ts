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
