// One batch of raw lines to detections: parse each header once (once for all the modules reading the
// batch, see ParsedBatches), run the module's rules and, for WB, count requests per client and vhost
// for floods. Pure; the only output is the detections.
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
  detectLines(d, parseBatch(items, parse, ctx), now, out, stats);
}

/** The batch's lines parsed (null: not a line of the format). */
export function parseBatch<T>(items: readonly T[], parse: (item: T, ctx: ParseContext) => LogLine | null, ctx: ParseContext): (LogLine | null)[] {
  const lines = new Array<LogLine | null>(items.length);
  for (let i = 0; i < items.length; i++) lines[i] = parse(items[i]!, ctx);
  return lines;
}

/** Batches remembered: a fan-out hands one batch to every module in one synchronous loop (see Fanout). */
const RECENT = 4;

/**
 * Each module reading one fanned-out batch would parse every header again: the first one to ask
 * parses it, the others reuse the LogLines (never changed by anyone). Only the last few batches are
 * remembered, by identity, with strong references: a WeakMap kept every batch's lines alive until a
 * full GC saw its key die, and its ephemerons doubled the young-generation GC time of the pipeline.
 */
export class ParsedBatches {
  private readonly items: (readonly unknown[] | null)[] = new Array<readonly unknown[] | null>(RECENT).fill(null);
  private readonly byKind: (Map<string, (LogLine | null)[]> | null)[] = new Array<Map<string, (LogLine | null)[]> | null>(RECENT).fill(null);
  private next = 0;

  /** `items` parsed by `parse`, whose kind (parserKind) is `kind`. */
  get<T>(items: readonly T[], kind: string, parse: (item: T, ctx: ParseContext) => LogLine | null, ctx: ParseContext): (LogLine | null)[] {
    let byKind: Map<string, (LogLine | null)[]> | null = null;
    for (let i = 0; i < RECENT; i++) {
      if (this.items[i] === items) {
        byKind = this.byKind[i]!;
        break;
      }
    }
    if (byKind === null) {
      byKind = new Map();
      this.items[this.next] = items;
      this.byKind[this.next] = byKind;
      this.next = (this.next + 1) % RECENT;
    }
    let lines = byKind.get(kind);
    if (lines === undefined) {
      lines = parseBatch(items, parse, ctx);
      byKind.set(kind, lines);
    }
    return lines;
  }
}

/** detectBatch on lines already parsed. */
export function detectLines(d: Detector, lines: readonly (LogLine | null)[], now: number, out: Detection[], stats: DetectStats): void {
  for (let i = 0; i < lines.length; i++) {
    stats.lines++;
    const line = lines[i];
    if (line === null || line === undefined) continue;
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
          out.push({ ip: ip.ip.addr, family: ip.ip.family, v4: ip.ip.family === 4 ? ip.ip.v4 : -1, rule: 'wb-flood', event: 'flood', weight: d.floodWeight, vhost, time: line.time });
        }
      }
    }
  }
}
