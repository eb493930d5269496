// Extended detection tracing (the trace log level, as in the original Watcher): for each line of a
// batch, which rule matched it or why none did. Pure: returns text; the pipeline logs it, and only
// when the level is trace, checked once per batch. Re-parses the batch; never changes its detections.
import type { LogLine, ParseContext } from '../logline/index.js';
import type { Detection } from '../logline/types.js';
import type { RuleMiss, RuleTrace } from '../rules/index.js';
import type { Detector } from './detect.js';

/** Longest excerpt of a line shown in a trace (the rest is counted, not shown). */
const EXCERPT = 160;

const WHY: Record<RuleMiss, string> = {
  prefix: 'literal prefix absent',
  literal: 'literal text absent',
  pattern: 'pattern did not match',
  'no-address': 'matched without a usable address',
};

/** JSON quoting keeps control characters and forged line breaks out of the log. */
function excerpt(text: string): string {
  return text.length > EXCERPT ? `${JSON.stringify(text.slice(0, EXCERPT))}…(+${text.length - EXCERPT})` : JSON.stringify(text);
}

function misses(list: readonly { rule: string; why: RuleMiss }[]): string {
  return list.map((m) => `${m.rule}: ${WHY[m.why]}`).join('; ');
}

export function describeTrace(t: RuleTrace): string {
  switch (t.outcome) {
    case 'matched':
      return `rule ${t.rule} matched, address ${t.ip}${t.misses.length > 0 ? ` (before it: ${misses(t.misses)})` : ''}`;
    case 'too-long':
      return `no rule: message of ${t.length} characters is longer than rules judge`;
    case 'no-rules':
      return `no rule: no rule for program ${JSON.stringify(t.program)}`;
    case 'no-match': {
      const skipped = t.skipped > 0 ? `${t.skipped} rule(s) of program ${JSON.stringify(t.program)} ruled out by the first character` : '';
      const tried = t.misses.length > 0 ? misses(t.misses) : '';
      return `no rule: ${[skipped, tried].filter((s) => s !== '').join('; ') || 'no candidate rule'}`;
    }
  }
}

/** One trace line per item of the batch, then one per flood detection (WB). */
export function traceBatch<T>(
  d: Detector,
  items: readonly T[],
  parse: (item: T, ctx: ParseContext) => LogLine | null,
  ctx: ParseContext,
  detections: readonly Detection[],
  show: (item: T) => string,
): string[] {
  const out: string[] = [];
  for (const raw of items) {
    const line = parse(raw, ctx);
    const verdict = line === null ? 'not parsed: the header is not one this source carries' : describeTrace(d.rules.explain(line));
    out.push(`line ${excerpt(show(raw))}: ${verdict}`);
  }
  for (const det of detections) if (det.rule === 'wb-flood') out.push(`flood: ${det.ip} on vhost ${JSON.stringify(det.vhost ?? '')} counted as a flood`);
  return out;
}
