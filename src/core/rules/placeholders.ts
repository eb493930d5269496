// The placeholders a pattern may use and their expansion into bounded, field-shaped sub-patterns.
// Never lets a placeholder span field separators it should not: see rules/README.md for the reasons.

/** Messages longer than this are never matched: it bounds every pattern's work (see compile.ts). */
export const MAX_MESSAGE = 8192;

/**
 * Each expansion is bounded. <IP> and <ADDR> cannot contain spaces, brackets or commas, so the
 * text around them decides where they end; <USER> is the only "anything" field and stays lazy so
 * the daemon-written text after it (`from <IP> port N`, anchored at the end) fixes its extent.
 */
export const PLACEHOLDERS: Readonly<Record<string, string>> = {
  IP: '(?<ip>[0-9A-Fa-f:.]{2,45})',
  ADDR: '[0-9A-Fa-f:.]{2,45}',
  USER: '(?<user>.{0,256}?)',
  VHOST: '(?<vhost>[^\\s,"]{0,253})',
  HOST: '[A-Za-z0-9._-]{1,253}',
  PORT: '[0-9]{1,5}',
  N: '[0-9]{1,10}',
  '*': '.*?',
};

/** A pattern ending in <*> ends in a greedy .*: the same matches, without stepping char by char. */
const TAIL_ANY = '.*';

export interface Expansion {
  source: string;
  /** how often each placeholder occurs */
  counts: Record<string, number>;
  errors: string[];
}

/**
 * Replaces placeholders outside character classes and escapes. `<NAME>` with an upper-case name is
 * always a placeholder (an unknown one is an error); other `<` are literal, as in `user=<<USER>>`.
 */
export function expandPlaceholders(pattern: string): Expansion {
  const counts: Record<string, number> = {};
  const errors: string[] = [];
  let out = '';
  let inClass = false;
  for (let i = 0; i < pattern.length; ) {
    const c = pattern[i]!;
    if (c === '\\') {
      out += pattern.slice(i, i + 2);
      i += 2;
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
      out += c;
      i++;
      continue;
    }
    if (c === '[') {
      inClass = true;
      out += c;
      i++;
      continue;
    }
    if (c === '(' && pattern.startsWith('(?<', i)) {
      // named groups and lookbehinds: their '<' is syntax, not a placeholder
      out += '(?<';
      i += 3;
      continue;
    }
    if (c === '<') {
      const m = /^<([A-Z]+|\*)>/.exec(pattern.slice(i, i + 12));
      if (m !== null) {
        const name = m[1]!;
        const expansion = PLACEHOLDERS[name];
        if (expansion === undefined) errors.push(`unknown placeholder <${name}> (known: ${Object.keys(PLACEHOLDERS).map((k) => `<${k}>`).join(' ')}; write \\< for a literal "<")`);
        else {
          counts[name] = (counts[name] ?? 0) + 1;
          const atEnd = i + m[0].length === pattern.length;
          out += name === '*' && atEnd ? TAIL_ANY : expansion;
        }
        i += m[0].length;
        continue;
      }
    }
    out += c;
    i++;
  }
  return { source: out, counts, errors };
}
