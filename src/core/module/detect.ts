// One batch of raw lines to detections: parse each header once, run the module's rules and, for WB,
// count requests per client and vhost for floods. Pure; the only output is the detections.
import type { LogLine, ParseContext } from '../logline/index.js';
import type { Detection } from '../logline/types.js';
import { parseIp } from '../ip.js';
import type { RuleSet } from '../rules/index.js';
import type { FloodCounter } from './flood.js';

export interface DetectStats {
  lines: number;
  matched: number;
}

export interface Detector {
  rules: RuleSet;
  /** WB only */
  flood?: FloodCounter;
  /** weight of a flood detection: the module limit, so a flood bans at once */
  floodWeight: number;
}

/**
 * Appends the batch's detections to `out` and counts into `stats`; never throws on hostile input.
 * Items are raw lines (parse = a LineParser) or journal records (parse = parseJournalJson).
 */
export function detectBatch<T>(
  d: Detector,
  items: readonly T[],
  parse: (item: T, ctx: ParseContext) => LogLine | null,
  ctx: ParseContext,
  now: number,
  out: Detection[],
  stats: DetectStats,
): void {
  for (const raw of items) {
    stats.lines++;
    const line = parse(raw, ctx);
    if (line === null) continue;
    const hit = d.rules.match(line);
    if (hit) {
      stats.matched++;
      out.push(hit);
    }
    if (d.flood && line.http && line.client) {
      const vhost = line.vhost ?? '';
      if (d.flood.hit(vhost, line.client, line.time ?? now)) {
        const ip = parseIp(line.client);
        if (ip.ok && (ip.ip.prefix === 32 || ip.ip.prefix === 128)) {
          stats.matched++;
          out.push({ ip: ip.ip.addr, family: ip.ip.family, rule: 'wb-flood', event: 'flood', weight: d.floodWeight, vhost, time: line.time });
        }
      }
    }
  }
}
