// parseSyslogLine: one syslog line (file, FIFO, socket) to a LogLine: RFC 3164 with or without <PRI>,
// rsyslog RFC 3339 stamps, RFC 5424. Never throws; null only when no header is recognised.
import type { SyslogContext } from './context.js';
import { timeOrNull } from './make-line.js';
import { parseRfc5424 } from './rfc5424.js';
import { decimal, digitsEnd } from './scan.js';
import { scanIsoStamp, type IsoStamp } from './stamp-iso.js';
import { scanRfc3164Stamp, type Rfc3164Fields } from './stamp-rfc3164.js';
import { afterStamp } from './syslog-tag.js';
import type { LogLine } from './types.js';
import { localStampMs } from './year-choice.js';

const iso: IsoStamp = { end: 0, ms: NaN };
const classic: Rfc3164Fields = { end: 0, month: 0, day: 0, year: 0, msOfDay: NaN };

/**
 * Parses a syslog line:
 * - `[<PRI>]Nov 22 01:50:29 host tag[pid]: msg` (RFC 3164, rsyslog's traditional file and FIFO format;
 *   `Nov  2`; local time with ctx.tzOffsetMinutes; year from ctx.year / ctx.nowMs, see context.ts),
 * - `[<PRI>]2026-11-22T01:50:29.123456+00:00 host tag[pid]: msg` (rsyslog RFC 3339, Debian 13),
 * - `<PRI>1 2026-11-22T01:50:29.003Z host app procid msgid [sd] msg` (RFC 5424; `-` nil values).
 * The tag may lack the pid (`postfix/smtpd:`, `kernel:`) and the host may be missing. `message` is
 * the text after `tag: ` (one space dropped, the rest kept) up to any trailing CR/LF; after a stamp
 * without a recognisable tag it is everything after the host, with program ''. An impossible stamp
 * (Feb 31, 25:00) keeps the line with time null.
 */
export function parseSyslogLine(line: string, ctx: SyslogContext): LogLine | null {
  if (typeof line !== 'string') return null;
  let i = 0;
  let c = line.charCodeAt(0);
  if (c === 60) {
    const priEnd = digitsEnd(line, 1);
    if (priEnd === 1 || priEnd > 4 || line.charCodeAt(priEnd) !== 62) return null;
    if (decimal(line, 1, priEnd) > 191) return null;
    i = priEnd + 1;
    if (line.charCodeAt(i) === 49 && line.charCodeAt(i + 1) === 32) {
      return parseRfc5424(line, i + 2, ctx.tzOffsetMinutes ?? 0);
    }
    c = line.charCodeAt(i);
  }
  let time: number;
  if (c >= 48 && c <= 57) {
    if (!scanIsoStamp(line, i, ctx.tzOffsetMinutes ?? 0, iso)) return null;
    time = iso.ms;
    i = iso.end;
  } else {
    if (!scanRfc3164Stamp(line, i, classic)) return null;
    time = localStampMs(classic.year, classic.month, classic.day, classic.msOfDay, ctx);
    i = classic.end;
  }
  // the stamp must end at a space (or the line): `Nov 22 01:50:29x` is text, not a header
  const after = line.charCodeAt(i);
  if (after !== 32 && i < line.length && after !== 10 && after !== 13) return null;
  return afterStamp(line, i, timeOrNull(time));
}
