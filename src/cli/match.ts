// `watcherctl match`: runs one module's rules over a log file, every line judged on its own (no time
// window, DNS, firewall or database), like fail2ban-regex. Reads only its input and the rule files.
import { createReadStream } from 'node:fs';
import { parseArgs } from 'node:util';
import { describeProblem } from '../core/errors.js';
import { parseAccessLogMessage, parseLine, parseWebErrorMessage, type LineFormat, type ParseContext } from '../core/logline/index.js';
import { MODULES, type Detection, type LogLine, type ModuleName } from '../core/logline/types.js';
import { compileRules, DEFAULT_LOCAL_RULES_DIR, loadModuleRules, MAX_MESSAGE, shippedRulesDir } from '../core/rules/index.js';

export const MATCH_HELP = `watcherctl match — test a module's rules on a log file

Usage: watcherctl match --module <LG|MX|MB|WB> [options] <file|->

Every line is judged on its own: no time window, no DNS, no firewall, no database.

Options:
  --module M            the module whose rules run (required)
  --json                one JSON object per detected line on stdout:
                        {"line": N, "ip": "...", "rule": "...", "event": "..."}; a summary on stderr
  --missed              also list the lines that matched no rule (readable report only)
  --format F            how lines are parsed: syslog, access, weberror, journal or auto (default auto)
  --rules-dir D         shipped rules (D/<MODULE>/*.yaml) instead of the package's rules/
  --local-rules-dir D   local rules (D/<MODULE>/*.yaml); default ${DEFAULT_LOCAL_RULES_DIR}

Exit status: 0 done; 1 a rule file had problems (reported on stderr, the other rules ran) or the
input could not be read; 2 the command line is wrong.

Examples:
  watcherctl match --module LG /var/log/auth.log
  journalctl -u ssh -o json | watcherctl match --module LG --format journal --json -
  watcherctl match --module WB --format access --missed /var/log/nginx/access.log
`;

export interface MatchIo {
  stdout: { write(s: string): unknown };
  stderr: { write(s: string): unknown };
  /** the input's content in chunks of any size: a file, or standard input for "-" */
  readInput(pathOrDash: string): AsyncIterable<string | Uint8Array> | Iterable<string | Uint8Array>;
}

export function nodeMatchIo(): MatchIo {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    readInput: (p) => (p === '-' ? process.stdin : createReadStream(p)),
  };
}

const FORMATS: readonly LineFormat[] = ['syslog', 'access', 'weberror', 'journal', 'auto'];
/** --missed keeps at most this many lines for the report; the rest are counted */
const MISSED_SHOWN = 100_000;

interface Options {
  module: ModuleName;
  json: boolean;
  missed: boolean;
  format: LineFormat;
  rulesDir: string | undefined;
  localRulesDir: string;
  input: string;
}

function parseOptions(argv: string[]): Options | string {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        module: { type: 'string' },
        json: { type: 'boolean' },
        missed: { type: 'boolean' },
        format: { type: 'string' },
        'rules-dir': { type: 'string' },
        'local-rules-dir': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
  const { values: v, positionals } = parsed;
  if (v.help) return '';
  const module = v.module?.toUpperCase();
  if (module === undefined) return 'missing --module';
  if (!(MODULES as readonly string[]).includes(module)) return `unknown module "${v.module}" (one of ${MODULES.join(', ')})`;
  const format = v.format ?? 'auto';
  if (!(FORMATS as readonly string[]).includes(format)) return `unknown format "${format}" (one of ${FORMATS.join(', ')})`;
  if (positionals.length !== 1) return positionals.length === 0 ? 'missing input file (or - for standard input)' : 'only one input file';
  return {
    module: module as ModuleName,
    json: v.json === true,
    missed: v.missed === true,
    format: format as LineFormat,
    rulesDir: v['rules-dir'],
    localRulesDir: v['local-rules-dir'] ?? DEFAULT_LOCAL_RULES_DIR,
    input: positionals[0]!,
  };
}

/** Lines of the input without their line ends; invalid UTF-8 becomes U+FFFD, never an error. */
async function* linesOf(chunks: AsyncIterable<string | Uint8Array> | Iterable<string | Uint8Array>): AsyncGenerator<string> {
  const decoder = new TextDecoder('utf-8');
  let buf = '';
  for await (const chunk of chunks) {
    buf += typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
    let start = 0;
    for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n', start)) {
      yield buf.charCodeAt(nl - 1) === 13 && nl > start ? buf.slice(start, nl - 1) : buf.slice(start, nl);
      start = nl + 1;
    }
    buf = buf.slice(start);
  }
  buf += decoder.decode();
  if (buf !== '') yield buf.endsWith('\r') ? buf.slice(0, -1) : buf;
}

/** WB lines that came through syslog carry an access or error line as their message: parse it too. */
function webPayload(line: LogLine, ctx: ParseContext): LogLine {
  if (line.http !== undefined || line.client !== undefined) return line;
  return parseAccessLogMessage(line.message, line, ctx) ?? parseWebErrorMessage(line.message, line, ctx) ?? line;
}

interface Tally {
  lines: number;
  blank: number;
  unparsed: number;
  tooLong: number;
  matched: number;
  perRule: Map<string, { count: number; event: string }>;
  perIp: Map<string, { count: number; affairs: number }>;
  missed: { line: number; text: string; unparsed: boolean }[];
  missedMore: number;
}

const pad = (s: string | number, n: number): string => String(s).padStart(n);

function report(t: Tally, o: Options, header: string, withMissed: boolean): string {
  const out: string[] = [header];
  const parsed = t.lines - t.blank - t.unparsed;
  out.push(
    `Lines: ${t.lines} read, ${parsed} parsed, ${t.unparsed} not parsed (format ${o.format})` +
      (t.blank > 0 ? `, ${t.blank} blank` : '') +
      (t.tooLong > 0 ? `, ${t.tooLong} with a message longer than ${MAX_MESSAGE} characters (never matched)` : ''),
  );
  const share = parsed > 0 ? ` (${((100 * t.matched) / parsed).toFixed(1)}% of parsed lines)` : '';
  out.push(`Matched: ${t.matched} lines${share}`);
  if (t.perRule.size > 0) {
    out.push('', 'Matches per rule:');
    const width = Math.max(...[...t.perRule.keys()].map((k) => k.length));
    for (const [id, r] of [...t.perRule].sort((a, b) => b[1].count - a[1].count || (a[0] < b[0] ? -1 : 1))) {
      out.push(`  ${pad(r.count, 8)}  ${id.padEnd(width)}  ${r.event}`);
    }
    out.push('', 'Top addresses (lines, affairs):');
    const top = [...t.perIp].sort((a, b) => b[1].affairs - a[1].affairs || b[1].count - a[1].count).slice(0, 10);
    for (const [ip, r] of top) out.push(`  ${pad(r.count, 8)}  ${pad(r.affairs, 8)}  ${ip}`);
    if (t.perIp.size > top.length) out.push(`  (${t.perIp.size} addresses in all)`);
  }
  if (withMissed) {
    out.push('', `Lines that matched nothing (${t.missed.length + t.missedMore}):`);
    for (const m of t.missed) out.push(`  ${pad(m.line, 8)}${m.unparsed ? ' (not parsed)' : ''}  ${m.text}`);
    if (t.missedMore > 0) out.push(`  ... and ${t.missedMore} more`);
  }
  return `${out.join('\n')}\n`;
}

export async function runMatch(argv: string[], io: MatchIo): Promise<number> {
  const o = parseOptions(argv);
  if (typeof o === 'string') {
    if (o === '') {
      io.stdout.write(MATCH_HELP);
      return 0;
    }
    io.stderr.write(`watcherctl match: ${o}\n\n${MATCH_HELP}`);
    return 2;
  }
  const loaded = loadModuleRules(o.module, { ...(o.rulesDir !== undefined ? { shippedDir: o.rulesDir } : {}), localDir: o.localRulesDir });
  for (const p of loaded.problems) io.stderr.write(`watcherctl match: ${describeProblem(p)}\n`);
  const set = compileRules(loaded.rules);
  const enabled = set.ids.length;
  const header = `Module ${o.module}: ${enabled} rules enabled (${loaded.rules.length - enabled} disabled) from ${o.rulesDir ?? shippedRulesDir()}, ${o.localRulesDir}`;

  const now = new Date();
  const ctx: ParseContext = { year: now.getFullYear(), nowMs: now.getTime(), tzOffsetMinutes: -now.getTimezoneOffset() };
  const t: Tally = { lines: 0, blank: 0, unparsed: 0, tooLong: 0, matched: 0, perRule: new Map(), perIp: new Map(), missed: [], missedMore: 0 };
  const missed = (text: string, unparsed: boolean): void => {
    if (!o.missed) return;
    if (t.missed.length < MISSED_SHOWN) t.missed.push({ line: t.lines, text, unparsed });
    else t.missedMore++;
  };
  try {
    for await (const text of linesOf(io.readInput(o.input))) {
      t.lines++;
      if (text.trim() === '') {
        t.blank++;
        continue;
      }
      let line = parseLine(text, o.format, ctx);
      if (line === null) {
        t.unparsed++;
        missed(text, true);
        continue;
      }
      if (o.module === 'WB' && (o.format === 'syslog' || o.format === 'auto' || o.format === 'journal')) line = webPayload(line, ctx);
      if (line.message.length > MAX_MESSAGE) t.tooLong++;
      const d: Detection | null = set.match(line);
      if (d === null) {
        missed(text, false);
        continue;
      }
      t.matched++;
      const r = t.perRule.get(d.rule);
      if (r) r.count++;
      else t.perRule.set(d.rule, { count: 1, event: d.event });
      const a = t.perIp.get(d.ip);
      if (a) {
        a.count++;
        a.affairs += d.weight;
      } else t.perIp.set(d.ip, { count: 1, affairs: d.weight });
      if (o.json) io.stdout.write(`${JSON.stringify({ line: t.lines, ip: d.ip, rule: d.rule, event: d.event })}\n`);
    }
  } catch (e) {
    io.stderr.write(`watcherctl match: cannot read ${o.input === '-' ? 'standard input' : o.input}: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }
  if (o.json) io.stderr.write(report(t, o, header, false));
  else io.stdout.write(report(t, o, header, o.missed));
  return loaded.problems.length > 0 ? 1 : 0;
}
