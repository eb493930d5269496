// A small parser of JavaScript regex source (no u flag, s flag) into a tree for static analysis.
// Must only be given source the RegExp constructor accepted: it explains, it never validates syntax.
import { CharSet, DIGITS, SPACES, WORD } from './charset.js';

/** One character: a literal (lit) or a class/escape/dot (lit null). */
export interface CharNode {
  t: 'char';
  set: CharSet;
  lit: string | null;
  /** the source text, for messages */
  text: string;
}

/** Zero-width assertions the pattern wrote: ^ $ \b \B. */
export interface AssertNode {
  t: 'assert';
  kind: string;
}

export interface GroupNode {
  t: 'group';
  kind: 'capture' | 'named' | 'noncap' | 'look';
  name?: string;
  alts: Node[][];
}

export interface QuantNode {
  t: 'quant';
  item: Node;
  min: number;
  /** Infinity for *, + and {n,} */
  max: number;
  lazy: boolean;
  /** the quantifier as written, for messages */
  text: string;
}

export interface BackrefNode {
  t: 'backref';
  text: string;
}

/** Syntax the analysis does not model; the pattern is refused. */
export interface UnsupportedNode {
  t: 'unsupported';
  text: string;
  why: string;
}

export type Node = CharNode | AssertNode | GroupNode | QuantNode | BackrefNode | UnsupportedNode;

const ANY = CharSet.all();

function escapeSet(c: string): CharSet | null {
  switch (c) {
    case 'd':
      return new CharSet().addSet(DIGITS);
    case 'D':
      return DIGITS.complement();
    case 'w':
      return new CharSet().addSet(WORD);
    case 'W':
      return WORD.complement();
    case 's':
      return new CharSet().addSet(SPACES);
    case 'S':
      return SPACES.complement();
    default:
      return null;
  }
}

const CONTROL: Record<string, number> = { t: 9, n: 10, v: 11, f: 12, r: 13, '0': 0 };

/** Parses a regex source into alternatives of sequences. */
export function parseRegex(src: string): Node[][] {
  let i = 0;

  /** A single-character escape at i (after the backslash): its code, advancing i. */
  const escapedCode = (): number => {
    const c = src[i]!;
    if (c in CONTROL && !(c === '0' && /[0-9]/.test(src[i + 1] ?? ''))) {
      i++;
      return CONTROL[c]!;
    }
    if (c === 'x' && /^[0-9a-fA-F]{2}$/.test(src.slice(i + 1, i + 3))) {
      i += 3;
      return parseInt(src.slice(i - 2, i), 16);
    }
    if (c === 'u' && /^[0-9a-fA-F]{4}$/.test(src.slice(i + 1, i + 5))) {
      i += 5;
      return parseInt(src.slice(i - 4, i), 16);
    }
    if (c === 'c' && /[A-Za-z]/.test(src[i + 1] ?? '')) {
      i += 2;
      return src.charCodeAt(i - 1) % 32;
    }
    i++;
    return c.charCodeAt(0);
  };

  const parseClass = (): CharNode => {
    // at '['
    i++;
    const negate = src[i] === '^';
    if (negate) i++;
    const set = new CharSet();
    // in JavaScript a ']' right after '[' or '[^' closes the class ([] matches nothing, [^] anything)
    while (i < src.length && src[i] !== ']') {
      let lo: number;
      if (src[i] === '\\') {
        i++;
        const s = escapeSet(src[i]!);
        if (s !== null) {
          i++;
          set.addSet(s);
          continue;
        }
        if (src[i] === 'b') {
          i++;
          lo = 8;
        } else if ((src[i] === '0' && /[0-9]/.test(src[i + 1] ?? '')) || (src[i] === 'c' && !/[A-Za-z]/.test(src[i + 1] ?? ''))) {
          // odd legacy forms: over-approximate the class, which is the safe side for the analysis
          i++;
          set.addSet(ANY);
          continue;
        } else lo = escapedCode();
      } else lo = src.charCodeAt(i++);
      if (src[i] === '-' && src[i + 1] !== ']' && i + 1 < src.length) {
        const save = i;
        i++;
        let hi: number;
        if (src[i] === '\\') {
          i++;
          if (escapeSet(src[i]!) !== null) {
            // [a-\d] is "a", "-" and digits without the u flag
            i = save;
            set.add(lo);
            continue;
          }
          hi = src[i] === 'b' ? (i++, 8) : escapedCode();
        } else hi = src.charCodeAt(i++);
        set.addRange(lo, hi);
      } else set.add(lo);
    }
    i++; // ']'
    return { t: 'char', set: negate ? set.complement() : set, lit: null, text: '' };
  };

  const parseAtom = (): Node | null => {
    const start = i;
    const node = parseAtomAt();
    if (node !== null && node.t === 'char') node.text = src.slice(start, i);
    return node;
  };

  const parseAtomAt = (): Node | null => {
    const c = src[i]!;
    if (c === '(') {
      i++;
      let kind: GroupNode['kind'] = 'capture';
      let name: string | undefined;
      if (src.startsWith('?:', i)) {
        kind = 'noncap';
        i += 2;
      } else if (src.startsWith('?=', i) || src.startsWith('?!', i)) {
        kind = 'look';
        i += 2;
      } else if (src.startsWith('?<=', i) || src.startsWith('?<!', i)) {
        kind = 'look';
        i += 3;
      } else if (src.startsWith('?<', i)) {
        const close = src.indexOf('>', i);
        kind = 'named';
        name = src.slice(i + 2, close);
        i = close + 1;
      }
      const alts = parseAlts();
      i++; // ')'
      return name === undefined ? { t: 'group', kind, alts } : { t: 'group', kind, name, alts };
    }
    if (c === '[') return parseClass();
    if (c === '.') {
      i++;
      return { t: 'char', set: ANY, lit: null, text: '' };
    }
    if (c === '^' || c === '$') {
      i++;
      return { t: 'assert', kind: c };
    }
    if (c === '\\') {
      i++;
      const e = src[i]!;
      const s = escapeSet(e);
      if (s !== null) {
        i++;
        return { t: 'char', set: s, lit: null, text: '' };
      }
      if (e === 'b' || e === 'B') {
        i++;
        return { t: 'assert', kind: `\\${e}` };
      }
      if (/[1-9]/.test(e)) {
        const m = /^[0-9]+/.exec(src.slice(i))![0];
        i += m.length;
        return { t: 'backref', text: `\\${m}` };
      }
      if (e === 'k' && src[i + 1] === '<') {
        const close = src.indexOf('>', i);
        const text = `\\${src.slice(i, close + 1)}`;
        i = close + 1;
        return { t: 'backref', text };
      }
      // legacy octal (\01) and a \c without a letter: odd forms not worth modelling, refused
      if ((e === '0' && /[0-9]/.test(src[i + 1] ?? '')) || (e === 'c' && !/[A-Za-z]/.test(src[i + 1] ?? ''))) {
        i++;
        return { t: 'unsupported', text: `\\${e}`, why: 'write characters as \\xHH' };
      }
      const code = escapedCode();
      return { t: 'char', set: CharSet.of(code), lit: String.fromCharCode(code), text: '' };
    }
    i++;
    return { t: 'char', set: CharSet.of(c.charCodeAt(0)), lit: c, text: '' };
  };

  /** A quantifier at i, or null (a `{` that is not one is a literal without the u flag). */
  const parseQuant = (): { min: number; max: number; text: string } | null => {
    const c = src[i];
    const start = i;
    let min: number;
    let max: number;
    if (c === '*' || c === '+' || c === '?') {
      i++;
      [min, max] = c === '*' ? [0, Infinity] : c === '+' ? [1, Infinity] : [0, 1];
    } else if (c === '{') {
      const m = /^\{(\d+)(,(\d*))?\}/.exec(src.slice(i));
      if (m === null) return null;
      i += m[0].length;
      min = Number(m[1]);
      max = m[2] === undefined ? min : m[3] === '' ? Infinity : Number(m[3]);
    } else return null;
    if (src[i] === '?') i++;
    return { min, max, text: src.slice(start, i) };
  };

  const parseSeq = (): Node[] => {
    const seq: Node[] = [];
    while (i < src.length && src[i] !== '|' && src[i] !== ')') {
      const atom = parseAtom();
      if (atom === null) continue;
      const q = parseQuant();
      if (q === null) {
        seq.push(atom);
        continue;
      }
      seq.push({ t: 'quant', item: atom, min: q.min, max: q.max, lazy: q.text.length > 1 && q.text.endsWith('?'), text: q.text });
    }
    return seq;
  };

  function parseAlts(): Node[][] {
    const alts: Node[][] = [parseSeq()];
    while (src[i] === '|') {
      i++;
      alts.push(parseSeq());
    }
    return alts;
  }

  return parseAlts();
}
