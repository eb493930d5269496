// Static checks that keep matching linear on hostile input: no nested or ambiguous repetition, no
// backreferences, quantifier-free lookarounds, and a bound on the backtracking a pattern can do.
import { CharSet } from './charset.js';
import type { Node } from './regex-ast.js';

/**
 * The most combinations of ambiguous quantifier extents a pattern may have. A quantifier is
 * ambiguous when the characters it repeats can also start what follows it: the engine may then try
 * each of its lengths, and nested ambiguous ones multiply. 2^22 is a few milliseconds at worst.
 */
export const BACKTRACK_BUDGET = 2 ** 22;

const EMPTY = new CharSet();

export function nullable(n: Node): boolean {
  switch (n.t) {
    case 'char':
      return false;
    case 'quant':
      return n.min === 0 || nullable(n.item);
    case 'group':
      return n.kind === 'look' || n.alts.some((seq) => seq.every(nullable));
    default:
      return true;
  }
}

/** Characters a match of n can start with. */
export function first(n: Node): CharSet {
  switch (n.t) {
    case 'char':
      return n.set;
    case 'quant':
      return first(n.item);
    case 'group':
      return n.kind === 'look' ? EMPTY : altsFirst(n.alts, EMPTY);
    default:
      return EMPTY;
  }
}

/** Characters a match of seq[from..] followed by `follow` can start with. */
export function seqFirst(seq: readonly Node[], from: number, follow: CharSet): CharSet {
  const out = new CharSet();
  for (let k = from; k < seq.length; k++) {
    out.addSet(first(seq[k]!));
    if (!nullable(seq[k]!)) return out;
  }
  return out.addSet(follow);
}

export function altsFirst(alts: readonly Node[][], follow: CharSet): CharSet {
  const out = new CharSet();
  for (const seq of alts) out.addSet(seqFirst(seq, 0, follow));
  return out;
}

function hasVariableRepetition(n: Node): boolean {
  if (n.t === 'quant') return n.max > n.min || hasVariableRepetition(n.item);
  if (n.t === 'group') return n.alts.some((seq) => seq.some(hasVariableRepetition));
  return false;
}

function hasQuantifier(n: Node): boolean {
  if (n.t === 'quant') return true;
  if (n.t === 'group') return n.alts.some((seq) => seq.some(hasQuantifier));
  return false;
}

/** Alternatives that can start with the same character: the engine may try both for every repetition. */
function overlappingAlternatives(alts: readonly Node[][], follow: CharSet): boolean {
  const firsts = alts.map((seq) => seqFirst(seq, 0, follow));
  for (let a = 0; a < firsts.length; a++) for (let b = a + 1; b < firsts.length; b++) if (firsts[a]!.intersects(firsts[b]!)) return true;
  return false;
}

function describe(n: Node): string {
  if (n.t === 'quant') return `${describe(n.item)}${n.text}`;
  if (n.t === 'group') return `(${n.alts.map((s) => s.map(describe).join('')).join('|')})`;
  if (n.t === 'char') return n.text;
  if (n.t === 'assert') return n.kind;
  return n.text;
}

export interface SafetyReport {
  /** product of the extents of ambiguous quantifiers (messages longer than `cap` are never matched) */
  cost: number;
  errors: string[];
}

/** Checks a parsed pattern; `cap` is the longest message it will ever see. */
export function checkSafety(alts: Node[][], cap: number): SafetyReport {
  const errors: string[] = [];
  let cost = 1;

  const walkSeq = (seq: readonly Node[], follow: CharSet): void => {
    let rest = follow;
    for (let k = seq.length - 1; k >= 0; k--) {
      const n = seq[k]!;
      walk(n, rest);
      rest = nullable(n) ? new CharSet().addSet(first(n)).addSet(rest) : first(n);
    }
  };

  const walk = (n: Node, follow: CharSet): void => {
    switch (n.t) {
      case 'assert':
        if (n.kind === '^' || n.kind === '$') errors.push(`"${n.kind}": the engine anchors every pattern at both ends itself; remove it`);
        return;
      case 'backref':
        errors.push(`backreference ${n.text} is not allowed (it can make matching exponential)`);
        return;
      case 'unsupported':
        errors.push(`${n.text} is not supported: ${n.why}`);
        return;
      case 'char':
        return;
      case 'group':
        if (n.kind === 'look') {
          if (n.alts.some((seq) => seq.some(hasQuantifier))) errors.push(`lookaround ${describe(n)} may not contain quantifiers`);
          return;
        }
        for (const seq of n.alts) walkSeq(seq, follow);
        return;
      case 'quant': {
        const itemFirst = first(n.item);
        if (n.max > 1) {
          if (hasVariableRepetition(n.item)) {
            errors.push(`nested quantifier in ${describe(n)}: a repeated group may not contain *, +, ? or {m,n} (catastrophic backtracking)`);
            return;
          }
          if (n.item.t === 'group' && overlappingAlternatives(n.item.alts, EMPTY)) {
            errors.push(`repeated alternatives that can start alike in ${describe(n)} (catastrophic backtracking); make them start with different characters`);
            return;
          }
          if (nullable(n.item)) {
            errors.push(`repeated group that can match nothing in ${describe(n)}`);
            return;
          }
        }
        if (n.max > n.min && itemFirst.intersects(follow)) cost *= Math.min(n.max, cap) - n.min + 1;
        walk(n.item, n.max > 1 ? new CharSet().addSet(itemFirst).addSet(follow) : follow);
        return;
      }
    }
  };

  for (const seq of alts) walkSeq(seq, EMPTY);
  if (errors.length === 0 && cost > BACKTRACK_BUDGET) {
    errors.push(
      `pattern may backtrack too much (${cost.toExponential(1)} combinations > ${BACKTRACK_BUDGET}): bound its fields ` +
        `(<USER>, {0,256}) or separate them by text they cannot contain`,
    );
  }
  return { cost, errors };
}

/**
 * The rule for message sources: nothing that can run across spaces for more than 256 characters may
 * stand before <IP>, or attacker text in that stretch could hold a forged address the engine takes.
 */
export function wideFieldBeforeIp(alts: Node[][]): string | null {
  let seenIp = false;
  let found: string | null = null;
  const visit = (n: Node): void => {
    if (found !== null || seenIp) return;
    if (n.t === 'group') {
      for (const seq of n.alts) for (const c of seq) visit(c);
      if (n.kind === 'named' && n.name === 'ip') seenIp = true;
    } else if (n.t === 'quant') {
      if (n.max > 256 && first(n.item).has(32)) found = describe(n);
      else visit(n.item);
    }
  };
  for (const seq of alts) for (const n of seq) visit(n);
  return found === null
    ? null
    : `${found} before <IP> can span attacker text of any length: take the address from a place only the daemon writes (see rules/README.md)`;
}
