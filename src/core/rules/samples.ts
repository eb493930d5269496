// A rule's own sample lines, run against that rule alone: what the loader checks for every rule it
// accepts. Whether another rule of the module takes a line first is checked by the test suite.
import { parseIp } from '../ip.js';
import type { LogLine } from '../logline/types.js';
import { compileRules } from './ruleset.js';
import type { MatchSample, Rule } from './types.js';

/** Stands in for the client of access/client nomatch samples, which name none. */
export const SAMPLE_CLIENT = '192.0.2.1';

/** The parsed line a sample stands for, as the header parser would hand it over. */
export function sampleLine(rule: Pick<Rule, 'programs' | 'source'>, text: string, sample?: MatchSample, program?: string): LogLine {
  const prog = program ?? (rule.programs[0] === '*' || rule.programs[0] === undefined ? 'sample' : rule.programs[0]);
  const line: LogLine = { time: null, host: null, program: prog, pid: null, message: text };
  if (rule.source === 'message') return line;
  line.client = sample?.client ?? sample?.ip ?? SAMPLE_CLIENT;
  if (sample?.vhost !== undefined) line.vhost = sample.vhost;
  if (rule.source === 'access') {
    line.http = { method: '', path: '', protocol: '', status: null, bytes: null, user: null, referer: null, userAgent: null };
  }
  return line;
}

export interface SampleFailure {
  kind: 'match' | 'nomatch' | 'none';
  /** index in samples.match or samples.nomatch */
  index: number;
  message: string;
}

const show = (v: string | undefined): string => (v === undefined ? 'none' : JSON.stringify(v));

/** Problems with a rule's samples: none given, a match sample that does not match as stated, a nomatch that matches. */
export function checkSamples(rule: Rule): SampleFailure[] {
  const out: SampleFailure[] = [];
  if (rule.samples.match.length === 0) {
    out.push({ kind: 'none', index: 0, message: `rule ${rule.id} has no match sample (every rule needs at least one)` });
  }
  const set = compileRules([{ ...rule, enabled: true }]);
  rule.samples.match.forEach((s, index) => {
    const norm = parseIp(s.ip);
    if (!norm.ok || norm.ip.addr !== s.ip) {
      out.push({ kind: 'match', index, message: `sample ip ${JSON.stringify(s.ip)} is not a normalised address${norm.ok ? ` (write ${norm.ip.addr})` : ''}` });
      return;
    }
    const d = set.match(sampleLine(rule, s.line, s));
    if (d === null) {
      out.push({ kind: 'match', index, message: `match sample does not match rule ${rule.id}: ${JSON.stringify(s.line)}` });
      return;
    }
    const wrong: string[] = [];
    if (d.ip !== s.ip) wrong.push(`ip ${d.ip} (expected ${s.ip})`);
    if (d.user !== s.user) wrong.push(`user ${show(d.user)} (expected ${show(s.user)})`);
    if (d.vhost !== s.vhost) wrong.push(`vhost ${show(d.vhost)} (expected ${show(s.vhost)})`);
    if (wrong.length > 0) out.push({ kind: 'match', index, message: `match sample gives ${wrong.join(', ')}` });
  });
  rule.samples.nomatch.forEach((text, index) => {
    const d = set.match(sampleLine(rule, text));
    if (d !== null) out.push({ kind: 'nomatch', index, message: `nomatch sample matches rule ${rule.id} (ip ${d.ip}): ${JSON.stringify(text)}` });
  });
  return out;
}
