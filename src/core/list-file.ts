// Owns the static list text format (whitelist, blacklist, load pool): one address or CIDR per line,
// "#" starts a comment anywhere, text after the first column is a comment. Never aborts on a bad line.
import type { EntryCollector } from './aggregate.js';
import type { Problem } from './errors.js';
import { formatV4, type SetEntries } from './fw-plan.js';
import { formatIp, parseIpValue, scanDottedQuad, v4Network } from './ip.js';

/** A list problem: an error drops the line, a warning keeps the (normalised) entry. */
export interface ListProblem extends Problem {
  severity: 'error' | 'warning';
  location: { file: string; line: number };
}

const LF = 10;
const CR = 13;
const HASH = 35;

/** Column separators: space, tab, vertical tab, form feed. CR only ends a line (CRLF or a lone CR). */
function isBlank(c: number): boolean {
  return c === 32 || c === 9 || c === 11 || c === 12;
}

function show(token: string): string {
  return JSON.stringify(token.length > 60 ? `${token.slice(0, 57)}...` : token);
}

/**
 * Parses list text straight into the collector and returns the problems, each with file:line.
 * One pass over the characters with no per-line strings for plain IPv4 entries: a 1M-line list must
 * never become an array of lines or objects.
 */
export function parseListText(text: string, file: string, into: EntryCollector): ListProblem[] {
  const problems: ListProblem[] = [];
  const scan = new Uint32Array(2); // scanDottedQuad's address and stop index
  const n = text.length;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0; // a byte-order mark is not part of the first entry
  let line = 1;
  while (i < n) {
    let c = text.charCodeAt(i);
    while (isBlank(c) && ++i < n) c = text.charCodeAt(i);
    if (i >= n) break;
    const start = i;
    if (c !== HASH && c !== LF && c !== CR) {
      // the common case stays in this loop: a plain dotted quad, read once, goes straight to the collector
      const prefix = scanDottedQuad(text, start, n, scan);
      i = scan[1]!;
      c = i < n ? text.charCodeAt(i) : LF;
      if (prefix === 32 && (isBlank(c) || c === HASH || c === LF || c === CR)) into.addV4(scan[0]!, 32);
      else {
        // anything else: find the end of the token, then the slower, explaining path
        i = start;
        c = LF; // what follows a token that runs to the end of the text
        while (++i < n) {
          c = text.charCodeAt(i);
          if (isBlank(c) || c === HASH || c === LF || c === CR) break;
        }
        addToken(text, start, i, file, line, into, problems);
      }
    }
    // the rest of the line is a comment (after "#" or after the first column)
    while (i < n && c !== LF && c !== CR) c = text.charCodeAt(++i);
    if (i >= n) break;
    i += c === CR && text.charCodeAt(i + 1) === LF ? 2 : 1;
    line++;
  }
  return problems;
}

const tokenScan = new Uint32Array(2);

/** Everything but a plain dotted quad: an IPv4 network (scanned again, cheap) or the general path. */
function addToken(
  text: string,
  start: number,
  end: number,
  file: string,
  line: number,
  into: EntryCollector,
  problems: ListProblem[],
): void {
  const prefix = scanDottedQuad(text, start, end, tokenScan);
  if (prefix >= 0 && tokenScan[1] === end) {
    const addr = tokenScan[0]!;
    const net = v4Network(addr, prefix);
    if (net !== addr) {
      problems.push(warning(text.slice(start, end), `${formatV4(net)}/${prefix}`, file, line));
    }
    into.addV4(net, prefix);
    return;
  }
  const token = text.slice(start, end);
  const p = parseIpValue(token);
  if (!p.ok) {
    problems.push({
      code: 'WATCHER_E_LIST',
      severity: 'error',
      message: `skipped invalid entry: ${p.error}`,
      location: { file, line },
    });
    return;
  }
  if (p.ip.normalised) problems.push(warning(token, formatIp(p.ip), file, line));
  into.add(p.ip);
}

function warning(token: string, used: string, file: string, line: number): ListProblem {
  return {
    code: 'WATCHER_E_LIST',
    severity: 'warning',
    message: `entry ${show(token)} has host bits set; using ${used}`,
    location: { file, line },
  };
}

/**
 * Writes entries back in the list format, one per line (IPv4 singles, IPv4 networks, IPv6 singles,
 * IPv6 networks), after optional "# " header lines. parseListText of the result gives the same entries.
 */
export function serializeEntries(e: SetEntries, header?: string): string {
  const lines: string[] = [];
  if (header !== undefined) for (const h of header.split(/\r?\n/)) lines.push(h === '' ? '#' : `# ${h}`);
  for (let i = 0; i < e.v4.length; i++) lines.push(formatV4(e.v4[i]!));
  // loops, not push(...spread): spreading 100k+ elements overflows the argument stack
  for (const group of [e.v4nets, e.v6, e.v6nets]) for (const entry of group) lines.push(entry);
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
}
