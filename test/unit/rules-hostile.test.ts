// Hostile input against every shipped pack: long lines, repeated separators, binary, and near-cap
// lines built from each rule's own vocabulary. Every match() call must return quickly.
import test from 'ava';
import { performance } from 'node:perf_hooks';
import type { LogLine } from '../../src/core/logline/types.js';
import { MODULES } from '../../src/core/logline/types.js';
import { compileRules, loadModuleRules, MAX_MESSAGE, sampleLine, type Rule } from '../../src/core/rules/index.js';
import { mulberry32 as prng } from '../helpers/prng.js';

/** Generous: a match on an 8 KiB line takes well under a millisecond; this catches exponential blow-ups. */
const BOUND_MS = 50;

const fill = (unit: string, length: number): string => unit.repeat(Math.ceil(length / unit.length)).slice(0, length);

function binary(length: number, seed: number): string {
  const rnd = prng(seed);
  let s = '';
  // every UTF-16 code unit, lone surrogates, NUL, CR and LF included
  for (let i = 0; i < length; i++) s += String.fromCharCode(Math.floor(rnd() * 65536));
  return s;
}

/** Separators the packs use, repeated: where ambiguous fields would backtrack if they could. */
const TOKENS = [' from ', ' from 203.0.113.5 port 22', ' port 22 ssh2', '[203.0.113.5]', ', ', '"', '<', '>', ': ', ' ', 'a', '\\"', ', client: 203.0.113.5', 'rip=1.2.3.4, ', ', relay=[1.2.3.4]', '%2e/'];

/** Lines near the cap built from a sample: its start, then one token over and over, then its end (or not). */
function vocabularyLines(sample: string): string[] {
  const out: string[] = [];
  const half = Math.floor(sample.length / 2);
  for (const token of TOKENS) {
    const body = (n: number) => fill(token, n);
    const room = MAX_MESSAGE - sample.length;
    out.push(sample.slice(0, half) + body(room) + sample.slice(half));
    out.push(sample.slice(0, half) + body(room + half - 1)); // never ends as the pattern wants
    out.push(fill(sample + token, MAX_MESSAGE)); // the whole line, forged over and over
  }
  out.push(fill(sample.slice(0, -1), MAX_MESSAGE));
  return out;
}

/**
 * One call's time, the faster of two: the first call of a regex on new input may include V8
 * compiling it or a GC pause, which are not the matching work this test bounds.
 */
function timeOne(set: ReturnType<typeof compileRules>, line: LogLine): number {
  let best = Infinity;
  for (let i = 0; i < 2; i++) {
    const t0 = performance.now();
    set.match(line);
    best = Math.min(best, performance.now() - t0);
  }
  return best;
}

for (const module of MODULES) {
  test(`${module}: hostile lines of 64 KiB and near the ${MAX_MESSAGE}-character cap all match within ${BOUND_MS} ms`, (t) => {
    const { rules } = loadModuleRules(module, { localDir: null });
    const all: Rule[] = rules.map((r) => ({ ...r, enabled: true }));
    const set = compileRules(all);
    let worst = { ms: 0, what: '' };
    let calls = 0;
    const check = (r: Rule, text: string, what: string): void => {
      for (const program of r.programs) {
        const line = sampleLine(r, text, undefined, program === '*' ? 'nginx' : program);
        const ms = timeOne(set, line);
        calls++;
        if (ms > worst.ms) worst = { ms, what: `${r.id} ${what} (${text.length} chars)` };
      }
    };
    for (const r of all) {
      for (const [name, text] of [
        ['64 KiB of a', 'a'.repeat(65536)],
        ['64 KiB of " from "', fill(' from ', 65536)],
        ['64 KiB binary', binary(65536, 1)],
        ['cap-length binary', binary(MAX_MESSAGE, 2)],
        ['cap-length " from "', fill(' from ', MAX_MESSAGE)],
        ['cap-length a', 'a'.repeat(MAX_MESSAGE)],
      ] as const) {
        check(r, text, name);
        // the rule's own prefix first, so the prefilter lets the line through to the regex
        const prefixed = r.samples.match[0]!.line.slice(0, 24) + text;
        check(r, prefixed.slice(0, Math.min(prefixed.length, MAX_MESSAGE)), `prefix + ${name}`);
      }
      for (const s of r.samples.match) for (const text of vocabularyLines(s.line)) check(r, text, 'vocabulary');
    }
    t.log(`${calls} calls; slowest ${worst.ms.toFixed(2)} ms: ${worst.what}`);
    t.true(worst.ms < BOUND_MS, `${worst.what} took ${worst.ms.toFixed(1)} ms`);
  });
}
