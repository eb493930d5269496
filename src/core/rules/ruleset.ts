// compileRules: a module's rules compiled once into per-program, per-first-character lists; match()
// runs them in file order on one parsed line. No I/O, no clock; allocates nothing until a regex matches.
import { WatcherError } from '../errors.js';
import { parseIp, scanDottedQuad } from '../ip.js';
import { ownString } from '../own-string.js';
import type { Detection, LogLine } from '../logline/types.js';
import { compilePattern } from './compile.js';
import { MAX_MESSAGE } from './placeholders.js';
import type { Rule, RuleSource } from './types.js';

interface CompiledRule {
  readonly id: string;
  readonly event: string;
  readonly weight: number;
  readonly source: RuleSource;
  readonly re: RegExp;
  readonly prefix: string;
  readonly needle: string;
  readonly needles: readonly string[];
  /** matches when the message contains any text of a mandatory alternation (see anyOfLiterals), or null */
  readonly anyOf: RegExp | null;
}

/** Candidate rules by the first character of the message: 0-127 ASCII, 128 any other, 129 empty. */
type Table = readonly (readonly CompiledRule[])[];
const NON_ASCII = 128;
const EMPTY_MESSAGE = 129;

/** The tables of one kind of line: access-log lines, or all others. */
interface Family {
  byProgram: Map<string, Table>;
  /** for programs no rule names: the '*' rules only */
  any: Table | undefined;
}

/** Why a candidate rule did not match a line (trace level). */
export type RuleMiss = 'prefix' | 'literal' | 'pattern' | 'no-address';

/** How match() judged one line, step by step: what the trace log level shows. */
export type RuleTrace =
  | { outcome: 'matched'; rule: string; ip: string; misses: { rule: string; why: RuleMiss }[] }
  | { outcome: 'too-long'; length: number }
  | { outcome: 'no-rules'; program: string }
  | { outcome: 'no-match'; program: string; skipped: number; misses: { rule: string; why: RuleMiss }[] };

export interface RuleSet {
  /** the first enabled rule (in file order) that matches the line, as a detection; null when none */
  match(line: LogLine): Detection | null;
  /**
   * The same judgement as match(), explained: which rule matched, or why each candidate did not.
   * Slower (it allocates); only for the trace log level and tools.
   */
  explain(line: LogLine): RuleTrace;
  /** ids of the enabled rules, in order */
  readonly ids: readonly string[];
}

interface Entry {
  rule: CompiledRule;
  programs: readonly string[];
  firstChars: readonly number[];
  matchesEmpty: boolean;
}

function buildTable(entries: readonly Entry[]): Table {
  const lists: CompiledRule[][] = Array.from({ length: 130 }, () => []);
  for (const e of entries) {
    for (const c of e.firstChars) lists[c]!.push(e.rule);
    if (e.matchesEmpty) lists[EMPTY_MESSAGE]!.push(e.rule);
  }
  return lists;
}

function buildFamily(entries: readonly Entry[]): Family {
  const programs = new Set<string>();
  for (const e of entries) for (const p of e.programs) if (p !== '*') programs.add(p);
  const byProgram = new Map<string, Table>();
  for (const p of programs) byProgram.set(p, buildTable(entries.filter((e) => e.programs.includes(p) || e.programs.includes('*'))));
  const wild = entries.filter((e) => e.programs.includes('*'));
  return { byProgram, any: wild.length > 0 ? buildTable(wild) : undefined };
}

/**
 * Compiles the enabled rules (disabled ones are skipped). Rules should come from the loader, which
 * has already refused bad patterns; a bad one here is a programming error and throws.
 */
export function compileRules(rules: readonly Rule[]): RuleSet {
  const access: Entry[] = [];
  const other: Entry[] = [];
  const ids: string[] = [];
  for (const rule of rules) {
    if (!rule.enabled) continue;
    const r = compilePattern(rule.pattern, rule.source);
    if (!r.ok) {
      throw new WatcherError('WATCHER_E_CONFIG', `rule ${rule.id}: ${r.errors.join('; ')}`, rule.location ? { location: rule.location } : {});
    }
    const p = r.pattern;
    const compiled: CompiledRule = {
      id: rule.id,
      event: rule.event,
      weight: rule.weight,
      source: rule.source,
      re: p.re,
      prefix: p.prefix,
      needle: p.needle,
      needles: p.needles,
      anyOf: p.anyOf === null ? null : new RegExp(p.anyOf.map(escapeRegex).join('|')),
    };
    (rule.source === 'access' ? access : other).push({ rule: compiled, programs: rule.programs, firstChars: p.firstChars, matchesEmpty: p.matchesEmpty });
    ids.push(rule.id);
  }
  return new CompiledRuleSet(buildFamily(access), buildFamily(other), ids);
}

class CompiledRuleSet implements RuleSet {
  constructor(
    private readonly access: Family,
    private readonly other: Family,
    readonly ids: readonly string[],
  ) {}

  match(line: LogLine): Detection | null {
    const msg = line.message;
    // bounds every regex's work; never cut instead, or an attacker could choose where the line ends
    if (msg.length > MAX_MESSAGE) return null;
    const family = line.http === undefined ? this.other : this.access;
    const table = family.byProgram.get(line.program) ?? family.any;
    if (table === undefined) return null;
    let c = msg.length === 0 ? EMPTY_MESSAGE : msg.charCodeAt(0);
    if (c > NON_ASCII && c !== EMPTY_MESSAGE) c = NON_ASCII;
    const list = table[c]!;
    for (let k = 0; k < list.length; k++) {
      const r = list[k]!;
      if (r.prefix !== '' && !msg.startsWith(r.prefix)) continue;
      if (r.needle !== '' && !msg.includes(r.needle)) continue;
      if (!containsAll(msg, r.needles)) continue;
      if (r.anyOf !== null && !r.anyOf.test(msg)) continue;
      const m = r.re.exec(msg);
      if (m === null) continue;
      const d = detection(r, m, line);
      if (d !== null) return d;
    }
    return null;
  }

  // Mirrors match() step by step; test/unit/rules-explain.test.ts checks they agree on every sample.
  explain(line: LogLine): RuleTrace {
    const msg = line.message;
    if (msg.length > MAX_MESSAGE) return { outcome: 'too-long', length: msg.length };
    const family = line.http === undefined ? this.other : this.access;
    const table = family.byProgram.get(line.program) ?? family.any;
    if (table === undefined) return { outcome: 'no-rules', program: line.program };
    let c = msg.length === 0 ? EMPTY_MESSAGE : msg.charCodeAt(0);
    if (c > NON_ASCII && c !== EMPTY_MESSAGE) c = NON_ASCII;
    const list = table[c]!;
    const all = new Set<CompiledRule>();
    for (const l of table) for (const r of l) all.add(r);
    const misses: { rule: string; why: RuleMiss }[] = [];
    for (const r of list) {
      if (r.prefix !== '' && !msg.startsWith(r.prefix)) misses.push({ rule: r.id, why: 'prefix' });
      else if (r.needle !== '' && !msg.includes(r.needle)) misses.push({ rule: r.id, why: 'literal' });
      else if (!containsAll(msg, r.needles) || (r.anyOf !== null && !r.anyOf.test(msg))) misses.push({ rule: r.id, why: 'literal' });
      else {
        const m = r.re.exec(msg);
        const d = m === null ? null : detection(r, m, line);
        if (d !== null) return { outcome: 'matched', rule: r.id, ip: d.ip, misses };
        misses.push({ rule: r.id, why: m === null ? 'pattern' : 'no-address' });
      }
    }
    return { outcome: 'no-match', program: line.program, skipped: all.size - list.length, misses };
  }
}

/** `text` as a regex matching exactly it. */
function escapeRegex(text: string): string {
  return text.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&');
}

/** Every literal of a rule is in the message: a regex run is far dearer than a few substring searches. */
function containsAll(msg: string, needles: readonly string[]): boolean {
  for (let i = 0; i < needles.length; i++) if (!msg.includes(needles[i]!)) return false;
  return true;
}

interface Address {
  addr: string;
  family: 4 | 6;
  /** IPv4: the address as an unsigned number; IPv6: -1 */
  v4: number;
}

const scratch = new Uint32Array(2);
/** parseIp's answers for text that is not a plain dotted quad (IPv6 costs microseconds to parse) */
const slowPath = new Map<string, Address | null>();
const SLOW_PATH_ENTRIES = 4096;

/**
 * The normalised address of text, or null. A plain dotted quad that ip.ts's own scanner accepts
 * whole (no leading zeros, octets <= 255) is already canonical: it is returned as is, without the
 * object parseIp would build, since most matched lines carry one. Everything else goes to parseIp,
 * remembered for a while: an attack repeats its address line after line.
 */
function normalise(text: string): Address | null {
  if (scanDottedQuad(text, 0, text.length, scratch) === 32 && scratch[1] === text.length && text.indexOf('/') < 0) {
    return { addr: text, family: 4, v4: scratch[0]! };
  }
  const known = slowPath.get(text);
  if (known !== undefined) return known;
  const p = parseIp(text);
  // a network (or anything parseIp refuses) is not an address a daemon logs for a client
  const a: Address | null = p.ok && p.ip.prefix === (p.ip.family === 4 ? 32 : 128) ? { addr: ownString(p.ip.addr), family: p.ip.family, v4: p.ip.family === 4 ? p.ip.v4 : -1 } : null;
  if (slowPath.size >= SLOW_PATH_ENTRIES) slowPath.clear();
  slowPath.set(ownString(text), a);
  return a;
}

function detection(r: CompiledRule, m: RegExpExecArray, line: LogLine): Detection | null {
  const groups = m.groups;
  const text = r.source === 'message' ? groups?.ip : line.client;
  if (text === undefined || text === '') return null;
  const ip = normalise(text);
  if (ip === null) return null;
  const d: Detection = { ip: ip.addr, family: ip.family, v4: ip.v4, rule: r.id, event: r.event, weight: r.weight, time: line.time };
  const user = groups?.user;
  if (user !== undefined && user !== '') d.user = user;
  const vhost = groups?.vhost || line.vhost;
  if (vhost !== undefined && vhost !== '') d.vhost = vhost;
  return d;
}
